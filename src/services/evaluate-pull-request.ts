import { loadRepoPolicy, type PolicyLoadResult } from "../config/repo-policy-loader.js";
import { appendAuditEvent } from "../db/audit-log.js";
import { findCheckRunId, saveCheckRunId } from "../db/check-run-records.js";
import { recordDecision } from "../db/decisions.js";
import { delegationsForPullRequest } from "../db/delegations.js";
import { renderInvalidConfig } from "../evidence/blocking-outputs.js";
import { decisionTitle, renderDecision, type CheckRunOutput } from "../evidence/check-run-output.js";
import { actorKey } from "../policy/agent-identities.js";
import { reviewersNeedingPermission } from "../policy/approvals.js";
import { evaluatePullRequest, type Conclusion, type Decision } from "../policy/evaluate.js";
import { referencedIssues } from "../policy/issue-references.js";
import type { Permission, PullRequestFacts } from "../policy/types.js";
import { fetchPullRequestFacts } from "../github/pull-request-facts.js";
import { writeCheckRun } from "../github/check-runs.js";
import type { EventContext, Services } from "./deps.js";
import { failClosed } from "./fail-closed.js";

/** A request to evaluate one pull request and publish the result. */
export interface EvaluationRequest {
  prNumber: number;
  /** The head SHA the event named, used to block the right commit if reading the PR fails. */
  headShaHint: string | null;
  /** Facts and policy already read for this delivery (by a command), to avoid reading them twice. */
  preloaded?: { facts: PullRequestFacts; policy: PolicyLoadResult };
}

/** What an evaluation concluded, or why it could not. */
export type EvaluationResult =
  | { status: "decided"; decision: Decision; conclusion: Conclusion; checkRunId: number }
  | { status: "invalid-config"; checkRunId: number }
  | { status: "skipped"; reason: string }
  | { status: "failed"; errorId: string };

/** Writes the check run on `headSha`, updating the one already there, and remembers its id. */
export async function publishCheckRun(
  services: Services,
  event: EventContext,
  target: { headSha: string; prNumber: number | null; detailsUrl?: string },
  conclusion: Conclusion,
  output: CheckRunOutput,
): Promise<number> {
  const existing = await findCheckRunId(services.db, event.repo.id, target.headSha);
  const id = await writeCheckRun(event.octokit, event.repo, existing, {
    headSha: target.headSha,
    conclusion,
    title: output.title,
    summary: output.summary,
    ...(target.detailsUrl ? { detailsUrl: target.detailsUrl } : {}),
  });
  if (id !== existing) await saveCheckRunId(services.db, event.repo.id, target.headSha, id, target.prNumber);
  return id;
}

async function lookUpPermissions(services: Services, event: EventContext, facts: PullRequestFacts, decision: Decision): Promise<Map<string, Permission>> {
  const needed = reviewersNeedingPermission(decision.approvals);
  const entries = await Promise.all(
    needed.map(async (reviewer) => [actorKey(reviewer), await services.permissions.get(event.octokit, { ...event.repo, id: facts.repo.id }, reviewer.login)] as const),
  );
  return new Map(entries);
}

