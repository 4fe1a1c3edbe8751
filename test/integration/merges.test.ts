import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import type { AuditExportRecord } from "../../src/cli/audit/export.js";
import { runCli } from "../../src/cli.js";
import { commentEvent, pullRequestEvent, reviewEvent, type PayloadUser } from "../fixtures/payloads.js";
import { admin, alice, bob, claude, erin } from "../fixtures/people.js";
import { captureIo } from "../helpers/cli-io.js";
import type { TestApp } from "../helpers/test-app.js";
import { useApp } from "../helpers/use-app.js";

// What happens when a pull request is merged: the merge is recorded against Countersign's decision on
// the merged head, and an agent's change that got in without a success (an admin bypassing the rules,
// a check that is not required, a merge before Countersign finished) is an exception the team is told of.

const ctx = useApp();
const HEAD = "e7".repeat(20);
const MERGE_COMMIT = "9c".repeat(20);

function mergedEvent(pr: Parameters<typeof pullRequestEvent>[1], by: PayloadUser): Record<string, any> {
  const payload = pullRequestEvent("closed", { ...pr, state: "closed" }, by);
  Object.assign(payload.pull_request, {
    merged: true,
    merged_at: "2026-11-25T14:00:00Z",
    closed_at: "2026-11-25T14:00:00Z",
    merge_commit_sha: MERGE_COMMIT,
    merged_by: { ...payload.sender },
  });
  return payload;
}

async function exportRecords(app: TestApp): Promise<AuditExportRecord[]> {
  const { io, out } = captureIo();
  await runCli(["audit", "export"], { DATABASE_URL: app.databaseUrl }, io);
  return out()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as AuditExportRecord);
}

