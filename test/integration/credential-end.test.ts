import { randomBytes } from "node:crypto";
import { describe, expect, test } from "@jest/globals";
import type { ProbotOctokit } from "probot";
import { endDueCredentials } from "../../src/credentials/end-credentials.js";
import { encryptToken, tokenHashes } from "../../src/credentials/token-vault.js";
import { recordIssuedCredential } from "../../src/db/credentials.js";
import { createDelegation, revokeDelegation } from "../../src/db/delegations.js";
import { useScratchDatabase } from "../helpers/scratch-database.js";

// Issued credentials end when their effective expiry passes or their delegation ends: GitHub is
// asked to revoke each with exactly that token, the credential is marked ended, its sealed token
// forgotten, and the chain records how it ended. A revocation GitHub does not confirm is recorded,
// counted and tried again.

const key = randomBytes(32);
const NOW = new Date("2026-12-03T12:00:00Z");
const { opened, scratch } = useScratchDatabase();

async function delegationId(): Promise<string> {
  const record = await createDelegation(
    opened().db,
    { installationId: 1, repo: { id: 42, fullName: "acme/widgets" }, subjectType: "pull_request", subjectNumber: 7, owner: { id: 1001, login: "alice" }, agent: { id: 1, login: "claude[bot]" }, task: { kind: "ticket", ref: "SEC-1", url: null }, scopePaths: [], scopeBranches: [], expiresAt: null, agentInventory: [], comment: { id: 1, url: "https://github.com/acme/widgets/pull/7#issuecomment-1" } },
    NOW,
  );
  return record.id;
}

async function issue(id: string, delegation: string, token: string, ends: { expiresAt: Date; githubExpiresAt?: Date }): Promise<void> {
  const hashes = tokenHashes(token);
  await recordIssuedCredential(opened().db, {
    id,
    delegationId: delegation,
    repo: { id: 42, fullName: "acme/widgets" },
    installationId: 9999,
    tokenSha256: hashes.sha256,
    tokenHashedBase64: hashes.hashedToken,
    encryptedToken: encryptToken(key, token, id),
    permissions: { contents: "write" },
    workload: { run_id: "1" },
    githubExpiresAt: ends.githubExpiresAt ?? new Date(NOW.getTime() + 3_600_000),
    expiresAt: ends.expiresAt,
    issuedAt: new Date(NOW.getTime() - 60_000),
  });
}

function github(answer: (token: string) => number = () => 204) {
  const revoked: string[] = [];
  const octokitWithToken = (token: string) =>
    ({
      request: async (route: string) => {
        if (route !== "DELETE /installation/token") throw new Error(`unexpected ${route}`);
        revoked.push(token);
        const status = answer(token);
        if (status !== 204) throw Object.assign(new Error(`HTTP ${status}`), { status });
        return { status };
      },
    }) as unknown as ProbotOctokit;
  return { revoked, octokitWithToken };
}

const settings = (gh: ReturnType<typeof github>, at: Date, failures: { count: number } = { count: 0 }) => ({
  db: opened().db,
  tokenKey: key,
  octokitWithToken: gh.octokitWithToken,
  clock: () => at,
  log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  recordFailure: () => void (failures.count += 1),
});

const ended = (type?: string) => opened().db.prisma.auditEvent.findMany({ where: type ? { type } : { type: { startsWith: "credential." } }, orderBy: { seq: "asc" } });

