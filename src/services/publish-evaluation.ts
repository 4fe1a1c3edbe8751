import { appendAuditEvent } from "../db/audit-log.js";
import { storeText } from "../db/content-texts.js";
import type { DecisionEntry } from "../db/decisions.js";
import { decisionTitle } from "../evidence/check-run-output.js";
import { changedPathsText, decisionContext, type DecisionContextRecord } from "../evidence/decision-context.js";
import { signedEvidenceUrl, type EvidenceLinkSettings } from "../evidence/signed-links.js";
import type { Decision } from "../policy/evaluate.js";
import type { RepoPolicy } from "../policy/repo-policy.js";
import type { PullRequestFacts } from "../policy/types.js";
import { publishNewest, takePublishingTicket, type PublisherDeps } from "./check-run-publisher.js";
import type { EvaluationRequest, EvaluationResult } from "./evaluation.js";
import type { EventContext } from "./event-context.js";
import { judgePullRequest, type JudgeDeps } from "./judge-pull-request.js";
import { recordDecisionWithEvent } from "./record-decision.js";

// One evaluation, once its turn has come (see evaluation-queue.ts): take a place in the pull request's
// order, judge it (judge-pull-request.ts), publish the check run in order (check-run-publisher.ts),
// and record the decision with its audit events.

/** What evaluating and publishing needs: the judge's reads, the publisher's database, and the evidence links. */
export interface PublishEvaluationDeps extends JudgeDeps, PublisherDeps {
  /** Signed links to the evidence page, when it is configured (public URL and secret); else null. */
  evidence: EvidenceLinkSettings | null;
}

/**
 * A later-started evaluation of the same pull request published first: this one's view is older, so it
 * neither writes the check run nor records a decision.
 */
const SUPERSEDED = { status: "skipped", reason: "superseded by a newer evaluation of the pull request" } as const;

/** What a decision on the check run is recorded with: everything but where, when and for which delivery. */
type PublishedDecision = Pick<DecisionEntry, "conclusion" | "title" | "reasons" | "delegationId" | "policy"> & { checkRunId: number };

/**
 * Records a published decision with its `decision` audit event, whose payload repeats the decision
 * and adds `details` (what the evidence shows of it).
 */
async function recordPublished(deps: PublisherDeps, event: EventContext, facts: PullRequestFacts, published: PublishedDecision, at: Date, details: Record<string, unknown>): Promise<void> {
  await recordDecisionWithEvent(
    deps,
    {
      repo: { id: facts.repo.id, fullName: facts.repo.fullName },
      prNumber: facts.number,
      headSha: facts.headSha,
      conclusion: published.conclusion,
      title: published.title,
      reasons: published.reasons,
      deliveryId: event.deliveryId,
      delegationId: published.delegationId,
      checkRunId: published.checkRunId,
      errorId: null,
      policy: published.policy,
      evaluatedAt: at,
    },
    {
      type: "decision",
      actor: null,
      payload: {
        conclusion: published.conclusion,
        title: published.title,
        reasons: published.reasons,
        delegationId: published.delegationId,
        policyHash: published.policy?.hash ?? null,
        policySource: published.policy?.source ?? null,
        ...details,
      },
    },
  );
}

/**
 * What the decision saw of the pull request (title, commits, changed paths), the paths' text stored
 * in the content store: from the facts already read, no further request.
 */
async function recordContext(deps: PublisherDeps, facts: PullRequestFacts): Promise<DecisionContextRecord> {
  const stored = await storeText(deps.db, changedPathsText(facts.files).text);
  return decisionContext(facts, stored.hash);
}

/**
 * What the decision names of its policy: the hash and source, the files (repository, path, blob and
 * commit, text hash) and the hash of the canonical text hashed into the policy hash (the same hash,
 * by construction). The texts go into the content store, once each.
 */
async function recordPolicy(deps: PublisherDeps, policy: RepoPolicy): Promise<Record<string, unknown>> {
  for (const text of Object.values(policy.texts ?? {})) await storeText(deps.db, text);
  return { hash: policy.hash, source: policy.source, textHash: policy.texts?.[policy.hash] === undefined ? null : policy.hash, files: policy.files ?? [] };
}

/**
 * Evaluates a pull request once and publishes the result: the check run, the decision and its audit
 * events. Throws on failure (the queue fails closed).
 */
