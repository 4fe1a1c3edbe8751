import { execFile, execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { stringify } from "yaml";
import type { AuditExportRecord } from "../../src/cli/audit/export.js";
import { openDatabase } from "../../src/db/client.js";
import { createDelegation } from "../../src/db/delegations.js";
import { INSTALLATION_ID, issueEvent, pullRequestEvent, pushEvent, REPO } from "../fixtures/payloads.js";
import { bob, erin } from "../fixtures/people.js";
import { renderedText } from "../helpers/github-markdown.js";
import { startTestIssuer, type TestIssuer } from "../helpers/oidc-issuer.js";
import { appPrivateKey, deliverWebhook, httpRequest, launchEnterpriseApp, root, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// POST /countersign/credentials on the running app (`node lib/main.js`), over HTTP: the exchange of a
// workload's OIDC token for a credential-app token, and the refusals a workload can meet, each a JSON
// error with its reason code, each recorded in the audit log; neither the database nor the logs ever
// hold the JWT or the issued token. The issuer's key set is served over https on
// loopback (the policy accepts only https key sets), its certificate trusted through NODE_EXTRA_CA_CERTS.

const execFileAsync = promisify(execFile);
const SECRET = "e2e-credentials-secret";
const ACTIONS = "https://token.actions.githubusercontent.com";
const AUDIENCE = "https://countersign.e2e.test";
const OWNER_ID = REPO.payload.owner.id as number;
const WORKFLOW_REF = `${REPO.fullName}/.github/workflows/agent.yml@refs/heads/main`;

const dir = mkdtempSync(path.join(tmpdir(), "countersign-credentials-"));
const keyFile = path.join(dir, "key.pem");
const certFile = path.join(dir, "cert.pem");
execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyFile, "-out", certFile], { stdio: "ignore" });

/** A GitHub contents-API answer holding `text`. */
function fileAnswer(text: string): Record<string, unknown> {
  return { type: "file", size: Buffer.byteLength(text), encoding: "base64", content: Buffer.from(text).toString("base64") };
}

function json(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
  return true;
}

function post(app: EnterpriseApp, token: string | null, body: unknown, headers: Record<string, string> = {}) {
  return httpRequest(`${app.url}/countersign/credentials`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Everything the app stored, as bytes an operator could read: the SQLite file(s), or every row of PostgreSQL. */
async function storedText(app: EnterpriseApp): Promise<string> {
  if (app.database.provider === "sqlite") {
    const file = app.database.url.replace(/^file:/, "");
    return [file, `${file}-wal`, `${file}-journal`].filter((candidate) => existsSync(candidate)).map((candidate) => readFileSync(candidate).toString("latin1")).join("\n");
  }
  const tables = ["AuditEvent", "WorkloadTokenUse", "Delegation", "IssuedCredential"];
  const rows = await Promise.all(tables.map((table) => app.database.rows(`SELECT * FROM "${table}"`)));
  return JSON.stringify(rows, (_key, value: unknown) => (typeof value === "bigint" ? String(value) : value));
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the credential route without a credential app", () => {
  let running: EnterpriseApp | undefined;
  beforeAll(async () => {
    running = await launchEnterpriseApp(fakeGhesState(), { webhookSecret: SECRET, extra: () => ({ COUNTERSIGN_CREDENTIALS_RATE_PER_MINUTE: "5" }) });
  }, 30_000);
  afterAll(() => running?.stop());

  test("requests claiming one issuer are limited per minute (429 rate_limited), and another issuer's still get through", async () => {
    const claiming = (iss: string) => `${Buffer.from(JSON.stringify({ alg: "RS256" })).toString("base64url")}.${Buffer.from(JSON.stringify({ iss })).toString("base64url")}.c2ln`;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) statuses.push((await post(running!, claiming("https://flood.example"), { repository: REPO.fullName, pull_request: 7 })).status);
    expect(statuses.slice(0, 5)).toEqual([503, 503, 503, 503, 503]);
    const limited = await post(running!, claiming("https://flood.example"), { repository: REPO.fullName, pull_request: 7 });
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body)).toMatchObject({ error: "rate_limited" });
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect((await post(running!, claiming("https://other.example"), { repository: REPO.fullName, pull_request: 7 })).status).toBe(503);
  });

  test("answers not_configured (503), and refuses a malformed request before that", async () => {
    const refused = await post(running!, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", { repository: REPO.fullName, pull_request: 7 });
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toEqual({ error: "not_configured", message: expect.stringContaining("no credential app") });
    expect((await post(running!, null, { repository: REPO.fullName, pull_request: 7 })).status).toBe(401);
    expect(JSON.parse((await post(running!, "x.y.z", { repository: REPO.fullName })).body)).toMatchObject({ error: "bad_request" });
    expect((await post(running!, "x.y.z", "x".repeat(5000))).status).toBe(413);
    expect((await httpRequest(`${running!.url}/countersign/credentials`)).status).toBe(405);
  });
});

