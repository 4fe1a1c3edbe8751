// A per-key request budget over fixed one-minute windows: the credential route's limit per issuer.
// The key is the token's unverified issuer, which a caller chooses, so every key also draws on one
// shared budget, and the number of keys remembered is bounded.

const WINDOW_MS = 60_000;
const MAX_KEYS = 1000;

export class RateLimit {
  private window = -1;
  private readonly counts = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly perKey: number,
    private readonly overall: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request for `key`; false when its budget (or the shared one) is spent this minute. */
  take(key: string): boolean {
    const window = Math.floor(this.now() / WINDOW_MS);
    if (window !== this.window) {
      this.window = window;
      this.counts.clear();
      this.total = 0;
    }
    const count = this.counts.get(key) ?? 0;
    if (count >= this.perKey || this.total >= this.overall) return false;
    if (!this.counts.has(key) && this.counts.size >= MAX_KEYS) return false;
    this.counts.set(key, count + 1);
    this.total += 1;
    return true;
  }
}