describe("merges", () => {
  test("an agent's pull request merged by an admin past a required, blocking check: merge.unverified, a comment, the check run, the metric and the export say so", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(50, { number: 50, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Add retries", author: claude }], reviews: [], files: ["src/retry.ts"] });
    github.expectEvaluation(50);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(50)));
    expect(github.checkRunOn(HEAD)?.conclusion).toBe("action_required");

    // Merged with the check still blocking: the comment and the rewritten check run follow.
    github.expectComment(50);
    github.expectCheckRunWrite(HEAD);
    await app.receive("pull_request", mergedEvent(github.mustGet(50), admin));

    expect(nock.pendingMocks()).toEqual([]);
    const comment = github.comments.at(-1);
    expect(comment?.issueNumber).toBe(50);
    expect(comment?.body).toContain("**Countersign: merged without a countersign.** @root-admin (id 1009) merged this agent-touched pull request");
    expect(comment?.body).toContain("Countersign's decision on the merged head `e7e7e7e` was `action_required`");
    expect(comment?.body).toContain("`Countersign` is a required check on the base branch, so the merge bypassed the rules");
    const run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "failure", title: "Merged without a countersign" });
    expect(run?.summary).toContain("merged by @root-admin (id 1009) as `9c9c9c9`");

    const events = await app.db.prisma.auditEvent.findMany({ where: { type: { startsWith: "merge." } }, orderBy: { seq: "asc" } });
    expect(events.map((event) => [event.type, event.actorLogin, event.sha])).toEqual([
      ["merge.recorded", "root-admin", HEAD],
      ["merge.unverified", "root-admin", HEAD],
    ]);
    expect(JSON.parse(events[1]!.payload)).toMatchObject({ decision: { conclusion: "action_required" }, requiredCheck: "required", bypassed: true, agentTouched: true, agents: ["claude[bot]"], mergeCommitSha: MERGE_COMMIT });
    expect(await app.services.metrics.registry.getSingleMetricAsString("countersign_merges_total")).toContain('countersign_merges_total{outcome="unverified"} 1');

    const [record] = await exportRecords(app);
    expect(record?.merge).toMatchObject({ mergedBy: "root-admin", headSha: HEAD, verified: false, bypassed: true, decision: { conclusion: "action_required" } });
  });

  test("a countersigned merge is recorded as such, announces nothing, and ends the pull request's delegations", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.permissions.set("alice", "write");
    github.permissions.set("bob", "write");
    github.pulls.set(51, { number: 51, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Add retries", author: claude }], reviews: [], files: ["src/retry.ts"] });
    github.expectEvaluation(51);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(51)));
    github.expectDelegation(51, "alice");
    await app.receive("issue_comment", commentEvent({ number: 51, onPullRequest: true, body: "/delegate SEC-9", author: alice }));
    const pr = github.mustGet(51);
    pr.reviews.push({ id: 5101, reviewer: bob, state: "APPROVED", commitSha: HEAD, submittedAt: "2026-11-25T13:00:00Z" });
    github.expectEvaluation(51, { permissionLookups: ["bob"] });
    await app.receive("pull_request_review", reviewEvent("submitted", pr, { id: 5101, reviewer: bob, state: "approved", commitSha: HEAD }));
    expect(github.checkRunOn(HEAD)?.conclusion).toBe("success");

    await app.receive("pull_request", mergedEvent(pr, bob));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.comments.filter((comment) => comment.body.includes("merged without"))).toEqual([]);
    const types = (await app.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } })).map((event) => event.type);
    expect(types.slice(-2)).toEqual(["delegation.ended", "merge.recorded"]);
    expect(await app.db.prisma.delegation.findFirstOrThrow()).toMatchObject({ status: "revoked", revokedByLogin: "bob", revokeReason: "the pull request was merged" });
    expect(await app.services.metrics.registry.getSingleMetricAsString("countersign_merges_total")).toContain('countersign_merges_total{outcome="countersigned"} 1');
  });

  test("a pull request merged before Countersign ever evaluated it is read at merge time: agent commits make it unverified", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.requiredCheck = "none";
    github.pulls.set(52, { number: 52, author: erin, headSha: HEAD, commits: [{ sha: HEAD, message: "Fix\n\nCo-authored-by: Claude <noreply@anthropic.com>", author: erin }], reviews: [], files: ["a.ts"] });
    github.expectPullRequestRead(52);
    github.expectSetupCheck("main");
    github.expectComment(52);
    github.expectCheckRunWrite(HEAD);
    await app.receive("pull_request", mergedEvent(github.mustGet(52), erin));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.comments.at(-1)?.body).toContain("Countersign had made no decision on the merged head");
    expect(github.comments.at(-1)?.body).toContain("`Countersign` is not a required check on the base branch");
    const unverified = await app.db.prisma.auditEvent.findFirstOrThrow({ where: { type: "merge.unverified" } });
    expect(JSON.parse(unverified.payload)).toMatchObject({ decision: null, agentEvidence: "read-at-merge", requiredCheck: "not-required", bypassed: false });
  });

  test("a person's own pull request merged: recorded as no-agent, nothing announced; closing without merge only ends delegations", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(53, { number: 53, author: erin, headSha: HEAD, commits: [{ sha: HEAD, message: "Fix typo", author: erin }], reviews: [], files: ["README.md"] });
    github.expectEvaluation(53);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(53)));
    await app.receive("pull_request", mergedEvent(github.mustGet(53), erin));
    expect(nock.pendingMocks()).toEqual([]);
    const merge = await app.db.prisma.auditEvent.findFirstOrThrow({ where: { type: "merge.recorded" } });
    expect(JSON.parse(merge.payload)).toMatchObject({ outcome: "no-agent", agentTouched: false });
    expect(await app.db.prisma.auditEvent.count({ where: { type: "merge.unverified" } })).toBe(0);

    const closed = pullRequestEvent("closed", { ...github.mustGet(53), number: 54, state: "closed" }, erin);
    await app.receive("pull_request", closed);
    expect(await app.db.prisma.auditEvent.count({ where: { subjectNumber: 54 } })).toBe(0);
  });
});
