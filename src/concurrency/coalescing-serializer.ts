import { KeyedSerializer } from "./keyed-serializer.js";
import type { Semaphore } from "./semaphore.js";

/** Requests gathered for one run that has not begun yet. */
interface Waiting<R, T> {
  requests: R[];
  result: Promise<T>;
}

/**
 * Runs work per key one run at a time, in arrival order (as `KeyedSerializer`), and lets requests that
 * arrive while a run for their key is still waiting to begin join that run instead of queueing one each.
 *
 * Why this is safe for evaluations: an evaluation reads the whole state of a pull request from GitHub
 * after it begins, and GitHub sends a webhook after the change it reports. A run that begins after the
 * last of its requests arrived therefore sees every change those requests were sent for, and decides
 * exactly as separate runs would have decided last. A request that arrives once its key's run has begun
 * never joins it (that run may have read GitHub already): it waits for the next run.
 *
 * Why it matters: Probot's throttling lets an installation's evaluations reach GitHub about one every
 * two seconds, so in a busy installation deliveries arrive faster than evaluations finish. Without
 * coalescing, every delivery for a pull request queues an evaluation of its own and the backlog grows
 * with the deliveries; with it, a pull request has at most one evaluation running and one waiting.
 */
export class CoalescingSerializer<R, T> {
  private readonly serializer = new KeyedSerializer();
  private readonly waiting = new Map<string, Waiting<R, T>>();

  /**
   * `semaphore`, when given, bounds how many runs (of any keys) work at once; a run waiting for a place
   * has not begun, so requests for its key still join it. Under a backlog every key then has at most
   * one run waiting, however many requests arrive.
   */
  constructor(private readonly semaphore: Semaphore | null = null) {}

  /**
   * Runs `work` with `request` (and any requests that join it) after every earlier run for `key` has
   * settled; or joins the run for `key` that has not begun yet, whose `work` then runs with every request
   * gathered, oldest first. Every request of a run gets the run's result.
   */
  run(key: string, request: R, work: (requests: readonly R[]) => Promise<T>): Promise<T> {
    const pending = this.waiting.get(key);
    if (pending) {
      pending.requests.push(request);
      return pending.result;
    }
    const entry: Waiting<R, T> = { requests: [request], result: Promise.resolve(undefined as never) };
    this.waiting.set(key, entry);
    entry.result = this.serializer.run(key, async () => {
      const release = this.semaphore ? await this.semaphore.acquire() : null;
      // From here on the run may read GitHub: later requests wait for a run of their own.
      this.waiting.delete(key);
      try {
        return await work(entry.requests);
      } finally {
        release?.();
      }
    });
    return entry.result;
  }
}
