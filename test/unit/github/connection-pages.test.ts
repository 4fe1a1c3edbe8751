import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { addRound, nextRequests, startRead, type BackwardPage, type ConnectionRead, type ForwardPage } from "../../../src/github/connection-pages.js";

// A connection as GitHub pages it: cursors name positions; `first/after` and `last/before` as in Relay.
type Item = { id: string } | null;
const cursor = (index: number) => `c${index}`;
const position = (value: string) => Number(value.slice(1));

function firstPage(all: Item[]): ForwardPage<Item> {
  const nodes = all.slice(0, 100);
  return { nodes, pageInfo: { hasNextPage: all.length > 100, endCursor: nodes.length > 0 ? cursor(nodes.length - 1) : null } };
}

function forward(all: Item[], count: number, after: string): ForwardPage<Item> {
  const start = position(after) + 1;
  const nodes = all.slice(start, start + count);
  return { nodes, pageInfo: { hasNextPage: start + count < all.length, endCursor: nodes.length > 0 ? cursor(start + nodes.length - 1) : null } };
}

function backward(all: Item[], count: number, before: string | null): BackwardPage<Item> {
  const end = before === null ? all.length : position(before);
  const start = Math.max(0, end - count);
  return { nodes: all.slice(start, end), pageInfo: { hasPreviousPage: start > 0, startCursor: end > start ? cursor(start) : null } };
}

const key = (item: Item) => item!.id;

/** Reads `all` as Countersign does; returns the items and the number of follow-up rounds. */
function readAll(all: Item[], totalCount: number | null = all.length): { items: Item[]; rounds: number; requested: number } {
  let read: ConnectionRead<Item> = startRead(firstPage(all), totalCount);
  let rounds = 0;
  let requested = Math.min(100, all.length);
  for (;;) {
    const requests = nextRequests(read);
    if (requests.length === 0) return { items: read.items!, rounds, requested };
    rounds += 1;
    for (const request of requests) {
      expect(request.count).toBeGreaterThanOrEqual(1);
      expect(request.count).toBeLessThanOrEqual(100);
      requested += request.count;
    }
    const [front, back] = requests;
    expect(front!.direction).toBe("forward");
    read = addRound(read, key, forward(all, front!.count, front!.cursor!), back ? backward(all, back.count, back.cursor) : null);
  }
}

const items = (count: number): Item[] => Array.from({ length: count }, (_, index) => ({ id: `item-${index}` }));

describe("reading a connection from both ends", () => {
  test.each([
    [0, 0],
    [1, 0],
    [100, 0],
    [101, 1],
    [200, 1],
    [250, 1], // the benchmark's commits: 100 from the front, then 100 more and the last 51
    [300, 2], // 200 remain: with the item that proves the ends meet, one more than two pages
    [301, 2],
    [1000, 5], // the benchmark's files: ten pages front to back, five rounds from both ends
    [3000, 15],
  ])("%i items are all read, in order, in %i follow-up rounds", (count, rounds) => {
    const all = items(count);
    const result = readAll(all);
    expect(result.items).toEqual(all);
    expect(result.rounds).toBe(rounds);
    // No more than a page per end per round beyond what is there: at most one item read twice per round.
    expect(result.requested).toBeLessThanOrEqual(count + 100 * Math.max(0, result.rounds) + 1);
  });

  test("completeness never rests on totalCount: too low, too high, missing, with null nodes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1200 }),
        fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 1500 })),
        fc.array(fc.nat(), { maxLength: 5 }),
        (count, total, nullAt) => {
          const all = items(count);
          for (const index of nullAt) if (count > 0) all[index % count] = null;
          const result = readAll(all, total);
          expect(result.items).toEqual(all.filter((item) => item !== null));
          expect(result.rounds).toBeLessThanOrEqual(Math.ceil(count / 100) + 1);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a connection that never ends is refused rather than read forever", () => {
    let read: ConnectionRead<Item> = startRead({ nodes: [{ id: "x" }], pageInfo: { hasNextPage: true, endCursor: "c0" } }, null);
    expect(() => {
      for (let round = 0; round < 1000; round += 1) {
        const [front] = nextRequests(read);
        read = addRound(read, key, { nodes: [{ id: `x${round}` }], pageInfo: { hasNextPage: true, endCursor: `c${round + 1}` } }, null);
        expect(front).toBeDefined();
      }
    }).toThrow(/did not end/);
  });
});
