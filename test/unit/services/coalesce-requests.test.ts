import { coalesceRequests, type QueuedEvaluation } from "../../../src/services/evaluation-queue.js";
import type { EventContext } from "../../../src/services/event-context.js";

function queued(deliveryId: string | null, request: Partial<QueuedEvaluation["request"]> = {}): QueuedEvaluation {
  const event = { deliveryId, repo: { owner: "o", name: "r", id: 1, fullName: "o/r" }, installationId: 1, log: console, octokit: {} } as unknown as EventContext;
  return { event, request: { prNumber: 7, headShaHint: null, ...request } };
}

describe("coalesceRequests", () => {
  test("a single request is run as it is, preloaded facts included", () => {
    const only = queued("d1", { headShaHint: "a".repeat(40), preloaded: { facts: {} as never, policy: {} as never }, reviews: [{ id: 5, deliveryId: "d1" }] });
    expect(coalesceRequests([only])).toBe(only);
  });

  test("several: the newest delivery stands for all and names the others; reviews, Re-runs and attempts are kept", () => {
    const merged = coalesceRequests([
      queued("d1", { headShaHint: "1".repeat(40), reviews: [{ id: 11, deliveryId: "d1" }], attempt: 1 }),
      queued("d2", { headShaHint: "2".repeat(40), forceWrite: true, preloaded: { facts: {} as never, policy: {} as never } }),
      queued("d3", { headShaHint: null, reviews: [{ id: 12, deliveryId: "d3" }] }),
    ]);
    expect(merged.event.deliveryId).toBe("d3");
    expect(merged.request).toEqual({
      prNumber: 7,
      // The newest head any request named (d3 named none).
      headShaHint: "2".repeat(40),
      reviews: [
        { id: 11, deliveryId: "d1" },
        { id: 12, deliveryId: "d3" },
      ],
      forceWrite: true,
      attempt: 1,
      alsoFor: ["d1", "d2"],
    });
    // A command's facts, read before the others' changes, are not used: the pull request is read afresh.
    expect(merged.request.preloaded).toBeUndefined();
  });

  test("a scheduled request (no delivery) never stands for deliveries; a redelivered id is named once", () => {
    const merged = coalesceRequests([queued("d1"), queued("d1"), queued(null)]);
    expect(merged.event.deliveryId).toBe("d1");
    expect(merged.request.alsoFor).toEqual([]);
    const scheduledOnly = coalesceRequests([queued(null), queued(null)]);
    expect(scheduledOnly.event.deliveryId).toBeNull();
    expect(scheduledOnly.request).toMatchObject({ forceWrite: false, attempt: 0, alsoFor: [] });
  });
});
