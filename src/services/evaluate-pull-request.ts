import { loadPullRequestPolicy, type PolicyLoadResult } from "../config/repo-policy-loader.js";
import { appendAuditEvent } from "../db/audit-log.js";
import { performance } from "node:perf_hooks";
import { recordDecision } from "../db/decisions.js";
import { delegationsForPullRequest } from "../db/delegations.js";
import { renderInvalidConfig } from "../evidence/blocking-outputs.js";
import { decisionTitle, renderDecision, type CheckRunOutput } from "../evidence/check-run-output.js";
import { actorKey } from "../policy/agent-identities.js";
import { NO_PEOPLE_FACTS, type PeopleFacts } from "../policy/approvals.js";
import { evaluatePullRequest, examinePullRequest, type Conclusion, type Decision, type EvaluationInput } from "../policy/evaluate.js";
import { referencedIssues } from "../policy/issue-references.js";
import { teamKey } from "../policy/repo-policy.js";
import type { Actor, DelegationRecord, Permission, PullRequestFacts } from "../policy/types.js";
import { defaultPolicy } from "../policy/repo-policy.js";
import { agentPushesForPullRequest, recordPushIfAgent } from "./record-agent-push.js";
import { fetchPullRequestSnapshot, type PullRequestHead, type PullRequestSnapshot } from "../github/pull-request-facts.js";
import type { RequiredCheckStatus } from "../github/required-check.js";
import { signedEvidenceUrl } from "../evidence/signed-links.js";
import { GitHubWaitTimer } from "../observability/github-requests.js";
import type { EventContext, Services } from "./deps.js";
import { failClosed } from "./fail-closed.js";
import { publishNewest, takePublishingTicket } from "./check-run-publisher.js";
import { rateLimitDelayMs, transientDelayMs } from "./retry-scheduler.js";

/** A request to evaluate one pull request and publish the result. */
export interface EvaluationRequest {
  prNumber: number;
  /** The head SHA the event named, used to block the right commit if reading the PR fails. */
  headShaHint: string | null;
  /** Facts and policy already read for this delivery (by a command), to avoid reading them twice. */
  preloaded?: { facts: PullRequestFacts; policy: PolicyLoadResult };
  /**
   * The reviews whose submission, edit or dismissal caused this evaluation, each with the delivery that
   * told of it: their verdicts are logged.
   */
  reviews?: ReadonlyArray<{ id: number; deliveryId: string | null }>;
  /** Write the check run even if its decision is unchanged: someone pressed "Re-run" and expects it. */
  forceWrite?: boolean;
  /** How many times this evaluation was already tried (after rate limits). */
  attempt?: number;
  /** Other deliveries this evaluation answers as well (their requests joined it while it waited). */
  alsoFor?: readonly string[];
  /**
   * Pushes to the pull request's branch that caused this evaluation (`synchronize`), with the account
   * GitHub says pushed: an agent's push makes the pull request agent-touched, whatever its commits say.
   */
  pushes?: ReadonlyArray<{ pusher: Actor; beforeSha: string; afterSha: string; forced: boolean; deliveryId: string | null }>;
  /** The pull request was just opened or reopened: read who pushed its branch from GitHub's activity log. */
  readActivity?: boolean;
}

/** A request for an evaluation, with the event it came with: what waits to be coalesced. */
export interface QueuedEvaluation {
  event: EventContext;
  request: EvaluationRequest;
}

/**
 * Requests for one pull request gathered while it waited (see coalescing-serializer.ts), as one
 * evaluation: it stands for the newest delivery (its event, its logger), and names the others; every
 * review's verdict is logged under its own delivery; a Re-run among them forces the write; facts a
 * command read beforehand are not used (they may be older than another request's change), so the
 * pull request is read afresh. A single request is run as it is.
 */
