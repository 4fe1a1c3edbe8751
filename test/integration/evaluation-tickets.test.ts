import { describe, expect, test } from "@jest/globals";
import { takeTicket } from "../../src/db/evaluation-order.js";
import { publishInOrder } from "../../src/services/check-run-publisher.js";
import { useApp } from "../helpers/use-app.js";

// Each evaluation of a pull request takes a ticket first (src/db/evaluation-order.ts, published through src/services/check-run-publisher.ts): one SQL
// statement written by hand, the same on both databases. Runs on SQLite and, under `npm run
// test:postgres`, on PostgreSQL.

const ctx = useApp();

describe("evaluation tickets", () => {
  test("are numbered 1, 2, 3 per pull request, without gaps or repeats when taken at once", async () => {
    const db = ctx.app().db;
    expect(await takeTicket(db, 1, 7)).toBe(1);
    expect(await takeTicket(db, 1, 7)).toBe(2);
    expect(await takeTicket(db, 1, 8)).toBe(1);
    expect(await takeTicket(db, 2, 7)).toBe(1);
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => takeTicket(db, 1, 7)));
    expect([...concurrent].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, index) => index + 3));
  });

  test("leave a row Prisma reads as usual (the time stamp included), which publishing then claims", async () => {
    const db = ctx.app().db;
    const before = Date.now();
    const ticket = await takeTicket(db, 1, 9);
    const row = await db.prisma.pullRequestState.findUniqueOrThrow({ where: { repoId_prNumber: { repoId: 1n, prNumber: 9 } } });
    expect(row).toMatchObject({ ticket: 1, published: 0, publishedSha: null });
    expect(row.updatedAt).toBeInstanceOf(Date);
    expect(Math.abs(row.updatedAt.getTime() - before)).toBeLessThan(60_000);

    const output = { headSha: "ab".repeat(20), conclusion: "success", title: "t", summary: "s", detailsUrl: null };
    const writes: string[] = [];
    expect(await publishInOrder(db, { repoId: 1, prNumber: 9, ticket }, output, async (content) => {
      writes.push(content.title);
      return null;
    })).toBe(true);
    expect(writes).toEqual(["t"]);
    expect(await takeTicket(db, 1, 9)).toBe(2);
  });

  test("two evaluations publishing on a new head at once: at most one of them is told to create its check run", async () => {
    const db = ctx.app().db;
    const head = "cd".repeat(20);
    const tickets = [await takeTicket(db, 1, 11), await takeTicket(db, 1, 11)];
    const told: boolean[] = [];
    await Promise.all(
      tickets.map((ticket) =>
        publishInOrder(db, { repoId: 1, prNumber: 11, ticket }, { headSha: head, conclusion: "success", title: `t${ticket}`, summary: "s", detailsUrl: null }, async (_content, known) => {
          told.push(known?.creationClaimed ?? false);
          return null;
        }),
      ),
    );
    expect(told.filter(Boolean).length).toBeLessThanOrEqual(1);
  });
});