describe("endDueCredentials", () => {
  test("at its effective expiry a credential is revoked with exactly its token; one not yet due is left alone", async () => {
    const delegation = await delegationId();
    await issue("cred_due", delegation, "ghs_due_token_0000000000000000", { expiresAt: new Date(NOW.getTime() - 1000) });
    await issue("cred_live", delegation, "ghs_live_token_000000000000000", { expiresAt: new Date(NOW.getTime() + 600_000) });
    const gh = github();
    expect(await endDueCredentials(settings(gh, NOW))).toBe(1);
    expect(gh.revoked).toEqual(["ghs_due_token_0000000000000000"]);
    const row = await opened().db.prisma.issuedCredential.findUnique({ where: { id: "cred_due" } });
    expect(row).toMatchObject({ endedAs: "expired", encryptedToken: null });
    const [event] = await ended("credential.expired");
    expect(JSON.parse(event?.payload ?? "{}")).toMatchObject({ credentialId: "cred_due", trigger: "effective_expiry", github: "HTTP 204", tokenSha256: tokenHashes("ghs_due_token_0000000000000000").sha256 });
    // Ended once: a second sweep (or another replica) does nothing more.
    expect(await endDueCredentials(settings(gh, NOW))).toBe(0);
    expect(gh.revoked).toHaveLength(1);
  });

  test("/delegate revoke ends the delegation's credentials at the next sweep", async () => {
    const delegation = await delegationId();
    await issue("cred_a", delegation, "ghs_revoked_token_00000000000000", { expiresAt: new Date(NOW.getTime() + 600_000) });
    await revokeDelegation(opened().db, delegation, { id: 1001, login: "alice" }, "done", NOW);
    const gh = github();
    expect(await endDueCredentials(settings(gh, NOW))).toBe(1);
    expect(gh.revoked).toEqual(["ghs_revoked_token_00000000000000"]);
    const [event] = await ended("credential.revoked");
    expect(JSON.parse(event?.payload ?? "{}")).toMatchObject({ credentialId: "cred_a", trigger: "delegation_revoked" });
    // On the pull request the delegation was given on, so its evidence shows how the credential ended.
    expect(event).toMatchObject({ repoFullName: "acme/widgets", subjectNumber: 7 });
  });

  test("a revoked delegation's credential ends at the next sweep however many others are live", async () => {
    const live = await delegationId();
    // More live credentials than one page, every one of them sorting before the revoked one.
    for (let index = 0; index < 501; index += 1) await issue(`cred_a${String(index).padStart(4, "0")}`, live, `ghs_live_${index}`, { expiresAt: new Date(NOW.getTime() + 600_000) });
    const revoked = await delegationId();
    await issue("cred_z", revoked, "ghs_revoked_last_token_0000000", { expiresAt: new Date(NOW.getTime() + 900_000) });
    await revokeDelegation(opened().db, revoked, { id: 1001, login: "alice" }, "done", NOW);
    const gh = github();
    expect(await endDueCredentials(settings(gh, NOW))).toBe(1);
    expect(gh.revoked).toEqual(["ghs_revoked_last_token_0000000"]);
  }, 60_000);

  test("a token past GitHub's hour is marked expired without asking GitHub", async () => {
    const delegation = await delegationId();
    await issue("cred_old", delegation, "ghs_old_token_0000000000000000", { expiresAt: new Date(NOW.getTime() - 7_200_000), githubExpiresAt: new Date(NOW.getTime() - 3_600_000) });
    const gh = github();
    expect(await endDueCredentials(settings(gh, NOW))).toBe(1);
    expect(gh.revoked).toEqual([]);
    expect(JSON.parse((await ended("credential.expired"))[0]?.payload ?? "{}")).toMatchObject({ github: "expired at GitHub" });
  });

  test("a revocation GitHub does not confirm is recorded, counted and tried again; a token GitHub no longer knows counts as revoked", async () => {
    const delegation = await delegationId();
    await issue("cred_f", delegation, "ghs_flaky_token_000000000000000", { expiresAt: new Date(NOW.getTime() - 1000) });
    const failures = { count: 0 };
    expect(await endDueCredentials(settings(github(() => 502), NOW, failures))).toBe(0);
    expect(failures.count).toBe(1);
    expect(JSON.parse((await ended("credential.revoke_failed"))[0]?.payload ?? "{}")).toMatchObject({ credentialId: "cred_f", github: "HTTP 502" });
    expect(await opened().db.prisma.issuedCredential.findUnique({ where: { id: "cred_f" } })).toMatchObject({ endedAs: null });
    expect(await endDueCredentials(settings(github(() => 401), NOW, failures))).toBe(1);
    expect((await ended()).map((event) => event.type)).toEqual(["credential.revoke_failed", "credential.expired"]);
    expect((await ended()).map((event) => event.payload).join("\n")).not.toContain("ghs_flaky_token");
  });
});
