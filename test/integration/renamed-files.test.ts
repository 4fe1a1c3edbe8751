import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { commentEvent, pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { alice, bob, claude } from "../fixtures/people.js";
import type { FakeGitHub, FakePullRequest } from "../mocks/github.js";
import { useApp } from "../helpers/use-app.js";

// A change touches both paths of a file it renames: the old path is deleted. Moving a workflow out of
// `.github/workflows/` must not escape the delegation's `paths:` scope or the sensitive tier, which
// deleting it does not escape. GitHub's GraphQL file list names only the new path; the REST list,
// read only for a pull request with renames, names the old one.

const ctx = useApp();
const HEAD = "e7".repeat(20);
const WORKFLOW = ".github/workflows/security-scan.yml";

/** Claude's PR #2, delegated by alice with `paths:src/**`, then changed as `change` says and approved by bob. */
async function delegatedThenChanged(github: FakeGitHub, change: (pr: FakePullRequest) => void): Promise<string[]> {
  const app = ctx.app();
  github.pulls.set(2, { number: 2, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Implement the task", author: claude }], reviews: [], files: ["src/index.ts"] });
  github.expectEvaluation(2);
  await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(2)));
  github.expectDelegation(2, "alice");
  await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "/delegate SEC-7 paths:src/**", author: alice }));

  const pr = github.mustGet(2);
  change(pr);
  pr.reviews.push({ id: 650, reviewer: bob, state: "APPROVED", commitSha: HEAD, submittedAt: "2026-11-25T12:40:00Z" });
  github.expectEvaluation(2, { permissionLookups: ["bob"] });
  const before = github.requestLog.length;
  await app.receive("pull_request_review", reviewEvent("submitted", pr, { id: 650, reviewer: bob, state: "approved", commitSha: HEAD }));
  expect(nock.pendingMocks()).toEqual([]);
  return github.requestLog.slice(before);
}

describe("a renamed file is judged by its old path and its new one", () => {
  test("renaming a workflow into src/ is outside the scope and sensitive, as deleting it is; the evidence shows old → new", async () => {
    const github = ctx.github();
    const requests = await delegatedThenChanged(github, (pr) => {
      pr.files.push("src/security-scan.yml");
      pr.renamedFrom = { "src/security-scan.yml": WORKFLOW };
    });

    const run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "failure", title: "Changes outside the delegated scope: 1 file" });
    expect(run?.summary).toContain("- ❌ not met: every changed file is within the delegation's paths (`src/**`)");
    expect(run?.summary).toContain(`- **Outside the scope** (1):\n  - \`${WORKFLOW}\` → \`src/security-scan.yml\``);
    expect(run?.summary).toContain(`- **sensitive** (built-in): applies because the pull request changes \`${WORKFLOW}\` → \`src/security-scan.yml\`. Requires 2 approvals.`);
    // The one extra request: the REST file list, because the GraphQL list had a rename.
    expect(requests).toEqual(["POST /graphql", "GET /repos/Codertocat/Hello-World/pulls/2/files", "GET /repos/Codertocat/Hello-World/collaborators/bob/permission", "PATCH /repos/Codertocat/Hello-World/check-runs/5000000001"]);
    const decision = await ctx.app().db.prisma.auditEvent.findFirstOrThrow({ where: { type: "decision" }, orderBy: { seq: "desc" } });
    expect(JSON.parse(decision.payload)).toMatchObject({ tiers: ["sensitive"], requirements: expect.arrayContaining([{ kind: "scope-paths", met: false, sources: ["delegation"] }]) });
  });

  test("deleting the same workflow gets the same decision", async () => {
    const github = ctx.github();
    await delegatedThenChanged(github, (pr) => pr.files.push(WORKFLOW));
    expect(github.checkRunOn(HEAD)).toMatchObject({ conclusion: "failure", title: "Changes outside the delegated scope: 1 file" });
    expect(github.checkRunOn(HEAD)?.summary).toContain(`- **sensitive** (built-in): applies because the pull request changes \`${WORKFLOW}\`. Requires 2 approvals.`);
  });

  test("a rename within src/ stays in scope and passes", async () => {
    const github = ctx.github();
    await delegatedThenChanged(github, (pr) => {
      pr.files = ["src/client.ts"];
      pr.renamedFrom = { "src/client.ts": "src/index.ts" };
    });
    expect(github.checkRunOn(HEAD)).toMatchObject({ conclusion: "success", title: "Countersigned: delegated by @alice, approved by @bob" });
  });

  test("a copy leaves its source untouched: judged by its new path, with no extra request", async () => {
    const github = ctx.github();
    const requests = await delegatedThenChanged(github, (pr) => {
      pr.files.push("src/security-scan.yml");
      pr.copiedFrom = { "src/security-scan.yml": WORKFLOW };
    });
    expect(github.checkRunOn(HEAD)).toMatchObject({ conclusion: "success" });
    expect(requests.filter((request) => request.includes("/files"))).toEqual([]);
  });

  test("renaming the policy file away is a change to the policy", async () => {
    const github = ctx.github();
    github.pulls.set(3, { number: 3, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Tidy", author: claude }], reviews: [], files: ["docs/old-policy.yml"], renamedFrom: { "docs/old-policy.yml": ".github/countersign.yml" } });
    github.expectEvaluation(3);
    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(3)));
    expect(nock.pendingMocks()).toEqual([]);
    const summary = github.checkRunOn(HEAD)?.summary ?? "";
    expect(summary).toContain("- **sensitive** (built-in): applies because the pull request changes `.github/countersign.yml` → `docs/old-policy.yml`.");
    expect(summary).toContain("This pull request changes `.github/countersign.yml`. It is judged by the policy on its base branch");
  });
});

describe("a file list GitHub does not give in full", () => {
  test("more changed files than GitHub lists (3,000) blocks: Countersign does not judge files it cannot see", async () => {
    const github = ctx.github();
    const files = Array.from({ length: 3000 }, (_, index) => `src/file-${index}.ts`);
    github.pulls.set(4, { number: 4, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Regenerate", author: claude }], reviews: [], files, changedFiles: 3412 });
    github.expectPullRequestRead(4);
    github.expectCheckRunWrite(HEAD);
    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(4)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "failure", title: "Could not evaluate: blocked until Countersign can" });
    expect(run?.summary).toContain("What failed: `this pull request changes 3412 files and GitHub lists only the first 3000: Countersign cannot judge files it cannot see; split the pull request`");
  });
});
