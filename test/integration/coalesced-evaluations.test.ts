import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { commentEvent, pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { alice, bob, claude, erin } from "../fixtures/people.js";
import type { FakeGitHub } from "../mocks/github.js";
import { useApp } from "../helpers/use-app.js";
import type { TestApp } from "../helpers/test-app.js";
import { CoalescingSerializer } from "../../src/concurrency/coalescing-serializer.js";
import { Semaphore } from "../../src/concurrency/semaphore.js";

// In a busy installation, Probot's throttling lets evaluations reach GitHub about one every two
// seconds, so deliveries for a pull request pile up behind its running evaluation. Those that arrive
// while an evaluation waits for its turn join it: one read after the last of them arrived answers all,
// and each still counts as processed once, with its own review verdict in the audit log.

const ctx = useApp();
const H1 = "c1".repeat(20);
const H2 = "c2".repeat(20);

async function delegated(github: FakeGitHub, app: TestApp, number = 40, head = H1): Promise<void> {
  github.policyYaml = "approvals:\n  required: 1\n";
  github.pulls.set(number, { number, author: claude, headSha: head, commits: [{ sha: head, message: "Change", author: claude }], reviews: [], files: ["src/a.ts"] });
  github.expectEvaluation(number);
  await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(number)));
  github.expectDelegation(number, "alice");
  await app.receive("issue_comment", commentEvent({ number, onPullRequest: true, body: `/delegate SEC-${number}`, author: alice, commentId: number }));
  expect(nock.pendingMocks()).toEqual([]);
}

/** Sends a delivery the way GitHub does: answered once stored; the work goes on afterwards. */
async function send(app: TestApp, id: string, name: string, payload: Record<string, unknown>): Promise<void> {
  await app.probot.receive({ id, name, payload } as never);
}

async function coalescedCount(app: TestApp): Promise<number> {
  const metric = await app.services.metrics.registry.getSingleMetric("countersign_evaluations_coalesced_total")?.get();
  return metric?.values[0]?.value ?? 0;
}

