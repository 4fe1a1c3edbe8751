import { loadPullRequestPolicy } from "../config/repo-policy-loader.js";
import { agentPushesFor } from "../db/agent-pushes.js";
import type { Store } from "../db/client.js";
import { appendAuditEvent } from "../db/audit-log.js";
import { decisionsAtMerge } from "../db/decisions.js";
import { endSubjectDelegations } from "../db/delegations.js";
import { latestDecisionAgents } from "../db/pr-records.js";
import { renderUnverifiedMergeCheckRun, renderUnverifiedMergeComment, type UnverifiedMerge } from "../evidence/merge-outputs.js";
import type { RequiredCheckStatus } from "../github/required-check.js";
import type { MergeOutcome, Metrics } from "../observability/metrics.js";
import { detectAgents } from "../policy/agent-detection.js";
import type { Actor } from "../policy/types.js";
import type { EventContext } from "./event-context.js";
import { publishCheckRun, type PublisherDeps } from "./check-run-publisher.js";

/** What recording a closed pull request needs: the records, the required-check setup, the merge metrics. */
export interface MergeDeps extends PublisherDeps {
  db: Store;
  clock: () => Date;
  appId: number | null;
  metrics: Metrics;
}

/** A pull request GitHub reported closed (`pull_request.closed`), merged or not. */
export interface ClosedPullRequest {
  number: number;
  merged: boolean;
  headSha: string;
  headRef: string;
  /** Whether the head branch is in this repository (not a fork). */
  headInRepo: boolean;
  baseRef: string;
  mergeCommitSha: string | null;
  mergedBy: Actor | null;
  /** The event's sender: who closed it (for a merge, normally who merged). */
  closedBy: Actor;
  url: string;
  at: Date;
}

/** Whether an agent touched the pull request: from Countersign's records, else read from GitHub now. */
async function agentInvolvement(
  services: MergeDeps,
  event: EventContext,
  closed: ClosedPullRequest,
  records: { anyDecision: boolean; agentSeen: boolean },
): Promise<{ touched: boolean; agents: string[]; how: "decisions" | "pushes" | "read-at-merge" | "unreadable" }> {
  const pushes = await agentPushesFor(services.db, event.repo.id, { number: closed.number, headRef: closed.headRef, headInRepo: closed.headInRepo });
  const pushers = [...new Set(pushes.map((push) => push.pusher.login))];
  if (records.agentSeen) return { touched: true, agents: [...new Set([...(await latestDecisionAgents(services.db, event.repo.id, closed.number)), ...pushers])], how: "decisions" };
  if (pushes.length > 0) return { touched: true, agents: pushers, how: "pushes" };
  if (records.anyDecision) return { touched: false, agents: [], how: "decisions" };
  // Never evaluated (merged before Countersign saw it, or while it was down): judge its commits now.
  try {
    const snapshot = await event.github.readPullRequest(event.repo, closed.number);
    const policy = await loadPullRequestPolicy(event.github, event.repo, snapshot.facts.baseRef, snapshot.policy);
    if (!policy.ok) return { touched: true, agents: [], how: "unreadable" };
    const detection = detectAgents(snapshot.facts, policy.policy);
    return { touched: detection.involvement !== "none", agents: detection.agents.map((agent) => agent.login), how: "read-at-merge" };
  } catch (error) {
    // Fail closed: a merge nobody can show was agent-free is reported as one that needs a look.
    event.log.warn({ err: error, repo: event.repo.fullName, pr: closed.number }, "countersign: could not read a merged pull request; its merge is reported as unverified");
    return { touched: true, agents: [], how: "unreadable" };
  }
}

function gateOf(setup: RequiredCheckStatus): UnverifiedMerge["gate"] {
  return setup.state === "required" ? "bypassed-required-check" : setup.state === "not-required" ? "check-not-required" : "required-check-unknown";
}

/**
 * A pull request was closed: its delegations end; if it was merged, the merge is recorded (who merged,
 * the merged head, Countersign's decision on it, whether the rules were bypassed), and a merge of an
 * agent-touched change without a success on its head is an exception the team is told about: a
 * `merge.unverified` event, a comment on the pull request, and the check run on the merged head.
 */
