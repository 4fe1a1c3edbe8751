import { ORGANIZATION_POLICY_REPO, POLICY_PATH } from "../policy/policy-file.js";
import { appendAuditEvent } from "../db/audit-log.js";
import type { OpenPullRequest } from "../github/open-pull-requests.js";
import type { EventContext, RepoContext } from "./event-context.js";
import type { EvaluationResult } from "./evaluation.js";
import { evaluateAndReport, type EvaluationDeps } from "./evaluation-queue.js";
import { Semaphore } from "../concurrency/semaphore.js";

// A decision is made under the policy in force when it is evaluated. When the policy changes, every
// open pull request it judges is re-evaluated at once, not at its next event: a tightened policy must
// block what it no longer allows, and a new agent identity can turn a pull request nobody thought
// agent-written into one that needs a delegation. So every open pull request the changed file judges
// is re-evaluated, not only those Countersign has decided on before.
//
// Which pull requests a policy file judges: a repository's `.github/countersign.yml` on branch X judges
// the repository's pull requests into X (a pull request is judged by its base branch's policy); the
// organization's `.github` repository's file on its default branch is the fallback and `_extends`
// target of every repository, so it judges every open pull request of the installation.

/** A push, as far as a policy change is concerned: the fields of GitHub's `push` payload it reads. */
export interface PolicyPush {
  ref: string;
  before: string;
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
  repository: { default_branch: string };
  sender?: { id: number; login: string } | null;
  commits: ReadonlyArray<{ added?: readonly string[]; modified?: readonly string[]; removed?: readonly string[] }>;
}

/** What a push's own file lists say of a file: listed as changed, surely not, or not knowable from them. */
export type PushFileVerdict = "changed" | "unchanged" | "unknown";

/**
 * A push payload lists this many commits at most on some GitHub versions (newer ones list up to 2,048):
 * with as many, the list may be cut short, and the file lists of the commits left out are unknown.
 */
const LISTED_COMMITS_LIMIT = 20;

/**
 * How many pull requests are re-evaluated at once. Each evaluation is mostly reads and one check-run
 * write, which Probot's throttling spaces out per installation; a few at a time keeps a change that
 * reaches hundreds of pull requests far from GitHub's secondary limits (100 concurrent requests), and
 * leaves the evaluation places to the webhooks that keep arriving meanwhile.
 */
const CONCURRENCY = 4;

const NO_COMMIT = /^0+$/;

/**
 * Whether the push's commits name `path` as added, modified or removed. Their lists are the whole
 * change only for a fast-forward whose commits are all listed: a force-push can drop a change without
 * a commit that names it, and a long push may list only some of its commits.
 */
export function fileInPush(push: PolicyPush, path: string): PushFileVerdict {
  const named = push.commits.some((commit) => [commit.added, commit.modified, commit.removed].some((files) => files?.includes(path) === true));
  if (named) return "changed";
  if (push.forced || push.commits.length === 0 || push.commits.length >= LISTED_COMMITS_LIMIT) return "unknown";
  return "unchanged";
}

/** What a policy change reached. */
export interface PolicyChangeOutcome {
  scope: "repository" | "organization";
  branch: string;
  repositories: number;
  pullRequests: number;
  results: EvaluationResult[];
}

/**
 * Re-evaluates the open pull requests a push's change to `.github/countersign.yml` affects, a few at
 * a time, after recording a `policy.changed` audit event; null when the push does not change the
 * policy of any pull request. Each evaluation goes through `evaluateAndReport`, so one that joins an
 * evaluation already waiting for the same pull request is done once, and a failure blocks that pull
 * request's check (fails closed) without stopping the others.
 */
export async function reevaluateAfterPolicyChange(services: EvaluationDeps, event: EventContext, push: PolicyPush): Promise<PolicyChangeOutcome | null> {
  if (push.deleted || !push.ref.startsWith("refs/heads/")) return null;
  const branch = push.ref.slice("refs/heads/".length);
  const scope = event.repo.name === ORGANIZATION_POLICY_REPO && branch === push.repository.default_branch ? "organization" : "repository";
  // A branch just created is no pull request's base yet; the organization's default branch, created
  // with its first push, applies everywhere at once.
  if (push.created && scope === "repository") return null;

  const listed = fileInPush(push, POLICY_PATH);
  const changed = listed === "unknown" ? await event.github.fileChangedBetween(event.repo, POLICY_PATH, push.created || NO_COMMIT.test(push.before) ? null : push.before, push.after) : listed === "changed";
  if (!changed) return null;

  const targets = scope === "organization" ? await organizationPullRequests(event) : [{ repo: event.repo, pulls: await event.github.openPullRequests(event.repo, branch) }];
  const queued = targets.flatMap(({ repo, pulls }) => pulls.map((pull) => ({ repo, pull })));
  const at = services.clock();
  await appendAuditEvent(services.db, {
    type: "policy.changed",
    repo: { id: event.repo.id, fullName: event.repo.fullName },
    subjectNumber: null,
    sha: push.after,
    actor: push.sender ? { id: push.sender.id, login: push.sender.login } : null,
    deliveryId: event.deliveryId,
    payload: {
      path: POLICY_PATH,
      ref: push.ref,
      scope,
      before: push.before,
      after: push.after,
      detectedBy: listed === "unknown" ? "comparison" : "commits",
      repositories: targets.length,
      pullRequests: queued.length,
    },
    at,
  });
  event.log.info({ repo: event.repo.fullName, ref: push.ref, scope, pullRequests: queued.length, repositories: targets.length }, "countersign: the policy changed; re-evaluating the open pull requests it judges");

  const places = new Semaphore(CONCURRENCY);
  const results = await Promise.all(
    queued.map(({ repo, pull }) => places.run(() => evaluateAndReport(services, { ...event, repo }, { prNumber: pull.number, headShaHint: pull.headSha }))),
  );
  return { scope, branch, repositories: targets.length, pullRequests: queued.length, results };
}

/** Every open pull request of the installation's repositories, listed a few repositories at a time. */
async function organizationPullRequests(event: EventContext): Promise<Array<{ repo: RepoContext; pulls: OpenPullRequest[] }>> {
  const repositories = await event.github.installationRepositories();
  const places = new Semaphore(CONCURRENCY);
  return Promise.all(
    repositories.map((repository) =>
      places.run(async () => {
        const repo: RepoContext = { owner: repository.owner, name: repository.name, id: repository.id, fullName: repository.fullName };
        return { repo, pulls: await event.github.openPullRequests(repo) };
      }),
    ),
  );
}
