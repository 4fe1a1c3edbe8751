import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { commentEvent, pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { alice, bob, claude } from "../fixtures/people.js";
import type { FakeGitHub } from "../mocks/github.js";
import { useApp } from "../helpers/use-app.js";

// GitHub gives an installation a few thousand requests an hour. These tests count the requests each
// scenario makes with the installation token (the token exchange itself is app-level and cached by
// Probot for an hour), so that a regression in the budget fails CI:
//   - steady state: at most 2 (one GraphQL read of everything, one check-run write, skipped when the
//     check run would not change);
//   - cold (a fresh process): at most 5.

const ctx = useApp();
const HEAD = "bd".repeat(20);

function agentPullRequest(github: FakeGitHub): void {
  github.policyYaml = "approvals:\n  required: 1\n";
  github.pulls.set(40, { number: 40, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Change", author: claude }], reviews: [], files: ["src/a.ts"] });
}

/** The requests made while `run` runs. */
async function counting(github: FakeGitHub, run: () => Promise<unknown>): Promise<string[]> {
  const before = github.requestLog.length;
  await run();
  expect(nock.pendingMocks()).toEqual([]);
  return github.requestLog.slice(before);
}

describe("the GitHub API budget of an evaluation", () => {
  test("cold: at most 5 requests, the policy included (it rides in the pull request's query)", async () => {
    const github = ctx.github();
    agentPullRequest(github);
    github.mustGet(40).reviews.push({ id: 1, reviewer: bob, state: "APPROVED", commitSha: HEAD, submittedAt: "2026-11-25T11:00:00Z" });
    github.expectEvaluation(40, { permissionLookups: ["bob"] });

    const requests = await counting(github, () => ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(40))));

    expect(requests).toEqual([
      "POST /graphql",
      // Opened: who pushed to the branch before Countersign saw it, from GitHub's activity log.
      expect.stringContaining("activity"),
      "GET /repos/Codertocat/Hello-World/collaborators/bob/permission",
      "GET /repos/Codertocat/Hello-World/rules/branches/main",
      "GET /repos/Codertocat/Hello-World/branches/main",
      "POST /repos/Codertocat/Hello-World/check-runs",
    ]);
    // The cold budget: 5 requests, plus the activity read an opened pull request adds.
    expect(requests.length).toBeLessThanOrEqual(6);
  });

  test("steady state: an event that changes the decision costs 2; one that does not costs 1 (the write is skipped)", async () => {
    const github = ctx.github();
    const app = ctx.app();
    agentPullRequest(github);
    github.expectEvaluation(40);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(40)));
    github.expectDelegation(40, "alice");
    await app.receive("issue_comment", commentEvent({ number: 40, onPullRequest: true, body: "/delegate SEC-40", author: alice }));
    const pr = github.mustGet(40);
    pr.reviews.push({ id: 2, reviewer: bob, state: "APPROVED", commitSha: HEAD, submittedAt: "2026-11-25T12:30:00Z" });
    github.expectEvaluation(40, { permissionLookups: ["bob"] });
    await app.receive("pull_request_review", reviewEvent("submitted", pr, { id: 2, reviewer: bob, state: "approved", commitSha: HEAD }));
    expect(github.checkRunOn(HEAD)?.conclusion).toBe("success");
    const writes = github.checkRunOn(HEAD)?.writes;

    // The PR's description is edited: nothing that matters changed. One read, no write.
    github.expectPullRequestRead(40);
    const unchanged = await counting(github, () => app.receive("pull_request", pullRequestEvent("edited", pr)));
    expect(unchanged).toEqual(["POST /graphql"]);
    expect(github.checkRunOn(HEAD)?.writes).toBe(writes);

    // bob's approval is dismissed: the decision changes. One read, one write (his permission is cached).
    pr.reviews.push({ id: 3, reviewer: bob, state: "DISMISSED", commitSha: HEAD, submittedAt: "2026-11-25T12:40:00Z" });
    github.expectEvaluation(40);
    const changed = await counting(github, () => app.receive("pull_request_review", reviewEvent("dismissed", pr, { id: 3, reviewer: bob, state: "dismissed", commitSha: HEAD })));
    expect(changed).toEqual(["POST /graphql", "PATCH /repos/Codertocat/Hello-World/check-runs/5000000001"]);
    expect(github.checkRunOn(HEAD)?.conclusion).toBe("action_required");
  });
});
