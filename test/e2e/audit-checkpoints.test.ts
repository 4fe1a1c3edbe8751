import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, test } from "@jest/globals";
import { checkCheckpoint, findCheckpointNotes, parseVerifierKey, signerKeyFromSeed } from "../../src/audit/checkpoint.js";
import { eventHash, GENESIS } from "../../src/audit/chain.js";
import { toStoredEvent } from "../../src/db/audit-log.js";
import { openDatabase } from "../../src/db/client.js";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { createTestDatabase, type TestDatabase } from "../helpers/test-database.js";
import { deliverWebhook, enterpriseEnv, freePort, httpRequest, listen, root, startApp, stopApp, waitFor } from "./app-process.js";
import { fakeGhes, fakeGhesState } from "./fake-ghes.js";

// Signed checkpoints as an auditor meets them: the built app (`npm start`) signs the audit log's head
// every second, puts the newest on each check run it writes to the fake GitHub Enterprise Server and
// logs it, and serves its public keys at /.well-known. The key is then rotated (the old public key
// kept as retired). An auditor saves the check runs from GitHub and the keys from the route, and
// `countersign audit verify --checkpoints` proves the log: until someone rewrites the whole chain in
// the database with every hash recomputed, which the chain alone would not show.

const run = promisify(execFile);
const SECRET = "e2e-checkpoint-secret";
const scratch = mkdtempSync(path.join(tmpdir(), "countersign-checkpoints-e2e-"));
const first = signerKeyFromSeed("countersign.e2e.example", randomBytes(32));
const second = signerKeyFromSeed("countersign.e2e.example", randomBytes(32));
let database: TestDatabase | undefined;
let ghes: Server | undefined;

afterAll(async () => {
  if (ghes) await new Promise((resolve) => ghes?.close(resolve));
  await database?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

let gitHubEnv: NodeJS.ProcessEnv = {};

function verify(databaseUrl: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return run(process.execPath, [path.join(root, "lib/bin.js"), "audit", "verify", ...args], { cwd: root, env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, ...gitHubEnv } }).then(
    (done) => ({ code: 0, out: done.stdout }),
    (failed: { code: number; stdout: string; stderr: string }) => ({ code: failed.code, out: failed.stdout + failed.stderr }),
  );
}

function countersign(databaseUrl: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return run(process.execPath, [path.join(root, "lib/bin.js"), ...args], { cwd: root, env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl }, maxBuffer: 64 * 1024 * 1024 }).then(
    (done) => ({ code: 0, out: done.stdout }),
    (failed: { code: number; stdout: string; stderr: string }) => ({ code: failed.code, out: failed.stdout + failed.stderr }),
  );
}

function save(name: string, text: string): string {
  const file = path.join(scratch, name);
  writeFileSync(file, text);
  return file;
}

