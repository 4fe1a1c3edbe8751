import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { REPO } from "../fixtures/payloads.js";
import { alice, claude } from "../fixtures/people.js";
import { API } from "../mocks/github.js";
import { useApp } from "../helpers/use-app.js";

const ctx = useApp();
const HEAD = "db".repeat(20);

describe("failing closed on a database error", () => {
  test("a database failure still sets the check to blocking, with an error id", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(7, { number: 7, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: claude }], reviews: [], files: ["a.ts"] });
    // Simulate a broken database: the delegations table is gone.
    await app.db.prisma.$executeRawUnsafe('DROP TABLE "Delegation"');
    github.expectPullRequestRead(7);
    github.expectCheckRunWrite(HEAD);

    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(7)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "failure", title: "Could not evaluate: blocked until Countersign can" });
    expect(run?.summary).toContain("What failed: `Countersign's database could not be read or written`");
    expect(run?.summary).toMatch(/Error id: `cs-[0-9a-f]{10}`/);
  });

  test("a check run written while the database was failing is the one written next, and its decision is not skipped", async () => {
    const github = ctx.github();
    const app = ctx.app();
    const head = "dc".repeat(20);
    github.pulls.set(8, { number: 8, author: alice, headSha: head, commits: [{ sha: head, message: "Docs", author: alice }], reviews: [], files: ["docs/a.md"] });
    github.expectEvaluation(8);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(8)));
    expect(github.checkRunOn(head)?.conclusion).toBe("success");

    // The check-run records cannot be read: the evaluation fails, and so does the failure's own record,
    // so the blocking check run is created without it (GitHub then counts the newest: this one).
    await app.db.prisma.$executeRawUnsafe('ALTER TABLE "CheckRunRecord" RENAME TO "CheckRunRecordAway"');
    github.expectPullRequestRead(8);
    const written: Array<{ conclusion: string }> = [];
    nock(API)
      .post(`/repos/${REPO.owner}/${REPO.name}/check-runs`, (body: { head_sha?: string; conclusion: string }) => body.head_sha === head && written.push(body) > 0)
      .reply(201, { id: 777 });
    await app.receive("pull_request", pullRequestEvent("edited", github.mustGet(8)));
    expect(written).toEqual([expect.objectContaining({ conclusion: "failure" })]);

    // The database is back and nothing changed: the decision (success, as recorded before) is written
    // again, to the check run created meanwhile, though its recorded hash says it is there already.
    await app.db.prisma.$executeRawUnsafe('ALTER TABLE "CheckRunRecordAway" RENAME TO "CheckRunRecord"');
    github.expectPullRequestRead(8);
    nock(API)
      .patch(`/repos/${REPO.owner}/${REPO.name}/check-runs/777`, (body: { conclusion: string }) => written.push(body) > 0)
      .reply(200, { id: 777 });
    await app.receive("pull_request", pullRequestEvent("edited", github.mustGet(8)));

    expect(nock.pendingMocks()).toEqual([]);
    expect(written.map((body) => body.conclusion)).toEqual(["failure", "success"]);
    expect((await app.db.prisma.checkRunRecord.findFirstOrThrow({ where: { headSha: head } })).checkRunId).toBe(777n);
  });
});
