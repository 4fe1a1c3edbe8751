import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { useApp } from "../helpers/use-app.js";

const ctx = useApp();
const HEAD = "db".repeat(20);

describe("failing closed on a database error", () => {
  test("a database failure still sets the check to blocking, with an error id", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(7, { number: 7, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: claude }], reviews: [], files: ["a.ts"] });
    // Simulate a broken database: the delegations table is gone.
    await app.db.$executeRawUnsafe('DROP TABLE "Delegation"');
    github.expectPullRequestRead(7);
    github.expectCheckRunWrite(HEAD);

    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(7)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "failure", title: "Could not evaluate: blocked until Countersign can" });
    expect(run?.summary).toContain("What failed: `Countersign's database could not be read or written`");
    expect(run?.summary).toMatch(/Error id: `cs-[0-9a-f]{10}`/);
  });
});