test("checkpoints on check runs and in logs verify the log, survive a key rotation, and catch a consistent rewrite", async () => {
  database = await createTestDatabase();
  const state = fakeGhesState();
  state.policies = { repository: "approvals:\n  required: 1\n", organization: null };
  ghes = fakeGhes(state);
  const ghesPort = await listen(ghes);
  // What an auditor's `--checkpoints github:…` reads with: a token, and the Enterprise Server's address.
  gitHubEnv = { GITHUB_TOKEN: "ghp_auditor_read_only", GHE_HOST: `127.0.0.1:${ghesPort}`, GHE_PROTOCOL: "http" };
  const databaseUrl = database.url;
  const checkRunsWithCheckpoints = () => [...state.checkRuns.values()].filter((run) => run.output.text?.includes("### Audit checkpoint"));
  let pr = 60;

  async function runApp(extra: NodeJS.ProcessEnv, work: (url: string, output: string[]) => Promise<void>): Promise<string[]> {
    const port = await freePort();
    const output: string[] = [];
    const child = await startApp(enterpriseEnv({ ghesPort, port, databaseUrl, webhookSecret: SECRET, extra: { COUNTERSIGN_CHECKPOINT_SECONDS: "1", ...extra } }), output);
    try {
      await work(`http://127.0.0.1:${port}`, output);
    } finally {
      await stopApp(child);
    }
    return output;
  }

  /** An agent pull request opened, and its check run written. */
  async function openPullRequest(url: string): Promise<void> {
    pr += 1;
    const head = pr.toString(16).padStart(2, "0").repeat(20);
    const shape = { number: pr, author: claude, headSha: head, commits: [{ sha: head, message: "Change", author: claude }], reviews: [], files: [`src/change-${pr}.ts`] };
    state.pulls.set(pr, shape);
    expect((await deliverWebhook(url, SECRET, "pull_request", `checkpoint-${pr}`, pullRequestEvent("opened", shape))).status).toBe(200);
    await waitFor(() => [...state.checkRuns.values()].some((run) => run.head_sha === head), 15_000);
    // The decision is recorded just after its check run is written: wait for it too.
    for (let tries = 0; tries < 200; tries += 1) {
      if (((await database?.rows(`SELECT "seq" FROM "AuditEvent" WHERE "type" = 'decision' AND "subjectNumber" = ${pr}`)) ?? []).length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no decision recorded on #${pr}`);
  }

  // 1. The first key: a pull request makes events, the head is signed, and the next check runs carry it.
  const firstOutput = await runApp({ COUNTERSIGN_CHECKPOINT_KEY: first.privateText }, async (url, output) => {
    await openPullRequest(url);
    await waitFor(() => output.join("").includes("countersign: audit checkpoint signed"), 10_000);
    await openPullRequest(url);
    await openPullRequest(url);
    expect(checkRunsWithCheckpoints().length).toBeGreaterThanOrEqual(2);
    const keys = await httpRequest(`${url}/.well-known/countersign-checkpoint-keys`);
    expect(keys.status).toBe(200);
    expect(keys.body).toBe(`${first.signer.verifier.encoded}\n`);
  });
  expect(firstOutput.join("")).not.toContain(first.privateText.split("+").slice(4).join("+"));

  // 2. Rotated: a new key, the old public key retired. Both are served, and new check runs carry the new key's checkpoints.
  let servedKeys = "";
  await runApp({ COUNTERSIGN_CHECKPOINT_KEY: second.privateText, COUNTERSIGN_CHECKPOINT_RETIRED_KEYS: first.signer.verifier.encoded }, async (url, output) => {
    servedKeys = (await httpRequest(`${url}/.well-known/countersign-checkpoint-keys`)).body;
    expect(servedKeys).toBe(`${second.signer.verifier.encoded}\n${first.signer.verifier.encoded}\n`);
    await openPullRequest(url);
    await waitFor(() => (output.join("").match(/countersign: audit checkpoint signed/g) ?? []).length >= 1, 10_000);
    await openPullRequest(url);
  });

  // What GitHub keeps: every check run, as `gh api …/check-runs` returns them.
  const runs = save("check-runs.json", JSON.stringify({ check_runs: [...state.checkRuns.values()] }));
  const keys = save("keys.txt", servedKeys);
  const notes = findCheckpointNotes(JSON.stringify({ check_runs: [...state.checkRuns.values()] }));
  const verifiers = servedKeys.trim().split("\n").map(parseVerifierKey);
  const signers = new Set(notes.map((note) => { const checked = checkCheckpoint(note, verifiers); return checked.ok ? checked.keyId : "bad"; }));
  expect(signers).toEqual(new Set([first.signer.verifier.keyId, second.signer.verifier.keyId]));

  const intact = await verify(databaseUrl, "--checkpoints", runs, "--keys", keys);
  expect(intact.code).toBe(0);
  expect(intact.out).toContain(`Checkpoints: ${notes.length} of ${notes.length} signed checkpoints hold.`);
  expect(intact.out).toContain(`signed by countersign.e2e.example+${first.signer.verifier.keyId}`);
  // Read straight from GitHub: the check runs on the heads of the repository's recent pull requests.
  const fromGitHub = await verify(databaseUrl, "--checkpoints", "github:Codertocat/Hello-World", "--keys", keys);
  expect(fromGitHub.code).toBe(0);
  expect(fromGitHub.out).toContain(`Checkpoints: ${notes.length} of ${notes.length} signed checkpoints hold.`);
  // The rotated-out key's checkpoints need its public key: with only the current one, they say nothing.
  const currentOnly = await verify(databaseUrl, "--checkpoints", runs, "--keys", save("current.txt", second.signer.verifier.encoded));
  expect(currentOnly.code).toBe(3);
  expect(currentOnly.out).toContain(`not verified: signed by countersign.e2e.example+${first.signer.verifier.keyId}, which is not among the public keys given`);
  // The logs are a second witness: the JSON log lines carry each checkpoint in full.
  const fromLogs = await verify(databaseUrl, "--checkpoints", save("logs.jsonl", firstOutput.join("")), "--keys", keys);
  expect(fromLogs.code).toBe(0);
  expect(fromLogs.out).toMatch(/Checkpoints: (\d+) of \1 signed checkpoints? hold\./);

  // An export, verified alone (no database: the file and the keys), and with one byte changed.
  const exported = await countersign(databaseUrl, "audit", "export");
  expect(exported.code).toBe(0);
  const exportFile = save("evidence.jsonl", exported.out);
  const lines = exported.out.trim().split("\n");
  expect(lines.length).toBe(pr - 60);
  const exportAlone = await run(process.execPath, [path.join(root, "lib/bin.js"), "audit", "verify", "--file", exportFile, "--keys", keys], { cwd: root, env: { PATH: process.env.PATH } });
  expect(exportAlone.stdout).toContain(`Export verified: ${lines.length} records`);
  expect(exportAlone.stdout).toMatch(/Checkpoint: line 1 \(Codertocat\/Hello-World#61\): \d+ of \d+ events under checkpoint \d+/);
  const third = JSON.parse(lines[2] as string) as { decisions: Array<{ title: string }> };
  const title = third.decisions[0]?.title as string;
  const oneByte = lines.map((line, index) => (index === 2 ? line.replace(title, `${title.slice(0, -1)}${title.endsWith("x") ? "y" : "x"}`) : line)).join("\n");
  const changed = await verify(databaseUrl, "--file", save("changed.jsonl", `${oneByte}\n`), "--keys", keys);
  expect(changed.code).toBe(3);
  expect(changed.out).toContain("Export BROKEN: 1 of");
  expect(changed.out).toContain("- line 3 (Codertocat/Hello-World#63):");
  expect(changed.out).toContain("decisions[0].title: the record says");

  // 3. The database's owner rewrites event #1 and recomputes every hash after it (triggers dropped).
  await database.dropAuditGuards();
  const opened = await openDatabase(databaseUrl, { migrate: false });
  try {
    const rows = (await opened.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } })).map(toStoredEvent);
    let prevHash = GENESIS;
    for (const row of rows) {
      const payload = row.seq === 1 ? row.payload.replace('"action_required"', '"success"') : row.payload;
      const hash = eventHash({ ...row, payload, prevHash });
      await opened.db.prisma.auditEvent.update({ where: { seq: row.seq }, data: { payload, hash, prevHash } });
      prevHash = hash;
    }
    expect(rows[0]?.payload).toContain('"action_required"');
  } finally {
    await opened.close();
  }
  const alone = await verify(databaseUrl);
  expect(alone.code).toBe(0);
  const caught = await verify(databaseUrl, "--checkpoints", runs, "--keys", keys);
  expect(caught.code).toBe(3);
  expect(caught.out).toContain("Audit log BROKEN:");
  expect(caught.out).toContain("CONTRADICTED: events #1..#");
  expect(caught.out).not.toContain("- holds:");
  const caughtFromGitHub = await verify(databaseUrl, "--checkpoints", "github:Codertocat/Hello-World", "--keys", keys);
  expect(caughtFromGitHub.code).toBe(3);
  expect(caughtFromGitHub.out).toContain("CONTRADICTED: events #1..#");
  // The export taken before still proves itself; one taken now fails: its events are no longer under the signed roots.
  const afterRewrite = await countersign(databaseUrl, "audit", "export");
  const rewrittenExport = await verify(databaseUrl, "--file", save("rewritten.jsonl", afterRewrite.out), "--keys", keys);
  expect(rewrittenExport.code).toBe(3);
  expect(rewrittenExport.out).toMatch(/event #1: its hash is not under the root checkpoint \d+ signed/);
  expect((await verify(databaseUrl, "--file", exportFile, "--keys", keys)).code).toBe(0);
}, 120_000);
