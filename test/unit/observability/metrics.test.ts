import { describe, expect, test } from "@jest/globals";
import { register as globalRegistry } from "prom-client";
import { createMetrics, ERROR_KINDS, type Metrics } from "../../../src/observability/metrics.js";

/** The value of the sample `name` (a histogram's `_bucket`, `_sum`, `_count` too) with exactly these labels. */
async function sample(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    for (const value of metric.values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>) {
      const keys = Object.keys(value.labels);
      const sameLabels = keys.length === Object.keys(labels).length && keys.every((key) => String(value.labels[key]) === labels[key]);
      if ((value.metricName ?? metric.name) === name && sameLabels) return value.value;
    }
  }
  return undefined;
}

describe("createMetrics", () => {
  test("each app gets a registry of its own, never prom-client's global one", async () => {
    const first = createMetrics({ processMetrics: false });
    const second = createMetrics({ processMetrics: false });
    first.recordDelivery("push", "processed");
    expect(first.registry).not.toBe(globalRegistry);
    expect(await sample(first, "countersign_webhook_deliveries_total", { event: "push", outcome: "processed" })).toBe(1);
    expect(await sample(second, "countersign_webhook_deliveries_total", { event: "push", outcome: "processed" })).toBeUndefined();
    expect(await globalRegistry.getSingleMetricAsString("countersign_webhook_deliveries_total").catch(() => "absent")).toBe("absent");
  });

  test("counts deliveries by event and outcome", async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.recordDelivery("pull_request", "processed");
    metrics.recordDelivery("pull_request", "processed");
    metrics.recordDelivery("pull_request", "duplicate");
    metrics.recordDelivery("issue_comment", "failed");
    expect(await sample(metrics, "countersign_webhook_deliveries_total", { event: "pull_request", outcome: "processed" })).toBe(2);
    expect(await sample(metrics, "countersign_webhook_deliveries_total", { event: "pull_request", outcome: "duplicate" })).toBe(1);
    expect(await sample(metrics, "countersign_webhook_deliveries_total", { event: "issue_comment", outcome: "failed" })).toBe(1);
  });

  test("counts conclusions and observes evaluation time in seconds; a closed pull request decides nothing", async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.recordEvaluation({ status: "decided", conclusion: "success" }, 12);
    metrics.recordEvaluation({ status: "decided", conclusion: "action_required" }, 40);
    metrics.recordEvaluation({ status: "invalid-config" }, 30);
    metrics.recordEvaluation({ status: "failed" }, 3_000);
    metrics.recordEvaluation({ status: "skipped" }, 4);
    expect(await sample(metrics, "countersign_decisions_total", { conclusion: "success" })).toBe(1);
    expect(await sample(metrics, "countersign_decisions_total", { conclusion: "action_required" })).toBe(1);
    // An invalid policy and a failed evaluation both leave a blocking `failure` check run.
    expect(await sample(metrics, "countersign_decisions_total", { conclusion: "failure" })).toBe(2);
    expect(await sample(metrics, "countersign_evaluation_duration_seconds_count")).toBe(5);
    expect(await sample(metrics, "countersign_evaluation_duration_seconds_sum")).toBeCloseTo(3.086, 6);
    expect(await sample(metrics, "countersign_evaluation_duration_seconds_bucket", { le: "0.005" })).toBe(1);
    expect(await sample(metrics, "countersign_evaluation_duration_seconds_bucket", { le: "0.025" })).toBe(2);
    expect(await sample(metrics, "countersign_evaluation_duration_seconds_bucket", { le: "2.5" })).toBe(4);
    expect(await sample(metrics, "countersign_evaluation_duration_seconds_bucket", { le: "10" })).toBe(5);
  });

  test("the latency buckets span 5 ms to 10 s", async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.recordEvaluation({ status: "decided", conclusion: "success" }, 1);
    const text = await metrics.registry.getSingleMetricAsString("countersign_evaluation_duration_seconds");
    const bounds = [...text.matchAll(/le="([^"]+)"/g)].map((match) => match[1]);
    expect(bounds[0]).toBe("0.005");
    expect(bounds.at(-2)).toBe("10");
    expect(bounds.at(-1)).toBe("+Inf");
  });

  test("observes an evaluation's own time in seconds, with buckets around the 20 ms budget", async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.recordEvaluationOwnTime(4);
    metrics.recordEvaluationOwnTime(30);
    metrics.recordEvaluationOwnTime(Number.NaN);
    metrics.recordEvaluationOwnTime(-1);
    expect(await sample(metrics, "countersign_evaluation_own_duration_seconds_count")).toBe(2);
    expect(await sample(metrics, "countersign_evaluation_own_duration_seconds_sum")).toBeCloseTo(0.034, 6);
    expect(await sample(metrics, "countersign_evaluation_own_duration_seconds_bucket", { le: "0.005" })).toBe(1);
    expect(await sample(metrics, "countersign_evaluation_own_duration_seconds_bucket", { le: "0.02" })).toBe(1);
    expect(await sample(metrics, "countersign_evaluation_own_duration_seconds_bucket", { le: "0.05" })).toBe(2);
  });

  test("counts evaluation requests that joined a waiting evaluation, ignoring nonsense counts", async () => {
    const metrics = createMetrics({ processMetrics: false });
    expect(await sample(metrics, "countersign_evaluations_coalesced_total")).toBe(0);
    metrics.recordCoalescedRequests(3);
    metrics.recordCoalescedRequests(1);
    metrics.recordCoalescedRequests(0);
    metrics.recordCoalescedRequests(-2);
    metrics.recordCoalescedRequests(Number.NaN);
    expect(await sample(metrics, "countersign_evaluations_coalesced_total")).toBe(4);
  });

  test("counts GitHub requests by method and status class, and keeps the rate-limit budget by resource", async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.recordGitHubResponse({ method: "get", status: 200, headers: { "x-ratelimit-remaining": "4999", "x-ratelimit-resource": "core" } });
    metrics.recordGitHubResponse({ method: "GET", status: 200, headers: { "x-ratelimit-remaining": "4998", "x-ratelimit-resource": "core" } });
    metrics.recordGitHubResponse({ method: "POST", status: 200, headers: { "x-ratelimit-remaining": "4900", "x-ratelimit-resource": "graphql" } });
    metrics.recordGitHubResponse({ method: "PATCH", status: 404, headers: {} });
    metrics.recordGitHubResponse({ method: "GET", status: null, headers: {} });
    metrics.recordGitHubResponse({ method: "BREW", status: 502, headers: { "x-ratelimit-remaining": "not a number" } });
    expect(await sample(metrics, "countersign_github_requests_total", { method: "GET", status_class: "2xx" })).toBe(2);
    expect(await sample(metrics, "countersign_github_requests_total", { method: "POST", status_class: "2xx" })).toBe(1);
    expect(await sample(metrics, "countersign_github_requests_total", { method: "PATCH", status_class: "4xx" })).toBe(1);
    expect(await sample(metrics, "countersign_github_requests_total", { method: "GET", status_class: "error" })).toBe(1);
    expect(await sample(metrics, "countersign_github_requests_total", { method: "OTHER", status_class: "5xx" })).toBe(1);
    // The latest answer wins, per resource; a missing or malformed header changes nothing.
    expect(await sample(metrics, "countersign_github_rate_limit_remaining", { resource: "core" })).toBe(4998);
    expect(await sample(metrics, "countersign_github_rate_limit_remaining", { resource: "graphql" })).toBe(4900);
    const gauge = (await metrics.registry.getMetricsAsJSON()).find((metric) => metric.name === "countersign_github_rate_limit_remaining");
    expect(gauge?.values).toHaveLength(2);
  });

  test("exports every error kind at zero from the start, then counts", async () => {
    const metrics = createMetrics({ processMetrics: false });
    for (const kind of ERROR_KINDS) expect(await sample(metrics, "countersign_errors_total", { kind })).toBe(0);
    metrics.recordError("evaluation");
    metrics.recordError("evaluation");
    metrics.recordError("handler");
    expect(await sample(metrics, "countersign_errors_total", { kind: "evaluation" })).toBe(2);
    expect(await sample(metrics, "countersign_errors_total", { kind: "handler" })).toBe(1);
    expect(await sample(metrics, "countersign_errors_total", { kind: "delivery_record" })).toBe(0);
  });

  test("process metrics are on by default and in the Prometheus text format", async () => {
    const withProcess = createMetrics();
    const without = createMetrics({ processMetrics: false });
    const text = await withProcess.registry.metrics();
    expect(withProcess.registry.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(text).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect(text).toContain("# TYPE nodejs_heap_size_used_bytes gauge");
    expect(text).toContain("# TYPE countersign_webhook_deliveries_total counter");
    expect(await without.registry.metrics()).not.toContain("process_cpu_user_seconds_total");
  });
});
