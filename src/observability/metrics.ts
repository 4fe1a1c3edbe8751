import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** What happened to a webhook delivery: handled, skipped as a redelivery, or its handler threw. */
export type DeliveryOutcome = "processed" | "duplicate" | "failed" | "queued";

/**
 * The failures an operator should be alerted to, each counted under its own `kind`:
 * - `evaluation`: an event could not be evaluated and its check run was set blocking (the `cs-…` id is logged);
 * - `handler`: a webhook handler threw (after GitHub was answered): the delivery is marked failed for redelivery;
 * - `delivery_record`: a delivery could not be recorded (the database), so exactly-once is not assured;
 * - `expiry_sweep`: a sweep for expired delegations failed; it runs again on its interval;
 * - `evidence_page`: an evidence page could not be rendered;
 * - `resume`: deliveries left unfinished by a stopped process could not be resumed; tried again later;
 * - `credential_revoke`: GitHub did not confirm the revocation of an issued credential; tried again;
 * - `credential_sweep`: the sweep that ends issued credentials failed; it runs again on its interval;
 * - `delegator_access`: a delegator's repository permission could not be read for the credential
 *   sweep, so their delegation's credentials were left live; read again at the next sweep.
 * - `audit_checkpoint`: the audit log's head could not be signed: the database failed, or the log
 *   failed the signer's checks (a rewritten or cut chain: investigate at once); tried again later.
 */
export const ERROR_KINDS = ["evaluation", "handler", "delivery_record", "expiry_sweep", "evidence_page", "resume", "credential_revoke", "credential_sweep", "delegator_access", "audit_checkpoint"] as const;

/** One of {@link ERROR_KINDS}. */
export type ErrorKind = (typeof ERROR_KINDS)[number];

/**
 * The part of an evaluation's result (`EvaluationResult`, services/evaluation.ts) the metrics read; the
 * metrics do not import the services, so that anything can record into them.
 */
export type EvaluationResultSummary = { status: "decided"; conclusion: string } | { status: "invalid-config" | "skipped" | "failed" };

/** The response facts a GitHub request is counted by. */
export interface GitHubResponse {
  method: string;
  /** The HTTP status, or null when no response arrived (network error, timeout). */
  status: number | null;
  headers: Record<string, string | number | undefined>;
}

/** Countersign's Prometheus metrics, on a registry of their own. */
export interface Metrics {
  /** The registry `/metrics` serves. */
  registry: Registry;
  /** Counts a webhook delivery by event name (`pull_request`, `push`, …) and outcome. */
  recordDelivery(event: string, outcome: DeliveryOutcome): void;
  /** Counts an evaluation's conclusion and observes how long it took. */
  recordEvaluation(result: EvaluationResultSummary, durationMs: number): void;
  /** Observes the part of an evaluation's time not spent waiting on GitHub (CPU, database, event loop). */
  recordEvaluationOwnTime(ownMs: number): void;
  /** Counts requests for an evaluation that joined one already waiting for the same pull request. */
  recordCoalescedRequests(count: number): void;
  /** Counts a GitHub API request by method and status class, and keeps the rate-limit budget left. */
  recordGitHubResponse(response: GitHubResponse): void;
  /** Counts a failure an operator should know about. */
  recordError(kind: ErrorKind): void;
  /**
   * Counts a merged pull request by what Countersign had concluded on its merged head: `countersigned`,
   * `unverified` (agent-touched, merged without a success: an exception to act on) or `no-agent`.
   */
  recordMerge(outcome: MergeOutcome): void;
}

/** How a merge stood against the gate, for the merge counter. */
export const MERGE_OUTCOMES = ["countersigned", "unverified", "no-agent"] as const;

/** One of {@link MERGE_OUTCOMES}. */
export type MergeOutcome = (typeof MERGE_OUTCOMES)[number];

export interface MetricsOptions {
  /**
   * Whether to add Node's process metrics (CPU, memory, event-loop lag, GC, handles). On by default;
   * each registry that has them installs its own GC observer, so throwaway registries (tests, the
   * CLI) leave them off.
   */
  processMetrics?: boolean;
}

// From a cache hit answered in milliseconds to an evaluation that reads a large pull request and
// several reviewers' permissions (seconds); beyond 10 s something is wrong, and +Inf shows it.
const EVALUATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

// An evaluation's own time is milliseconds when all is well; the budget is 20 ms at p95 for a large
// pull request (docs/benchmarks.md), hence the finer buckets around it.
const OWN_TIME_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** `2xx`…`5xx`, or `error` when there was no HTTP response at all. */
function statusClass(status: number | null): string {
  if (status === null || !Number.isInteger(status) || status < 100 || status > 599) return "error";
  return `${Math.floor(status / 100)}xx`;
}

