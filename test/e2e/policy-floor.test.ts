import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { pullRequestGraphqlResponse, type FakePolicies, type FakePullRequest } from "../fakes/graphql-responses.js";
import { deliverWebhook, launchEnterpriseApp, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// The policy files as the running app reads them with a pull request (the repository's on the base
// branch, the organization `.github` repository's, in the one GraphQL query), over signed webhooks:
// the organization's file is a floor a repository's file cannot lower; a tier can be switched off
// with its name alone; compose.yaml is sensitive; and a huge policy file neither takes the app long
// to refuse nor stops it answering other webhooks.

const SECRET = "e2e-policy-floor-secret";
const ORG_FILE = "Codertocat/.github:.github/countersign.yml";
const REPO_FILE = "Codertocat/Hello-World:.github/countersign.yml";

/** Text as a reader sees it: the check run escapes punctuation in messages (`\\.`) and breaks mentions. */
const plain = (markdown: string) => markdown.replace(/\\(.)/g, "$1").replace(/\u200b/g, "");

/** 60,000 keys in one mapping, padded to 1 MB: the yaml package took 32 s to parse it. */
const HUGE_POLICY = Array.from({ length: 60_000 }, (_, index) => `k${index}: ${index}`)
  .join("\n")
  .padEnd(1024 * 1024, "#");

describe("the organization's policy as a floor, through the running app", () => {
  const state = fakeGhesState();
  const policies = new Map<number, FakePolicies>();
  /** When the app's pull-request query for each PR was answered. */
  const answered = new Map<number, number>();
  let running: EnterpriseApp | undefined;
  let delivery = 0;

  // The pull-request query is answered with the policy files of that PR's scenario (the fake GHES
  // itself answers with none).
  state.routes = (req: IncomingMessage, raw: string, res: ServerResponse) => {
    if (req.method !== "POST" || !req.url?.endsWith("/api/graphql")) return false;
    const body = JSON.parse(raw) as { query: string; variables: { number: number } };
    const pr = state.pulls.get(body.variables.number);
    const files = policies.get(body.variables.number);
    if (!pr || !files || !body.query.includes("query CountersignPullRequest(")) return false;
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(pullRequestGraphqlResponse(pr, files)));
    answered.set(body.variables.number, Date.now());
    return true;
  };

  function agentPullRequest(number: number, files: string[], files_: FakePolicies): FakePullRequest {
    const head = number.toString(16).padStart(2, "0").repeat(20);
    const pr: FakePullRequest = { number, author: claude, headSha: head, commits: [{ sha: head, message: "Agent change", author: claude }], reviews: [], files };
    state.pulls.set(number, pr);
    policies.set(number, files_);
    return pr;
  }

  async function open(pr: FakePullRequest): Promise<{ status: number; ms: number }> {
    delivery += 1;
    const started = Date.now();
    const response = await deliverWebhook(running!.url, SECRET, "pull_request", `floor-${delivery}`, pullRequestEvent("opened", pr));
    return { status: response.status, ms: Date.now() - started };
  }

  const runOn = (pr: FakePullRequest) => [...state.checkRuns.values()].find((run) => run.head_sha === pr.headSha);

  async function checkRunOf(pr: FakePullRequest): Promise<{ conclusion: string; title: string; summary: string }> {
    const response = await open(pr);
    expect(response.status).toBe(200);
    await waitFor(() => runOn(pr) !== undefined, 15_000);
    const run = runOn(pr)!;
    return { conclusion: run.conclusion, title: run.output.title, summary: run.output.summary };
  }

  beforeAll(async () => {
    running = await launchEnterpriseApp(state, { webhookSecret: SECRET });
  }, 30_000);

  afterAll(() => running?.stop());

  test("a repository file without _extends cannot lower the organization's approvals: the check blocks, naming the key and the organization's file", async () => {
    const pr = agentPullRequest(11, ["src/a.ts"], { organization: "approvals:\n  required: 2\n", repository: "approvals:\n  required: 1\n" });
    const run = await checkRunOf(pr);
    expect(run.conclusion).toBe("failure");
    expect(run.title).toBe("Invalid .github/countersign.yml: approvals.required");
    expect(run.summary).toContain("**Decision: blocked** — the Countersign policy that applies to this repository is invalid");
    const row = run.summary.split("\n").find((line) => line.includes("`approvals.required`")) ?? "";
    expect(row).toContain(`| \`${REPO_FILE}@main\` | \`approvals.required\` |`);
    expect(plain(row)).toContain(`1 is fewer than the organization's 2: the organization's policy (${ORG_FILE}) is a floor that a repository's file may only tighten`);
    // Recorded as a broken policy, with the problem (the audit event follows the check run).
    const invalidEvent = async () => ((await running!.database.rows(`SELECT payload FROM "AuditEvent" WHERE type = 'config.invalid' AND "subjectNumber" = 11`)) as Array<{ payload: string }>)[0];
    for (let tries = 0; !(await invalidEvent()) && tries < 200; tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(JSON.parse((await invalidEvent())?.payload ?? "{}")).toMatchObject({ problems: [{ file: `${REPO_FILE}@main`, path: "approvals.required", message: expect.stringContaining(ORG_FILE) }] });
  }, 30_000);

  test("a repository file that tightens the floor applies, and the evidence names the file that set each requirement", async () => {
    const org = ["approvals:", "  required: 2", "tiers:", "  - name: docs", "    when:", "      paths: [\"docs/**\"]", "    require:", "      approvals: 3", ""].join("\n");
    const repo = ["approvals:", "  required: 3", "scope:", "  base_branches: [main]", "tiers:", "  - name: api", "    when:", "      paths: [\"src/api/**\"]", "    require:", "      approvals: 4", ""].join("\n");
    const docsOnly = await checkRunOf(agentPullRequest(12, ["docs/guide.md"], { organization: org, repository: repo }));
    expect(docsOnly.conclusion).toBe("action_required");
    expect(docsOnly.summary).toContain("- ❌ not met: a named human owner _(delegation.required)_");
    expect(docsOnly.summary).toContain(`- ❌ not met: 3 independent approvals of the head commit (0 counted) _(approvals.required (${REPO_FILE}))_`);
    expect(docsOnly.summary).toContain(`_(scope.base\\_branches (${REPO_FILE}))_`);
    expect(docsOnly.summary).toContain(`policy: \`${ORG_FILE} extended by ${REPO_FILE}@main\``);

    const api = await checkRunOf(agentPullRequest(13, ["src/api/handler.ts"], { organization: org, repository: repo }));
    expect(api.summary).toContain(`- ❌ not met: 4 independent approvals of the head commit (0 counted) _(tier:api (${REPO_FILE}))_`);
  }, 30_000);

  test("the organization's tier applies to a repository whose file says nothing of it, named after the organization's file", async () => {
    const org = ["tiers:", "  - name: docs", "    when:", "      paths: [\"docs/**\"]", "    require:", "      approvals: 3", ""].join("\n");
    const run = await checkRunOf(agentPullRequest(14, ["docs/guide.md"], { organization: org, repository: "delegation:\n  implicit_owner: false\n" }));
    expect(run.summary).toContain("- **docs**: applies because the pull request changes `docs/guide.md`. Requires 3 approvals.");
    expect(run.summary).toContain(`_(tier:docs (${ORG_FILE}))_`);
  }, 30_000);

  test("a tier entry that only switches a tier off (name and enabled: false) is accepted", async () => {
    const org = ["tiers:", "  - name: docs-three", "    when:", "      paths: [\"docs/**\"]", "    require:", "      approvals: 3", "repositories_may_relax: [tiers.docs-three]", ""].join("\n");
    const run = await checkRunOf(agentPullRequest(15, ["docs/guide.md"], { organization: org, repository: "tiers:\n  - name: docs-three\n    enabled: false\n" }));
    expect(run.conclusion).toBe("action_required");
    expect(run.title).toBe("Needs a delegation");
    expect(run.summary).toContain("No tier applies: the policy's base requirements hold.");

    // Without the organization's permission, switching its tier off is a policy error.
    const refused = await checkRunOf(agentPullRequest(16, ["docs/guide.md"], { organization: org.replace("repositories_may_relax: [tiers.docs-three]\n", ""), repository: "tiers:\n  - name: docs-three\n    enabled: false\n" }));
    expect(refused).toMatchObject({ conclusion: "failure", title: "Invalid .github/countersign.yml: tiers[0].enabled" });
  }, 30_000);

  test("a change to compose.yaml is in the built-in sensitive tier", async () => {
    const run = await checkRunOf(agentPullRequest(17, ["compose.yaml"], { organization: null, repository: null }));
    expect(run.summary).toContain("- **sensitive** (built-in): applies because the pull request changes `compose.yaml`. Requires 2 approvals.");
    expect(run.summary).toContain("- ❌ not met: 2 independent approvals of the head commit (0 counted) _(tier:sensitive)_");
  }, 30_000);

  test("a 1 MB policy file is refused at once, naming the limit, and the app keeps answering other webhooks", async () => {
    const huge = agentPullRequest(18, ["src/a.ts"], { organization: null, repository: HUGE_POLICY });
    const other = agentPullRequest(19, ["src/b.ts"], { organization: null, repository: "approvals:\n  required: 2\n" });
    expect((await open(huge)).status).toBe(200);
    // Once the app has the huge file, another webhook arrives.
    await waitFor(() => answered.has(18), 15_000);
    const next = await open(other);
    expect(next.status).toBe(200);
    // Parsing the file took the old app 32 s, during which no webhook was answered.
    expect(next.ms).toBeLessThan(2_000);
    await waitFor(() => runOn(other) !== undefined && runOn(huge) !== undefined, 15_000);
    expect(runOn(other)?.output.summary).toContain(`2 independent approvals of the head commit (0 counted) _(approvals.required (${REPO_FILE}))_`);
    expect(runOn(huge)).toMatchObject({ conclusion: "failure", output: { title: "Invalid .github/countersign.yml: (file)" } });
    expect(plain(runOn(huge)?.output.summary ?? "")).toContain("| `(file)` | is 1,024 KiB; a policy file may be at most 64 KiB (65,536 bytes) |");
  }, 60_000);

  test("a policy file at the limits is parsed off the event loop: webhooks are answered meanwhile", async () => {
    // 2,999 keys (the most values allowed) in one mapping, about 30 KB: slow to parse, not refused by size.
    const heavy = Array.from({ length: 2_999 }, (_, index) => `k${index}: ${index}`).join("\n");
    const big = agentPullRequest(20, ["src/a.ts"], { organization: null, repository: heavy });
    const other = agentPullRequest(21, ["src/b.ts"], { organization: null, repository: null });
    expect((await open(big)).status).toBe(200);
    await waitFor(() => answered.has(20), 15_000);
    const next = await open(other);
    expect(next.ms).toBeLessThan(2_000);
    await waitFor(() => runOn(big) !== undefined && runOn(other) !== undefined, 15_000);
    // Every key is unknown: the policy is refused, key by key.
    expect(runOn(big)).toMatchObject({ conclusion: "failure", output: { title: "Invalid .github/countersign.yml: k0" } });
  }, 60_000);
});
