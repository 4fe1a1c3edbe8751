import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { pullRequestEvent, pushEvent, reviewEvent } from "../fixtures/payloads.js";
import { bob, claude, erin } from "../fixtures/people.js";
import { useApp } from "../helpers/use-app.js";
import type { FakePullRequest } from "../fakes/graphql-responses.js";

// An agent with write access can push into a person's pull request with that person's name as author
// and committer and no trailer: every commit then looks human. GitHub still says who pushed (the
// webhook's sender, the activity log), and that is what these tests hold Countersign to.

const ctx = useApp();
const FIRST = "a1".repeat(20);
const FORGED = "f0".repeat(20);

function humanPullRequest(number: number, headRef = "erin/ledger"): FakePullRequest {
  return {
    number,
    author: erin,
    headRef,
    headSha: FIRST,
    commits: [{ sha: FIRST, message: "Add the ledger export", author: erin }],
    reviews: [],
    files: ["src/ledger.ts"],
  };
}

describe("an agent's push into a person's pull request", () => {
  test("a forged-author push (synchronize by the agent) makes the pull request agent-touched, and a later review does not forget it", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(30, humanPullRequest(30));
    github.expectEvaluation(30);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(30)));
    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(FIRST)?.conclusion).toBe("success");

    // claude[bot] pushes a commit whose author and committer say "erin", with no trailer.
    const pr = github.mustGet(30);
    pr.headSha = FORGED;
    pr.commits.push({ sha: FORGED, message: "Tidy the export", author: erin });
    github.expectEvaluation(30);
    await app.receive("pull_request", pullRequestEvent("synchronize", pr, claude));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(FORGED);
    expect(run).toMatchObject({ conclusion: "action_required", title: "Needs approval by someone other than @erin" });
    expect(run?.summary).toContain("**Agent-assisted**: a person opened the pull request, and an agent pushed to its branch");
    expect(run?.summary).toContain("pushed to this branch by @claude\\[bot\\] (id 209825114), **Claude**");
    expect(await app.db.prisma.agentPush.findMany()).toEqual([expect.objectContaining({ branch: "erin/ledger", prNumber: 30, afterSha: FORGED, pusherLogin: "claude[bot]", source: "pull_request.synchronize" })]);

    // A review is a later event with no push in it: the record still stands.
    pr.reviews.push({ id: 3001, reviewer: bob, state: "COMMENTED", commitSha: FORGED, submittedAt: "2026-11-25T13:00:00Z" });
    // Read again and judged the same: the check run already says so, and is not rewritten.
    github.expectPullRequestRead(30);
    await app.receive("pull_request_review", reviewEvent("submitted", pr, { id: 3001, reviewer: bob, state: "commented", commitSha: FORGED }));
    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(FORGED)?.conclusion).toBe("action_required");

    // An independent writer's approval countersigns it, as for any agent pull request.
    pr.reviews.push({ id: 3002, reviewer: bob, state: "APPROVED", commitSha: FORGED, submittedAt: "2026-11-25T13:05:00Z" });
    github.expectEvaluation(30, { permissionLookups: ["bob"] });
    await app.receive("pull_request_review", reviewEvent("submitted", pr, { id: 3002, reviewer: bob, state: "approved", commitSha: FORGED }));
    expect(github.checkRunOn(FORGED)).toMatchObject({ conclusion: "success", title: "Countersigned: owned by @erin, approved by @bob" });
    const decision = (await app.db.prisma.auditEvent.findMany({ where: { type: "decision" }, orderBy: { seq: "desc" }, take: 1 }))[0];
    expect(JSON.parse(decision?.payload ?? "{}").signals).toEqual([expect.objectContaining({ kind: "agent-push", pusher: { login: "claude[bot]", id: 209825114 } })]);
  });

  test("an agent's push to a branch before any pull request (a push webhook) makes the pull request a person opens from it agent-touched", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.expectPolicyRead();
    await app.receive("push", { ...pushEvent({ ref: "refs/heads/erin/ledger", after: FIRST, sender: claude, commits: [{ id: FIRST, message: "Add the ledger export" }] }), forced: true });
    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRuns).toEqual([]);

    github.pulls.set(31, humanPullRequest(31));
    github.expectEvaluation(31);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(31)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(FIRST);
    expect(run?.conclusion).toBe("action_required");
    expect(run?.summary).toContain("force-pushed to this branch by @claude\\[bot\\]");
    // The evidence story includes the push, though it was recorded before the pull request existed.
    const events = await app.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } });
    expect(events.map((event) => event.type)).toEqual(["push.agent", "decision"]);
  });

  test("pushes the app never received are read from GitHub's activity log when the pull request is opened", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.activity.push({ before: "0".repeat(40), after: FIRST, ref: "refs/heads/erin/ledger", timestamp: "2026-11-25T11:00:00Z", activity_type: "force_push", actor: { id: claude.id, login: claude.login, type: "Bot" } });
    github.activity.push({ before: "0".repeat(40), after: FIRST, ref: "refs/heads/someone-else", timestamp: "2026-11-25T11:00:00Z", activity_type: "push", actor: { id: claude.id, login: claude.login, type: "Bot" } });
    github.pulls.set(32, humanPullRequest(32));
    github.expectEvaluation(32);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(32)));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(FIRST)?.conclusion).toBe("action_required");
    expect(await app.db.prisma.agentPush.findMany()).toEqual([expect.objectContaining({ branch: "erin/ledger", forced: true, source: "activity", prNumber: 32 })]);
  });

  test("a person's own push (synchronize sent by the person) leaves a person's pull request agent-free", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(33, humanPullRequest(33));
    const pr = github.mustGet(33);
    github.expectEvaluation(33);
    await app.receive("pull_request", pullRequestEvent("synchronize", pr, erin));
    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(FIRST)?.conclusion).toBe("success");
    expect(await app.db.prisma.agentPush.count()).toBe(0);
  });
});
