import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { checkCheckpoint, signerKeyFromSeed } from "../../src/audit/checkpoint.js";
import { eventHash, GENESIS } from "../../src/audit/chain.js";
import { runCli, EXIT } from "../../src/cli.js";
import { toStoredEvent } from "../../src/db/audit-log.js";
import { AuditCheckpoints, signLogHead } from "../../src/services/audit-checkpoints.js";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { captureIo } from "../helpers/cli-io.js";
import { DELEGATED_HEAD as HEAD, delegatedAndApproved } from "../helpers/delegated-flow.js";
import { createTestApp, type TestApp } from "../helpers/test-app.js";
import { FakeGitHub } from "../mocks/github.js";

// Signed checkpoints against the attack the hash chain alone cannot catch: someone with write access
// to the database rewrites an event and recomputes every hash after it, so the chain verifies. The
// checkpoint the app put on a check run (GitHub keeps it) still names the old tree, and `audit verify
// --checkpoints` says so; the app's signer refuses to sign the rewritten log; a checkpoint signed with
// a key since rotated out still verifies with the published keys.

const HEAD_2 = "c2".repeat(20);
const current = signerKeyFromSeed("countersign.acme.example", randomBytes(32)).signer;
const retired = signerKeyFromSeed("countersign.acme.example", randomBytes(32)).signer;
const dir = mkdtempSync(join(tmpdir(), "countersign-checkpoints-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

let app: TestApp;
let github: FakeGitHub;
let checkpoints: AuditCheckpoints;

beforeAll(() => nock.disableNetConnect());
afterEach(async () => {
  github.dispose();
  await app.close();
});
afterAll(() => nock.enableNetConnect());

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { io, out, err } = captureIo();
  const code = await runCli(argv, { DATABASE_URL: app.databaseUrl }, io);
  return { code, out: out(), err: err() };
}

/** Claude's PR delegated by alice and approved by bob; the head is signed; then the agent pushes again. */
async function flowWithCheckpoint(): Promise<{ checkRunJson: string; note: string }> {
  checkpoints = new AuditCheckpoints(current, [retired.verifier]);
  app = await createTestApp({ checkpoints });
  github = new FakeGitHub();
  github.permissions.set("alice", "write");
  github.permissions.set("bob", "write");
  await delegatedAndApproved(github, app);
  // No checkpoint yet: the check runs carry no text.
  expect(github.checkRunOn(HEAD)?.text).toBeUndefined();
  const pr = github.mustGet(2);

  const outcome = await checkpoints.sign(app.db, app.services.clock);
  expect(outcome.kind).toBe("signed");
  const note = (outcome as { note: string }).note;
  expect(checkCheckpoint(note, [current.verifier])).toMatchObject({ ok: true, checkpoint: { treeSize: 5 } });
  // Signing again with nothing new appended signs nothing new.
  expect(await checkpoints.sign(app.db, app.services.clock)).toEqual({ kind: "unchanged", note, treeSize: 5 });

  pr.headSha = HEAD_2;
  pr.commits.push({ sha: HEAD_2, message: "Address review", author: claude });
  github.expectEvaluation(2);
  await app.receive("pull_request", pullRequestEvent("synchronize", pr, claude));
  expect(nock.pendingMocks()).toEqual([]);
  const run = github.checkRunOn(HEAD_2);
  expect(run?.text).toContain("### Audit checkpoint");
  expect(run?.text).toContain(note.trimEnd());
  // Saved as `gh api …/check-runs` would give it: the note inside a JSON string.
  return { checkRunJson: JSON.stringify({ total_count: 1, check_runs: [{ id: run?.id, output: { title: run?.title, summary: run?.summary, text: run?.text } }] }), note };
}

/** Rewrites event #2's payload and recomputes every hash from there: a chain that verifies on its own. */
async function rewriteConsistently(): Promise<void> {
  await app.database.dropAuditGuards();
  const rows = (await app.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } })).map(toStoredEvent);
  let prevHash = GENESIS;
  for (const row of rows) {
    const payload = row.seq === 2 ? row.payload.replace('"alice"', '"mallory"') : row.payload;
    const event = { ...row, payload, prevHash };
    const hash = eventHash(event);
    await app.db.prisma.auditEvent.update({ where: { seq: row.seq }, data: { payload, hash, prevHash } });
    prevHash = hash;
  }
}