export async function evaluateAndPublish(services: PublishEvaluationDeps, event: EventContext, request: EvaluationRequest): Promise<EvaluationResult> {
  // The ticket is taken before anything is read, so a later ticket means a later view of GitHub.
  const ticket = await takePublishingTicket(services, event, request.prNumber);
  const judgement = await judgePullRequest(services, event, request);
  const { facts } = judgement;
  if (judgement.kind === "closed") return { status: "skipped", reason: `pull request is ${facts.state.toLowerCase()}` };
  // "Details" on the check run opens the signed evidence page when it is configured, else the PR.
  const detailsUrl = services.evidence ? signedEvidenceUrl(services.evidence, facts.repo.fullName, facts.number, services.clock()) : facts.url;
  const target = { headSha: facts.headSha, prNumber: facts.number, detailsUrl, forceWrite: request.forceWrite ?? false };

  if (judgement.kind === "invalid-policy") {
    const checkRunId = await publishNewest(services, event, ticket, target, "failure", judgement.output);
    if (checkRunId === null) return SUPERSEDED;
    await appendAuditEvent(services.db, {
      type: "config.invalid",
      repo: { id: facts.repo.id, fullName: facts.repo.fullName },
      subjectNumber: facts.number,
      sha: facts.headSha,
      actor: null,
      deliveryId: event.deliveryId,
      payload: { source: judgement.policy.source, problems: judgement.policy.problems },
      at: judgement.evaluatedAt,
    });
    const reasons = ["config-invalid", ...judgement.policy.problems.map((problem) => `config:${problem.path}`)];
    await recordPublished(services, event, facts, { conclusion: "failure", title: judgement.output.title, reasons, delegationId: null, checkRunId, policy: null }, judgement.evaluatedAt, {
      problems: judgement.policy.problems,
      source: judgement.policy.source,
      context: await recordContext(services, facts),
      ...(request.alsoFor && request.alsoFor.length > 0 ? { alsoFor: request.alsoFor } : {}),
    });
    return { status: "invalid-config", checkRunId };
  }

  const { decision, policy } = judgement;
  const delegationId = decision.owner?.kind === "delegated" ? decision.owner.delegation.id : null;
  // Recorded once the decision is on the check run, alongside saving the check run's record. The
  // verdicts on the reviews that caused this evaluation go into the chain first: the evidence then
  // reads in the order things happened, the approval before the decision it brought about.
  const recordWith = async (checkRunId: number) => {
    for (const review of request.reviews ?? []) await recordReviewVerdict(services, event, facts, decision, review, judgement.evaluatedAt);
    const context = await recordContext(services, facts);
    const policyRecord = await recordPolicy(services, policy);
    await recordPublished(
      services,
      event,
      facts,
      { conclusion: decision.conclusion, title: decisionTitle(decision), reasons: decision.reasons, delegationId, checkRunId, policy: { hash: policy.hash, source: policy.source } },
      judgement.evaluatedAt,
      {
        involvement: decision.detection.involvement,
        agents: decision.detection.agents.map((agent) => ({ login: agent.login, id: agent.id, kind: agent.kind })),
        signals: decision.detection.signals.map((signal) => ({
          kind: signal.kind,
          ...("sha" in signal ? { sha: signal.sha } : {}),
          ...("trailer" in signal ? { trailer: signal.trailer } : {}),
          ...(signal.kind === "agent-push" ? { pusher: { login: signal.actor.login, id: signal.actor.id }, push: signal.push } : {}),
        })),
        enforcedConclusion: decision.enforcedConclusion,
        tiers: decision.tiers.map((tier) => tier.name),
        requirements: decision.requirements.map((requirement) => ({ kind: requirement.kind, met: requirement.met, sources: requirement.sources })),
        owner: decision.owner && decision.owner.kind !== "missing" ? { kind: decision.owner.kind, login: decision.owner.owner.login, id: decision.owner.owner.id } : null,
        approvals: decision.approvals.map((verdict) => ({
          reviewer: verdict.reviewer.login,
          reviewerId: verdict.reviewer.id,
          reviewId: verdict.review.id,
          commit: verdict.review.commitSha,
          counted: verdict.counted,
          objections: verdict.objections.map((objection) => objection.code),
          waived: verdict.waived,
        })),
        requiredCheck: judgement.setup.state,
        context,
        policy: policyRecord,
        ...(request.alsoFor && request.alsoFor.length > 0 ? { alsoFor: request.alsoFor } : {}),
      },
    );
  };
  const checkRunId = await publishNewest(services, event, ticket, target, decision.conclusion, judgement.output, recordWith);
  if (checkRunId === null) return SUPERSEDED;
  return { status: "decided", decision, conclusion: decision.conclusion, checkRunId };
}

/** Logs whether the review that caused this evaluation counts, and why not. */
async function recordReviewVerdict(services: PublishEvaluationDeps, event: EventContext, facts: PullRequestFacts, decision: Decision, review: { id: number; deliveryId: string | null }, at: Date): Promise<void> {
  const reviewId = review.id;
  const verdict = decision.approvals.find((candidate) => candidate.review.id === reviewId);
  // A comment-only review, or one superseded by the reviewer's later review, is not an opinion to log.
  if (!verdict || verdict.review.state !== "APPROVED") return;
  await appendAuditEvent(services.db, {
    type: verdict.counted ? "approval.counted" : "approval.rejected",
    repo: { id: facts.repo.id, fullName: facts.repo.fullName },
    subjectNumber: facts.number,
    sha: verdict.review.commitSha,
    actor: { id: verdict.reviewer.id, login: verdict.reviewer.login },
    deliveryId: review.deliveryId ?? event.deliveryId,
    payload: { reviewId, headSha: facts.headSha, objections: verdict.objections, waived: verdict.waived, url: verdict.review.url },
    at,
  });
}
