/**
 * Work accepted from webhooks, processed after GitHub has been answered. GitHub treats a delivery that
 * takes more than 10 seconds as failed, and evaluations wait on GitHub's own API; so the app answers
 * once the delivery is stored (see handlers/exactly-once.ts) and does the work here, at most `limit`
 * deliveries at a time (evaluations of one pull request are serialised further down).
 */
export class DeliveryQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly limit: number = 32) {}

  /** Starts `work` when a slot is free; errors are the work's own to handle and log. */
  enqueue(work: () => Promise<void>): void {
    const task = this.acquire()
      .then(work)
      .catch(() => undefined)
      .finally(() => {
        this.release();
        this.inFlight.delete(task);
      });
    this.inFlight.add(task);
  }

  /** Resolves when every accepted delivery has been processed (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Deliveries accepted and not yet processed. */
  get pending(): number {
    return this.inFlight.size;
  }

  private acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
