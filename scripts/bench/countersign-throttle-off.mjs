import { ProbotOctokit } from "probot";
import { startCountersign } from "../../lib/start.js";

// Countersign exactly as `node lib/main.js` starts it (the same startCountersign), except that
// Octokit's throttling plugin is off. In production that plugin spaces an installation's GraphQL
// queries and writes at least one second apart (GitHub's guidance against secondary rate limits),
// which bounds throughput per installation whatever the app does; the benchmark runs both, so that
// the app's own capacity is measured as well as what a deployment gets.

// Probot's own defaults function runs last and merges its `throttle` settings over the instance's,
// so `enabled: false` must be set in a function, on the merged options. BENCH_OCTOKIT_RETRY=off
// turns Octokit's retry plugin off too (a diagnostic: see docs/benchmarks.md).
const retryOff = process.env.BENCH_OCTOKIT_RETRY === "off";
const UnthrottledOctokit = ProbotOctokit.defaults((options) => ({ ...options, throttle: { ...options.throttle, enabled: false }, ...(retryOff ? { retry: { enabled: false } } : {}) }));

await startCountersign({ Octokit: UnthrottledOctokit, startup: { octokitThrottling: "off", octokitRetry: retryOff ? "off" : "on" } });