describe("the credential route with a credential app configured", () => {
  const state = fakeGhesState();
  const policy = {
    credentials: {
      issuers: [{ issuer: ACTIONS, jwks_url: "", audience: AUDIENCE }],
      permissions: { contents: "write", pull_requests: "write" },
      max_ttl: "30m",
      agents: [{ agent: "claude[bot]", issuer: ACTIONS, workflow: ".github/workflows/agent.yml", permissions: { contents: "write", pull_requests: "write" } }],
    },
  };
  let issuer: TestIssuer;
  let running: EnterpriseApp | undefined;
  const presented: string[] = [];
  let jti = 0;

  // What the exchange reads through the main app: the repository by id, the organization's policy
  // (the repository has no file of its own), and the pull request the delegation was given on.
  state.routes = (req: IncomingMessage, _raw: string, res: ServerResponse) => {
    const url = decodeURIComponent(req.url ?? "");
    if (req.method !== "GET") return false;
    if (url === `/api/v3/repositories/${REPO.id}`) return json(res, 200, { id: REPO.id, full_name: REPO.fullName, owner: { id: OWNER_ID, login: REPO.owner }, default_branch: "main" });
    if (url.startsWith(`/api/v3/repos/${REPO.owner}/.github/contents/.github/countersign.yml`)) return json(res, 200, fileAnswer(stringify(policy)));
    if (url.startsWith(`/api/v3/repos/${REPO.owner}/${REPO.name}/contents/`)) return json(res, 404, { message: "Not Found" });
    if (url === `/api/v3/repos/${REPO.owner}/${REPO.name}/issues/7`) return json(res, 200, { number: 7, state: "open", user: { login: "claude[bot]" } });
    // The task issue a later delegation is given on.
    if (url === `/api/v3/repos/${REPO.owner}/${REPO.name}/issues/12`) return json(res, 200, { number: 12, state: "open", user: { login: "alice" } });
    return false;
  };
  // The credential app: installed on the repository (installation 9999), minting what it is asked.
  const mints: Array<{ authorization: string; body: { repository_ids: number[]; permissions: Record<string, string> } }> = [];
  const issuedTokens: string[] = [];
  const readPolicy = state.routes;
  state.routes = (req, raw, res) => {
    const url = req.url ?? "";
    if (req.method === "GET" && url === `/api/v3/repos/${REPO.owner}/${REPO.name}/installation`) {
      return json(res, 200, { id: 9999, app_id: 5151, permissions: { contents: "write", pull_requests: "write", metadata: "read" } });
    }
    if (req.method === "POST" && url === "/api/v3/app/installations/9999/access_tokens") {
      const body = JSON.parse(raw) as (typeof mints)[number]["body"];
      mints.push({ authorization: String(req.headers.authorization), body });
      const token = `ghs_${randomBytes(18).toString("hex")}`;
      issuedTokens.push(token);
      return json(res, 201, { token, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: body.permissions, repository_selection: "selected" });
    }
    // The credential app itself (its JWT): its slug, so its bot is an agent identity.
    if (req.method === "GET" && url === "/api/v3/app") {
      slugReads.push(String(req.headers.authorization));
      return json(res, 200, { id: 5151, slug: "countersign-agents", name: "Countersign agents" });
    }
    if (req.method === "DELETE" && url === "/api/v3/installation/token") {
      revocations.push(String(req.headers.authorization));
      res.writeHead(204);
      res.end();
      return true;
    }
    return readPolicy(req, raw, res);
  };
  const revocations: string[] = [];
  const slugReads: string[] = [];
  // The delegator can write: every sweep reads it, through the main app, and keeps the credentials.
  state.permissions.set("alice", "write");

  async function token(overrides: Record<string, unknown> = {}, options: Parameters<TestIssuer["sign"]>[1] = {}): Promise<string> {
    jti += 1;
    const now = Math.floor(Date.now() / 1000);
    const signed = await issuer.sign(
      { iss: ACTIONS, aud: AUDIENCE, sub: `repo:${REPO.fullName}:ref:refs/heads/main`, repository: REPO.fullName, repository_id: String(REPO.id), repository_owner_id: String(OWNER_ID), workflow_ref: WORKFLOW_REF, job_workflow_ref: WORKFLOW_REF, run_id: "4242", actor: "alice", iat: now - 5, exp: now + 300, jti: `e2e-${jti}-${randomBytes(4).toString("hex")}`, ...overrides },
      options,
    );
    presented.push(signed);
    return signed;
  }

  beforeAll(async () => {
    issuer = await startTestIssuer({ tls: { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8") } });
    policy.credentials.issuers[0]!.jwks_url = issuer.jwksUrl;
    running = await launchEnterpriseApp(state, {
      webhookSecret: SECRET,
      extra: (url) => ({ COUNTERSIGN_PUBLIC_URL: url, COUNTERSIGN_EVIDENCE_SECRET: "an-evidence-signing-secret-of-at-least-32-chars", COUNTERSIGN_CREDENTIAL_APP_ID: "5151", COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY: appPrivateKey(), COUNTERSIGN_CREDENTIAL_TOKEN_KEY: randomBytes(32).toString("base64"), COUNTERSIGN_CREDENTIAL_SWEEP_SECONDS: "1", NODE_EXTRA_CA_CERTS: certFile }),
    });
    const opened = await openDatabase(running.database.url, { migrate: false });
    try {
      await createDelegation(
        opened.db,
        {
          installationId: INSTALLATION_ID,
          repo: { id: REPO.id, fullName: REPO.fullName },
          subjectType: "pull_request",
          subjectNumber: 7,
          owner: { id: 1001, login: "alice" },
          agent: { id: 209825114, login: "claude[bot]" },
          task: { kind: "ticket", ref: "SEC-142", url: null },
          scopePaths: [],
          scopeBranches: [],
          expiresAt: null,
          agentInventory: [],
          comment: { id: 1, url: `${REPO.htmlUrl}/pull/7#issuecomment-1` },
        },
        new Date(),
      );
    } finally {
      await opened.close();
    }
  }, 30_000);

  afterAll(async () => {
    await running?.stop();
    await issuer?.close();
  });

  const body = { repository: REPO.fullName, pull_request: 7 };

  test("a forged signature is invalid_token (401)", async () => {
    const response = await post(running!, await token({}, { key: await issuer.forgerKey() }), body);
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: "invalid_token", message: expect.stringContaining("signature") });
  });

  test("a token from an issuer the policy does not trust is unknown_issuer (401)", async () => {
    const response = await post(running!, await token({ iss: "https://issuer.attacker.example" }), body);
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: "unknown_issuer" });
  });

  test("a token for another audience is wrong_audience, a delegation that does not exist no_delegation", async () => {
    expect(JSON.parse((await post(running!, await token({ aud: "https://elsewhere.example" }), body)).body)).toMatchObject({ error: "wrong_audience" });
    const none = await post(running!, await token(), { repository: REPO.fullName, pull_request: 8 });
    expect(none.status).toBe(404);
    expect(JSON.parse(none.body)).toMatchObject({ error: "no_delegation" });
  });

  test("a valid token is exchanged for a token of the credential app, for this repository only, recorded before it is returned; presented again it is replayed", async () => {
    const valid = await token();
    const first = await post(running!, valid, { ...body, permissions: { contents: "write" } });
    expect(first.status).toBe(201);
    const issued = JSON.parse(first.body) as { token: string; expires_at: string; github_expires_at: string; permissions: Record<string, string>; credential: string; delegation: string };
    expect(issued).toMatchObject({ token: issuedTokens[0], permissions: { contents: "write" }, repository: REPO.fullName, delegation: expect.stringMatching(/^dlg_/), credential: expect.stringMatching(/^cred_/) });
    // max_ttl (30m) ends it before GitHub's hour.
    expect(Date.parse(issued.expires_at) - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    expect(Date.parse(issued.github_expires_at)).toBeGreaterThan(Date.parse(issued.expires_at));
    expect(mints).toEqual([{ authorization: expect.stringMatching(/^bearer eyJ/i), body: { repository_ids: [REPO.id], permissions: { contents: "write" } } }]);
    const recorded = await running!.database.rows(`SELECT "payload" FROM "AuditEvent" WHERE "type" = 'credential.issued'`);
    expect(recorded).toHaveLength(1);
    const payload = JSON.parse(String(recorded[0]?.payload)) as Record<string, unknown>;
    expect(payload).toMatchObject({ credentialId: issued.credential, delegationId: issued.delegation, agent: "claude[bot]", granted: { contents: "write" }, workload: { repository_id: String(REPO.id), run_id: "4242" } });
    expect(payload.tokenSha256).toBe(createHash("sha256").update(issued.token).digest("hex"));
    expect(payload.hashedToken).toBe(createHash("sha256").update(issued.token).digest("base64"));

    const again = await post(running!, valid, body);
    expect(again.status).toBe(401);
    expect(JSON.parse(again.body)).toMatchObject({ error: "replayed" });
  });

  test("a workflow from another branch is claims_mismatch (403)", async () => {
    const response = await post(running!, await token({ workflow_ref: `${REPO.fullName}/.github/workflows/agent.yml@refs/heads/feature` }), body);
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ error: "claims_mismatch" });
  });

  test("permissions beyond the workload's are permissions_exceed_policy (403), and nothing is minted", async () => {
    const before = mints.length;
    const response = await post(running!, await token(), { ...body, permissions: { issues: "write" } });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ error: "permissions_exceed_policy" });
    expect(mints.length).toBe(before);
  });

  test("a push by the credential app's bot into a person's pull request (a commit authored as the person, no trailer) makes it agent-touched, and its summary names the credential", async () => {
    // The credential issued above is still live (it ends with the delegation, revoked below).
    const bot = { id: 91919191, login: "countersign-agents[bot]", type: "Bot" as const };
    const first = "c1".repeat(20);
    const pushed = "c2".repeat(20);
    state.pulls.set(7, { number: 7, author: erin, headRef: "erin/ledger", headSha: first, commits: [{ sha: first, message: "Add the ledger export", author: erin }], reviews: [], files: ["src/ledger.ts"] });
    const pr = state.pulls.get(7)!;
    pr.headSha = pushed;
    pr.commits.push({ sha: pushed, message: "Tidy the export", author: erin });
    expect((await deliverWebhook(running!.url, SECRET, "pull_request", "cred-bot-1", pullRequestEvent("synchronize", pr, bot))).status).toBe(200);
    const runOn = (sha: string) => [...state.checkRuns.values()].filter((candidate) => candidate.head_sha === sha).at(-1);
    await waitFor(() => runOn(pushed) !== undefined);
    const summary = runOn(pushed)!.output.summary;
    expect(summary).toContain("**Agent-assisted**: a person opened the pull request, and an agent pushed to its branch");
    expect(summary).toContain("**Countersign credential app**");
    expect(summary).toMatch(/pushed with the credential `cred_[0-9a-f]{16}` \(delegation `dlg_[0-9a-f]+`, run `4242`, workflow `Codertocat\/Hello-World\/\.github\/workflows\/agent\.yml@refs\/heads\/main`\)/);
    expect(slugReads).toHaveLength(1);

    // The evidence page behind the check run's Details link names the credential that pushed, as the
    // push's audit event recorded it, beside the credential itself.
    const [credential] = await running!.database.rows(`SELECT "id", "delegationId" FROM "IssuedCredential"`);
    const page = await httpRequest(String(runOn(pushed)!.details_url));
    expect(page.status).toBe(200);
    expect(page.body).toContain(`c2c2c2c</code> to <code>erin/ledger</code>, with credential ${String(credential?.id)} (delegation ${String(credential?.delegationId)})`);
    expect(page.body).toContain("Credentials");
    for (const issued of issuedTokens) expect(page.body.includes(issued)).toBe(false);
  });

  test("a push by the credential app's bot to a branch its delegation does not cover gets a failing check run on the pushed commit naming the credential", async () => {
    const bot = { id: 91919191, login: "countersign-agents[bot]", type: "Bot" as const };
    const stray = "c3".repeat(20);
    expect((await deliverWebhook(running!.url, SECRET, "push", "cred-bot-stray", pushEvent({ ref: "refs/heads/release/1.0", after: stray, sender: bot }))).status).toBe(200);
    const runOn = (sha: string) => [...state.checkRuns.values()].filter((candidate) => candidate.head_sha === sha).at(-1);
    await waitFor(() => runOn(stray) !== undefined);
    const run = runOn(stray)!;
    expect(run.conclusion).toBe("failure");
    expect(run.output.title).toBe("Push with an issued credential outside its delegation");
    expect(run.output.summary).toMatch(/delegation `dlg_[0-9a-f]+` was given on pull request #7, whose branch is `erin\/ledger`, not `release\/1\.0`/);
    expect(run.output.summary).toMatch(/`cred_[0-9a-f]{16}` under delegation `dlg_[0-9a-f]+` \(run `4242`/);
  });

  test("a delegation revoked (as /delegate revoke, a merge or a close leaves it) revokes the issued token at GitHub with exactly that token, and the chain says so", async () => {
    expect(issuedTokens).toHaveLength(1);
    await running!.database.rawSql(`UPDATE "Delegation" SET "status" = 'revoked', "revokeReason" = 'done' WHERE "status" = 'active'`);
    await waitFor(() => revocations.length > 0, 10_000);
    expect(revocations).toEqual([`token ${issuedTokens[0]}`]);
    let events: Array<Record<string, unknown>> = [];
    for (let tries = 0; events.length === 0 && tries < 100; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      events = await running!.database.rows(`SELECT "payload" FROM "AuditEvent" WHERE "type" = 'credential.revoked'`);
    }
    expect(JSON.parse(String(events[0]?.payload))).toMatchObject({ trigger: "delegation_revoked", delegationReason: "done", github: "HTTP 204" });
    const [row] = await running!.database.rows(`SELECT "endedAs", "encryptedToken" FROM "IssuedCredential"`);
    expect(row).toEqual({ endedAs: "revoked", encryptedToken: null });
  });

  test("the audit export and the evidence tell the credential: its workload, permissions, window and revocation, and never the token", async () => {
    const cli = (args: string[]) => execFileAsync(process.execPath, [path.join(root, "lib/bin.js"), ...args], { cwd: root, env: { PATH: process.env.PATH, DATABASE_URL: running!.database.url } });
    const exported = await cli(["audit", "export", "--repo", REPO.fullName]);
    const records = exported.stdout.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as AuditExportRecord);
    const record = records.find((candidate) => candidate.pullRequest === 7);
    expect(record?.credentialHolder).toBe("countersign");
    expect(record?.issuedCredentials).toEqual([
      expect.objectContaining({
        credentialId: expect.stringMatching(/^cred_/),
        delegationId: expect.stringMatching(/^dlg_/),
        agent: "claude[bot]",
        workload: { issuer: ACTIONS, subject: `repo:${REPO.fullName}:ref:refs/heads/main`, repository: REPO.fullName, workflowRef: WORKFLOW_REF, runId: "4242", actor: "alice" },
        permissions: { contents: "write" },
        state: "revoked",
        ended: expect.objectContaining({ how: "revoked", trigger: "delegation_revoked" }),
      }),
    ]);
    // The push the credential app's bot made is traced, in the export, to the credential that could have made it.
    expect(record?.agentPushes).toEqual([expect.objectContaining({ pusher: { login: "countersign-agents[bot]", id: 91919191 }, credentials: [expect.objectContaining({ id: record!.issuedCredentials[0]!.credentialId, runId: "4242" })] })]);
    const evidence = await cli(["evidence", "--repo", REPO.fullName, "--pr", "7"]);
    // As GitHub would show the Markdown (the timeline's text is escaped, ids broken up for display only).
    expect(renderedText(evidence.stdout).replace(/\u200b/g, "")).toContain(`with credential ${record!.issuedCredentials[0]!.credentialId}`);
    expect(evidence.stdout).toContain(record!.issuedCredentials[0]!.credentialId);
    expect(evidence.stdout).toContain("revoked (delegation\\_revoked)");
    expect(evidence.stdout).toContain("run `4242`");
    for (const issued of issuedTokens) {
      expect(exported.stdout.includes(issued)).toBe(false);
      expect(evidence.stdout.includes(issued)).toBe(false);
    }
  });

  test("every refusal is a credential.denied event with its reason and claims; neither the JWT nor the issued token is in the database or the logs", async () => {
    const events = await running!.database.rows(`SELECT "type", "payload" FROM "AuditEvent" WHERE "type" = 'credential.denied' ORDER BY "seq"`);
    const reasons = events.map((event) => (JSON.parse(String(event.payload)) as { reason: string }).reason);
    expect(reasons).toEqual(expect.arrayContaining(["invalid_token", "unknown_issuer", "wrong_audience", "no_delegation", "replayed", "claims_mismatch", "permissions_exceed_policy"]));
    const mismatched = events.map((event) => JSON.parse(String(event.payload)) as { reason: string; claims: Record<string, unknown> | null }).find((event) => event.reason === "claims_mismatch");
    expect(mismatched?.claims).toMatchObject({ iss: ACTIONS, repository_id: String(REPO.id), run_id: "4242", actor: "alice" });

    const stored = await storedText(running!);
    const logs = running!.output.join("");
    expect(presented.length).toBeGreaterThan(5);
    expect(issuedTokens.length).toBe(1);
    for (const issued of issuedTokens) {
      expect(stored.includes(issued)).toBe(false);
      expect(logs.includes(issued)).toBe(false);
    }
    for (const jwt of presented) {
      const [, payload, signature] = jwt.split(".");
      for (const part of [jwt, payload as string, signature as string]) {
        expect(stored.includes(part)).toBe(false);
        expect(logs.includes(part)).toBe(false);
      }
    }
  });

  test("closing the task issue (an issues.closed webhook) ends the delegation given on it, and its issued token is revoked at GitHub with exactly that token", async () => {
    const opened = await openDatabase(running!.database.url, { migrate: false });
    try {
      await createDelegation(
        opened.db,
        { installationId: INSTALLATION_ID, repo: { id: REPO.id, fullName: REPO.fullName }, subjectType: "issue", subjectNumber: 12, owner: { id: 1001, login: "alice" }, agent: { id: 209825114, login: "claude[bot]" }, task: { kind: "issue", ref: "#12", url: `${REPO.htmlUrl}/issues/12` }, scopePaths: [], scopeBranches: [], expiresAt: null, agentInventory: [], comment: { id: 2, url: `${REPO.htmlUrl}/issues/12#issuecomment-2` } },
        new Date(),
      );
    } finally {
      await opened.close();
    }
    const issued = await post(running!, await token(), { repository: REPO.fullName, issue: 12 });
    expect(issued.status).toBe(201);
    const { token: issuedToken, credential } = JSON.parse(issued.body) as { token: string; credential: string };
    // Still live a sweep later: its delegator can write and its issue is open.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(revocations).not.toContain(`token ${issuedToken}`);
    // The sweep read the delegator's permission through the main app's installation.
    expect(state.requests.some((request) => request.method === "GET" && request.url.includes(`/repos/${REPO.owner}/${REPO.name}/collaborators/alice/permission`))).toBe(true);

    expect((await deliverWebhook(running!.url, SECRET, "issues", "issue-closed-1", issueEvent("closed", { number: 12, sender: bob }))).status).toBe(200);
    await waitFor(() => revocations.includes(`token ${issuedToken}`), 10_000);
    expect(revocations.filter((revocation) => revocation === `token ${issuedToken}`)).toHaveLength(1);
    const [delegation] = await running!.database.rows(`SELECT "status", "revokedByLogin", "revokeReason" FROM "Delegation" WHERE "subjectType" = 'issue' AND "subjectNumber" = 12`);
    expect(delegation).toEqual({ status: "revoked", revokedByLogin: "bob", revokeReason: "the issue was closed" });
    let revokedEvent: Record<string, unknown> | undefined;
    for (let tries = 0; !revokedEvent && tries < 100; tries += 1) {
      const rows = await running!.database.rows(`SELECT "payload" FROM "AuditEvent" WHERE "type" = 'credential.revoked'`);
      revokedEvent = rows.map((row) => JSON.parse(String(row.payload)) as Record<string, unknown>).find((payload) => payload.credentialId === credential);
      if (!revokedEvent) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(revokedEvent).toMatchObject({ trigger: "delegation_revoked", delegationReason: "the issue was closed", github: "HTTP 204" });
    const ended = await running!.database.rows(`SELECT "actorLogin", "payload" FROM "AuditEvent" WHERE "type" = 'delegation.ended'`);
    expect(ended.map((row) => ({ actor: row.actorLogin, reason: (JSON.parse(String(row.payload)) as { reason: string }).reason }))).toEqual([{ actor: "bob", reason: "the issue was closed" }]);

    // GitHub delivering it again (or the issue reopened and closed again) ends nothing more.
    expect((await deliverWebhook(running!.url, SECRET, "issues", "issue-closed-1", issueEvent("closed", { number: 12, sender: bob }))).status).toBe(200);
    expect((await deliverWebhook(running!.url, SECRET, "issues", "issue-reopened-1", issueEvent("reopened", { number: 12, sender: bob }))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await running!.database.rows(`SELECT "status" FROM "Delegation" WHERE "subjectType" = 'issue'`)).toEqual([{ status: "revoked" }]);
    expect(await running!.database.rows(`SELECT "seq" FROM "AuditEvent" WHERE "type" = 'delegation.ended'`)).toHaveLength(1);
    expect((await storedText(running!)).includes(issuedToken)).toBe(false);
    expect(running!.output.join("").includes(issuedToken)).toBe(false);
  }, 30_000);
});