async function evaluateOnce(services: Services, event: EventContext, request: EvaluationRequest): Promise<EvaluationResult> {
  const facts = request.preloaded?.facts ?? (await fetchPullRequestFacts(event.octokit, event.repo, request.prNumber));
  if (facts.state !== "OPEN") return { status: "skipped", reason: `pull request is ${facts.state.toLowerCase()}` };
  const now = services.clock();
  // The policy comes from the base branch: a pull request cannot rewrite the rules that judge it.
  const policy = request.preloaded?.policy ?? (await loadRepoPolicy(event.octokit, event.repo, facts.baseRef));

  if (!policy.ok) {
    const output = renderInvalidConfig(policy.problems, policy.source, facts.headSha, { evaluatedAt: now, deliveryId: event.deliveryId, policySource: policy.source });
    const checkRunId = await publishCheckRun(services, event, { headSha: facts.headSha, prNumber: facts.number, detailsUrl: facts.url }, "failure", output);
    await record(services, event, facts, { conclusion: "failure", title: output.title, reasons: ["config-invalid", ...policy.problems.map((problem) => `config:${problem.path}`)], delegationId: null, checkRunId }, now, { problems: policy.problems, source: policy.source });
    return { status: "invalid-config", checkRunId };
  }

  const delegations = await delegationsForPullRequest(services.db, facts.repo.id, facts.number, referencedIssues(facts));
  const input = { pr: facts, policy: policy.policy, delegations, now };
  // Evaluate once without permissions to learn which reviewers could count, then look up only theirs.
  const provisional = evaluatePullRequest({ ...input, permissions: new Map() });
  const permissions = await lookUpPermissions(services, event, facts, provisional);
  const decision = permissions.size > 0 ? evaluatePullRequest({ ...input, permissions }) : provisional;

  const output = renderDecision(decision, facts, { evaluatedAt: now, deliveryId: event.deliveryId, policySource: policy.policy.source });
  const checkRunId = await publishCheckRun(services, event, { headSha: facts.headSha, prNumber: facts.number, detailsUrl: facts.url }, decision.conclusion, output);
  const delegationId = decision.owner?.kind === "delegated" ? decision.owner.delegation.id : null;
  await record(services, event, facts, { conclusion: decision.conclusion, title: decisionTitle(decision), reasons: decision.reasons, delegationId, checkRunId }, now, {
    involvement: decision.detection.involvement,
    owner: decision.owner && decision.owner.kind !== "missing" ? { kind: decision.owner.kind, login: decision.owner.owner.login, id: decision.owner.owner.id } : null,
    approvals: decision.approvals.map((verdict) => ({
      reviewer: verdict.reviewer.login,
      reviewerId: verdict.reviewer.id,
      reviewId: verdict.review.id,
      commit: verdict.review.commitSha,
      counted: verdict.counted,
      objections: verdict.objections.map((objection) => objection.code),
    })),
    policySource: policy.policy.source,
  });
  return { status: "decided", decision, conclusion: decision.conclusion, checkRunId };
}

async function record(
  services: Services,
  event: EventContext,
  facts: PullRequestFacts,
  outcome: { conclusion: Conclusion; title: string; reasons: string[]; delegationId: string | null; checkRunId: number },
  now: Date,
  details: Record<string, unknown>,
): Promise<void> {
  await recordDecision(services.db, {
    repo: { id: facts.repo.id, fullName: facts.repo.fullName },
    prNumber: facts.number,
    headSha: facts.headSha,
    conclusion: outcome.conclusion,
    title: outcome.title,
    reasons: outcome.reasons,
    deliveryId: event.deliveryId,
    delegationId: outcome.delegationId,
    checkRunId: outcome.checkRunId,
    errorId: null,
    evaluatedAt: now,
  });
  await appendAuditEvent(services.db, {
    type: "decision",
    repo: { id: facts.repo.id, fullName: facts.repo.fullName },
    subjectNumber: facts.number,
    sha: facts.headSha,
    actor: null,
    deliveryId: event.deliveryId,
    payload: { conclusion: outcome.conclusion, title: outcome.title, reasons: outcome.reasons, delegationId: outcome.delegationId, ...details },
    at: now,
  });
}

/**
 * Evaluates a pull request and publishes the decision as the `Countersign` check run. Never throws:
 * any failure leaves the check blocking ("could not evaluate") with an error id that is in the logs.
 */
export async function evaluateAndReport(services: Services, event: EventContext, request: EvaluationRequest): Promise<EvaluationResult> {
  return services.serializer.run(`${event.repo.id}#${request.prNumber}`, async () => {
    try {
      const result = await evaluateOnce(services, event, request);
      event.log.info(
        { repo: event.repo.fullName, pr: request.prNumber, deliveryId: event.deliveryId, result: result.status, conclusion: "conclusion" in result ? result.conclusion : undefined },
        "countersign: evaluated pull request",
      );
      return result;
    } catch (error) {
      const errorId = await failClosed(services, event, { prNumber: request.prNumber, headSha: request.preloaded?.facts.headSha ?? request.headShaHint }, error);
      return { status: "failed", errorId };
    }
  });
}
