import nock from "nock";
import { describe, expect, test } from "@jest/globals";
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
