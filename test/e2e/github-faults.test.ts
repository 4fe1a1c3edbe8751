import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { commentEvent, pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { alice, bob, claude } from "../fixtures/people.js";
import { deliverWebhook, launchEnterpriseApp, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// GitHub failing under Countersign, as deployed: check-run writes answering 502 for a while, and a
// read that never answers. Neither may leave an earlier success standing, and no reply may claim a
// state the check run does not show.

const SECRET = "e2e-faults-secret";
const HEAD = "fa".repeat(20);

describe("GitHub failing while Countersign works", () => {
  const state = fakeGhesState();
  const faults = { failWrites: false, hangReads: false };
  const hung: Array<() => void> = [];
  let app: EnterpriseApp | undefined;
  let delivery = 0;
  const deliver = async (event: string, payload: unknown) => {
    delivery += 1;
    expect((await deliverWebhook(app!.url, SECRET, event, `faults-${delivery}`, payload)).status).toBe(200);
  };
  const run = () => [...state.checkRuns.values()].find((candidate) => candidate.head_sha === HEAD);

  beforeAll(async () => {
    state.permissions.set("alice", "write");
    state.permissions.set("bob", "write");
    state.routes = (req, _raw, res) => {
      if (faults.failWrites && /\/check-runs/.test(req.url ?? "") && req.method !== "GET") {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: "Bad Gateway" }));
        return true;
      }
      if (faults.hangReads && req.method === "POST" && req.url === "/api/graphql") {
        // Never answered while the fault lasts (the socket is closed at the end of the test).
        hung.push(() => res.destroy());
        return true;
      }
      return false;
    };
    app = await launchEnterpriseApp(state, {
      webhookSecret: SECRET,
      extra: () => ({ COUNTERSIGN_GITHUB_TIMEOUT_SECONDS: "1", COUNTERSIGN_RETRY_MIN_SECONDS: "0.5" }),
    });
    state.pulls.set(7, { number: 7, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Add retries", author: claude }], reviews: [], files: ["src/retry.ts"] });
    const pr = state.pulls.get(7)!;
    await deliver("pull_request", pullRequestEvent("opened", pr));
    await deliver("issue_comment", commentEvent({ number: 7, onPullRequest: true, body: "/delegate SEC-1", author: alice }));
    await waitFor(() => state.comments.length === 1);
    pr.reviews.push({ id: 71, reviewer: bob, state: "APPROVED", commitSha: HEAD, submittedAt: "2026-11-25T12:00:00Z" });
    await deliver("pull_request_review", reviewEvent("submitted", pr, { id: 71, reviewer: bob, state: "approved", commitSha: HEAD }));
    await waitFor(() => run()?.conclusion === "success");
  }, 60_000);

  afterAll(async () => {
    for (const close of hung) close();
    await app?.stop();
  });

  test("a revoke while check-run writes answer 502: the reply says the check could not be updated, and once GitHub recovers the check blocks", async () => {
    faults.failWrites = true;
    await deliver("issue_comment", commentEvent({ number: 7, onPullRequest: true, body: "/delegate revoke no longer needed", author: alice }));
    // The reply waits for the evaluation: Octokit retries the failing writes (about 14 s), and the
    // blocking "could not evaluate" write fails the same way.
    await waitFor(() => state.comments.length === 2, 60_000);
    const reply = state.comments[1]!.body;
    expect(reply).toContain("**Countersign revoked a delegation**");
    expect(reply).toContain("Countersign **could not update the check run yet**");
    expect(reply).toContain("treat the pull request as blocked and do not merge it");
    expect(reply).not.toContain("now shows");
    // GitHub still shows the earlier success: the write failed.
    expect(run()?.conclusion).toBe("success");

    faults.failWrites = false;
    await waitFor(() => run()?.conclusion !== "success", 30_000);
    expect(run()?.conclusion).toMatch(/^(action_required|failure)$/);
    await waitFor(() => run()?.conclusion === "action_required", 30_000);
  }, 150_000);

  test("a dismissal whose read never answers: the check fails closed within the timeout, and the retry publishes the real decision once reads work", async () => {
    // Approve again after the revoke: delegated again, and bob's approval stands: success.
    await deliver("issue_comment", commentEvent({ number: 7, onPullRequest: true, body: "/delegate SEC-2", author: alice }));
    await waitFor(() => state.comments.length === 3, 30_000);
    expect(run()?.conclusion).toBe("success");
    expect(state.comments.at(-1)?.body).toContain("the `Countersign` check now shows **success**");

    faults.hangReads = true;
    const pr = state.pulls.get(7)!;
    pr.reviews[0]!.state = "DISMISSED";
    await deliver("pull_request_review", reviewEvent("dismissed", pr, { id: 71, reviewer: bob, state: "dismissed", commitSha: HEAD }));
    // One-second timeouts and Octokit's own retries of them: blocked well within a minute.
    await waitFor(() => run()?.conclusion === "failure", 45_000);
    expect(run()?.output.title).toBe("Could not evaluate: blocked until Countersign can");
    expect(run()?.output.summary).toContain("Countersign tries again automatically at");

    faults.hangReads = false;
    await waitFor(() => run()?.conclusion === "action_required", 30_000);
  }, 120_000);
});
