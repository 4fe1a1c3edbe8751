import { randomBytes } from "node:crypto";
import { describe, expect, test } from "@jest/globals";
import type { ProbotOctokit } from "probot";
import { endDueCredentials } from "../../src/credentials/end-credentials.js";
import { encryptToken, tokenHashes } from "../../src/credentials/token-vault.js";
import { recordIssuedCredential } from "../../src/db/credentials.js";
import { createDelegation, revokeDelegation } from "../../src/db/delegations.js";
import { createServices } from "../../src/services/create-services.js";
import { recordIssueClosed } from "../../src/services/record-issue-closed.js";
import { RetryScheduler } from "../../src/services/retry-scheduler.js";
import { httpError, InMemoryGitHub } from "../helpers/in-memory-github.js";
import { useScratchDatabase } from "../helpers/scratch-database.js";

// Issued credentials end when their effective expiry passes or their delegation ends: GitHub is
// asked to revoke each with exactly that token, the credential is marked ended, its sealed token
// forgotten, and the chain records how it ended. A revocation GitHub does not confirm is recorded,
// counted and tried again. The sweep also reads each delegator's permission (as the main app's
// installation, `mainApp` below): a delegator without write access loses the delegation and its
// credentials; a read that fails ends nothing.

const key = randomBytes(32);
const NOW = new Date("2026-12-03T12:00:00Z");
const { opened, scratch } = useScratchDatabase();

