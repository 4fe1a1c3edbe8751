import type { ProbotOctokit } from "probot";
import { appendAuditEvent } from "../db/audit-log.js";
import { pullRequestsDecidedWithDelegation } from "../db/decisions.js";
import { delegationsPastExpiry, markDelegationExpired } from "../db/delegations.js";
import { octokitGitHub, type GitHubCaches } from "../github/octokit-github.js";
import type { EventContext, Log } from "./event-context.js";
import { evaluateAndReport, type EvaluationDeps } from "./evaluation-queue.js";

/**
 * Gives an Octokit authenticated as the app's installation: the sweep runs on a timer, with no
 * event to bring a client, so it makes one per installation (and at once the `GitHub` services use).
 */
export type InstallationOctokit = (installationId: number) => Promise<ProbotOctokit>;

/**
 * Marks delegations past their expiry as expired, logs each, and re-evaluates the pull requests that
 * relied on them, so an expired delegation blocks merging at once instead of at the next webhook.
 * Returns how many delegations expired.
 */
export async function sweepExpiredDelegations(services: EvaluationDeps & { gitHubCaches: GitHubCaches }, octokitFor: InstallationOctokit, log: Log): Promise<number> {
  const now = services.clock();
  let expired = 0;
  for (const due of await delegationsPastExpiry(services.db, now)) {
    // Another replica may have taken this one; only the process that marks it acts on it.
    if (!(await markDelegationExpired(services.db, due.delegation.id))) continue;
    expired += 1;
    await appendAuditEvent(services.db, {
      type: "delegation.expired",
      repo: { id: due.repoId, fullName: due.repoFullName },
      subjectNumber: due.delegation.subjectNumber,
      sha: null,
      actor: null,
      deliveryId: null,
      payload: { delegationId: due.delegation.id, expiresAt: due.delegation.expiresAt?.toISOString() ?? null, owner: due.delegation.owner.login },
      at: now,
    });
    await reevaluateDelegationPullRequests(services, octokitFor, log, { delegationId: due.delegation.id, subjectType: due.delegation.subjectType, subjectNumber: due.delegation.subjectNumber, repo: { id: due.repoId, fullName: due.repoFullName }, installationId: due.installationId });
  }
  return expired;
}

/** A delegation that just ended, with where it was given. */
export interface EndedDelegation {
  delegationId: string;
  subjectType: "pull_request" | "issue";
  subjectNumber: number;
  repo: { id: number; fullName: string };
  installationId: number | null;
}

/**
 * Re-evaluates the pull requests that relied on a delegation that just ended (expired, or revoked by
 * Countersign itself), so merging is blocked at once instead of at the pull request's next webhook.
 */
export async function reevaluateDelegationPullRequests(services: EvaluationDeps & { gitHubCaches: GitHubCaches }, octokitFor: InstallationOctokit, log: Log, ended: EndedDelegation): Promise<void> {
  if (ended.installationId === null) return;
  const prNumbers = new Set(await pullRequestsDecidedWithDelegation(services.db, ended.delegationId));
  if (ended.subjectType === "pull_request") prNumbers.add(ended.subjectNumber);
  if (prNumbers.size === 0) return;
  const [owner = "", name = ""] = ended.repo.fullName.split("/");
  const github = octokitGitHub(await octokitFor(ended.installationId), services.gitHubCaches);
  const event: EventContext = { github, log, repo: { owner, name, id: ended.repo.id, fullName: ended.repo.fullName }, deliveryId: null, installationId: ended.installationId };
  for (const prNumber of prNumbers) await evaluateAndReport(services, event, { prNumber, headShaHint: null });
}
