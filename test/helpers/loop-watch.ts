import { performance } from "node:perf_hooks";

/**
 * Runs `work` while sampling the event loop every millisecond; resolves to its result and the longest
 * time the loop went without turning (the last stretch, up to the end of `work`, included). Used by
 * the policy-file tests and their benchmark (scripts/bench/policy-files.mjs, through tsconfig.fakes.json).
 */
export async function withLoopWatch<T>(work: () => Promise<T>): Promise<{ result: T; longestStallMs: number }> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  try {
    const result = await work();
    longest = Math.max(longest, performance.now() - last);
    return { result, longestStallMs: longest };
  } finally {
    clearInterval(timer);
  }
}
