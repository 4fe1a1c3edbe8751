import { generateKeyPairSync, randomBytes } from "node:crypto";
import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { ProbotOctokit } from "probot";
import { recordIssuedCredential } from "../../src/db/credentials.js";
import { createDelegation } from "../../src/db/delegations.js";
import { pushEvent, REPO } from "../fixtures/payloads.js";
import { alice, claude } from "../fixtures/people.js";
import { createTestApp, type TestApp } from "../helpers/test-app.js";
import { useApp } from "../helpers/use-app.js";

// A push by the credential app's bot is traced to the credentials live when it was recorded, and
// judged against their delegations: through a real Probot, a push to the delegation's pull request
// branch is recorded with its credential and not flagged; a push to another branch, or one no issued
// credential could have made, gets a failing check run on the pushed commit and a `push.flagged` event.

const ctx = useApp();
const privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const bot = { id: 91919191, login: "countersign-agents[bot]", type: "Bot" as const };
const PUSHED = "d4".repeat(20);

/** Runs `body` against an app with a credential app configured (its slug read once), closed after. */
async function withCredentialApp(body: (app: TestApp) => Promise<void>): Promise<void> {
  const app = await credentialApp();
  try {
    await body(app);
  } finally {
    await app.close();
  }
}

async function credentialApp(): Promise<TestApp> {
  nock("https://api.github.com").get("/app").once().reply(200, { id: 5151, slug: "countersign-agents", name: "Countersign agents" });
  return createTestApp({
    credentials: {
      app: { appId: 5151, privateKey, tokenKey: randomBytes(32), ratePerMinute: 60, sweepMs: 0 },
      ratePerMinute: 60,
      octokitWithToken: (token) => new ProbotOctokit({ auth: { token }, retry: { enabled: false }, throttle: { enabled: false } }),
    },
  });
}

/** A delegation on pull request 40 (optionally with `branches:`) and one live credential issued under it. */
async function delegationWithCredential(app: TestApp, scopeBranches: string[] = []): Promise<{ delegationId: string; credentialId: string }> {
  const now = app.now.value;
  const delegation = await createDelegation(
    app.db,
    {
      installationId: 2,
      repo: { id: REPO.id, fullName: REPO.fullName },
      subjectType: "pull_request",
      subjectNumber: 40,
      owner: { id: alice.id, login: alice.login },
      agent: { id: claude.id, login: claude.login },
      task: { kind: "ticket", ref: "SEC-1", url: null },
      scopePaths: [],
      scopeBranches,
      expiresAt: null,
      agentInventory: [],
      comment: { id: 77, url: "https://github.com/x" },
    },
    now,
  );
  await recordIssuedCredential(app.db, {
    id: "cred_0000000000000001",
    delegationId: delegation.id,
    repo: { id: REPO.id, fullName: REPO.fullName },
    installationId: 9999,
    tokenSha256: "sha",
    tokenHashedBase64: "hashed",
    encryptedToken: "sealed",
    permissions: { contents: "write" },
    workload: { iss: "https://token.actions.githubusercontent.com", run_id: "4242", job_workflow_ref: `${REPO.fullName}/.github/workflows/agent.yml@refs/heads/main` },
    githubExpiresAt: new Date(now.getTime() + 60 * 60_000),
    expiresAt: new Date(now.getTime() + 30 * 60_000),
    issuedAt: new Date(now.getTime() - 60_000),
  });
  return { delegationId: delegation.id, credentialId: "cred_0000000000000001" };
}

/** GitHub's answer for pull request 40: its head branch, in this repository. */
function pullRequestBranchRead(ref: string): void {
  nock("https://api.github.com")
    .get(`/repos/${REPO.owner}/${REPO.name}/pulls/40`)
    .reply(200, { number: 40, head: { ref, sha: PUSHED, repo: { id: REPO.id } }, base: { ref: "main", repo: { id: REPO.id } } });
}

