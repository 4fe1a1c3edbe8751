import { generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, expect, test } from "@jest/globals";
import type { ProbotOctokit } from "probot";
import type { CredentialGrant } from "../../src/credentials/credential-exchange.js";
import { credentialMint } from "../../src/credentials/mint-credential.js";
import { decryptToken, encryptToken, tokenHashes } from "../../src/credentials/token-vault.js";
import { delegation, NOW } from "../unit/policy/builders.js";
import { useScratchDatabase } from "../helpers/scratch-database.js";

// Minting records before it returns: the issued event (with hashes) and the sealed token are in the
// database when the token is handed out, and when recording fails the token is revoked at once with
// itself, and refused. The credential app's GitHub is a recorder of the requests it is sent.

const TOKEN = `ghs_${"a".repeat(36)}`;
const key = randomBytes(32);
const privateKey = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } }).privateKey;
const { opened, scratch } = useScratchDatabase();

/** A GitHub for the credential app: which token authenticated each request. */
function fakeGitHub(installationPermissions: Record<string, string> = { contents: "write", pull_requests: "write", metadata: "read" }) {
  const requests: Array<{ token: string; route: string; params: unknown }> = [];
  const octokitWithToken = (token: string) =>
    ({
      request: async (route: string, params?: Record<string, unknown>) => {
        requests.push({ token, route, params });
        if (route === "GET /repos/{owner}/{repo}/installation") return { data: { id: 9999, permissions: installationPermissions } };
        if (route === "POST /app/installations/{installation_id}/access_tokens") return { data: { token: TOKEN, expires_at: new Date(NOW.getTime() + 3_600_000).toISOString(), permissions: params?.permissions } };
        if (route === "DELETE /installation/token") return { data: undefined };
        throw new Error(`unexpected ${route}`);
      },
    }) as unknown as ProbotOctokit;
  return { requests, octokitWithToken };
}

function grant(): CredentialGrant {
  return {
    delegation: { record: delegation({ id: "dlg_0123456789abcdef", agent: { id: 1, login: "claude[bot]" } }), repo: { id: 42, fullName: "acme/widgets" }, installationId: 1 },
    repository: { id: 42, fullName: "acme/widgets", ownerId: 7, defaultBranch: "main" },
    workload: { agent: "claude[bot]", issuer: "https://token.actions.githubusercontent.com", workflow: ".github/workflows/agent.yml", claims: {}, permissions: { contents: "write", issues: "write" } },
    issuer: { issuer: "https://token.actions.githubusercontent.com", jwksUrl: "https://token.actions.githubusercontent.com/.well-known/jwks", audience: "x", algorithms: ["RS256"], githubActions: true },
    claims: { iss: "https://token.actions.githubusercontent.com", exp: 2, iat: 1, jti: "j" },
    requested: null,
    permissions: { contents: "write", issues: "write" },
    effectiveExpiresAt: new Date(NOW.getTime() + 15 * 60_000),
  };
}

const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const app = { appId: 5151, privateKey, tokenKey: key, ratePerMinute: 60, sweepMs: 15_000 };

describe("credentialMint", () => {
  test("mints for the one repository with what both the grant and the credential app allow, and has it recorded first", async () => {
    const github = fakeGitHub();
    const mint = credentialMint({ db: opened().db, app, octokitWithToken: github.octokitWithToken, clock: () => NOW, log });
    const outcome = await mint(grant(), { repository: "acme/widgets", claims: { run_id: "1" } });
    expect(outcome).toMatchObject({ ok: true, credential: { token: TOKEN, permissions: { contents: "write" }, expiresAt: new Date(NOW.getTime() + 15 * 60_000) } });
    expect(github.requests.find((request) => request.route.startsWith("POST"))?.params).toEqual({ installation_id: 9999, repository_ids: [42], permissions: { contents: "write" } });
    const [row] = await opened().db.prisma.issuedCredential.findMany();
    expect(row).toMatchObject({ tokenSha256: tokenHashes(TOKEN).sha256, tokenHashedBase64: tokenHashes(TOKEN).hashedToken, delegationId: "dlg_0123456789abcdef" });
    expect(row?.encryptedToken).not.toContain(TOKEN);
    expect(decryptToken(key, row?.encryptedToken as string, row?.id as string)).toBe(TOKEN);
    expect(await opened().db.prisma.auditEvent.count({ where: { type: "credential.issued" } })).toBe(1);
  });

  test("when recording fails the token is revoked at once, with itself, and nothing is issued", async () => {
    const github = fakeGitHub();
    const mint = credentialMint({ db: opened().db, app, octokitWithToken: github.octokitWithToken, clock: () => NOW, log });
    await scratch().rawSql(`DROP TABLE "IssuedCredential"`);
    const outcome = await mint(grant(), { repository: "acme/widgets" });
    expect(outcome).toMatchObject({ ok: false, refusal: { reason: "unavailable", detail: expect.stringContaining("revoked") } });
    expect(github.requests.at(-1)).toEqual({ token: TOKEN, route: "DELETE /installation/token", params: undefined });
    const events = await opened().db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" }, select: { type: true, payload: true } });
    expect(events.map((event) => event.type)).toEqual(["credential.issued", "credential.revoked"]);
    expect(JSON.parse(events[1]?.payload ?? "{}")).toMatchObject({ trigger: "recording_failed", tokenSha256: tokenHashes(TOKEN).sha256 });
    expect(JSON.stringify(events)).not.toContain(TOKEN);
  });

  test("a credential app without the granted permissions mints nothing", async () => {
    const github = fakeGitHub({ metadata: "read" });
    const mint = credentialMint({ db: opened().db, app, octokitWithToken: github.octokitWithToken, clock: () => NOW, log });
    expect(await mint(grant(), { repository: "acme/widgets" })).toMatchObject({ ok: false, refusal: { reason: "permissions_exceed_policy" } });
    expect(github.requests.map((request) => request.route)).toEqual(["GET /repos/{owner}/{repo}/installation"]);
  });
});

describe("the token vault", () => {
  test("a sealed token opens only with its key and its credential's id", () => {
    const sealed = encryptToken(key, TOKEN, "cred_1");
    expect(decryptToken(key, sealed, "cred_1")).toBe(TOKEN);
    expect(() => decryptToken(key, sealed, "cred_2")).toThrow();
    expect(() => decryptToken(randomBytes(32), sealed, "cred_1")).toThrow();
    expect(encryptToken(key, TOKEN, "cred_1")).not.toBe(sealed);
  });
});
