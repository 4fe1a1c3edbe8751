import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { erin } from "../fixtures/people.js";
import { pullRequestGraphqlResponse, type FakePolicies, type FakePullRequest } from "../fakes/graphql-responses.js";
import { deliverWebhook, launchEnterpriseApp, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// Agent-written text against the running app (`node lib/main.js`, signed webhooks, a fake GitHub
// Enterprise Server): a trailer after a long commit message is still read, and a configured pattern
// that backtracks in JavaScript's RegExp neither stalls the app nor is silently dropped; one that
// RE2 cannot run is a policy error naming its key.

const SECRET = "e2e-hostile-patterns-secret";
const CLAUDE_TRAILER = "Co-authored-by: Claude <noreply@anthropic.com>";

/** Text as a reader sees it: the check run escapes punctuation in messages and breaks mentions. */
const plain = (markdown: string) => markdown.replace(/\\(.)/g, "$1").replace(/\u200b/g, "");

describe("hostile commit messages and patterns, through the running app", () => {
  const state = fakeGhesState();
  const policies = new Map<number, FakePolicies>();
  const answered = new Map<number, number>();
  let running: EnterpriseApp | undefined;
  let delivery = 0;

  state.routes = (req: IncomingMessage, raw: string, res: ServerResponse) => {
    if (req.method !== "POST" || !req.url?.endsWith("/api/graphql")) return false;
    const body = JSON.parse(raw) as { query: string; variables: { number: number } };
    const pr = state.pulls.get(body.variables.number);
    if (!pr || !body.query.includes("query CountersignPullRequest(")) return false;
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(pullRequestGraphqlResponse(pr, policies.get(body.variables.number) ?? { organization: null, repository: null })));
    answered.set(body.variables.number, Date.now());
    return true;
  };

  /** erin's pull request (a person), one commit with `message`, under `repository` as its policy. */
  function humanPullRequest(number: number, message: string, repository: string | null = null): FakePullRequest {
    const head = number.toString(16).padStart(2, "0").repeat(20);
    const pr: FakePullRequest = { number, author: erin, headSha: head, commits: [{ sha: head, message, author: erin }], reviews: [], files: ["src/a.ts"] };
    state.pulls.set(number, pr);
    policies.set(number, { organization: null, repository });
    return pr;
  }

  async function open(pr: FakePullRequest): Promise<{ status: number; ms: number }> {
    delivery += 1;
    const started = Date.now();
    const response = await deliverWebhook(running!.url, SECRET, "pull_request", `hostile-${delivery}`, pullRequestEvent("opened", pr));
    return { status: response.status, ms: Date.now() - started };
  }

  const runOn = (pr: FakePullRequest) => [...state.checkRuns.values()].find((run) => run.head_sha === pr.headSha);

  async function checkRunOf(pr: FakePullRequest): Promise<{ conclusion: string; title: string; summary: string }> {
    expect((await open(pr)).status).toBe(200);
    await waitFor(() => runOn(pr) !== undefined, 15_000);
    const run = runOn(pr)!;
    return { conclusion: run.conclusion, title: run.output.title, summary: plain(run.output.summary) };
  }

  beforeAll(async () => {
    running = await launchEnterpriseApp(state, { webhookSecret: SECRET });
  }, 30_000);

  afterAll(() => running?.stop());

  test.each([
    ["after 70 KB of message", `Rework the parser\n\n${"Why the parser changed. ".repeat(3_000)}\n\n${CLAUDE_TRAILER}`],
    ["after 300 KB of message lines, then blank lines", `Rework the parser\n\n${"- one more detail of the change\n".repeat(10_000)}\n${CLAUDE_TRAILER}\n\n   \n\n`],
    ["folded onto a continuation line after 70 KB", `Rework the parser\n\n${"x".repeat(70 * 1024)}\n\nCo-authored-by: Claude\n  <noreply@anthropic.com>`],
  ])("a person's pull request whose commit names Claude as co-author %s needs an independent approval", async (_description, message) => {
    const number = 31 + delivery;
    const run = await checkRunOf(humanPullRequest(number, message));
    // The old app read only the first 64 KiB: "No agent activity", success.
    expect(run.conclusion).toBe("action_required");
    // erin opened it, so she is its owner; an agent helped, so someone else must approve.
    expect(run.title).toBe("Needs approval by someone other than @erin");
    expect(run.summary).toContain("agent-assisted");
    expect(run.summary).toMatch(/trailer `Co-authored-by: Claude <noreply@anthropic.com>`/);
  }, 30_000);

  test("a trailer pattern that backtracks exponentially in RegExp neither stalls the app nor stops matching", async () => {
    const policy = ["agents:", "  trailers:", "    - name: Release agent", "      key: X-Agent", "      pattern: \"^([a-z0-9]|[a-z-])+$\"", ""].join("\n");
    // 45 characters and a "!": JavaScript's RegExp takes minutes to fail this match.
    const hostile = humanPullRequest(41, `Tidy up\n\nX-Agent: ${"a".repeat(45)}!`, policy);
    const other = humanPullRequest(42, "Fix the widget", null);
    const matching = humanPullRequest(43, "Tidy up\n\nX-Agent: release-bot-2", policy);

    expect((await open(hostile)).status).toBe(200);
    await waitFor(() => answered.has(41), 15_000);
    // Another webhook is answered at once, and its check run written: the event loop is free.
    const next = await open(other);
    expect(next.status).toBe(200);
    expect(next.ms).toBeLessThan(2_000);
    await waitFor(() => runOn(other) !== undefined && runOn(hostile) !== undefined, 15_000);
    expect(runOn(other)?.output.title).toBe("No agent activity: nothing to countersign");
    // The value does not match the pattern: no agent.
    expect(runOn(hostile)?.output.title).toBe("No agent activity: nothing to countersign");
    // A value that matches marks the commit, so the pattern was applied, not dropped.
    const run = await checkRunOf(matching);
    expect(run.conclusion).toBe("action_required");
    expect(run.summary).toContain("Release agent");
  }, 60_000);

  test.each([
    ["a lookbehind", "(?<=acme-)bot", /lookarounds and backreferences cannot be matched in linear time/],
    ["a backreference", "^(\\\\w+)-\\\\1$", /lookarounds and backreferences cannot be matched in linear time/],
    ["a huge counted repetition", "[\\\\p{L}\\\\p{N}]{1,1000}x", /too large to match quickly/],
  ])("a trailer pattern with %s makes the policy invalid, naming the key", async (_description, pattern, reason) => {
    const policy = ["agents:", "  trailers:", "    - name: Release agent", "      key: X-Agent", `      pattern: "${pattern}"`, ""].join("\n");
    const run = await checkRunOf(humanPullRequest(51 + delivery, "Fix the widget", policy));
    expect(run.conclusion).toBe("failure");
    expect(run.title).toBe("Invalid .github/countersign.yml: agents.trailers[0].pattern");
    const row = run.summary.split("\n").find((line) => line.includes("`agents.trailers[0].pattern`")) ?? "";
    expect(row).toMatch(reason);
  }, 30_000);

  test("a glob that backtracks in picomatch's regular expressions neither stalls the app nor stops matching", async () => {
    const policy = ["tiers:", "  - name: hostile", "    when:", "      paths: [\"*a*a*a*a*a*a*a*a*b\"]", "    require:", "      approvals: 3", ""].join("\n");
    // Claude co-wrote both: an agent-assisted pull request, so its tiers are judged.
    const message = `Change\n\n${CLAUDE_TRAILER}`;
    const hostile = humanPullRequest(71, message, policy);
    hostile.files = ["a".repeat(40)];
    const matching = humanPullRequest(72, message, policy);
    matching.files = [`${"a".repeat(39)}b`];
    const other = humanPullRequest(73, "Fix the widget", null);

    expect((await open(hostile)).status).toBe(200);
    await waitFor(() => answered.has(71), 15_000);
    // picomatch's expression took 5 s on this 40-character name, with the event loop stopped.
    const next = await open(other);
    expect(next.ms).toBeLessThan(2_000);
    await waitFor(() => runOn(other) !== undefined && runOn(hostile) !== undefined, 15_000);
    expect(plain(runOn(hostile)?.output.summary ?? "")).toContain("No tier applies");
    const run = await checkRunOf(matching);
    expect(run.summary).toContain("- **hostile**: applies because the pull request changes");
    expect(run.summary).toContain("Requires 3 approvals.");
  }, 60_000);

  test("a glob RE2 cannot express makes the policy invalid, naming the key and why", async () => {
    const policy = ["tiers:", "  - name: not-main", "    when:", "      paths: [\"src/!(generated)/**\"]", "    require:", "      approvals: 2", ""].join("\n");
    const run = await checkRunOf(humanPullRequest(74, `Change\n\n${CLAUDE_TRAILER}`, policy));
    expect(run.conclusion).toBe("failure");
    expect(run.title).toBe("Invalid .github/countersign.yml: tiers[0].when.paths[0]");
    expect(run.summary).toMatch(/not a valid glob: .*!\(/);
  }, 30_000);

  test("a ticket pattern RE2 cannot run makes the policy invalid, naming the key", async () => {
    const policy = ["delegation:", "  task:", "    ticket_pattern: \"^(?!TMP-)[A-Z]+-\\\\d+$\"", ""].join("\n");
    const run = await checkRunOf(humanPullRequest(61, "Fix the widget", policy));
    expect(run.conclusion).toBe("failure");
    expect(run.title).toBe("Invalid .github/countersign.yml: delegation.task.ticket_pattern");
    expect(run.summary).toMatch(/lookarounds and backreferences cannot be matched in linear time/);
  }, 30_000);
});