describe("audit checkpoints", () => {
  test("the checkpoint on a check run holds for the untouched log, and catches a consistent rewrite the chain alone misses", async () => {
    const { checkRunJson } = await flowWithCheckpoint();
    const runs = file("runs.json", checkRunJson);
    const keys = file("keys.txt", `${current.verifier.encoded}\n${retired.verifier.encoded}\n`);

    const before = await cli("audit", "verify", "--checkpoints", runs, "--keys", keys);
    expect(before.code).toBe(EXIT.pass);
    expect(before.out).toContain("Checkpoints: 1 of 1 signed checkpoint hold.");
    expect(before.out).toMatch(new RegExp(`- holds: events #1\\.\\.#5, signed by countersign\\.acme\\.example\\+${current.verifier.keyId} at `));

    await rewriteConsistently();
    const alone = await cli("audit", "verify");
    expect(alone.code).toBe(EXIT.pass);

    const after = await cli("audit", "verify", "--checkpoints", runs, "--keys", keys);
    expect(after.code).toBe(EXIT.broken);
    expect(after.out).toContain("Audit log BROKEN: 1 signed checkpoint does not hold");
    expect(after.out).toContain("- CONTRADICTED: events #1..#5");
    expect(after.out).toContain("the log was rewritten at or before #5");

    // The running app will not sign the rewritten log either, and says why.
    expect(await checkpoints.sign(app.db, app.services.clock)).toEqual({ kind: "refused", reason: "the first 5 events no longer form the tree checkpoint 5 signed: the log was rewritten" });
  });

  test("events cut from under a checkpoint are named", async () => {
    const { note } = await flowWithCheckpoint();
    await app.database.dropAuditGuards();
    await app.database.rawSql('DELETE FROM "AuditEvent" WHERE "seq" >= 4');
    const result = await cli("audit", "verify", "--checkpoints", file("note.txt", note), "--keys", file("k.txt", current.verifier.encoded));
    expect(result.code).toBe(EXIT.broken);
    expect(result.out).toContain("it covers 5 events, and the log holds 3: events #4..#5 were cut");
  });

  test("a checkpoint signed with a rotated-out key verifies with the published keys, and not without them; a forged one says nothing", async () => {
    await flowWithCheckpoint();
    const old = await signLogHead(app.db, retired, [retired.verifier], () => new Date("2026-11-20T00:00:00Z"), { store: false, always: true });
    expect(old.kind).toBe("signed");
    const oldNote = file("old.txt", (old as { note: string }).note);

    // The app serves both keys; with them (the default: its environment's keys) the old checkpoint holds.
    expect(checkpoints.publicKeys.map((key) => key.encoded)).toEqual([current.verifier.encoded, retired.verifier.encoded]);
    const withBoth = await cli("audit", "verify", "--checkpoints", oldNote, "--keys", file("both.txt", checkpoints.publicKeys.map((key) => key.encoded).join("\n")));
    expect(withBoth.code).toBe(EXIT.pass);
    expect(withBoth.out).toContain(`- holds: events #1..#7, signed by countersign.acme.example+${retired.verifier.keyId}`);

    const withCurrent = await cli("audit", "verify", "--checkpoints", oldNote, "--keys", file("current.txt", current.verifier.encoded));
    expect(withCurrent.code).toBe(EXIT.broken);
    expect(withCurrent.out).toContain(`- not verified: signed by countersign.acme.example+${retired.verifier.keyId}, which is not among the public keys given`);

    const forged = (old as { note: string }).note.replace("\n7\n", "\n5\n");
    const forgedResult = await cli("audit", "verify", "--checkpoints", file("forged.txt", forged), "--keys", file("both2.txt", checkpoints.publicKeys.map((key) => key.encoded).join("\n")));
    expect(forgedResult.code).toBe(EXIT.broken);
    expect(forgedResult.out).toContain("does not verify: the checkpoint was altered");
  });

  test("`audit checkpoint` signs the head on demand from the environment's key, and `audit checkpoint-key` makes keys that work", async () => {
    await flowWithCheckpoint();
    const made = captureIo();
    expect(await runCli(["audit", "checkpoint-key", "--name", "log.acme.example"], {}, made.io)).toBe(EXIT.pass);
    const privateKey = /^COUNTERSIGN_CHECKPOINT_KEY=(PRIVATE\+KEY\+\S+)$/m.exec(made.out())?.[1] as string;
    const publicKey = made.out().trim().split("\n").at(-1) as string;
    expect(privateKey).toBeDefined();

    const signed = captureIo();
    expect(await runCli(["audit", "checkpoint"], { DATABASE_URL: app.databaseUrl, COUNTERSIGN_CHECKPOINT_KEY: privateKey }, signed.io)).toBe(EXIT.pass);
    const verified = await cli("audit", "verify", "--checkpoints", file("demand.txt", signed.out()), "--keys", file("made.txt", publicKey));
    expect(verified.code).toBe(EXIT.pass);
    expect(verified.out).toContain("- holds: events #1..#7, signed by log.acme.example+");
    // Read-only: the on-demand checkpoint is not stored.
    expect((await app.db.prisma.auditCheckpoint.findMany()).map((row) => row.treeSize)).toEqual([5]);
  });
});
