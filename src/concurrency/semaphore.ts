/**
 * A counting semaphore: a fixed number of places for work that must not all run at once. `acquire`
 * resolves with a release function once a place is free, in the order places were asked for.
 */
export class Semaphore {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a semaphore needs a positive whole size, not ${size}`);
    this.free = size;
  }

  /** Waits for a free place; the returned function gives it back (calling it again does nothing). */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The place passes straight to the longest waiter, so it is never free in between.
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    };
  }

  /** Runs `work` in a place, giving it back however `work` ends. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** How many are waiting for a place. */
  get queued(): number {
    return this.waiting.length;
  }
}
