import { appendAuditEvent } from "../db/audit-log.js";
import { pullRequestsDecidedWithDelegation } from "../db/decisions.js";
import { endSubjectDelegations } from "../db/delegations.js";
import type { Actor } from "../policy/types.js";
import { evaluateAndReport, type EvaluationDeps } from "./evaluation-queue.js";
import type { EventContext } from "./event-context.js";

/** An issue GitHub reported closed (`issues.closed`). */
export interface ClosedIssue {
  number: number;
  /** The event's sender: who closed it (a person, or the account that merged a pull request closing it). */
  closedBy: Actor;
}

/** The reason stored on, and recorded for, a delegation that ended with its issue. */
export const ISSUE_CLOSED = "the issue was closed";

/**
 * A task issue was closed: the delegations given on it end, as a pull request's do when it closes
 * (a revocation by whoever closed it, a `delegation.ended` event each), so the credential sweep
 * revokes the credentials issued under them. Reopening the issue revives none: a new `/delegate`
 * is needed. The pull requests that relied on an ended delegation, and the open ones that reference
 * the issue, are re-evaluated at once, so their check runs stop showing a delegation that is over.
 * A redelivery ends nothing more (only an active delegation can end) and re-evaluates nothing.
 */
export async function recordIssueClosed(services: EvaluationDeps, event: EventContext, closed: ClosedIssue): Promise<void> {
  const repo = { id: event.repo.id, fullName: event.repo.fullName };
  const now = services.clock();
  const ended = await endSubjectDelegations(services.db, repo.id, { type: "issue", number: closed.number }, closed.closedBy, ISSUE_CLOSED, now);
  for (const delegation of ended) {
    await appendAuditEvent(services.db, { type: "delegation.ended", repo, subjectNumber: closed.number, sha: null, actor: { id: closed.closedBy.id, login: closed.closedBy.login }, deliveryId: event.deliveryId, payload: { delegationId: delegation.id, reason: ISSUE_CLOSED }, at: now });
  }
  if (ended.length === 0) return;
  const numbers = new Set(await event.github.openPullRequestsReferencingIssue(event.repo, closed.number));
  for (const delegation of ended) {
    for (const number of await pullRequestsDecidedWithDelegation(services.db, delegation.id)) numbers.add(number);
  }
  // A closed pull request among them is skipped by the evaluation itself.
  for (const prNumber of numbers) await evaluateAndReport(services, event, { prNumber, headShaHint: null });
}
