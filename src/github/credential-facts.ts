import type { ProbotOctokit } from "probot";
import type { RepositoryFacts } from "./github-client.js";

// The GitHub reads the credential exchange needs (behind the `GitHub` seam), through the main app's installation: the
// repository by id (so a renamed repository is still the one delegated in), and the state of the
// pull request or issue a delegation was given on. Null when GitHub says it does not exist.

function isNotFound(error: unknown): boolean {
  return (error as { status?: number }).status === 404;
}

/** The repository with id `id`: its name now, its owner's id and its default branch. */
export async function readRepositoryById(octokit: ProbotOctokit, id: number): Promise<RepositoryFacts | null> {
  try {
    const { data } = await octokit.request("GET /repositories/{repository_id}", { repository_id: id });
    return { id: data.id, fullName: data.full_name, ownerId: data.owner.id, defaultBranch: data.default_branch };
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** Whether the pull request or issue `number` is open, and who opened it. */
export async function readSubjectState(octokit: ProbotOctokit, repo: { owner: string; name: string }, number: number): Promise<{ open: boolean; authorLogin: string } | null> {
  try {
    // The issues endpoint answers for pull requests too, with their open or closed state.
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", { owner: repo.owner, repo: repo.name, issue_number: number });
    return { open: data.state === "open", authorLogin: data.user?.login ?? "" };
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}