async function delegationId(on: { subjectType?: "pull_request" | "issue"; subjectNumber?: number; owner?: { id: number; login: string }; repo?: { id: number; fullName: string } } = {}): Promise<string> {
  const record = await createDelegation(
    opened().db,
    { installationId: 1, repo: on.repo ?? { id: 42, fullName: "acme/widgets" }, subjectType: on.subjectType ?? "pull_request", subjectNumber: on.subjectNumber ?? 7, owner: on.owner ?? { id: 1001, login: "alice" }, agent: { id: 1, login: "claude[bot]" }, task: { kind: "ticket", ref: "SEC-1", url: null }, scopePaths: [], scopeBranches: [], expiresAt: null, agentInventory: [], comment: { id: 1, url: "https://github.com/acme/widgets/pull/7#issuecomment-1" } },
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

/** The main app's installation 1 (where the delegations were made): alice, the delegator, can write. */
function mainApp(): InMemoryGitHub & { installations: number[] } {
  const main = Object.assign(new InMemoryGitHub(), { installations: [] as number[] });
  main.permissions.set("alice", "write");
  return main;
}

const settings = (gh: ReturnType<typeof github>, at: Date, failures: { count: number; reads?: number } = { count: 0 }, main: ReturnType<typeof mainApp> = mainApp()) => ({
  db: opened().db,
  tokenKey: key,
  octokitWithToken: gh.octokitWithToken,
  installationGitHub: async (installationId: number) => {
    main.installations.push(installationId);
    return main;
  },
  clock: () => at,
  log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  recordFailure: () => void (failures.count += 1),
  recordAccessReadFailure: () => void (failures.reads = (failures.reads ?? 0) + 1),
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

  test("closing the task issue ends its delegations (once, however often GitHub delivers it), and the sweep revokes their credentials with exactly their tokens", async () => {
    const onIssue = await delegationId({ subjectType: "issue", subjectNumber: 12 });
    const onPullRequest = await delegationId();
    await issue("cred_issue", onIssue, "ghs_issue_task_token_0000000000", { expiresAt: new Date(NOW.getTime() + 600_000) });
    await issue("cred_pr", onPullRequest, "ghs_pull_request_token_00000000", { expiresAt: new Date(NOW.getTime() + 600_000) });
    const services = createServices(opened().db, { peopleTtlMs: 60_000, setupCheckTtlMs: 60_000, appId: 123456, clock: () => NOW, retries: new RetryScheduler({ minDelayMs: 60_000, maxDelayMs: 60_000 }) });
    const main = mainApp();
    const event = { github: main, log: { info: () => undefined, warn: () => undefined, error: () => undefined }, repo: { owner: "acme", name: "widgets", id: 42, fullName: "acme/widgets" }, deliveryId: "delivery-issue-closed", installationId: 1 };
    try {
      const bob = { id: 1002, login: "bob", kind: "user" as const };
      await recordIssueClosed(services, event, { number: 12, closedBy: bob });
      // Redelivered: nothing more ends, nothing more is recorded.
      await recordIssueClosed(services, event, { number: 12, closedBy: bob });
    } finally {
      services.retries.dispose();
    }
    expect(await opened().db.prisma.delegation.findUnique({ where: { id: onIssue } })).toMatchObject({ status: "revoked", revokedByLogin: "bob", revokeReason: "the issue was closed" });
    expect(await opened().db.prisma.delegation.findUnique({ where: { id: onPullRequest } })).toMatchObject({ status: "active" });
    const endings = await ended("delegation.ended");
    expect(endings).toHaveLength(1);
    expect(endings[0]).toMatchObject({ actorLogin: "bob", subjectNumber: 12, deliveryId: "delivery-issue-closed" });
    expect(JSON.parse(endings[0]?.payload ?? "{}")).toEqual({ delegationId: onIssue, reason: "the issue was closed" });

    const gh = github();
    expect(await endDueCredentials(settings(gh, NOW, undefined, main))).toBe(1);
    expect(gh.revoked).toEqual(["ghs_issue_task_token_0000000000"]);
    const [event2] = await ended("credential.revoked");
    expect(JSON.parse(event2?.payload ?? "{}")).toMatchObject({ credentialId: "cred_issue", trigger: "delegation_revoked", delegationReason: "the issue was closed", github: "HTTP 204" });
    expect(event2).toMatchObject({ subjectNumber: 12 });
  });

  test("a delegator who no longer has write access loses the delegation, and its credentials are revoked with exactly their tokens; each delegator's permission is read once per sweep", async () => {
    const alicePr = await delegationId();
    const aliceIssue = await delegationId({ subjectType: "issue", subjectNumber: 12 });
    const bobs = await delegationId({ subjectNumber: 8, owner: { id: 1002, login: "bob" } });
    await issue("cred_a1", alicePr, "ghs_alice_pr_token_000000000000", { expiresAt: new Date(NOW.getTime() + 600_000) });
    await issue("cred_a2", alicePr, "ghs_alice_pr_token_second_00000", { expiresAt: new Date(NOW.getTime() + 600_000) });
    await issue("cred_a3", aliceIssue, "ghs_alice_issue_token_000000000", { expiresAt: new Date(NOW.getTime() + 600_000) });
    await issue("cred_b", bobs, "ghs_bob_token_00000000000000000", { expiresAt: new Date(NOW.getTime() + 600_000) });
    const main = mainApp();
    main.permissions.set("alice", "read");
    main.permissions.set("bob", "write");
    const gh = github();
    const reevaluated: Array<{ delegationId: string; subjectType: string; subjectNumber: number }> = [];
    expect(await endDueCredentials({ ...settings(gh, NOW, undefined, main), delegationRevoked: async (delegation) => void reevaluated.push(delegation) })).toBe(3);
    expect([...gh.revoked].sort()).toEqual(["ghs_alice_issue_token_000000000", "ghs_alice_pr_token_000000000000", "ghs_alice_pr_token_second_00000"]);
    // Their pull requests are judged again at once (by the sweep's handler), each revoked delegation once.
    expect(reevaluated.map((delegation) => [delegation.delegationId, delegation.subjectType]).sort()).toEqual([[alicePr, "pull_request"], [aliceIssue, "issue"]].sort());
    // Read through the main app's installation the delegations were made in, afresh, once per delegator.
    expect(main.installations).toEqual([1]);
    const reads = main.calls.filter((call) => call.operation === "permission").map((call) => [call.args[1], call.args[2]]);
    expect(reads.sort()).toEqual([["alice", { fresh: true }], ["bob", { fresh: true }]]);

    for (const id of [alicePr, aliceIssue]) {
      expect(await opened().db.prisma.delegation.findUnique({ where: { id } })).toMatchObject({ status: "revoked", revokedByLogin: null, revokeReason: "the delegator no longer has write access" });
    }
    expect(await opened().db.prisma.delegation.findUnique({ where: { id: bobs } })).toMatchObject({ status: "active" });
    expect(await opened().db.prisma.issuedCredential.findUnique({ where: { id: "cred_b" } })).toMatchObject({ endedAs: null });
    const revocations = await ended("delegation.revoked");
    expect(revocations.map((row) => row.actorLogin)).toEqual([null, null]);
    expect(revocations.map((row) => JSON.parse(row.payload) as Record<string, unknown>)).toEqual(
      expect.arrayContaining([alicePr, aliceIssue].map((delegationId) => ({ delegationId, reason: "the delegator no longer has write access", delegator: { id: 1001, login: "alice" }, permission: "read" }))),
    );
    const credentialEvents = (await ended("credential.revoked")).map((row) => JSON.parse(row.payload) as Record<string, unknown>);
    expect(credentialEvents).toHaveLength(3);
    for (const payload of credentialEvents) expect(payload).toMatchObject({ trigger: "delegator_lost_write", delegationReason: "the delegator no longer has write access", github: "HTTP 204" });
  });

  test.each(["triage", "none"] as const)("a delegator with %s (none: GitHub knows them as no collaborator) loses the credentials", async (permission) => {
    const delegation = await delegationId();
    await issue("cred_x", delegation, "ghs_lower_permission_token_0000", { expiresAt: new Date(NOW.getTime() + 600_000) });
    const main = mainApp();
    if (permission === "none") main.permissions.delete("alice");
    else main.permissions.set("alice", permission);
    const gh = github();
    expect(await endDueCredentials(settings(gh, NOW, undefined, main))).toBe(1);
    expect(gh.revoked).toEqual(["ghs_lower_permission_token_0000"]);
  });

  test.each(["write", "maintain", "admin"] as const)("a delegator with %s keeps the credential", async (permission) => {
    const delegation = await delegationId();
    await issue("cred_w", delegation, "ghs_writer_keeps_token_00000000", { expiresAt: new Date(NOW.getTime() + 600_000) });
    const main = mainApp();
    main.permissions.set("alice", permission);
    const gh = github();
    expect(await endDueCredentials(settings(gh, NOW, undefined, main))).toBe(0);
    expect(gh.revoked).toEqual([]);
    expect(await opened().db.prisma.delegation.findUnique({ where: { id: delegation } })).toMatchObject({ status: "active" });
    expect(await ended("delegation.revoked")).toEqual([]);
  });

  test("a permission that cannot be read ends nothing, is counted, does not stop the sweep for the others, and is read again at the next sweep", async () => {
    const alices = await delegationId();
    const bobs = await delegationId({ subjectNumber: 8, owner: { id: 1002, login: "bob" } });
    await issue("cred_alice", alices, "ghs_alice_unreadable_token_0000", { expiresAt: new Date(NOW.getTime() + 600_000) });
    await issue("cred_bob", bobs, "ghs_bob_lost_write_token_000000", { expiresAt: new Date(NOW.getTime() + 600_000) });
    await issue("cred_due", bobs, "ghs_due_anyway_token_0000000000", { expiresAt: new Date(NOW.getTime() - 1000) });
    const main = mainApp();
    main.permissions.set("alice", "read");
    main.permissions.set("bob", "read");
    const read = main.permission.bind(main);
    let unreachable = true;
    main.permission = async (repo, login, options) => {
      if (unreachable && login === "alice") throw httpError(503, "Service Unavailable");
      return read(repo, login, options);
    };
    const failures = { count: 0, reads: 0 };
    const gh = github();
    expect(await endDueCredentials(settings(gh, NOW, failures, main))).toBe(2);
    expect([...gh.revoked].sort()).toEqual(["ghs_bob_lost_write_token_000000", "ghs_due_anyway_token_0000000000"]);
    expect(failures).toEqual({ count: 0, reads: 1 });
    expect(await opened().db.prisma.delegation.findUnique({ where: { id: alices } })).toMatchObject({ status: "active" });
    expect(await opened().db.prisma.issuedCredential.findUnique({ where: { id: "cred_alice" } })).toMatchObject({ endedAs: null });

    // GitHub answers again: the next sweep reads alice's permission afresh and acts on it.
    unreachable = false;
    expect(await endDueCredentials(settings(gh, NOW, failures, main))).toBe(1);
    expect(gh.revoked.at(-1)).toBe("ghs_alice_unreadable_token_0000");
    expect(failures.reads).toBe(1);
  });

  test("a lost-write revocation GitHub does not confirm is retried at the next sweep under the same trigger", async () => {
    const delegation = await delegationId();
    await issue("cred_r", delegation, "ghs_retried_lost_write_token_00", { expiresAt: new Date(NOW.getTime() + 600_000) });
    const main = mainApp();
    main.permissions.set("alice", "read");
    const failures = { count: 0 };
    expect(await endDueCredentials(settings(github(() => 502), NOW, failures, main))).toBe(0);
    expect(failures.count).toBe(1);
    const gh = github();
    expect(await endDueCredentials(settings(gh, NOW, failures, main))).toBe(1);
    expect(gh.revoked).toEqual(["ghs_retried_lost_write_token_00"]);
    const events = (await ended()).map((row) => ({ type: row.type, trigger: (JSON.parse(row.payload) as { trigger: string }).trigger }));
    expect(events).toEqual([
      { type: "credential.revoke_failed", trigger: "delegator_lost_write" },
      { type: "credential.revoked", trigger: "delegator_lost_write" },
    ]);
    // The delegation was revoked (and recorded) once.
    expect(await ended("delegation.revoked")).toHaveLength(1);
  });
});
