import type { ProbotOctokit } from "probot";
import { z } from "zod";

// The open pull requests a policy change reaches: those of one repository (on one base branch), and
// the repositories of the installation, for a change to the organization's policy. REST lists, 100 to a
// page, every page.

/** An open pull request, as far as queueing its evaluation needs. */
export interface OpenPullRequest {
  number: number;
  headSha: string;
  baseRef: string;
}

/** A repository the installation can read. */
export interface InstallationRepository {
  id: number;
  owner: string;
  name: string;
  fullName: string;
}

const pullSchema = z.object({ number: z.number().int(), head: z.object({ sha: z.string() }), base: z.object({ ref: z.string() }) });

const repositorySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  full_name: z.string(),
  owner: z.object({ login: z.string() }),
  archived: z.boolean().optional(),
});

const headSchema = z.object({ head: z.object({ sha: z.string() }) });

/** A pull request's head commit, from `GET /repos/{owner}/{repo}/pulls/{number}`. */
export async function pullRequestHeadSha(octokit: ProbotOctokit, repo: { owner: string; name: string }, number: number): Promise<string> {
  const { data } = await octokit.rest.pulls.get({ owner: repo.owner, repo: repo.name, pull_number: number });
  return headSchema.parse(data).head.sha;
}

const branchSchema = z.object({ head: z.object({ ref: z.string(), repo: z.object({ id: z.number() }).nullable() }), base: z.object({ repo: z.object({ id: z.number() }) }) });

/** A pull request's head branch, and whether it is in the pull request's own repository; null when there is no such pull request. */
export async function pullRequestBranch(octokit: ProbotOctokit, repo: { owner: string; name: string }, number: number): Promise<{ ref: string; sameRepository: boolean } | null> {
  try {
    const { data } = await octokit.rest.pulls.get({ owner: repo.owner, repo: repo.name, pull_number: number });
    const pull = branchSchema.parse(data);
    return { ref: pull.head.ref, sameRepository: pull.head.repo?.id === pull.base.repo.id };
  } catch (error) {
    if ((error as { status?: number }).status === 404) return null;
    throw error;
  }
}

/** The repository's open pull requests, on `base` only when given (GitHub filters by base branch). */
export async function listOpenPullRequests(octokit: ProbotOctokit, repo: { owner: string; name: string }, base?: string): Promise<OpenPullRequest[]> {
  const pulls = await octokit.paginate("GET /repos/{owner}/{repo}/pulls", { owner: repo.owner, repo: repo.name, state: "open", per_page: 100, ...(base !== undefined ? { base } : {}) });
  return z
    .array(pullSchema)
    .parse(pulls)
    .map((pull) => ({ number: pull.number, headSha: pull.head.sha, baseRef: pull.base.ref }));
}

/**
 * The repositories this installation can read, archived ones left out: an archived repository is
 * read-only, so neither its pull requests nor their checks can change.
 */
export async function listInstallationRepositories(octokit: ProbotOctokit): Promise<InstallationRepository[]> {
  // `paginate` gathers the `repositories` of every page of this endpoint's `{ total_count, repositories }`.
  const repositories = await octokit.paginate("GET /installation/repositories", { per_page: 100 });
  return z
    .array(repositorySchema)
    .parse(repositories)
    .filter((repository) => repository.archived !== true)
    .map((repository) => ({ id: repository.id, owner: repository.owner.login, name: repository.name, fullName: repository.full_name }));
}
