import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { renewDeliveryHeartbeats } from "../../src/db/deliveries.js";
import { resumeAbandonedDeliveries } from "../../src/deliveries/delivery-sweeps.js";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { useApp } from "../helpers/use-app.js";

const ctx = useApp();
const HEAD = "ad".repeat(20);

describe("deliveries accepted by a process that stopped", () => {
  test("are resumed from their stored payload, once, and finished", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(50, { number: 50, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: claude }], reviews: [], files: ["a.ts"] });
    // A delivery accepted (GitHub answered 200) twenty minutes ago by a process that then died.
    const payload = pullRequestEvent("opened", github.mustGet(50));
    await app.db.prisma.delivery.create({
      data: { id: "lost-delivery", event: "pull_request", status: "processing", receivedAt: new Date(app.now.value.getTime() - 20 * 60_000), payload: JSON.stringify(payload) },
    });
    // A delivery being processed right now (by another replica) is left alone.
    await app.db.prisma.delivery.create({ data: { id: "busy-delivery", event: "pull_request", status: "processing", receivedAt: app.now.value, payload: JSON.stringify(payload) } });
    github.expectEvaluation(50);

    const resumed = await resumeAbandonedDeliveries(app.inbox, (event) => app.probot.receive(event as never), app.probot.log, 5 * 60_000);
    await app.inbox.queue.idle();

    expect(resumed).toBe(1);
    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(HEAD)).toMatchObject({ conclusion: "action_required", title: "Needs a delegation" });
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "lost-delivery" } })).toMatchObject({ status: "done", attempts: 2, payload: null });
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "busy-delivery" } })).toMatchObject({ status: "processing" });
    // Nothing left to resume.
    expect(await resumeAbandonedDeliveries(app.inbox, (event) => app.probot.receive(event as never), app.probot.log, 5 * 60_000)).toBe(0);
  });
});

describe("heartbeats: a delivery is taken over when its process stops saying it is alive", () => {
  test("a long-running delivery whose process renews its heartbeat is left alone; one whose heartbeat stopped is resumed", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(51, { number: 51, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: claude }], reviews: [], files: ["a.ts"] });
    const payload = JSON.stringify(pullRequestEvent("opened", github.mustGet(51)));
    const ago = (ms: number) => new Date(app.now.value.getTime() - ms);
    // Accepted 20 minutes ago and still being worked on: its process renewed the heartbeat 10 s ago.
    await app.db.prisma.delivery.create({ data: { id: "slow-but-alive", event: "pull_request", status: "processing", receivedAt: ago(20 * 60_000), heartbeatAt: ago(10_000), payload } });
    // Accepted 30 s ago by a process that was killed 25 s ago: its heartbeat stopped.
    await app.db.prisma.delivery.create({ data: { id: "killed-replica", event: "pull_request", status: "processing", receivedAt: ago(30_000), heartbeatAt: ago(25_000), payload } });
    github.expectEvaluation(51);

    const resumed = await resumeAbandonedDeliveries(app.inbox, (event) => app.probot.receive(event as never), app.probot.log, 20_000);
    await app.inbox.queue.idle();

    expect(resumed).toBe(1);
    expect(nock.pendingMocks()).toEqual([]);
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "killed-replica" } })).toMatchObject({ status: "done", attempts: 2 });
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "slow-but-alive" } })).toMatchObject({ status: "processing", attempts: 1 });

    // Renewing touches only what is still processing.
    await app.db.prisma.delivery.create({ data: { id: "finished", event: "pull_request", status: "done", receivedAt: ago(60_000), heartbeatAt: ago(50_000), payload: null } });
    await renewDeliveryHeartbeats(app.db, ["slow-but-alive", "finished"], app.now.value);
    expect((await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "slow-but-alive" } })).heartbeatAt?.getTime()).toBe(app.now.value.getTime());
    expect((await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "finished" } })).heartbeatAt?.getTime()).toBe(ago(50_000).getTime());
  });
});

describe("a redelivery of a delivery still marked processing", () => {
  test("takes it over once it was abandoned, and is a duplicate while it may still be worked on", async () => {
    const github = ctx.github();
    const app = ctx.app();
    const head = "ae".repeat(20);
    github.pulls.set(51, { number: 51, author: claude, headSha: head, commits: [{ sha: head, message: "x", author: claude }], reviews: [], files: ["a.ts"] });
    const payload = pullRequestEvent("opened", github.mustGet(51));
    await app.db.prisma.delivery.create({ data: { id: "recent-delivery", event: "pull_request", status: "processing", receivedAt: new Date(app.now.value.getTime() - 60_000), payload: JSON.stringify(payload) } });
    await app.db.prisma.delivery.create({
      data: { id: "stale-delivery", event: "pull_request", status: "processing", receivedAt: new Date(app.now.value.getTime() - 20 * 60_000), payload: JSON.stringify(payload) },
    });

    // Accepted a minute ago: its process may still be at work, so GitHub's redelivery does nothing.
    await app.receive("pull_request", payload, "recent-delivery");
    expect(github.checkRuns).toHaveLength(0);
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "recent-delivery" } })).toMatchObject({ status: "processing", attempts: 1 });

    // Accepted twenty minutes ago and never finished: the redelivery is processed, as a new attempt.
    github.expectEvaluation(51);
    await app.receive("pull_request", payload, "stale-delivery");
    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(head)).toMatchObject({ conclusion: "action_required" });
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "stale-delivery" } })).toMatchObject({ status: "done", attempts: 2, payload: null });
  });
});
