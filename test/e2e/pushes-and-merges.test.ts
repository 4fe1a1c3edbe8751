import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import type { AuditExportRecord } from "../../src/cli/audit/export.js";
import { pullRequestEvent, pushEvent } from "../fixtures/payloads.js";
import { admin, claude, erin } from "../fixtures/people.js";
import { deliverWebhook, httpRequest, launchEnterpriseApp, root, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// Through `npm start`'s process, signed webhooks over HTTP, a fake GitHub Enterprise Server: an agent
// pushes a commit that claims a person as author and committer into that person's pull request, and
// an administrator merges an agent's pull request past the blocking check.

const SECRET = "e2e-pushes-merges-secret";
const EVIDENCE_SECRET = "an-evidence-signing-secret-of-at-least-32-chars";
const FIRST = "a1".repeat(20);
const FORGED = "f0".repeat(20);
const AGENT_HEAD = "e7".repeat(20);
const run = promisify(execFile);

describe("agents' pushes and merges that bypass the gate, as deployed", () => {
  const state = fakeGhesState();
  const activityReads: string[] = [];
  let app: EnterpriseApp | undefined;
  let delivery = 0;

  const deliver = async (event: string, payload: unknown) => {
    delivery += 1;
    const response = await deliverWebhook(app!.url, SECRET, event, `pm-${delivery}`, payload);
    expect(response.status).toBe(200);
  };
  const runOn = (sha: string) => [...state.checkRuns.values()].filter((candidate) => candidate.head_sha === sha).at(-1);

  beforeAll(async () => {
    // GitHub's activity log for a branch: nothing the app missed, in this story.
    state.routes = (req, _raw, res) => {
      if (req.method !== "GET" || !/\/activity(\?|$)/.test(req.url ?? "")) return false;
      activityReads.push(req.url ?? "");
      res.writeHead(200, { "content-type": "application/json" });
      res.end("[]");
      return true;
    };
    app = await launchEnterpriseApp(state, { webhookSecret: SECRET, extra: (url) => ({ COUNTERSIGN_PUBLIC_URL: url, COUNTERSIGN_EVIDENCE_SECRET: EVIDENCE_SECRET }) });
  }, 30_000);

  afterAll(async () => {
    await app?.stop();
  });

  test("an agent's forged-author push into a person's pull request blocks it, and the evidence names the push and the pusher", async () => {
    state.pulls.set(30, { number: 30, author: erin, headRef: "erin/ledger", headSha: FIRST, commits: [{ sha: FIRST, message: "Add the ledger export", author: erin }], reviews: [], files: ["src/ledger.ts"] });
    await deliver("pull_request", pullRequestEvent("opened", state.pulls.get(30)!));
    await waitFor(() => runOn(FIRST) !== undefined);
    expect(runOn(FIRST)?.conclusion).toBe("success");
    expect(activityReads).toEqual([expect.stringContaining("/repos/Codertocat/Hello-World/activity?ref=refs%2Fheads%2Ferin%2Fledger")]);

    // The push webhook and the synchronize of one git push by claude[bot]; the commit says "erin".
    const pr = state.pulls.get(30)!;
    pr.headSha = FORGED;
    pr.commits.push({ sha: FORGED, message: "Tidy the export", author: erin });
    await deliver("push", { ...pushEvent({ ref: "refs/heads/erin/ledger", after: FORGED, sender: claude, commits: [{ id: FORGED, message: "Tidy the export" }] }), before: FIRST, forced: true });
    await deliver("pull_request", pullRequestEvent("synchronize", pr, claude));
    await waitFor(() => runOn(FORGED) !== undefined);

    const blocked = runOn(FORGED)!;
    expect(blocked.conclusion).toBe("action_required");
    expect(blocked.output.summary).toContain("**Agent-assisted**: a person opened the pull request, and an agent pushed to its branch");
    expect(blocked.output.summary).toMatch(/force-pushed to this branch by @claude\\\[bot\\\] \(id 209825114\), \*\*Claude\*\*: `a1a1a1a` → `f0f0f0f`/);

    // The evidence page (the check run's Details link) tells the push, by whom.
    const deadline = Date.now() + 10_000;
    let page = await httpRequest(blocked.details_url!);
    while (!page.body.includes("Agent pushes") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      page = await httpRequest(blocked.details_url!);
    }
    expect(page.body).toContain("Agent pushes");
    expect(page.body).toMatch(/@claude\[bot\].{0,80}force-pushed/);
  });

  test("an administrator's merge of a blocked agent pull request is recorded, commented, shown on the check run and exported", async () => {
    state.pulls.set(50, { number: 50, author: claude, headRef: "claude/retries", headSha: AGENT_HEAD, commits: [{ sha: AGENT_HEAD, message: "Add retries", author: claude }], reviews: [], files: ["src/retry.ts"] });
    await deliver("pull_request", pullRequestEvent("opened", state.pulls.get(50)!));
    // Merged once the evaluation has finished (its decision recorded), not as soon as its check run is on GitHub.
    const opened = `"deliveryId":"pm-${delivery}"`;
    await waitFor(() => runOn(AGENT_HEAD)?.conclusion === "action_required" && app!.output.join("").split("\n").some((line) => line.includes("countersign: evaluated pull request") && line.includes(opened)));

    const merged = pullRequestEvent("closed", { ...state.pulls.get(50)!, state: "closed" }, admin);
    Object.assign(merged.pull_request, { merged: true, merged_at: "2026-11-25T14:00:00Z", closed_at: "2026-11-25T14:00:00Z", merge_commit_sha: "9c".repeat(20), merged_by: { ...merged.sender } });
    await deliver("pull_request", merged);
    await waitFor(() => runOn(AGENT_HEAD)?.conclusion === "failure" && state.comments.some((comment) => comment.issue === 50));

    expect(runOn(AGENT_HEAD)?.output.title).toBe("Merged without a countersign");
    const comment = state.comments.find((candidate) => candidate.issue === 50)!;
    expect(comment.body).toContain("@root-admin (id 1009) merged this agent-touched pull request without a success from Countersign");
    expect(comment.body).toContain("`Countersign` is a required check on the base branch, so the merge bypassed the rules");

    const metrics = await httpRequest(`${app!.url}/metrics`);
    expect(metrics.body).toContain('countersign_merges_total{outcome="unverified"} 1');

    // `countersign audit export`, as an operator runs it, beside the running app.
    const exported = await run(process.execPath, [path.join(root, "lib/bin.js"), "audit", "export", "--repo", "Codertocat/Hello-World"], { cwd: root, env: { PATH: process.env.PATH, DATABASE_URL: app!.database.url } });
    const records = exported.stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as AuditExportRecord);
    expect(records.find((record) => record.pullRequest === 50)?.merge).toMatchObject({ mergedBy: "root-admin", headSha: AGENT_HEAD, verified: false, bypassed: true, decision: { conclusion: "action_required" } });
    expect(records.find((record) => record.pullRequest === 30)?.agentPushes).toEqual([expect.objectContaining({ pusher: { login: "claude[bot]", id: claude.id }, forced: true, after: FORGED })]);
  });
});
