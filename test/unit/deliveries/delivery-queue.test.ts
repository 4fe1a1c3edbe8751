import { DeliveryQueue } from "../../../src/deliveries/delivery-queue.js";

/** Work that stays in flight until the test releases it. */
function heldWork(): { work: () => Promise<void>; release: () => void; started: () => boolean } {
  let release = () => {};
  let started = false;
  const held = new Promise<void>((resolve) => (release = resolve));
  return {
    work: async () => {
      started = true;
      await held;
    },
    release: () => release(),
    started: () => started,
  };
}

describe("DeliveryQueue", () => {
  test("holds every delivery in memory until it may spill to the database", () => {
    const queue = new DeliveryQueue(32, 1);
    expect([queue.reserve(), queue.reserve(), queue.reserve()]).toEqual([true, true, true]);
    expect(queue.room).toBe(0);
  });

  test("once spilling, places in flight and places reserved count towards the limit", async () => {
    const queue = new DeliveryQueue(32, 2);
    queue.spillToDatabase();
    const first = heldWork();
    expect(queue.reserve()).toBe(true);
    queue.releaseReservation();
    queue.enqueue(first.work);
    // A claim in flight holds its place: deliveries arriving together cannot all take the last one.
    expect(queue.reserve()).toBe(true);
    expect(queue.room).toBe(0);
    expect(queue.reserve()).toBe(false);
    queue.releaseReservation();
    expect(queue.room).toBe(1);
    first.release();
    await queue.idle();
    expect(queue.pending).toBe(0);
    expect(queue.room).toBe(2);
  });

  test("works on at most `limit` deliveries at once, and a failing one does not stop the rest", async () => {
    const queue = new DeliveryQueue(1, 10);
    const first = heldWork();
    const second = heldWork();
    queue.enqueue(async () => Promise.reject(new Error("the handler's own to log")));
    queue.enqueue(first.work);
    queue.enqueue(second.work);
    await new Promise((resolve) => setImmediate(resolve));
    expect([first.started(), second.started()]).toEqual([true, false]);
    expect(queue.pending).toBe(2);
    first.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(second.started()).toBe(true);
    second.release();
    await queue.idle();
    expect(queue.pending).toBe(0);
  });
});
