import { Semaphore } from "../../../src/concurrency/semaphore.js";

describe("Semaphore", () => {
  test("at most `size` at once; the longest waiter gets the next free place", async () => {
    const semaphore = new Semaphore(2);
    const order: string[] = [];
    const first = await semaphore.acquire();
    const second = await semaphore.acquire();
    const third = semaphore.acquire().then((release) => (order.push("third"), release));
    const fourth = semaphore.acquire().then((release) => (order.push("fourth"), release));
    await Promise.resolve();
    expect(semaphore.queued).toBe(2);
    expect(order).toEqual([]);
    first();
    first(); // giving a place back twice frees it once
    const releaseThird = await third;
    expect(order).toEqual(["third"]);
    expect(semaphore.queued).toBe(1);
    second();
    (await fourth)();
    releaseThird();
    expect(order).toEqual(["third", "fourth"]);
    // Both places are free again.
    const [a, b] = await Promise.all([semaphore.acquire(), semaphore.acquire()]);
    expect(semaphore.queued).toBe(0);
    a();
    b();
  });

  test("run gives the place back however the work ends", async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(semaphore.run(async () => 7)).resolves.toBe(7);
  });

  test("a size that is not a positive whole number is refused", () => {
    expect(() => new Semaphore(0)).toThrow();
    expect(() => new Semaphore(1.5)).toThrow();
  });
});
