import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { commentEvent, pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { alice, bob, claude } from "../fixtures/people.js";
import type { FakePullRequest } from "../fakes/graphql-responses.js";
import { deliverWebhook, launchEnterpriseApp, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// The built app, signed webhooks, a fake GitHub Enterprise Server: an agent's pull request that moves
// a workflow out of `.github/workflows/` into the delegated `src/**` is judged by the path it deletes
// as well as the one it adds, so it is outside the scope and in the sensitive tier; a rename inside
// `src/` stays in scope.

const SECRET = "e2e-renamed-files-secret";
const WORKFLOW = ".github/workflows/security-scan.yml";

describe("renamed files, end to end", () => {
  const state = fakeGhesState();
  let running: EnterpriseApp | undefined;
  let delivery = 0;

  async function deliver(event: string, payload: Record<string, unknown>): Promise<void> {
    delivery += 1;
    const response = await deliverWebhook(running!.url, SECRET, event, `renamed-${delivery}`, payload);
    expect(response.status).toBe(200);
  }

  const latestOn = (headSha: string) => [...state.checkRuns.values()].filter((run) => run.head_sha === headSha).at(-1);

  /** Opens Claude's PR `number` on `head` changing src/index.ts, and has alice delegate it with `paths:src/**`. */
  async function delegatedPullRequest(number: number, head: string): Promise<FakePullRequest> {
    const pr: FakePullRequest = { number, author: claude, headSha: head, commits: [{ sha: head, message: "Implement the task", author: claude }], reviews: [], files: ["src/index.ts"] };
    state.pulls.set(number, pr);
    await deliver("pull_request", pullRequestEvent("opened", pr));
    await waitFor(() => latestOn(head) !== undefined);
    const replies = state.comments.length;
    await deliver("issue_comment", commentEvent({ number, onPullRequest: true, body: "/delegate SEC-7 paths:src/**", author: alice }));
    await waitFor(() => state.comments.length === replies + 1 && latestOn(head)?.output.summary.includes("`src/**`") === true);
    return pr;
  }

  /** Claude pushes `head`, which changes the files as `change` says; the synchronize event is delivered. */
  async function pushed(pr: FakePullRequest, head: string, change: (pr: FakePullRequest) => void): Promise<void> {
    pr.headSha = head;
    pr.commits.push({ sha: head, message: "Move the scan", author: claude });
    change(pr);
    await deliver("pull_request", pullRequestEvent("synchronize", pr));
    await waitFor(() => latestOn(head) !== undefined);
  }

  beforeAll(async () => {
    state.permissions.set("alice", "write");
    state.permissions.set("bob", "write");
    running = await launchEnterpriseApp(state, { webhookSecret: SECRET });
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
  });

  test("renaming .github/workflows/security-scan.yml to src/security-scan.yml blocks: outside the scope, and sensitive", async () => {
    const pr = await delegatedPullRequest(2, "a1".repeat(20));
    const head = "a2".repeat(20);
    await pushed(pr, head, (changed) => {
      changed.files.push("src/security-scan.yml");
      changed.renamedFrom = { "src/security-scan.yml": WORKFLOW };
    });

    const run = latestOn(head)!;
    expect(run.conclusion).toBe("failure");
    expect(run.output.title).toBe("Changes outside the delegated scope: 1 file");
    expect(run.output.summary).toContain(`- **Outside the scope** (1):\n  - \`${WORKFLOW}\` → \`src/security-scan.yml\``);
    expect(run.output.summary).toContain(`- **sensitive** (built-in): applies because the pull request changes \`${WORKFLOW}\` → \`src/security-scan.yml\`. Requires 2 approvals.`);
    // The old path came from the REST file list, read because GitHub's GraphQL list had a rename.
    expect(state.requests.filter((request) => request.url.startsWith("/api/v3/repos/Codertocat/Hello-World/pulls/2/files")).map((request) => request.url)).toEqual(["/api/v3/repos/Codertocat/Hello-World/pulls/2/files?per_page=100&page=1"]);
  });

  test("a rename within src/ stays in the scope: approved, it passes", async () => {
    const pr = await delegatedPullRequest(3, "b1".repeat(20));
    const fileLists = () => state.requests.filter((request) => request.url.startsWith("/api/v3/repos/Codertocat/Hello-World/pulls/3/files")).length;
    // Until it renames something, the pull request costs no REST file list.
    expect(fileLists()).toBe(0);
    const head = "b2".repeat(20);
    await pushed(pr, head, (changed) => {
      changed.files = ["src/main.ts"];
      changed.renamedFrom = { "src/main.ts": "src/index.ts" };
    });
    expect(latestOn(head)?.output.summary).toContain("- ✅ met: every changed file is within the delegation's paths (`src/**`)");

    pr.reviews.push({ id: 301, reviewer: bob, state: "APPROVED", commitSha: head, submittedAt: "2026-11-25T12:00:00Z" });
    await deliver("pull_request_review", reviewEvent("submitted", pr, { id: 301, reviewer: bob, state: "approved", commitSha: head }));
    await waitFor(() => latestOn(head)?.conclusion === "success");
    expect(latestOn(head)?.output.title).toBe("Countersigned: delegated by @alice, approved by @bob");
    expect(fileLists()).toBeGreaterThan(0);
  });
});
