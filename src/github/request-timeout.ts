/**
 * A `fetch` for Octokit that gives up on a GitHub request after `timeoutMs`: Node's fetch would wait
 * five minutes for an answer that never comes, and while it waits an earlier success stays on the
 * check run. The timeout covers the whole exchange (headers and body); a request that also has a
 * signal of its own is aborted by whichever fires first. Octokit turns the abort into a request error
 * (status 500), so a timed-out evaluation fails closed and is retried like any GitHub outage.
 */
export function fetchWithTimeout(timeoutMs: number, base: typeof fetch = globalThis.fetch): typeof fetch {
  return (input, init = {}) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    return base(input, { ...init, signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
}
