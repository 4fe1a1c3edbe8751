import type { ProbotOctokit } from "probot";
import type { Metrics } from "./metrics.js";

// Probot hands each delivery an Octokit of its own, but the same instance can come back (a cached
// installation client, the expiry sweep): a hook added twice would count every request twice.
const instrumented = new WeakSet<object>();

/**
 * Counts every request `octokit` makes (REST and GraphQL, which is sent through the same request
 * hook) in `metrics`, with the rate-limit budget GitHub reports. Safe to call more than once.
 */
export function instrumentGitHubRequests<O extends Pick<ProbotOctokit, "hook">>(octokit: O, metrics: Metrics): O {
  if (instrumented.has(octokit)) return octokit;
  instrumented.add(octokit);
  // Added after the retry and throttling plugins' hooks, so these wrap them: a request that was
  // retried is counted once, with its final answer.
  octokit.hook.after("request", (response, options) => {
    metrics.recordGitHubResponse({ method: options.method, status: response.status, headers: response.headers });
  });
  octokit.hook.error("request", (error, options) => {
    // Octokit reports a request that got no answer (network error, timeout) as status 500 without a
    // response; that is not GitHub failing, and is counted apart.
    const failed = error as { status?: unknown; response?: { headers?: Record<string, string | number | undefined> } };
    metrics.recordGitHubResponse({
      method: options.method,
      status: failed.response && typeof failed.status === "number" ? failed.status : null,
      headers: failed.response?.headers ?? {},
    });
    // An error hook that returns replaces the failure with a result: rethrow, so callers still see it.
    throw error;
  });
  return octokit;
}
