import { describe, expect, test } from "@jest/globals";
import { rateLimitDelayMs, RetryScheduler } from "../../../src/services/retry-scheduler.js";

const NOW = new Date("2026-11-25T12:00:00Z");

describe("rateLimitDelayMs", () => {
  test.each([
    ["retry-after seconds", { status: 403, response: { headers: { "retry-after": "30" } } }, 30_000],
    ["a primary limit, until its reset", { status: 403, response: { headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW.getTime() / 1000 + 90) } } }, 90_000],
    ["a secondary limit by its message", { status: 403, response: { headers: {}, data: { message: "You have exceeded a secondary rate limit." } } }, 60_000],
    ["a 429", { status: 429, response: { headers: {} } }, 60_000],
    ["a 403 that is a permission problem", { status: 403, response: { headers: { "x-ratelimit-remaining": "4000" }, data: { message: "Resource not accessible by integration" } } }, null],
    ["a 500", { status: 500 }, null],
    ["not an HTTP error", new Error("boom"), null],
  ])("%s", (_description, error, delay) => {
    expect(rateLimitDelayMs(error, NOW)).toBe(delay);
  });
});

describe("RetryScheduler", () => {
  test("clamps the delay, keeps one retry per key, and runs it", async () => {
    const scheduler = new RetryScheduler({ minDelayMs: 10, maxDelayMs: 50 });
    const runs: string[] = [];
    expect(scheduler.schedule("a", 0, async () => runs.push("first"), NOW).getTime()).toBe(NOW.getTime() + 10);
    expect(scheduler.schedule("a", 10_000, async () => runs.push("second"), NOW).getTime()).toBe(NOW.getTime() + 50);
    expect(scheduler.size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(runs).toEqual(["second"]);
    expect(scheduler.size).toBe(0);
  });

  test("dispose cancels waiting retries", async () => {
    const scheduler = new RetryScheduler({ minDelayMs: 10, maxDelayMs: 10 });
    const runs: string[] = [];
    scheduler.schedule("a", 0, async () => runs.push("run"));
    scheduler.dispose();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(runs).toEqual([]);
  });

  test("after dispose, a running retry is waited for and cannot schedule another", async () => {
    const scheduler = new RetryScheduler({ minDelayMs: 1, maxDelayMs: 1 });
    const runs: string[] = [];
    let release: () => void = () => undefined;
    scheduler.schedule("a", 0, async () => {
      runs.push("started");
      await new Promise<void>((resolve) => (release = resolve));
      // A failed retry asks for another, as the evaluation does.
      scheduler.schedule("a", 0, async () => runs.push("again"));
      runs.push("finished");
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).toEqual(["started"]);
    scheduler.dispose();
    const settled = scheduler.settled().then(() => runs.push("settled"));
    release();
    await settled;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).toEqual(["started", "finished", "settled"]);
    expect(scheduler.size).toBe(0);
  });
});