describe("a push by the credential app's bot", () => {
  test("to its delegation's pull request branch: recorded with the credential that could have made it, and not flagged", async () => {
    const github = ctx.github();
    await withCredentialApp(async (app) => {
      const { delegationId, credentialId } = await delegationWithCredential(app);
      github.expectPolicyRead();
      pullRequestBranchRead("agent/ledger");
      await app.receive("push", pushEvent({ ref: "refs/heads/agent/ledger", after: PUSHED, sender: bot }));
      expect(nock.pendingMocks()).toEqual([]);
      expect(github.checkRuns).toEqual([]);
      const expected = [{ id: credentialId, delegationId, runId: "4242", workflowRef: `${REPO.fullName}/.github/workflows/agent.yml@refs/heads/main` }];
      const [push] = await app.db.prisma.agentPush.findMany();
      expect(JSON.parse(push?.credentials ?? "null")).toEqual(expected);
      const events = await app.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } });
      expect(events.map((event) => event.type)).toEqual(["push.agent"]);
      expect(JSON.parse(events[0]?.payload ?? "{}")).toMatchObject({ credentials: expected });
    });
  });

  test("to another branch than its delegation's pull request's: a failing check on the pushed commit naming the credential and why", async () => {
    const github = ctx.github();
    await withCredentialApp(async (app) => {
      const { delegationId, credentialId } = await delegationWithCredential(app);
      github.expectPolicyRead();
      pullRequestBranchRead("agent/ledger");
      github.expectCheckRunWrite(PUSHED);
      await app.receive("push", pushEvent({ ref: "refs/heads/release/1.0", after: PUSHED, sender: bot }));
      expect(nock.pendingMocks()).toEqual([]);
      const run = github.checkRunOn(PUSHED);
      expect(run).toMatchObject({ conclusion: "failure", title: "Push with an issued credential outside its delegation" });
      expect(run?.summary).toContain(`delegation \`${delegationId}\` was given on pull request #40, whose branch is \`agent/ledger\`, not \`release/1.0\``);
      expect(run?.summary).toContain(`\`${credentialId}\` under delegation \`${delegationId}\` (run \`4242\``);
      const flagged = await app.db.prisma.auditEvent.findFirstOrThrow({ where: { type: "push.flagged" } });
      expect(JSON.parse(flagged.payload)).toMatchObject({ reason: "credential-push-outside-delegation", credentials: [{ id: credentialId }], outside: [{ kind: "other-branch", delegationId, head: "agent/ledger" }] });
    });
  });

  test("straight to a base branch its delegation names in branches: is flagged, though that is the pull request's branch", async () => {
    const github = ctx.github();
    await withCredentialApp(async (app) => {
      await delegationWithCredential(app, ["release/*"]);
      github.expectPolicyRead();
      pullRequestBranchRead("release/2.0");
      github.expectCheckRunWrite(PUSHED);
      await app.receive("push", pushEvent({ ref: "refs/heads/release/2.0", after: PUSHED, sender: bot }));
      expect(nock.pendingMocks()).toEqual([]);
      expect(github.checkRunOn(PUSHED)?.summary).toContain("`release/2.0` is a base branch its work must reach through a pull request (`branches:` `release/*`)");
    });
  });

  test("with no credential live (a token from elsewhere pushing as the credential app): flagged, and the push says so", async () => {
    const github = ctx.github();
    await withCredentialApp(async (app) => {
      github.expectPolicyRead();
      github.expectCheckRunWrite(PUSHED);
      await app.receive("push", pushEvent({ ref: "refs/heads/agent/ledger", after: PUSHED, sender: bot }));
      expect(nock.pendingMocks()).toEqual([]);
      expect(github.checkRunOn(PUSHED)).toMatchObject({ conclusion: "failure" });
      expect(github.checkRunOn(PUSHED)?.summary).toContain("none: no credential Countersign issued was live when the push was recorded");
      const [push] = await app.db.prisma.agentPush.findMany();
      expect(push?.credentials).toBe("[]");
    });
  });

  test("an agent's push to a side branch is still only recorded (the rule is for the credential app's bot)", async () => {
    const github = ctx.github();
    await withCredentialApp(async (app) => {
      github.expectPolicyRead();
      await app.receive("push", pushEvent({ ref: "refs/heads/claude/feature", after: PUSHED, sender: claude }));
      expect(nock.pendingMocks()).toEqual([]);
      expect(github.checkRuns).toEqual([]);
      expect((await app.db.prisma.agentPush.findFirstOrThrow()).credentials).toBeNull();
    });
  });
});