describe("deliveries that arrive while an evaluation of their pull request waits", () => {
  test("join it: one read answers a push and two approvals, each delivery is processed once", async () => {
    const github = ctx.github();
    const app = ctx.app();
    await delegated(github, app);
    const pr = github.mustGet(40);
    const before = github.requestLog.length;

    // An edit whose evaluation is slow to read (GitHub answers in 300 ms, as it was when asked).
    github.expectPullRequestRead(40, { delayMs: 300 });
    await send(app, "d1-edited", "pull_request", pullRequestEvent("edited", pr));
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Meanwhile the agent pushes and two people approve the new head; their deliveries arrive while the
    // first evaluation is still reading.
    pr.headSha = H2;
    pr.commits.push({ sha: H2, message: "More", author: claude });
    pr.reviews.push({ id: 2, reviewer: bob, state: "APPROVED", commitSha: H2, submittedAt: "2026-11-25T12:30:00Z" });
    pr.reviews.push({ id: 3, reviewer: erin, state: "APPROVED", commitSha: H2, submittedAt: "2026-11-25T12:31:00Z" });
    github.expectEvaluation(40, { permissionLookups: ["bob", "erin"] });
    await send(app, "d2-push", "pull_request", pullRequestEvent("synchronize", pr));
    await send(app, "d3-bob", "pull_request_review", reviewEvent("submitted", pr, { id: 2, reviewer: bob, state: "approved", commitSha: H2 }));
    await send(app, "d4-erin", "pull_request_review", reviewEvent("submitted", pr, { id: 3, reviewer: erin, state: "approved", commitSha: H2 }));
    await send(app, "d5-edited", "pull_request", pullRequestEvent("edited", pr));
    await app.inbox.queue.idle();

    expect(nock.pendingMocks()).toEqual([]);
    // Two reads, not five: the slow one, and one for the four deliveries that waited behind it.
    const requests = github.requestLog.slice(before);
    expect(requests.filter((request) => request === "POST /graphql")).toHaveLength(2);
    expect(github.checkRunOn(H2)).toMatchObject({ conclusion: "success", writes: 1 });
    expect(await coalescedCount(app)).toBe(3);

    // Every delivery was processed, once.
    const deliveries = await app.db.prisma.delivery.findMany({ where: { id: { in: ["d1-edited", "d2-push", "d3-bob", "d4-erin", "d5-edited"] } } });
    expect(deliveries.map((delivery) => [delivery.id, delivery.status, delivery.attempts]).sort()).toEqual([
      ["d1-edited", "done", 1],
      ["d2-push", "done", 1],
      ["d3-bob", "done", 1],
      ["d4-erin", "done", 1],
      ["d5-edited", "done", 1],
    ]);

    // The joined evaluation's decision stands for the newest delivery and names the others; each
    // approval's verdict is logged under the delivery that reported it.
    const decisions = await app.db.prisma.decision.findMany({ where: { deliveryId: { in: ["d1-edited", "d5-edited"] } }, orderBy: { evaluatedAt: "asc" } });
    expect(decisions.map((decision) => [decision.deliveryId, decision.headSha, decision.conclusion])).toEqual([
      ["d1-edited", H1, "action_required"],
      ["d5-edited", H2, "success"],
    ]);
    const events = await app.db.prisma.auditEvent.findMany({ where: { deliveryId: { in: ["d2-push", "d3-bob", "d4-erin", "d5-edited"] } }, orderBy: { seq: "asc" } });
    expect(events.map((event) => [event.type, event.deliveryId])).toEqual([
      // The agent's push (GitHub named it as the synchronize's sender), under its own delivery.
      ["push.agent", "d2-push"],
      ["approval.counted", "d3-bob"],
      ["approval.counted", "d4-erin"],
      ["decision", "d5-edited"],
    ]);
    expect(JSON.parse(events[3]!.payload)).toMatchObject({ conclusion: "success", alsoFor: ["d2-push", "d3-bob", "d4-erin"] });
  });

  test("with every place to evaluate taken, deliveries for a waiting pull request join its evaluation too", async () => {
    const github = ctx.github();
    const app = ctx.app();
    await delegated(github, app, 40, H1);
    await delegated(github, app, 41, "d1".repeat(20));
    // One place to read and evaluate pull requests (the default is 32), taken by a slow evaluation of #41.
    app.services.evaluationSemaphore = new Semaphore(1);
    app.services.serializer = new CoalescingSerializer(app.services.evaluationSemaphore);
    github.expectPullRequestRead(41, { delayMs: 300 });
    await send(app, "f1-other", "pull_request", pullRequestEvent("edited", github.mustGet(41)));
    await new Promise((resolve) => setTimeout(resolve, 50));

    // #40 is pushed to and approved meanwhile: its evaluation waits for the place, and has not begun.
    const pr = github.mustGet(40);
    pr.headSha = H2;
    pr.commits.push({ sha: H2, message: "More", author: claude });
    pr.reviews.push({ id: 2, reviewer: bob, state: "APPROVED", commitSha: H2, submittedAt: "2026-11-25T12:30:00Z" });
    github.expectEvaluation(40, { permissionLookups: ["bob"] });
    const before = github.requestLog.length;
    await send(app, "f2-push", "pull_request", pullRequestEvent("synchronize", pr));
    await send(app, "f3-bob", "pull_request_review", reviewEvent("submitted", pr, { id: 2, reviewer: bob, state: "approved", commitSha: H2 }));
    await send(app, "f4-edited", "pull_request", pullRequestEvent("edited", pr));
    await app.inbox.queue.idle();

    expect(nock.pendingMocks()).toEqual([]);
    // One read of #40 for its three deliveries, made once #41's evaluation gave the place back.
    expect(github.requestLog.slice(before).filter((request) => request === "POST /graphql")).toHaveLength(1);
    expect(github.checkRunOn(H2)).toMatchObject({ conclusion: "success", writes: 1 });
    expect(await coalescedCount(app)).toBe(2);
    const deliveries = await app.db.prisma.delivery.findMany({ where: { id: { in: ["f1-other", "f2-push", "f3-bob", "f4-edited"] } } });
    expect(deliveries.every((delivery) => delivery.status === "done" && delivery.attempts === 1)).toBe(true);
    expect(deliveries).toHaveLength(4);
  });

  test("a delivery arriving once its pull request's evaluation has begun is not answered by it", async () => {
    const github = ctx.github();
    const app = ctx.app();
    await delegated(github, app);
    const pr = github.mustGet(40);

    // The evaluation of an edit has begun reading when bob approves: its read cannot have seen him.
    github.expectPullRequestRead(40, { delayMs: 200 });
    await send(app, "e1-edited", "pull_request", pullRequestEvent("edited", pr));
    await new Promise((resolve) => setTimeout(resolve, 50));
    pr.reviews.push({ id: 2, reviewer: bob, state: "APPROVED", commitSha: H1, submittedAt: "2026-11-25T12:30:00Z" });
    github.expectEvaluation(40, { permissionLookups: ["bob"] });
    await send(app, "e2-bob", "pull_request_review", reviewEvent("submitted", pr, { id: 2, reviewer: bob, state: "approved", commitSha: H1 }));
    await app.inbox.queue.idle();

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(H1)).toMatchObject({ conclusion: "success" });
    expect(await coalescedCount(app)).toBe(0);
    const decisions = await app.db.prisma.decision.findMany({ where: { deliveryId: { in: ["e1-edited", "e2-bob"] } }, orderBy: { evaluatedAt: "asc" } });
    expect(decisions.map((decision) => [decision.deliveryId, decision.conclusion])).toEqual([
      ["e1-edited", "action_required"],
      ["e2-bob", "success"],
    ]);
  });
});
