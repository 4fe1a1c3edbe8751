import { performance } from "node:perf_hooks";
import type { CoalescingSerializer } from "../concurrency/coalescing-serializer.js";
import { GitHubWaitTimer } from "../observability/github-requests.js";
import type { Metrics } from "../observability/metrics.js";
import type { EvaluationRequest, EvaluationResult } from "./evaluation.js";
import type { EventContext } from "./event-context.js";
import { failClosed, type FailClosedDeps } from "./fail-closed.js";
import { evaluateAndPublish, type PublishEvaluationDeps } from "./publish-evaluation.js";
import { rateLimitDelayMs, transientDelayMs, type RetryScheduler } from "./retry-scheduler.js";

// Queueing and retrying evaluations: one at a time per pull request, requests that wait joined into
// one, timed and logged, tried again after a rate limit or a passing failure, and failed closed.

/** What the evaluation queue needs besides what one evaluation does. */
export interface EvaluationDeps extends PublishEvaluationDeps, FailClosedDeps {
  /**
   * Evaluations of the same pull request run one at a time, in arrival order; requests arriving while
   * one waits for its turn join it.
   */
  serializer: CoalescingSerializer<QueuedEvaluation, EvaluationResult>;
  /** Evaluations GitHub rate-limited, to be tried again later. */
  retries: RetryScheduler;
  /** The app's Prometheus metrics (served at `/metrics`). */
  metrics: Metrics;
  /**
   * Called once an evaluation has finished, with its result and how long it took (not counting the
   * wait for an earlier evaluation of the same pull request): it feeds the decision and latency metrics.
   */
  onEvaluated?: (result: EvaluationResult, durationMs: number) => void;
}

/** A request for an evaluation, with the event it came with: what waits to be coalesced. */
export interface QueuedEvaluation {
  event: EventContext;
  request: EvaluationRequest;
}

/**
 * Requests for one pull request gathered while it waited (see concurrency/coalescing-serializer.ts), as one
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

/**
 * Evaluates a pull request and publishes the decision as the `Countersign` check run. Never throws:
 * any failure leaves the check blocking ("could not evaluate") with an error id that is in the logs.
 * Evaluations of one pull request run one at a time; requests that arrive while one waits for its turn
 * join it (see concurrency/coalescing-serializer.ts), and all of them get its result.
 */
export async function evaluateAndReport(services: EvaluationDeps, event: EventContext, request: EvaluationRequest): Promise<EvaluationResult> {
  return services.serializer.run(`${event.repo.id}#${request.prNumber}`, { event, request }, (queued) => {
    if (queued.length > 1) services.metrics.recordCoalescedRequests(queued.length - 1);
    const merged = coalesceRequests(queued);
    return evaluateTimed(services, merged.event, merged.request);
  });
}

/** One evaluation, timed and logged; rate limits are retried later, any other failure fails closed. */
async function evaluateTimed(services: EvaluationDeps, event: EventContext, request: EvaluationRequest): Promise<EvaluationResult> {
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
    const result = await github.run(() => evaluateAndPublish(services, event, request));
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
