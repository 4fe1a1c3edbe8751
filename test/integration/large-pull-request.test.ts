import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { alice, bob, erin } from "../fixtures/people.js";
import type { FakeCommit, FakeReview } from "../mocks/github.js";
import { useApp } from "../helpers/use-app.js";

const ctx = useApp();

describe("a pull request larger than one GraphQL page", () => {
  test("commits, reviews and files past the first 100 are read and count", async () => {
    const github = ctx.github();
    const sha = (index: number) => `${index.toString(16).padStart(4, "0")}${"c".repeat(36)}`;
    // 250 commits by erin; only the 230th is co-written by Claude. 120 reviews; bob's approval is last.
    const commits: FakeCommit[] = Array.from({ length: 250 }, (_, index) => ({
      sha: sha(index + 1),
      message: index === 229 ? "Tune\n\nCo-authored-by: Claude <noreply@anthropic.com>" : `Commit ${index + 1}`,
      author: erin,
    }));
    const head = sha(250);
    const reviews: FakeReview[] = Array.from({ length: 119 }, (_, index) => ({
      id: 10_000 + index,
      reviewer: alice,
      state: "COMMENTED",
      commitSha: head,
      submittedAt: `2026-11-25T10:${String(index % 60).padStart(2, "0")}:00Z`,
    }));
    reviews.push({ id: 20_000, reviewer: bob, state: "APPROVED", commitSha: head, submittedAt: "2026-11-25T11:30:00Z" });
    github.pulls.set(30, { number: 30, author: erin, headSha: head, commits, reviews, files: Array.from({ length: 1000 }, (_, index) => `src/file-${index}.ts`) });
    github.expectEvaluation(30, { permissionLookups: ["bob"] });

    const before = github.requestLog.length;
    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(30)));

    expect(nock.pendingMocks()).toEqual([]);
    // One query, then the REST file list past its first 100 files (nine GETs, at once: the throttle
    // spaces only POSTs), then one follow-up query for the commits' last 150 and the reviews' last 20,
    // from both ends at once. Read through GraphQL alone the files took five more queries, a second apart.
    const log = github.requestLog.slice(before);
    expect(log.filter((request) => request === "POST /graphql")).toHaveLength(2);
    expect(log.filter((request) => /^GET \/repos\/[^/]+\/[^/]+\/pulls\/30\/files/.test(request))).toHaveLength(9);
    const run = github.checkRunOn(head);
    expect(run).toMatchObject({ conclusion: "success", title: "Countersigned: owned by @erin, approved by @bob" });
    expect(run?.summary).toContain(`commit \`${sha(230).slice(0, 7)}\`: trailer \`Co-authored-by: Claude <noreply@anthropic.com>\``);
  });
});
