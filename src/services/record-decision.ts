import { appendAuditEvent, type AuditEntry, type AuditEventType } from "../db/audit-log.js";
import type { Store } from "../db/client.js";
import { recordDecision, type DecisionEntry } from "../db/decisions.js";
import { summarizeDecision } from "./pull-request-summaries.js";

/** The audit event a decision is recorded with: its type, who it concerns, and what it says. */
export interface DecisionEvent {
  type: AuditEventType;
  actor: AuditEntry["actor"];
  payload: Record<string, unknown>;
}

/**
 * Records a decision (for the merge record and `countersign` queries) with its audit event (for the
 * evidence): the event is about the decision's repository, pull request, commit and delivery, at the
 * time it was made. The two rows are independent: written at once (two connections on PostgreSQL),
 * the caller waits on the database once. A pull request's decision is then merged into its dashboard
 * summary (pull-request-summaries.ts); should the process stop between the two, start-up rebuilds it.
 */
export async function recordDecisionWithEvent(deps: { db: Store }, decision: DecisionEntry, event: DecisionEvent): Promise<void> {
  const decisionRow = recordDecision(deps.db, decision);
  const auditEvent = appendAuditEvent(deps.db, {
    type: event.type,
    repo: decision.repo,
    subjectNumber: decision.prNumber,
    sha: decision.headSha,
    actor: event.actor,
    deliveryId: decision.deliveryId,
    payload: event.payload,
    at: decision.evaluatedAt,
  });
  const [row, audit] = await Promise.allSettled([decisionRow, auditEvent]);
  if (row.status === "rejected") throw row.reason;
  if (audit.status === "rejected") throw audit.reason;
  if (decision.prNumber === null) return;
  await summarizeDecision(
    deps.db,
    { repoId: BigInt(decision.repo.id), number: decision.prNumber },
    { at: decision.evaluatedAt, repository: decision.repo.fullName, conclusion: decision.conclusion, title: decision.title, reasons: decision.reasons, delegationId: decision.delegationId },
    event.payload,
  );
}
