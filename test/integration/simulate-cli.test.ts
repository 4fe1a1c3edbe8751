import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { runCli, EXIT } from "../../src/cli.js";
import { commentEvent, pullRequestEvent, REPO } from "../fixtures/payloads.js";
import { alice, bob, claude } from "../fixtures/people.js";
import type { FakeGitHub } from "../mocks/github.js";
import { captureIo } from "../helpers/cli-io.js";
import { useApp } from "../helpers/use-app.js";

const ctx = useApp();
const HEAD = "51".repeat(20);


/** What `simulate` reads: the repository, then exactly what an evaluation reads. Never a write. */
function expectSimulationReads(github: FakeGitHub, permissionLookups: string[] = []): void {
  github.expectRepositoryRead();
  github.expectPullRequestRead(30);
  for (const login of permissionLookups) github.expectPermissionRead(login);
  github.expectSetupCheck("main", { again: true }); // a new process: nothing cached
}

describe("countersign simulate", () => {
  test("prints the decision a live PR would get, using the app's recorded delegations, and writes nothing", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(30, { number: 30, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: claude }], reviews: [], files: ["src/a.ts"] });
    github.expectEvaluation(30);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(30)));
    github.expectDelegation(30, "alice");
    await app.receive("issue_comment", commentEvent({ number: 30, onPullRequest: true, body: "/delegate SEC-30", author: alice }));
    const writes = github.checkRuns.map((run) => run.writes).reduce((a, b) => a + b, 0);
    github.mustGet(30).reviews.push({ id: 90, reviewer: bob, state: "APPROVED", commitSha: HEAD, submittedAt: "2026-11-25T12:30:00Z" });

    expectSimulationReads(github, ["bob"]);
    const { io, out } = captureIo();
    const code = await runCli(["simulate", "--repo", REPO.fullName, "--pr", "30"], { GITHUB_TOKEN: "ghp_test", DATABASE_URL: app.databaseUrl }, io);

    expect(nock.pendingMocks()).toEqual([]);
    expect(code).toBe(EXIT.pass);
    expect(out()).toContain("# Countersigned: delegated by @alice, approved by @bob");
    expect(out()).toContain("Conclusion: success (simulated; nothing was written to GitHub)");
    // Nothing was written: no check-run write, no comment, no decision row.
    expect(github.checkRuns.map((run) => run.writes).reduce((a, b) => a + b, 0)).toBe(writes);
    expect(github.comments).toHaveLength(1);
    expect(await app.db.decision.count()).toBe(2);
  });

  test("without the app's database it simulates with no delegations, as JSON, and exits 2 when it would block", async () => {
    const github = ctx.github();
    github.pulls.set(30, { number: 30, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: claude }], reviews: [], files: ["src/a.ts"] });
    expectSimulationReads(github);
    const { io, out, err } = captureIo();

    const code = await runCli(["simulate", "--repo", REPO.fullName, "--pr", "30", "--format", "json"], { GITHUB_TOKEN: "ghp_test", DATABASE_URL: "file:/nonexistent/countersign.db" }, io);

    expect(nock.pendingMocks()).toEqual([]);
    expect(code).toBe(EXIT.blocked);
    expect(err()).toContain("simulating without recorded delegations");
    const result = JSON.parse(out()) as Record<string, unknown>;
    expect(result).toMatchObject({ conclusion: "action_required", outcome: "needs-delegation", title: "Needs a delegation", headSha: HEAD, policy: { mode: "enforce" } });
  });

  test.each([
    [["simulate", "--repo", "nope", "--pr", "1"], "--repo must be owner/name"],
    [["simulate", "--repo", "a/b"], "--pr must be a pull request number"],
    [["frobnicate"], "unknown command: frobnicate"],
  ])("bad arguments %j are explained", async (argv, message) => {
    const { io, err } = captureIo();
    expect(await runCli(argv, { GITHUB_TOKEN: "x" }, io)).toBe(EXIT.error);
    expect(err()).toContain(message);
    expect(err()).toContain("usage: countersign simulate");
  });
});
