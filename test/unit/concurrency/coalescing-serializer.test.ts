import { CoalescingSerializer } from "../../../src/concurrency/coalescing-serializer.js";
import { Semaphore } from "../../../src/concurrency/semaphore.js";

/** A promise with its resolve function, to hold a run until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe("CoalescingSerializer", () => {
  test("requests arriving while a run waits for its turn join it; each gets its result", async () => {
    const runs: string[][] = [];
    const serializer = new CoalescingSerializer<string, string>();
    const first = gate();
    const work = async (requests: readonly string[]) => {
      runs.push([...requests]);
      if (requests[0] === "a") await first.promise;
      return requests.join("+");
    };
    const a = serializer.run("pr#1", "a", work);
    // "a" begins at once; "b", "c" and "d" arrive while it runs: one run will answer them all.
    await Promise.resolve();
    const b = serializer.run("pr#1", "b", work);
    const c = serializer.run("pr#1", "c", work);
    const d = serializer.run("pr#1", "d", work);
    first.open();
    expect(await Promise.all([a, b, c, d])).toEqual(["a", "b+c+d", "b+c+d", "b+c+d"]);
    expect(runs).toEqual([["a"], ["b", "c", "d"]]);
  });

  test("a request arriving after its key's run began waits for a run of its own, never joins it", async () => {
    const runs: string[][] = [];
    const serializer = new CoalescingSerializer<string, number>();
    const began = gate();
    const finish = gate();
    const work = async (requests: readonly string[]) => {
      runs.push([...requests]);
      if (requests[0] === "a") {
        began.open();
        await finish.promise;
      }
      return runs.length;
    };
    const a = serializer.run("k", "a", work);
    await began.promise;
    // "a" has begun (it may have read GitHub): "b" must not be answered by it.
    const b = serializer.run("k", "b", work);
    finish.open();
    expect(await a).toBe(1);
    expect(await b).toBe(2);
    expect(runs).toEqual([["a"], ["b"]]);
  });

  test("requests made in the same turn, before anything began, are one run", async () => {
    const serializer = new CoalescingSerializer<number, number>();
    const runs: number[][] = [];
    const results = await Promise.all([1, 2, 3].map((n) => serializer.run("k", n, async (requests) => (runs.push([...requests]), requests.length))));
    expect(runs).toEqual([[1, 2, 3]]);
    expect(results).toEqual([3, 3, 3]);
  });

  test("different keys run concurrently and never join each other", async () => {
    const serializer = new CoalescingSerializer<string, string>();
    const held = gate();
    const order: string[] = [];
    const slow = serializer.run("x", "x1", async () => {
      await held.promise;
      order.push("x1");
      return "x";
    });
    const fast = serializer.run("y", "y1", async (requests) => {
      order.push(requests.join());
      return "y";
    });
    expect(await fast).toBe("y");
    held.open();
    expect(await slow).toBe("x");
    expect(order).toEqual(["y1", "x1"]);
  });

  test("a failed run rejects all its requests, and the key keeps working", async () => {
    const serializer = new CoalescingSerializer<string, string>();
    const held = gate();
    const first = serializer.run("k", "a", async () => {
      await held.promise;
      return "a";
    });
    await Promise.resolve();
    const failing = (requests: readonly string[]) => Promise.reject(new Error(`failed ${requests.join("+")}`));
    const b = serializer.run("k", "b", failing);
    const c = serializer.run("k", "c", failing);
    held.open();
    await expect(first).resolves.toBe("a");
    await expect(b).rejects.toThrow("failed b+c");
    await expect(c).rejects.toThrow("failed b+c");
    await expect(serializer.run("k", "d", async (requests) => requests.join())).resolves.toBe("d");
  });

  test("the backlog per key is one run waiting, however many requests arrive", async () => {
    const serializer = new CoalescingSerializer<number, void>();
    let concurrent = 0;
    let maxConcurrent = 0;
    const sizes: number[] = [];
    const work = async (requests: readonly number[]) => {
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      sizes.push(requests.length);
      await new Promise((resolve) => setTimeout(resolve, 5));
      concurrent -= 1;
    };
    const all: Array<Promise<void>> = [];
    for (let n = 0; n < 50; n += 1) {
      all.push(serializer.run("k", n, work));
      if (n % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await Promise.all(all);
    expect(maxConcurrent).toBe(1);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(50);
    expect(sizes.length).toBeLessThanOrEqual(6);
  });

  test("with places shared by all keys, a run waiting for a place still takes requests; runs never exceed the places", async () => {
    const semaphore = new Semaphore(1);
    const serializer = new CoalescingSerializer<string, string>(semaphore);
    const held = gate();
    const runs: string[][] = [];
    let working = 0;
    let most = 0;
    const work = async (requests: readonly string[]) => {
      working += 1;
      most = Math.max(most, working);
      runs.push([...requests]);
      if (requests[0] === "x1") await held.promise;
      working -= 1;
      return requests.join("+");
    };
    const x = serializer.run("x", "x1", work);
    await Promise.resolve();
    // "y" waits for the place "x" holds: it has not begun, so y2 and y3 join it.
    const y = [serializer.run("y", "y1", work), serializer.run("y", "y2", work)];
    await new Promise((resolve) => setTimeout(resolve, 5));
    y.push(serializer.run("y", "y3", work));
    held.open();
    expect(await x).toBe("x1");
    expect(await Promise.all(y)).toEqual(["y1+y2+y3", "y1+y2+y3", "y1+y2+y3"]);
    expect(runs).toEqual([["x1"], ["y1", "y2", "y3"]]);
    expect(most).toBe(1);
  });
});