export function coalesceRequests(queued: readonly QueuedEvaluation[]): QueuedEvaluation {
  if (queued.length === 1) return queued[0]!;
  const newestFirst = [...queued].reverse();
  // A scheduled request (the expiry sweep) has no delivery: the newest delivery's event stands for all.
  const lead = newestFirst.find((item) => item.event.deliveryId !== null) ?? newestFirst[0]!;
  const deliveryIds = [...new Set(queued.map((item) => item.event.deliveryId).filter((id): id is string => id !== null))];
  return {
    event: lead.event,
    request: {
      prNumber: lead.request.prNumber,
      headShaHint: newestFirst.find((item) => item.request.headShaHint !== null)?.request.headShaHint ?? null,
      reviews: queued.flatMap((item) => item.request.reviews ?? []),
      forceWrite: queued.some((item) => item.request.forceWrite === true),
      attempt: Math.max(...queued.map((item) => item.request.attempt ?? 0)),
      alsoFor: deliveryIds.filter((id) => id !== lead.event.deliveryId),
      ...(queued.some((item) => item.request.pushes) ? { pushes: queued.flatMap((item) => item.request.pushes ?? []) } : {}),
      ...(queued.some((item) => item.request.readActivity === true) ? { readActivity: true } : {}),
    },
  };
}

/** How many times a rate-limited evaluation is tried again before waiting for the next event. */
const MAX_RATE_LIMIT_RETRIES = 3;

/**
 * How many times an evaluation that failed for a passing reason (GitHub 5xx, a timeout, the
 * database) is tried again: with the backoff capped at five minutes, about four hours of outage.
 * Meanwhile, and after, the check stays blocking; any new event evaluates afresh.
 */
const MAX_TRANSIENT_RETRIES = 50;

/** Everything read and decided about a pull request, before anything is written. */
export type Judgement =
  | { kind: "closed"; facts: PullRequestFacts }
  | { kind: "invalid-policy"; facts: PullRequestFacts; policy: Extract<PolicyLoadResult, { ok: false }>; output: CheckRunOutput; evaluatedAt: Date }
  | { kind: "decided"; facts: PullRequestFacts; policy: Extract<PolicyLoadResult, { ok: true }>["policy"]; decision: Decision; setup: RequiredCheckStatus; output: CheckRunOutput; evaluatedAt: Date };

/**
 * A later-started evaluation of the same pull request published first: this one's view is older, so it
 * neither writes the check run nor records a decision.
 */
const SUPERSEDED = { status: "skipped", reason: "superseded by a newer evaluation of the pull request" } as const;

/** What an evaluation concluded, or why it could not. */
export type EvaluationResult =
  | { status: "decided"; decision: Decision; conclusion: Conclusion; checkRunId: number }
  | { status: "invalid-config"; checkRunId: number }
  | { status: "skipped"; reason: string }
  | { status: "failed"; errorId: string };

/** Looks up what the pending approvals depend on: reviewers' permissions and team memberships. */
async function lookUpPeople(services: Services, event: EventContext, facts: PullRequestFacts, pending: Decision["pendingLookups"]): Promise<PeopleFacts> {
  const permissions = new Map<string, Permission>();
  const memberships = new Map<string, Map<string, boolean>>();
  await Promise.all(
    pending.reviewers.map(async (reviewer) => {
      permissions.set(actorKey(reviewer), await services.permissions.get(event.octokit, { ...event.repo, id: facts.repo.id }, reviewer.login));
      for (const team of pending.teams) {
        const member = await services.memberships.isMember(event.octokit, team, reviewer.login);
        const byActor = memberships.get(teamKey(team)) ?? new Map<string, boolean>();
        byActor.set(actorKey(reviewer), member);
        memberships.set(teamKey(team), byActor);
      }
    }),
  );
  return { permissions, memberships };
}

/**
 * Reads everything a decision needs and decides, writing nothing: the PR (one GraphQL query), the
 * policy from its base branch, the delegations, the people the approvals depend on, and whether the
 * check is required. Shared by the app and by the read-only `countersign simulate`.
 */
