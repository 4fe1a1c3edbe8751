import { createRequire } from "node:module";

// Probot's Octokit runs every GitHub request through Bottleneck twice: @octokit/plugin-retry wraps each
// request in a limiter of its own (to schedule retries), and @octokit/plugin-throttling queues it in
// the installation's limiters. Bottleneck's in-process datastore makes each of its steps asynchronous
// by waiting `setTimeout(resolve, 0)`, which Node.js clamps to at least 1 ms: about four such waits
// per request, one of them after GitHub's answer has arrived. Measured in `npm run bench`, this was
// half of an evaluation's own time on a large pull request (7 requests: ≈ 8 ms of ≈ 17 ms) and, under
// load, most of it (each wait lasts a full turn of a busy event loop: own time p95 129 ms, against
// 13 ms with the retry plugin off). See docs/benchmarks.md.
//
// Both plugins stay on, with their settings: retries, rate-limit handling and the one-second spacing
// of writes are unchanged. Only the wait between Bottleneck's steps changes: `setImmediate`, which
// still yields to the event loop (timers and I/O run in between, as Bottleneck intends), but without
// the clamped millisecond. Delays Bottleneck asks for explicitly (t > 0) keep `setTimeout`.
//
// Bottleneck 2.19.5 is the last release (2019); its datastore class is not exported, so the method is
// replaced on the prototype of a limiter's store, for the copy of Bottleneck the plugins load.
// `bottleneckYieldPatched` lets start-up and tests check that the plugins' copy is the one patched.

type Yielding = { yieldLoop(t?: number): Promise<void>; Promise: PromiseConstructor };
type BottleneckClass = new () => { _store: Yielding; disconnect?: () => unknown };

const PATCHED = Symbol.for("countersign.bottleneckYield");

function yieldLoop(this: Yielding, t = 0): Promise<void> {
  const PromiseImpl = this.Promise ?? Promise;
  return t > 0 ? new PromiseImpl<void>((resolve) => setTimeout(resolve, t)) : new PromiseImpl<void>((resolve) => setImmediate(resolve));
}
(yieldLoop as unknown as Record<symbol, boolean>)[PATCHED] = true;

/** The Bottleneck class that `plugin`, as Probot loads it, loads. */
function bottleneckOf(plugin: string): BottleneckClass {
  const fromProbot = createRequire(createRequire(import.meta.url).resolve("probot"));
  const fromPlugin = createRequire(fromProbot.resolve(plugin));
  const loaded = fromPlugin("bottleneck/light.js") as BottleneckClass | { default: BottleneckClass };
  return "default" in loaded ? loaded.default : loaded;
}

function storePrototype(Bottleneck: BottleneckClass): Yielding {
  const limiter = new Bottleneck();
  return Object.getPrototypeOf(limiter._store) as Yielding;
}

/** The Octokit plugins whose Bottleneck is patched. */
const PLUGINS = ["@octokit/plugin-retry", "@octokit/plugin-throttling"];

/**
 * Replaces Bottleneck's step wait for the copies the retry and throttling plugins use. Idempotent.
 * Never throws: a Bottleneck that is not shaped as expected is left alone (slower, not less safe), and
 * `bottleneckYieldPatched()` then says false.
 */
export function patchBottleneckYield(): void {
  for (const plugin of PLUGINS) {
    try {
      const prototype = storePrototype(bottleneckOf(plugin));
      if (typeof prototype.yieldLoop !== "function") continue;
      if (!(prototype.yieldLoop as unknown as Record<symbol, boolean>)[PATCHED]) prototype.yieldLoop = yieldLoop;
    } catch {
      // Not the Bottleneck this was written for: leave it as it is.
    }
  }
}

/** Whether every plugin's Bottleneck waits between steps without the clamped millisecond. */
export function bottleneckYieldPatched(): boolean {
  try {
    return PLUGINS.every((plugin) => (storePrototype(bottleneckOf(plugin)).yieldLoop as unknown as Record<symbol, boolean>)[PATCHED] === true);
  } catch {
    return false;
  }
}
