/**
 * Re-runs work later, once per key: when GitHub rate-limits an evaluation, the check stays blocking
 * ("could not evaluate") and the evaluation is tried again after the delay GitHub asks for. Timers do
 * not keep the process alive, and a newer retry for the same key replaces an older one.
 */
export class RetryScheduler {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  // Retries that have started: shutting down waits for them, so none writes to a closed database.
  private readonly running = new Set<Promise<unknown>>();
  private disposed = false;

  constructor(readonly limits: { minDelayMs: number; maxDelayMs: number } = { minDelayMs: 5_000, maxDelayMs: 15 * 60_000 }) {}

  /** Schedules `task` for `key` after `delayMs` (clamped to the limits); returns when it will run. */
  schedule(key: string, delayMs: number, task: () => Promise<unknown>, now: Date = new Date()): Date {
    const delay = Math.min(this.limits.maxDelayMs, Math.max(this.limits.minDelayMs, delayMs));
    if (this.disposed) return new Date(now.getTime() + delay);
    const existing = this.pending.get(key);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.pending.delete(key);
      const run = task().catch(() => undefined);
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }, delay);
    timer.unref();
    this.pending.set(key, timer);
    return new Date(now.getTime() + delay);
  }

  /** How many retries are waiting. */
  get size(): number {
    return this.pending.size;
  }

  /** Cancels every waiting retry, and refuses new ones (shutdown, tests). */
  dispose(): void {
    this.disposed = true;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  /** Resolves once every retry that had started has finished. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}

/**
 * How long GitHub asks to wait before trying again, when an error is a (primary or secondary) rate
 * limit: `retry-after` seconds, or until `x-ratelimit-reset` when no requests remain. Null when the
 * error is not a rate limit.
 */
export function rateLimitDelayMs(error: unknown, now: Date): number | null {
  const err = error as {
    status?: number;
    errors?: Array<{ type?: string }>;
    headers?: Record<string, string | number | undefined>;
    response?: { headers?: Record<string, string | number | undefined>; data?: { message?: string } };
    message?: string;
  };
  // GraphQL's primary limit can come as a 200 answer whose errors say RATE_LIMITED: Octokit's
  // GraphqlResponseError, which carries the answer's headers on the error itself.
  if (err.status === undefined && Array.isArray(err.errors) && err.errors.some((item) => item?.type === "RATE_LIMITED")) {
    const reset = Number(err.headers?.["x-ratelimit-reset"]) * 1000;
    return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset - now.getTime()) : 60_000;
  }
  if (err.status !== 403 && err.status !== 429) return null;
  const headers = err.response?.headers ?? {};
  const retryAfter = Number(headers["retry-after"]);
  if (Number.isFinite(retryAfter) && headers["retry-after"] !== undefined) return retryAfter * 1000;
  if (String(headers["x-ratelimit-remaining"]) === "0") {
    const reset = Number(headers["x-ratelimit-reset"]) * 1000;
    return Number.isFinite(reset) ? Math.max(0, reset - now.getTime()) : 60_000;
  }
  const message = `${err.response?.data?.message ?? ""} ${err.message ?? ""}`;
  if (err.status === 429 || /rate limit/i.test(message)) return 60_000;
  return null;
}

/**
 * How long to wait before trying again an evaluation that failed for a reason that passes: GitHub
 * answering 5xx, not answering (a timeout, a network error), or the database failing. Doubling from
 * `baseMs` with each attempt, up to five minutes, with up to a fifth of jitter so that many pull
 * requests blocked by one outage do not come back at the same moment. Null when the failure will not
 * pass by waiting: GitHub refused (4xx other than rate limits: the pull request is gone, access was
 * removed), which the next event or a Re-run settles.
 */
export function transientDelayMs(error: unknown, attempt: number, baseMs: number, random: () => number = Math.random): number | null {
  const status = (error as { status?: unknown }).status;
  if (typeof status === "number" && status >= 400 && status < 500) return null;
  const delay = Math.min(5 * 60_000, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(delay * (1 + random() / 5));
}