export async function judgePullRequest(services: Services, event: EventContext, request: EvaluationRequest): Promise<Judgement> {
  // The delegations depend only on what the first page tells (the PR's number, body, closing issues):
  // they are read while a long PR's further pages arrive.
  const early: { issues?: number[]; delegations?: Promise<DelegationRecord[]> } = {};
  const onHead = (head: PullRequestHead) => {
    early.issues = referencedIssues(head);
    early.delegations = delegationsForPullRequest(services.db, head.repo.id, head.number, early.issues);
    early.delegations.catch(() => undefined);
  };
  const snapshot = request.preloaded ? null : await fetchPullRequestSnapshot(event.octokit, event.repo, request.prNumber, { onHead });
  const read = request.preloaded?.facts ?? (snapshot as PullRequestSnapshot).facts;
  if (read.state !== "OPEN") return { kind: "closed", facts: read };
  const evaluatedAt = services.clock();
  // The policy comes from the base branch: a pull request cannot rewrite the rules that judge it. It
  // was read with the pull request, in the same request.
  const policy = request.preloaded?.policy ?? (await loadPullRequestPolicy(event.octokit, event.repo, read.baseRef, (snapshot as PullRequestSnapshot).policy));
  // Who pushed is recorded before anything is decided, and under a broken policy too (with the
  // built-in identities): the record outlives this evaluation, and the next one must not forget it.
  const identities = policy.ok ? policy.policy : defaultPolicy();
  for (const push of request.pushes ?? []) {
    await recordPushIfAgent(services, { repo: event.repo, deliveryId: push.deliveryId ?? event.deliveryId }, identities, {
      branch: read.headRef,
      beforeSha: push.beforeSha,
      afterSha: push.afterSha,
      forced: push.forced,
      pusher: push.pusher,
      commits: [],
      source: "pull_request.synchronize",
      prNumber: read.number,
      at: evaluatedAt,
    });
  }
  const facts: PullRequestFacts = { ...read, agentPushes: await agentPushesForPullRequest(services, event, read, identities, { readActivity: request.readActivity === true }) };
  if (!policy.ok) {
    const output = renderInvalidConfig(policy.problems, policy.source, facts.headSha, { evaluatedAt, deliveryId: event.deliveryId, policySource: policy.source, policyHash: null });
    return { kind: "invalid-policy", facts, policy, output, evaluatedAt };
  }

  const issues = referencedIssues(facts);
  const delegations =
    early.delegations && early.issues?.join() === issues.join() ? await early.delegations : await delegationsForPullRequest(services.db, facts.repo.id, facts.number, issues);
  const input: Omit<EvaluationInput, "people"> = { pr: facts, policy: policy.policy, delegations, now: evaluatedAt };
  // Decide once knowing nobody, to learn whose permission and memberships matter; look up only those.
  const examined = examinePullRequest(facts, policy.policy);
  const provisional = evaluatePullRequest({ ...input, people: NO_PEOPLE_FACTS }, examined);
  const decision = provisional.pendingLookups.reviewers.length > 0 ? evaluatePullRequest({ ...input, people: await lookUpPeople(services, event, facts, provisional.pendingLookups) }, examined) : provisional;
  const setup = await services.doctor.check(event.octokit, { ...event.repo, id: facts.repo.id }, facts.baseRef, services.appId);
  const output = renderDecision(decision, facts, { evaluatedAt, deliveryId: event.deliveryId, policySource: policy.policy.source, policyHash: policy.policy.hash, setup });
  return { kind: "decided", facts, policy: policy.policy, decision, setup, output, evaluatedAt };
}

async function record(
  services: Services,
  event: EventContext,
  facts: PullRequestFacts,
  outcome: { conclusion: Conclusion; title: string; reasons: string[]; delegationId: string | null; checkRunId: number; policy: { hash: string; source: string } | null },
  at: Date,
  details: Record<string, unknown>,
): Promise<void> {
  // The decision row and its audit event are independent: written at once (two connections on
  // PostgreSQL), the evaluation waits on the database once.
  const decisionRow = recordDecision(services.db, {
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
    policy: outcome.policy,
    evaluatedAt: at,
  });
  const auditEvent = appendAuditEvent(services.db, {
    type: "decision",
    repo: { id: facts.repo.id, fullName: facts.repo.fullName },
    subjectNumber: facts.number,
    sha: facts.headSha,
    actor: null,
    deliveryId: event.deliveryId,
    payload: { conclusion: outcome.conclusion, title: outcome.title, reasons: outcome.reasons, delegationId: outcome.delegationId, policyHash: outcome.policy?.hash ?? null, policySource: outcome.policy?.source ?? null, ...details },
    at,
  });
  const [decision, audit] = await Promise.allSettled([decisionRow, auditEvent]);
  if (decision.status === "rejected") throw decision.reason;
  if (audit.status === "rejected") throw audit.reason;
}

async function evaluateOnce(services: Services, event: EventContext, request: EvaluationRequest): Promise<EvaluationResult> {
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
    await record(services, event, facts, { conclusion: "failure", title: judgement.output.title, reasons, delegationId: null, checkRunId, policy: null }, judgement.evaluatedAt, {
      problems: judgement.policy.problems,
      source: judgement.policy.source,
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
    await record(
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
        ...(request.alsoFor && request.alsoFor.length > 0 ? { alsoFor: request.alsoFor } : {}),
      },
    );
  };
  const checkRunId = await publishNewest(services, event, ticket, target, decision.conclusion, judgement.output, recordWith);
  if (checkRunId === null) return SUPERSEDED;
  return { status: "decided", decision, conclusion: decision.conclusion, checkRunId };
}

