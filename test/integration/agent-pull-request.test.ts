import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { checkRunRerequestedEvent, checkSuiteRerequestedEvent, commentEvent, pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { alice, bob, claude } from "../fixtures/people.js";
import type { FakeGitHub } from "../mocks/github.js";
import { useApp } from "../helpers/use-app.js";

const ctx = useApp();

const HEAD_1 = "b1".repeat(20);
const HEAD_2 = "b2".repeat(20);

/** Claude's pull request #2, one commit, no reviews. */
function openAgentPullRequest(github: FakeGitHub): void {
  github.pulls.set(2, {
    number: 2,
    author: claude,
    headSha: HEAD_1,
    title: "Add retries to the payment client",
    commits: [{ sha: HEAD_1, message: "Add retries to the payment client", author: claude }],
    reviews: [],
    files: ["src/payments/client.ts"],
  });
}

function approve(github: FakeGitHub, reviewer: typeof alice, id: number, at: string): ReturnType<typeof reviewEvent> {
  const pr = github.mustGet(2);
  pr.reviews.push({ id, reviewer, state: "APPROVED", commitSha: pr.headSha, submittedAt: at });
  return reviewEvent("submitted", pr, { id, reviewer, state: "approved", commitSha: pr.headSha });
}

describe("a pull request with no agent", () => {
  test("1. a human's pull request with no agent signals passes", async () => {
    const github = ctx.github();
    const head = "a".repeat(40);
    github.pulls.set(1, { number: 1, author: alice, headSha: head, commits: [{ sha: head, message: "Fix typo", author: alice }], reviews: [], files: ["README.md"] });
    github.expectEvaluation(1);

    const delivery = await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(1)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(head);
    expect(run).toMatchObject({ name: "Countersign", status: "completed", conclusion: "success", title: "No agent activity: nothing to countersign" });
    expect(run?.summary).toContain(delivery);
    const decisions = await ctx.app().db.prisma.decision.findMany();
    expect(decisions).toEqual([expect.objectContaining({ prNumber: 1, headSha: head, conclusion: "success", deliveryId: delivery })]);
  });
});

describe("an agent's pull request, delegated and independently approved", () => {
  test("2. without a delegation it is blocked with the command to run", async () => {
    const github = ctx.github();
    openAgentPullRequest(github);
    github.expectEvaluation(2);

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(2)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD_1);
    expect(run).toMatchObject({ conclusion: "action_required", title: "Needs a delegation" });
    expect(run?.summary).toContain("PR author @claude\\[bot\\] (id 209825114) is **Claude**, matched by account id");
    expect(run?.summary).toContain("/delegate <task> [paths:<glob>,...] [expires:<duration>]");
    expect(run?.summary).toContain("**write** permission");
  });

  test("3-6. delegation, the delegator's approval, an independent approval, then a new push", async () => {
    const github = ctx.github();
    const app = ctx.app();
    openAgentPullRequest(github);
    github.expectEvaluation(2);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(2)));
    const runId = github.checkRunOn(HEAD_1)?.id;

    // 3. A writer delegates: confirmation reply, still blocked awaiting an independent approval.
    github.expectDelegation(2, "alice");
    const delegateComment = commentEvent({ number: 2, onPullRequest: true, body: "/delegate SEC-1", author: alice, commentId: 4242 });
    await app.receive("issue_comment", delegateComment);

    expect(nock.pendingMocks()).toEqual([]);
    const delegation = await app.db.prisma.delegation.findFirstOrThrow();
    expect(delegation).toMatchObject({ ownerLogin: "alice", ownerId: 1001n, taskKind: "ticket", taskRef: "SEC-1", status: "active", subjectType: "pull_request", subjectNumber: 2, agentLogin: "claude[bot]", commentId: 4242n });
    expect(delegation.commentUrl).toBe(delegateComment.comment.html_url);
    const reply = github.comments.at(-1)?.body ?? "";
    expect(reply).toContain("Countersign recorded a delegation");
    expect(reply).toContain(`\`${delegation.id}\``);
    expect(reply).toContain("Owner: @alice");
    expect(reply).toContain("Agent: @claude\\[bot\\]");
    expect(reply).toContain("Task: `SEC-1`");
    expect(reply).toContain("Scope: whole repository");
    expect(reply).toContain("Expires: no expiry");
    // What the agent was able to do, read from its GitHub App and recorded with the delegation.
    // Named, not mentioned: an agent's login may come from a commit's noreply address.
    expect(reply).toContain("What \\@\u200bclaude\\[bot\\] can do: GitHub App `claude` with `contents: write`, `issues: write`, `metadata: read`, `pull_requests: write`");
    expect(JSON.parse(delegation.agentInventory ?? "[]")).toEqual([expect.objectContaining({ kind: "app", slug: "claude", permissions: expect.objectContaining({ contents: "write" }) })]);
    let run = github.checkRunOn(HEAD_1);
    expect(run?.id).toBe(runId); // the same check run, updated
    expect(run).toMatchObject({ conclusion: "action_required", title: "Needs approval by someone other than @alice" });
    expect(run?.summary).toContain(`Record: \`${delegation.id}\``);
    expect(run?.summary).toContain("Task: `SEC-1`");

    // 4. The delegator approves: still blocked, and the evidence says why that approval does not count.
    github.expectEvaluation(2); // no permission lookup: the delegator is ruled out before asking GitHub
    await app.receive("pull_request_review", approve(github, alice, 501, "2026-11-25T12:05:00Z"));

    expect(nock.pendingMocks()).toEqual([]);
    run = github.checkRunOn(HEAD_1);
    expect(run).toMatchObject({ conclusion: "action_required", title: "Needs approval by someone other than @alice" });
    expect(run?.summary).toMatch(/\| @alice \| .*approved.* \| no \| the delegating owner cannot approve their own delegation \|/);
    expect(run?.summary).toContain("### Approvals: 0 of 1 required");

    // 5. Another writer approves the head commit: success, naming owner and approver.
    github.expectEvaluation(2, { permissionLookups: ["bob"] });
    await app.receive("pull_request_review", approve(github, bob, 502, "2026-11-25T12:10:00Z"));

    expect(nock.pendingMocks()).toEqual([]);
    run = github.checkRunOn(HEAD_1);
    expect(run).toMatchObject({ conclusion: "success", title: "Countersigned: delegated by @alice, approved by @bob" });
    expect(run?.summary).toMatch(/\| @bob \| .*approved.* \| yes \| independent, has the required permission, approved the head commit \|/);
    expect(run?.summary).toContain("### Approvals: 1 of 1 required");

    // 6. The agent pushes again: blocked on the new head, the earlier approval shown as stale.
    const pr = github.mustGet(2);
    pr.headSha = HEAD_2;
    pr.commits.push({ sha: HEAD_2, message: "Address review", author: claude });
    github.expectEvaluation(2);
    await app.receive("pull_request", pullRequestEvent("synchronize", pr, claude));

    expect(nock.pendingMocks()).toEqual([]);
    const newRun = github.checkRunOn(HEAD_2);
    expect(newRun?.id).not.toBe(runId);
    expect(newRun).toMatchObject({ conclusion: "action_required", title: "Needs approval by someone other than @alice" });
    expect(newRun?.summary).toContain("stale: given on `b1b1b1b`, the head is now `b2b2b2b`");

    const decisions = await app.db.prisma.decision.findMany({ orderBy: { evaluatedAt: "asc" } });
    expect(decisions.map((decision) => decision.conclusion)).toEqual(["action_required", "action_required", "action_required", "success", "action_required"]);
    expect(decisions.at(-2)?.delegationId).toBe(delegation.id);
    const events = await app.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } });
    expect(events.map((event) => event.type)).toEqual(["decision", "delegation.created", "decision", "approval.rejected", "decision", "approval.counted", "decision", "push.agent", "decision"]);
    expect(events.find((event) => event.type === "approval.rejected")).toMatchObject({ actorLogin: "alice", sha: HEAD_1 });
    expect(JSON.parse(events.find((event) => event.type === "approval.rejected")?.payload ?? "{}")).toMatchObject({ reviewId: 501, objections: [{ code: "delegator" }] });
  });

  test("re-running the check from the Checks UI re-evaluates the pull request", async () => {
    const github = ctx.github();
    openAgentPullRequest(github);
    github.expectEvaluation(2);
    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(2)));

    github.expectEvaluation(2);
    await ctx.app().receive("check_run", checkRunRerequestedEvent({ headSha: HEAD_1, pullRequests: [2] }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(HEAD_1)?.writes).toBe(2);
  });

  test("'Re-run all checks' re-evaluates too, and a fork's commit is found through the stored check run", async () => {
    const github = ctx.github();
    openAgentPullRequest(github);
    github.expectEvaluation(2);
    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(2)));

    // GitHub lists no pull requests in a check suite for a fork's branch.
    github.expectEvaluation(2);
    await ctx.app().receive("check_suite", checkSuiteRerequestedEvent({ headSha: HEAD_1, pullRequests: [] }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(HEAD_1)?.writes).toBe(2);
  });

  test("a re-run of another app's check is ignored", async () => {
    await ctx.app().receive("check_run", checkRunRerequestedEvent({ headSha: HEAD_1, pullRequests: [2], name: "ci/build" }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(ctx.github().checkRuns).toEqual([]);
  });
});