export async function recordPullRequestClosed(services: MergeDeps, event: EventContext, closed: ClosedPullRequest): Promise<void> {
  const repo = { id: event.repo.id, fullName: event.repo.fullName };
  const now = services.clock();
  const closer = closed.merged ? (closed.mergedBy ?? closed.closedBy) : closed.closedBy;
  const reason = closed.merged ? "the pull request was merged" : "the pull request was closed";
  for (const delegation of await endSubjectDelegations(services.db, repo.id, { type: "pull_request", number: closed.number }, closer, reason, now)) {
    await appendAuditEvent(services.db, { type: "delegation.ended", repo, subjectNumber: closed.number, sha: closed.headSha, actor: { id: closer.id, login: closer.login }, deliveryId: event.deliveryId, payload: { delegationId: delegation.id, reason }, at: now });
  }
  if (!closed.merged) return;

  const records = await decisionsAtMerge(services.db, repo.id, closed.number, closed.headSha);
  const involvement = await agentInvolvement(services, event, closed, records);
  const countersigned = records.onHead?.conclusion === "success";
  const setup: RequiredCheckStatus = await event.github
    .requiredCheckStatus(event.repo, closed.baseRef, services.appId)
    .catch((error: unknown): RequiredCheckStatus => ({ state: "unknown", reason: (error as Error).message ?? "unreadable" }));
  const outcome: MergeOutcome = !involvement.touched ? "no-agent" : countersigned ? "countersigned" : "unverified";
  const mergedBy = closed.mergedBy ? { id: closed.mergedBy.id, login: closed.mergedBy.login } : null;
  const facts = {
    url: closed.url,
    mergedBy,
    headSha: closed.headSha,
    mergeCommitSha: closed.mergeCommitSha,
    base: closed.baseRef,
    decision: records.onHead ? { conclusion: records.onHead.conclusion, title: records.onHead.title } : null,
    agentTouched: involvement.touched,
    agents: involvement.agents,
    agentEvidence: involvement.how,
    requiredCheck: setup.state,
    // The rules were bypassed when the gate was required and yet an agent's change merged without its success.
    bypassed: outcome === "unverified" && setup.state === "required",
    outcome,
  };
  await appendAuditEvent(services.db, { type: "merge.recorded", repo, subjectNumber: closed.number, sha: closed.headSha, actor: mergedBy, deliveryId: event.deliveryId, payload: facts, at: closed.at });
  services.metrics.recordMerge(outcome);
  if (outcome !== "unverified") return;

  const merge: UnverifiedMerge = { prNumber: closed.number, headSha: closed.headSha, mergeCommitSha: closed.mergeCommitSha, mergedBy, decision: facts.decision, gate: gateOf(setup), agents: involvement.agents };
  await appendAuditEvent(services.db, {
    type: "merge.unverified",
    repo,
    subjectNumber: closed.number,
    sha: closed.headSha,
    actor: mergedBy,
    deliveryId: event.deliveryId,
    payload: { ...facts, missing: records.onHead ? `decision ${records.onHead.conclusion}` : "no decision", gate: merge.gate },
    at: closed.at,
  });
  event.log.warn({ repo: event.repo.fullName, pr: closed.number, sha: closed.headSha, mergedBy: mergedBy?.login, gate: merge.gate }, "countersign: an agent-touched pull request was merged without a countersign");
  // Announced where the team looks; each on its own, so a failing one does not stop the other.
  const announcements = await Promise.allSettled([
    event.github.postComment(event.repo, closed.number, renderUnverifiedMergeComment(merge)),
    publishCheckRun(services, event, { headSha: closed.headSha, prNumber: closed.number }, "failure", renderUnverifiedMergeCheckRun(merge, { evaluatedAt: now, deliveryId: event.deliveryId, policySource: "not re-read at merge", policyHash: null })),
  ]);
  for (const announcement of announcements) {
    if (announcement.status === "rejected") event.log.error({ err: announcement.reason, repo: event.repo.fullName, pr: closed.number }, "countersign: could not announce an unverified merge on GitHub; it is in the audit log");
  }
}