/** Logs whether the review that caused this evaluation counts, and why not. */
async function recordReviewVerdict(services: Services, event: EventContext, facts: PullRequestFacts, decision: Decision, review: { id: number; deliveryId: string | null }, at: Date): Promise<void> {
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

/**
 * Evaluates a pull request and publishes the decision as the `Countersign` check run. Never throws:
 * any failure leaves the check blocking ("could not evaluate") with an error id that is in the logs.
 * Evaluations of one pull request run one at a time; requests that arrive while one waits for its turn
 * join it (see coalescing-serializer.ts), and all of them get its result.
 */
export async function evaluateAndReport(services: Services, event: EventContext, request: EvaluationRequest): Promise<EvaluationResult> {
  return services.serializer.run(`${event.repo.id}#${request.prNumber}`, { event, request }, (queued) => {
    if (queued.length > 1) services.metrics.recordCoalescedRequests(queued.length - 1);
    const merged = coalesceRequests(queued);
    return evaluateTimed(services, merged.event, merged.request);
  });
}

/** One evaluation, timed and logged; rate limits are retried later, any other failure fails closed. */
async function evaluateTimed(services: Services, event: EventContext, request: EvaluationRequest): Promise<EvaluationResult> {
  // Timed inside the serializer: waiting behind an earlier evaluation is not this one's work. The
  // time spent waiting on GitHub is measured apart, so what remains is the evaluation's own.
  const started = performance.now();
  const github = new GitHubWaitTimer();
  const timing = () => {
    const durationMs = performance.now() - started;
    const githubMs = Math.min(github.githubMs, durationMs);
    return { durationMs, githubMs, networkMs: Math.min(github.networkMs, githubMs), ownMs: durationMs - githubMs };
  };
  // Durations in the log line: milliseconds to the microsecond.
  const milliseconds = (value: number) => Math.round(value * 1000) / 1000;
  try {
    const result = await github.run(() => evaluateOnce(services, event, request));
    const time = timing();
    services.onEvaluated?.(result, time.durationMs);
    services.metrics.recordEvaluationOwnTime(time.ownMs);
    event.log.info(
      {
        repo: event.repo.fullName,
        pr: request.prNumber,
        deliveryId: event.deliveryId,
        // The deliveries whose requests joined this evaluation: it answers them too.
        alsoFor: request.alsoFor && request.alsoFor.length > 0 ? request.alsoFor : undefined,
        result: result.status,
        conclusion: "conclusion" in result ? result.conclusion : undefined,
        durationMs: milliseconds(time.durationMs),
        githubMs: milliseconds(time.githubMs),
        networkMs: milliseconds(time.networkMs),
        ownMs: milliseconds(time.ownMs),
      },
      "countersign: evaluated pull request",
    );
    return result;
  } catch (error) {
    // Block meanwhile, and try again: when GitHub says a rate limit lifts, or with backoff when GitHub
    // or the database failed. A decision that could not be published (the write answered 502, or timed
    // out) is thus published once GitHub recovers, instead of leaving an earlier success standing.
    const attempt = request.attempt ?? 0;
    const rateLimit = rateLimitDelayMs(error, services.clock());
    const delay =
      rateLimit !== null ? (attempt < MAX_RATE_LIMIT_RETRIES ? rateLimit : null) : attempt < MAX_TRANSIENT_RETRIES ? transientDelayMs(error, attempt, services.retries.limits.minDelayMs) : null;
    const retryAt =
      delay !== null
        ? services.retries.schedule(`${event.repo.id}#${request.prNumber}`, delay, () => evaluateAndReport(services, event, { ...request, preloaded: undefined, alsoFor: undefined, attempt: attempt + 1 }), services.clock())
        : null;
    const errorId = await github.run(() => failClosed(services, event, { prNumber: request.prNumber, headSha: request.preloaded?.facts.headSha ?? request.headShaHint }, error, retryAt));
    const failed: EvaluationResult = { status: "failed", errorId };
    const time = timing();
    services.onEvaluated?.(failed, time.durationMs);
    services.metrics.recordEvaluationOwnTime(time.ownMs);
    return failed;
  }
}
