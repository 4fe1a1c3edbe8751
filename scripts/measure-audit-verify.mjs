// Measures `countersign audit verify` on a long chain: builds a fresh, migrated database with N
// hash-chained events (default 20,000, decision-sized payloads) written straight into SQLite in one
// transaction, then runs the real command in-process a few times and reports events per second. Then
// times what the app's checkpoint signer costs on that log: the first checkpoint (every event's hash
// recomputed), a round with nothing new (links read, the tree rebuilt, nothing signed), and
// `audit verify --checkpoints` against it.
//
//   npm run build && node scripts/measure-audit-verify.mjs [events]
//
// Not a test: it takes seconds, and the figure depends on the machine.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { eventHash, GENESIS } from "../lib/audit/chain.js";
import { runCli } from "../lib/cli.js";
import { openDatabase } from "../lib/db/client.js";
import { signerKeyFromSeed } from "../lib/audit/checkpoint.js";
import { signLogHead } from "../lib/services/audit-checkpoints.js";

const count = Number(process.argv[2] ?? 20_000);
const runs = 3;
const dir = mkdtempSync(path.join(tmpdir(), "countersign-measure-"));
const file = path.join(dir, "countersign.db");

try {
  // Migrated by the app's own code, so the table, indexes and triggers are the real ones.
  await (await openDatabase(`file:${file}`)).close();

  const built = performance.now();
  const sqlite = new Database(file);
  const insert = sqlite.prepare(
    'INSERT INTO "AuditEvent" ("seq", "type", "repoId", "repoFullName", "subjectNumber", "sha", "actorId", "actorLogin", "deliveryId", "payload", "createdAt", "hash", "prevHash") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const start = Date.UTC(2026, 10, 25, 12);
  sqlite.transaction(() => {
    let prevHash = GENESIS;
    for (let seq = 1; seq <= count; seq += 1) {
      const sha = seq.toString(16).padStart(40, "0");
      const payload = JSON.stringify({
        conclusion: seq % 3 === 0 ? "success" : "action_required",
        title: "Countersigned: delegated by @alice, approved by @bob",
        reasons: ["owner-delegated", "approvals-met"],
        delegationId: `dlg_${seq.toString(16).padStart(16, "0")}`,
        policyHash: "9f".repeat(32),
        policySource: "acme/payments-api:.github/countersign.yml@main",
        involvement: "authored",
        agents: [{ login: "claude[bot]", id: 209825114, kind: "bot" }],
        signals: [{ kind: "author" }, { kind: "commit-author", sha }],
        tiers: [],
        requirements: [{ kind: "owner", met: true, sources: ["delegation.required"] }, { kind: "approvals", met: true, sources: ["approvals.required"] }],
        approvals: [{ reviewer: "bob", reviewerId: 1002, reviewId: seq, commit: sha, counted: true, objections: [], waived: [] }],
      });
      const event = {
        seq,
        type: "decision",
        repoId: 42,
        repoFullName: "acme/payments-api",
        subjectNumber: 1 + (seq % 500),
        sha,
        actorId: null,
        actorLogin: null,
        deliveryId: `delivery-${seq}`,
        payload,
        createdAt: new Date(start + seq * 1000),
        prevHash,
      };
      const hash = eventHash(event);
      // Stored as the app's Prisma adapter stores a DateTime.
      insert.run(seq, event.type, 42, event.repoFullName, event.subjectNumber, sha, null, null, event.deliveryId, payload, event.createdAt.toISOString().replace("Z", "+00:00"), hash, prevHash);
      prevHash = hash;
    }
  })();
  sqlite.close();
  console.log(`built ${count} events in ${(performance.now() - built).toFixed(0)} ms`);

  const rates = [];
  for (let run = 1; run <= runs; run += 1) {
    let out = "";
    const began = performance.now();
    const code = await runCli(["audit", "verify", "--database-url", `file:${file}`], {}, { out: (text) => (out += text), err: (text) => process.stderr.write(text) });
    const wall = performance.now() - began;
    if (code !== 0) throw new Error(`audit verify failed (exit ${code}):\n${out}`);
    const reported = /\(([\d,]+) events\/s\)/.exec(out)?.[1] ?? "?";
    rates.push(count / (wall / 1000));
    console.log(`run ${run}: ${out.split("\n")[0]} | whole command incl. open/close: ${wall.toFixed(0)} ms = ${Math.round(count / (wall / 1000))} events/s (walk alone: ${reported} events/s)`);
  }
  console.log(`best whole-command rate: ${Math.round(Math.max(...rates))} events/s over ${count} events`);

  const { signer } = signerKeyFromSeed("measure.example", Buffer.alloc(32, 1));
  const database = await openDatabase(`file:${file}`);
  let note = "";
  try {
    for (const round of ["first checkpoint", "nothing new"]) {
      const began = performance.now();
      const outcome = await signLogHead(database.db, signer, [signer.verifier], () => new Date());
      if (outcome.kind === "signed") note = outcome.note;
      console.log(`checkpoint signer, ${round}: ${outcome.kind} in ${(performance.now() - began).toFixed(0)} ms`);
    }
  } finally {
    await database.close();
  }
  const notes = path.join(dir, "note.txt");
  const keys = path.join(dir, "keys.txt");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(notes, note);
  writeFileSync(keys, signer.verifier.encoded);
  const began = performance.now();
  const code = await runCli(["audit", "verify", "--database-url", `file:${file}`, "--checkpoints", notes, "--keys", keys], {}, { out: () => undefined, err: (text) => process.stderr.write(text) });
  console.log(`audit verify --checkpoints (1 checkpoint of ${count}): exit ${code} in ${(performance.now() - began).toFixed(0)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
