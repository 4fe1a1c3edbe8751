import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import {
  CHECK_RUN_CLAIM_LAPSE_MS,
  claimCheckRunCreation,
  findCheckRun,
  latestCheckRunForPullRequest,
  releaseCheckRunClaim,
  saveCheckRunId,
} from "../../src/db/check-run-records.js";
import { pullRequestEvent, REPO as REPOSITORY } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { useApp } from "../helpers/use-app.js";

// Two replicas evaluating the same new head must not both create a check run: the first claims the
// commit (a placeholder row), the other waits for the id and updates that check run instead. Runs on
// SQLite and, under `npm run test:postgres`, on PostgreSQL.

const ctx = useApp();
const REPO = REPOSITORY.id;
const HEAD = "c1".repeat(20);

describe("claims to create a commit's check run", () => {
  test("one process wins; a placeholder is no check run; saving the id ends the claim", async () => {
    const db = ctx.app().db;
    const now = new Date("2026-11-25T12:00:00Z");
    await saveCheckRunId(db, REPO, "c0".repeat(20), 7, 9, null);

    expect(await claimCheckRunCreation(db, REPO, HEAD, 9, now)).toBe(true);
    expect(await claimCheckRunCreation(db, REPO, HEAD, 9, now)).toBe(false);
    expect(await findCheckRun(db, REPO, HEAD)).toBeNull();
    // A PR's latest check run is never the placeholder (nothing to update yet).
    expect(await latestCheckRunForPullRequest(db, REPO, 9)).toMatchObject({ checkRunId: 7 });

    await saveCheckRunId(db, REPO, HEAD, 42, 9, "hash");
    expect(await findCheckRun(db, REPO, HEAD)).toEqual({ checkRunId: 42, outputHash: "hash" });
    expect(await claimCheckRunCreation(db, REPO, HEAD, 9, new Date(now.getTime() + 60_000))).toBe(false);
  });

  test("a claim whose process died lapses and is taken over once; a released claim is free", async () => {
    const db = ctx.app().db;
    const now = new Date("2026-11-25T12:00:00Z");
    expect(await claimCheckRunCreation(db, REPO, HEAD, 9, now)).toBe(true);
    const later = new Date(now.getTime() + CHECK_RUN_CLAIM_LAPSE_MS - 1);
    expect(await claimCheckRunCreation(db, REPO, HEAD, 9, later)).toBe(false);
    const lapsed = new Date(now.getTime() + CHECK_RUN_CLAIM_LAPSE_MS + 1);
    expect(await claimCheckRunCreation(db, REPO, HEAD, 9, lapsed)).toBe(true);
    expect(await claimCheckRunCreation(db, REPO, HEAD, 9, lapsed)).toBe(false);

    await releaseCheckRunClaim(db, REPO, HEAD);
    expect(await claimCheckRunCreation(db, REPO, HEAD, 9, lapsed)).toBe(true);
  });

  test("an evaluation on a commit with a dead process's claim creates the check run without waiting", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(9, { number: 9, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: claude }], reviews: [], files: ["a.ts"] });
    await claimCheckRunCreation(app.db, REPO, HEAD, 9, new Date(Date.now() - 60_000));
    github.expectEvaluation(9);

    const started = Date.now();
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(9)));

    expect(Date.now() - started).toBeLessThan(CHECK_RUN_CLAIM_LAPSE_MS / 2);
    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(HEAD)).toMatchObject({ conclusion: "action_required" });
    expect(await findCheckRun(app.db, REPO, HEAD)).toMatchObject({ checkRunId: expect.any(Number) });
  });
});
