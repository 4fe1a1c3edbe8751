import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { drainQueuedDeliveries } from "../../src/deliveries/delivery-sweeps.js";
import { DeliveryQueue } from "../../src/deliveries/delivery-queue.js";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { useApp } from "../helpers/use-app.js";

// A process holds a bounded number of accepted deliveries in memory (1,000 by default); beyond that a
// delivery is stored with its payload and answered, then taken up when there is room, on whichever
// replica has it. Runs on SQLite and, under `npm run test:postgres`, on PostgreSQL.

const ctx = useApp();

describe("deliveries beyond the in-memory limit", () => {
  test("are stored and answered, processed once when there is room, and a redelivery meanwhile changes nothing", async () => {
    const github = ctx.github();
    const app = ctx.app();
    app.inbox.queue = new DeliveryQueue(32, 1);
    app.inbox.queue.spillToDatabase();
    for (const number of [60, 61]) {
      const head = `${number}`.repeat(20);
      github.pulls.set(number, { number, author: claude, headSha: head, commits: [{ sha: head, message: "x", author: claude }], reviews: [], files: ["a.ts"] });
      github.expectEvaluation(number);
    }

    // As GitHub sends them: each answered once stored, the work following on the queue.
    const deliver = (number: number) => app.probot.receive({ id: `delivery-${number}`, name: "pull_request", payload: pullRequestEvent("opened", github.mustGet(number)) } as never);
    await deliver(60);
    // The first is being processed (waiting on GitHub): no room for the second, which is stored only.
    await deliver(61);
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "delivery-61" } })).toMatchObject({ status: "queued", attempts: 1 });
    expect(JSON.parse((await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "delivery-61" } })).payload ?? "null")).toMatchObject({ number: 61 });
    await deliver(61);
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "delivery-61" } })).toMatchObject({ status: "queued", attempts: 1 });

    await app.inbox.queue.idle();
    expect(github.checkRunOn("60".repeat(20))).toBeDefined();
    expect(github.checkRunOn("61".repeat(20))).toBeUndefined();

    // Room again: the queued delivery is taken up from the database, once.
    expect(await drainQueuedDeliveries(app.inbox, (event) => app.probot.receive(event as never), app.probot.log)).toBe(1);
    await app.inbox.queue.idle();
    expect(await drainQueuedDeliveries(app.inbox, (event) => app.probot.receive(event as never), app.probot.log)).toBe(0);

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn("61".repeat(20))).toMatchObject({ conclusion: "action_required" });
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "delivery-61" } })).toMatchObject({ status: "done", attempts: 1, payload: null });
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "delivery-60" } })).toMatchObject({ status: "done", attempts: 1 });
  });

  test("a queued delivery redelivered once there is room is processed then, and not again from the queue", async () => {
    const github = ctx.github();
    const app = ctx.app();
    app.inbox.queue = new DeliveryQueue(32, 0);
    app.inbox.queue.spillToDatabase();
    const head = "62".repeat(20);
    github.pulls.set(62, { number: 62, author: claude, headSha: head, commits: [{ sha: head, message: "x", author: claude }], reviews: [], files: ["a.ts"] });
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(62)), "delivery-62");
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "delivery-62" } })).toMatchObject({ status: "queued" });

    app.inbox.queue = new DeliveryQueue(32, 10);
    github.expectEvaluation(62);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(62)), "delivery-62");
    await app.inbox.queue.idle();
    expect(await drainQueuedDeliveries(app.inbox, (event) => app.probot.receive(event as never), app.probot.log)).toBe(0);

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRuns).toHaveLength(1);
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "delivery-62" } })).toMatchObject({ status: "done", attempts: 1 });
  });

  test("a queued delivery that cannot be received is logged and left queued, and the look ends", async () => {
    const app = ctx.app();
    await app.db.prisma.delivery.create({ data: { id: "stuck", event: "pull_request", status: "queued", receivedAt: app.now.value, payload: JSON.stringify({ action: "opened" }) } });
    const errors: unknown[] = [];
    const taken = await drainQueuedDeliveries(app.inbox, () => Promise.reject(new Error("refused")), { error: (...args: unknown[]) => void errors.push(args) } as never);
    expect(taken).toBe(1);
    expect(errors).toHaveLength(1);
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "stuck" } })).toMatchObject({ status: "queued" });
  });

  test("without a drain to take them up, deliveries are never left in the database, whatever the limit", async () => {
    const github = ctx.github();
    const app = ctx.app();
    app.inbox.queue = new DeliveryQueue(32, 0);
    const head = "63".repeat(20);
    github.pulls.set(63, { number: 63, author: claude, headSha: head, commits: [{ sha: head, message: "x", author: claude }], reviews: [], files: ["a.ts"] });
    github.expectEvaluation(63);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(63)), "delivery-63");

    expect(nock.pendingMocks()).toEqual([]);
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "delivery-63" } })).toMatchObject({ status: "done" });
  });
});
