import { Slots } from "../../../src/services/slots.js";

describe("Slots", () => {
  test("at most `size` at once; the longest waiter gets the next free place", async () => {
    const slots = new Slots(2);
    const order: string[] = [];
    const first = await slots.acquire();
    const second = await slots.acquire();
    const third = slots.acquire().then((release) => (order.push("third"), release));
    const fourth = slots.acquire().then((release) => (order.push("fourth"), release));
    await Promise.resolve();
    expect(slots.queued).toBe(2);
    expect(order).toEqual([]);
    first();
    first(); // giving a place back twice frees it once
    const releaseThird = await third;
    expect(order).toEqual(["third"]);
    expect(slots.queued).toBe(1);
    second();
    (await fourth)();
    releaseThird();
    expect(order).toEqual(["third", "fourth"]);
    // Both places are free again.
    const [a, b] = await Promise.all([slots.acquire(), slots.acquire()]);
    expect(slots.queued).toBe(0);
    a();
    b();
  });

  test("run gives the place back however the work ends", async () => {
    const slots = new Slots(1);
    await expect(slots.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(slots.run(async () => 7)).resolves.toBe(7);
  });

  test("a size that is not a positive whole number is refused", () => {
    expect(() => new Slots(0)).toThrow();
    expect(() => new Slots(1.5)).toThrow();
  });
});
