import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { bob, erin, frank } from "../fixtures/people.js";
import { useApp } from "../helpers/use-app.js";

const ctx = useApp();
const HEAD = "e1".repeat(20);
const MESSAGE = "Add the ledger export\n\nCo-authored-by: Claude <noreply@anthropic.com>\nCo-authored-by: frank <frank@example.com>";

describe("a human's pull request with agent-written commits", () => {
  test("8. is agent-assisted: the author is the implicit owner, and a co-author's approval does not count", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(8, {
      number: 8,
      author: erin,
      headSha: HEAD,
      commits: [{ sha: HEAD, message: MESSAGE, author: erin, coAuthors: [frank] }],
      reviews: [],
      files: ["src/ledger/export.ts"],
    });
    github.expectEvaluation(8);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(8)));

    expect(nock.pendingMocks()).toEqual([]);
    let run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "action_required", title: "Needs approval by someone other than @erin, @frank" });
    expect(run?.summary).toContain("**Agent-assisted**");
    expect(run?.summary).toContain("commit `e1e1e1e`: trailer `Co-authored-by: Claude <noreply@anthropic.com>` (Claude)");
    expect(run?.summary).toContain("Owner: @erin, **implicitly**");

    // frank co-wrote the commit: his approval is shown, and does not count.
    const pr = github.mustGet(8);
    pr.reviews.push({ id: 801, reviewer: frank, state: "APPROVED", commitSha: HEAD, submittedAt: "2026-11-25T13:00:00Z" });
    github.expectEvaluation(8);
    await app.receive("pull_request_review", reviewEvent("submitted", pr, { id: 801, reviewer: frank, state: "approved", commitSha: HEAD }));

    expect(nock.pendingMocks()).toEqual([]);
    run = github.checkRunOn(HEAD);
    expect(run?.conclusion).toBe("action_required");
    expect(run?.summary).toMatch(/\| @frank \| .* \| no \| co-author of commit `e1e1e1e` \|/);

    // bob is independent and a writer: the change is countersigned.
    pr.reviews.push({ id: 802, reviewer: bob, state: "APPROVED", commitSha: HEAD, submittedAt: "2026-11-25T13:05:00Z" });
    github.expectEvaluation(8, { permissionLookups: ["bob"] });
    await app.receive("pull_request_review", reviewEvent("submitted", pr, { id: 802, reviewer: bob, state: "approved", commitSha: HEAD }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(HEAD)).toMatchObject({ conclusion: "success", title: "Countersigned: owned by @erin, approved by @bob" });
  });

  test("with delegation.implicit_owner: false, the author must delegate explicitly", async () => {
    const github = ctx.github();
    github.policyYaml = "delegation:\n  implicit_owner: false\n";
    github.pulls.set(8, { number: 8, author: erin, headSha: HEAD, commits: [{ sha: HEAD, message: MESSAGE, author: erin, coAuthors: [frank] }], reviews: [], files: ["a.ts"] });
    github.expectEvaluation(8);

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(8)));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(HEAD)).toMatchObject({ conclusion: "action_required", title: "Needs a delegation" });
    expect(github.checkRunOn(HEAD)?.summary).toContain("policy: `Codertocat/Hello-World:.github/countersign.yml@main` (version `");
  });
});
