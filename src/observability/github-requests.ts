import { AsyncLocalStorage } from "node:async_hooks";
import { performance } from "node:perf_hooks";
import type { ProbotOctokit } from "probot";
import type { Metrics } from "./metrics.js";

/** A span of time; `end` is null while it lasts. */
interface Span {
  start: number;
  end: number | null;
}

/** One request's wait on GitHub, from the call until its answer had arrived in full. */
export interface GitHubWait extends Span {
  /** When the response's body (the last one, after retries) had been received; null before. */
  received: number | null;
}

/** The length of the union of `spans` (open ones up to `now`): overlapping spans count once. */
function unionMs(spans: readonly Span[], now: number): number {
  const sorted = spans.map((span) => [span.start, span.end ?? now] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let from = 0;
  let to = -Infinity;
  for (const [start, end] of sorted) {
    if (start > to) {
      if (to > from) total += to - from;
      [from, to] = [start, end];
    } else {
      to = Math.max(to, end);
    }
  }
  return to > from ? total + (to - from) : total;
}

/**
 * How long a piece of work (an evaluation) has waited on GitHub: the wall-clock time during which at
 * least one of its requests was outstanding. Requests made in parallel (reviewers' permissions)
 * overlap and count once, so `elapsed - githubMs` is the time the work spent on its own (CPU,
 * database, event loop).
 *
 * A request waits from the call (so Octokit's throttling and retry scheduling, and fetching an
 * installation token, are waiting on GitHub) until its response body has been received; Octokit's
 * parsing of that body and what follows are the work's own. `networkMs` is the part spent on the
 * HTTP exchanges themselves, from sending each request to receiving its body: `githubMs -
 * networkMs` is time in Octokit's queues before sending.
 */
export class GitHubWaitTimer {
  private readonly waits: GitHubWait[] = [];
  private readonly exchanges: Array<Span & { wait: GitHubWait }> = [];

  /** Runs `work` with this timer current: requests it makes through an instrumented Octokit are timed. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return currentTimer.run(this, work);
  }

  /** Milliseconds spent waiting on GitHub so far, a request still outstanding included. */
  get githubMs(): number {
    return unionMs(this.waits, performance.now());
  }

  /** Milliseconds of that spent on HTTP exchanges with GitHub (sending to receiving the body). */
  get networkMs(): number {
    return unionMs(this.exchanges, performance.now());
  }

  /** @internal A request was made (called by the request hook). */
  requestStarted(now: number = performance.now()): GitHubWait {
    const wait: GitHubWait = { start: now, received: null, end: null };
    this.waits.push(wait);
    return wait;
  }

  /** @internal An HTTP exchange for `wait` began (each attempt of a retried request is one). */
  exchangeStarted(wait: GitHubWait, now: number = performance.now()): Span {
    const exchange = { start: now, end: null, wait };
    this.exchanges.push(exchange);
    return exchange;
  }

  /** @internal An exchange's response (headers, then the whole body) was received. */
  exchangeReceived(wait: GitHubWait, exchange: Span, now: number = performance.now()): void {
    exchange.end = now;
    wait.received = now;
  }

  /** @internal A request finished, answered or not: its wait ended when its body was received. */
  requestFinished(wait: GitHubWait, now: number = performance.now()): void {
    wait.end = Math.min(wait.received ?? now, now);
    // An exchange whose body was never read (an error thrown before) ends with its request.
    for (const exchange of this.exchanges) if (exchange.wait === wait && exchange.end === null) exchange.end = wait.end;
  }
}

/**
 * `fetch`, noting each exchange in `timer`: it lasts until the response's body has been read in
 * full (Octokit reads it with `text()`, or `arrayBuffer()` for binary content), or its headers were
 * received for a response whose body is not read.
 */
function timedFetch(fetch: typeof globalThis.fetch, timer: GitHubWaitTimer, wait: GitHubWait): typeof globalThis.fetch {
  return async (input, init) => {
    const exchange = timer.exchangeStarted(wait);
    let response: Response;
    try {
      response = await fetch(input, init);
    } finally {
      // The headers, or the failure, arrived; a body read below extends the exchange.
      timer.exchangeReceived(wait, exchange);
    }
    for (const reader of ["text", "arrayBuffer", "json", "blob"] as const) {
      const read = response[reader].bind(response) as () => Promise<unknown>;
      Object.defineProperty(response, reader, {
        configurable: true,
        value: () => read().finally(() => timer.exchangeReceived(wait, exchange)),
      });
    }
    return response;
  };
}

// The timer of the work in progress, carried across awaits: Octokit's hooks run in the caller's
// asynchronous context, so the hook finds the evaluation that made the request.
const currentTimer = new AsyncLocalStorage<GitHubWaitTimer>();

// Probot hands each delivery an Octokit of its own, but the same instance can come back (a cached
// installation client, the expiry sweep): a hook added twice would count every request twice.
const instrumented = new WeakSet<object>();

/**
 * Counts every request `octokit` makes (REST and GraphQL, which is sent through the same request
 * hook) in `metrics`, with the rate-limit budget GitHub reports, and adds its time to the current
 * {@link GitHubWaitTimer}, if any. Safe to call more than once.
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
  // Added last, so outermost: the wait covers throttling, retries and the token exchange. The fetch
  // underneath is timed too, to tell when the answer had arrived (see GitHubWaitTimer).
  octokit.hook.wrap("request", async (request, options) => {
    const timer = currentTimer.getStore();
    if (!timer) return request(options);
    const wait = timer.requestStarted();
    // Hooks share this request's options object (what a hook passes on is ignored), and Octokit
    // reads `request.fetch` from it at the bottom. Its `request` may be the client's defaults, so it
    // is replaced, never changed in place.
    options.request = { ...options.request, fetch: timedFetch(options.request?.fetch ?? globalThis.fetch, timer, wait) };
    try {
      return await request(options);
    } finally {
      timer.requestFinished(wait);
    }
  });
  return octokit;
}
