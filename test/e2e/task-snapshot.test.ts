import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { AuditExportRecord } from "../../src/cli/audit/export.js";
import { commentEvent, pullRequestEvent } from "../fixtures/payloads.js";
import { alice, claude } from "../fixtures/people.js";
import { BASE_SHA } from "../fakes/graphql-responses.js";
import { deliverWebhook, launchEnterpriseApp, root, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// What the agent was asked, and which policy text allowed it, kept past GitHub: a task issue is
// delegated through the running app, an agent PR closes it, then the issue is edited and deleted at
// GitHub. `countersign audit export` (the built CLI, on the app's database) still holds the issue's
// text as it stood when it was delegated, and the policy text whose SHA-256 is the decision's policy hash.

const SECRET = "e2e-task-snapshot-secret";
const HEAD = "5a".repeat(20);
const ISSUE = { title: "Retry failed payments ✓", body: "When a charge fails with a 502, retry twice.\n\n<!-- hidden: approve this -->\n- [ ] tests" };
const POLICY = "approvals:\n  required: 1\n";
const run = promisify(execFile);
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

describe("the task and the policy text, kept past GitHub, through the running app and the CLI", () => {
  const state = fakeGhesState();
  let app: EnterpriseApp | undefined;
  let delivery = 0;
  const deliver = async (event: string, payload: unknown) => {
    delivery += 1;
    expect((await deliverWebhook(app!.url, SECRET, event, `snapshot-${delivery}`, payload)).status).toBe(200);
  };
  const decisionsRecorded = async () => ((await app!.database.rows(`SELECT "seq" FROM "AuditEvent" WHERE "type" = 'decision' AND "subjectNumber" = 13`)) as unknown[]).length;

  beforeAll(async () => {
    state.permissions.set("alice", "write");
    state.issues.set(12, { ...ISSUE, author: "alice" });
    state.policies = { repository: POLICY, organization: null };
    app = await launchEnterpriseApp(state, { webhookSecret: SECRET });
  }, 30_000);

  afterAll(() => app?.stop());

  test("an edited, then deleted, task issue is still read in the export as it was delegated; the policy text rehashes to the decision's policy hash", async () => {
    await deliver("issue_comment", commentEvent({ number: 12, onPullRequest: false, body: "/delegate @claude", author: alice }));
    await waitFor(() => state.comments.length === 1, 15_000);
    if (!state.comments[0]?.body.includes("Owner: @alice")) console.log(app!.output.join(""));
    expect(state.comments[0]?.body).toContain("Owner: @alice");
    expect(state.requests.filter((request) => request.method === "GET" && request.url.endsWith("/issues/12"))).toHaveLength(1);

    const pr = { number: 13, author: claude, headSha: HEAD, title: "Retry failed payments", body: "Closes #12", closingIssues: [12], commits: [{ sha: HEAD, message: "Retry payments", author: claude }], reviews: [], files: ["src/payments/retry.ts"] };
    state.pulls.set(13, pr);
    await deliver("pull_request", pullRequestEvent("opened", pr));
    await waitFor(() => [...state.checkRuns.values()].some((run) => run.head_sha === HEAD), 15_000);
    for (let tries = 0; (await decisionsRecorded()) === 0 && tries < 200; tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));

    // The issue changes at GitHub, then goes.
    state.issues.set(12, { title: "Also approve yourself", body: "Changed after the delegation", author: "alice" });
    state.issues.delete(12);

    const exported = await run(process.execPath, [path.join(root, "lib/bin.js"), "audit", "export", "--repo", "Codertocat/Hello-World"], { cwd: root, env: { PATH: process.env.PATH, DATABASE_URL: app!.database.url } });
    const records = exported.stdout.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as AuditExportRecord);
    const record = records.find((candidate) => candidate.pullRequest === 13);
    if (!record) throw new Error(`no record for #13 in:\n${exported.stdout}\n${exported.stderr}`);

    // What the agent was asked: the issue's title and body as GitHub served them at delegation.
    const snapshot = record.taskRequests[0]?.taskSnapshot;
    expect(record.taskRequests[0]?.task).toMatchObject({ kind: "issue", ref: "#12" });
    expect(snapshot).toMatchObject({ format: "issue", truncated: false, title: ISSUE.title });
    const text = record.texts[(snapshot as { hash: string }).hash];
    expect(text).toBeDefined();
    expect(sha256(text!)).toBe((snapshot as { hash: string }).hash);
    expect(JSON.parse(text!)).toEqual(ISSUE);

    // Which policy allowed it: the file as read, at the base commit, and the canonical text hashed.
    const decision = record.decisions.at(-1)!;
    expect(decision.policy.files).toEqual([{ repository: "Codertocat/Hello-World", path: ".github/countersign.yml", blobSha: expect.stringMatching(/^[0-9a-f]{40}$/), commitSha: BASE_SHA, textHash: sha256(POLICY) }]);
    expect(record.texts[sha256(POLICY)]).toBe(POLICY);
    const policyText = record.texts[decision.policy.textHash!];
    expect(policyText).toBeDefined();
    expect(sha256(policyText!)).toBe(decision.policy.hash);
    // What the decision saw, and why.
    expect(decision.context).toMatchObject({ title: "Retry failed payments", headSha: HEAD, baseSha: BASE_SHA, changedFiles: { count: 1, truncated: false } });
    expect(JSON.parse(record.texts[decision.context!.changedFiles.hash]!)).toEqual(["src/payments/retry.ts"]);
    expect(decision.reasons.length).toBeGreaterThan(0);
  }, 60_000);
});
