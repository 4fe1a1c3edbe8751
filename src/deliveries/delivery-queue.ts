import { Semaphore } from "../concurrency/semaphore.js";

/**
 * Work accepted from webhooks, processed after GitHub has been answered. GitHub treats a delivery that
 * takes more than 10 seconds as failed, and evaluations wait on GitHub's own API; so the app answers
 * once the delivery is stored (see delivery-inbox.ts) and does the work here, at most `limit`
 * deliveries at a time. The app sets `limit` to the in-memory bound: what bounds the heavy work is
 * the places to read and evaluate pull requests (AppServices.evaluationSemaphore), further down.
 */
export class DeliveryQueue {
  private readonly inFlight = new Set<Promise<void>>();

  /** Whether deliveries beyond `maxPending` are left in the database: only once something takes them up. */
  private spilling = false;

  private readonly working: Semaphore;

  /**
   * `limit` deliveries are worked on at once; at most `maxPending` are held in memory (working or
   * waiting) once `spillToDatabase()` was called. Beyond that a delivery is stored in the database
   * only, and taken from there when there is room (see delivery-sweeps.ts), so a burst costs
   * database rows, not this process's memory.
   */
  constructor(
    limit: number = 32,
    private readonly maxPending: number = 1_000,
  ) {
    this.working = new Semaphore(Math.max(1, limit));
  }

  /**
   * Lets deliveries beyond the in-memory limit wait in the database. Called by whoever drains them
   * (the app's queued-delivery sweep): without a drain, a stored delivery would never be processed
   * and a check run could keep an outdated decision, so every delivery is then held in memory.
   */
  spillToDatabase(): void {
    this.spilling = true;
  }

  /** Places taken by deliveries being claimed, not yet enqueued. */
  private reserved = 0;

  /**
   * Takes a place in memory for a delivery about to be claimed (always granted unless spilling to the
   * database). Synchronous, so deliveries arriving together cannot all take the last place while their
   * claims are in flight. The place is given back with `releaseReservation`, after `enqueue` or instead of it.
   */
  reserve(): boolean {
    if (this.spilling && this.inFlight.size + this.reserved >= this.maxPending) return false;
    this.reserved += 1;
    return true;
  }

  /** Gives back a place taken by `reserve` (once the delivery is enqueued, or will not be). */
  releaseReservation(): void {
    this.reserved = Math.max(0, this.reserved - 1);
  }

  /** How many more deliveries may be held in memory. */
  get room(): number {
    return Math.max(0, this.maxPending - this.inFlight.size - this.reserved);
  }

  /** Starts `work` when a place is free; errors are the work's own to handle and log. */
  enqueue(work: () => Promise<void>): void {
    const task = this.working
      .run(work)
      .catch(() => undefined)
      .finally(() => {
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
}