// A method label comes from Octokit's request options; anything unusual is folded into one value so a
// bug can never grow the label set without bound.
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]);

/** Creates the app's metrics on a new registry, never prom-client's global one, so many apps can coexist. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const deliveries = new Counter({
    name: "countersign_webhook_deliveries_total",
    help: "Webhook deliveries received, by event and outcome (processed, duplicate, failed, queued).",
    labelNames: ["event", "outcome"] as const,
    registers: [registry],
  });
  const decisions = new Counter({
    name: "countersign_decisions_total",
    help: "Check-run conclusions Countersign reached (an invalid policy or a failed evaluation blocks as failure).",
    labelNames: ["conclusion"] as const,
    registers: [registry],
  });
  const evaluationSeconds = new Histogram({
    name: "countersign_evaluation_duration_seconds",
    help: "Time Countersign spent evaluating a pull request and writing its check run, in seconds.",
    buckets: EVALUATION_BUCKETS,
    registers: [registry],
  });
  const evaluationOwnSeconds = new Histogram({
    name: "countersign_evaluation_own_duration_seconds",
    help: "Time Countersign spent on an evaluation itself (CPU, database, event loop), not waiting on GitHub, in seconds.",
    buckets: OWN_TIME_BUCKETS,
    registers: [registry],
  });
  const coalesced = new Counter({
    name: "countersign_evaluations_coalesced_total",
    help: "Requests to evaluate a pull request that joined an evaluation of it already waiting for its turn, instead of queueing one more.",
    registers: [registry],
  });
  const githubRequests = new Counter({
    name: "countersign_github_requests_total",
    help: "GitHub API requests (REST and GraphQL) after retries, by method and status class.",
    labelNames: ["method", "status_class"] as const,
    registers: [registry],
  });
  const rateLimitRemaining = new Gauge({
    name: "countersign_github_rate_limit_remaining",
    help: "Requests left in the GitHub rate-limit window, from the latest response's x-ratelimit-remaining, by resource (core, graphql, …).",
    labelNames: ["resource"] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: "countersign_errors_total",
    help: `Failures an operator should look into, by kind (${ERROR_KINDS.join(", ")}).`,
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const merges = new Counter({
    name: "countersign_merges_total",
    help: "Merged pull requests, by how they stood against the gate (countersigned; unverified: an agent's change merged without a success on its head; no-agent).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  for (const outcome of MERGE_OUTCOMES) merges.labels({ outcome }).inc(0);
  // Every error kind is exported from the start at 0, so `increase()` and alerts see its first error.
  for (const kind of ERROR_KINDS) errors.labels({ kind }).inc(0);
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  return {
    registry,
    recordDelivery(event, outcome) {
      deliveries.inc({ event, outcome });
    },
    recordEvaluation(result, durationMs) {
      // A skipped evaluation (a closed pull request) decided nothing and wrote nothing: no conclusion.
      if (result.status === "decided") decisions.inc({ conclusion: result.conclusion });
      else if (result.status !== "skipped") decisions.inc({ conclusion: "failure" });
      if (Number.isFinite(durationMs) && durationMs >= 0) evaluationSeconds.observe(durationMs / 1000);
    },
    recordEvaluationOwnTime(ownMs) {
      if (Number.isFinite(ownMs) && ownMs >= 0) evaluationOwnSeconds.observe(ownMs / 1000);
    },
    recordCoalescedRequests(count) {
      if (Number.isInteger(count) && count > 0) coalesced.inc(count);
    },
    recordGitHubResponse(response) {
      const method = response.method.toUpperCase();
      githubRequests.inc({ method: METHODS.has(method) ? method : "OTHER", status_class: statusClass(response.status) });
      const remaining = Number(response.headers["x-ratelimit-remaining"]);
      // GitHub Enterprise Server with rate limiting off sends no header: leave the gauge unset.
      if (response.headers["x-ratelimit-remaining"] !== undefined && Number.isFinite(remaining)) {
        const resource = String(response.headers["x-ratelimit-resource"] ?? "core");
        rateLimitRemaining.set({ resource: /^[a-z_]{1,40}$/.test(resource) ? resource : "other" }, remaining);
      }
    },
    recordError(kind) {
      errors.inc({ kind });
    },
    recordMerge(outcome) {
      merges.inc({ outcome });
    },
  };
}
