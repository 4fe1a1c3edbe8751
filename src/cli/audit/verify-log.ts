import { performance } from "node:perf_hooks";
import { ChainVerifier, type StoredEvent, type VerifyResult } from "../../audit/chain.js";
import type { CheckpointVerifier } from "../../audit/checkpoint.js";
import { checkpointVerdicts, type CheckpointVerdict } from "../../audit/checkpoint-consistency.js";
import { readChain } from "../../db/audit-log.js";
import type { Store } from "../../db/client.js";

// `countersign audit verify`: walks the whole audit log a page at a time (memory stays flat however
// long the log is) and checks every link of the hash chain, stopping at the first broken one. Only the
// first break is meaningful: every link after an altered or removed event is broken too.

/** How many stray rows the report lists by number (the count is always exact). */
const LISTED = 20;

/** The outcome of walking the chain. */
export interface ChainWalk {
  result: VerifyResult;
  /** The head's number when the chain verified (its hash is `result.head`); null otherwise or when empty. */
  headSeq: number | null;
  /**
   * The anchor asked for (a hash recorded outside the database earlier) and the verified event that
   * has it; `seq` null when the chain no longer contains it. Null when no anchor was given.
   */
  anchor: { hash: string; seq: number | null } | null;
  /** How long the walk took, for the events/second an operator sizes a schedule by. */
  elapsedMs: number;
  /** What each signed checkpoint given says about the chain; null when none was given. */
  checkpoints: CheckpointVerdict[] | null;
}

/** A full verification of the stored log. */
export interface AuditVerification extends ChainWalk {
  /**
   * Rows with no hash. Only rows written around the app can be unsealed (legacy rows are sealed when
   * the app starts), and none is covered by the chain; the first one is also where the walk stops.
   */
  unsealed: { count: number; seqs: number[] };
  /**
   * Rows numbered 0 or below. The app never writes one (numbering starts at 1), and the walk, which
   * starts after 0, would never see one: a row planted there would otherwise go unnoticed.
   */
  outside: { count: number; seqs: number[] };
}

/** Whether the log is intact: every link verified, no row outside the chain, the anchor still in it. */
export function isIntact(verification: AuditVerification): boolean {
  return verification.result.ok && verification.outside.count === 0 && verification.anchor?.seq !== null && (verification.checkpoints ?? []).every((verdict) => verdict.status === "holds");
}

/** Options of a verification. */
export interface VerifyOptions {
  /**
   * A hash recorded outside the database earlier (a previous head, or an export's `chain.head`). The
   * chain alone cannot show that events were cut from its end, or that someone with write access
   * rewrote it and recomputed every hash after an edit: both leave a chain that verifies. Neither
   * leaves the anchor in it.
   */
  anchor?: string;
  /**
   * Signed checkpoints found outside the database (check runs, logs) and the public keys to check
   * them with: each must still describe the chain, which catches even a rewrite with every hash
   * recomputed.
   */
  checkpoints?: { notes: readonly string[]; keys: readonly CheckpointVerifier[] };
  /** The clock the walk is timed with (milliseconds); tests pass their own. */
  now?: () => number;
}

/** Verifies pages of events, in `seq` order, with one resumable verifier; stops at the first break. */
export async function verifyPages(pages: AsyncIterable<readonly StoredEvent[]> | Iterable<readonly StoredEvent[]>, options: VerifyOptions = {}): Promise<ChainWalk> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const verifier = new ChainVerifier();
  let headSeq: number | null = null;
  let anchorSeq: number | null = null;
  // Checkpoints need every verified event's hash (64 bytes of text each: 6.4 MB per 100,000 events).
  const hashes: string[] | null = options.checkpoints ? [] : null;
  for await (const page of pages) {
    const intact = verifier.push(page);
    if (hashes) {
      const verified = intact ? page : page.slice(0, Math.max(0, verifier.result().checked - hashes.length));
      for (const event of verified) hashes.push(event.hash as string);
    }
    if (!intact) break;
    headSeq = page.at(-1)?.seq ?? headSeq;
    if (options.anchor !== undefined && anchorSeq === null) anchorSeq = page.find((event) => event.hash === options.anchor)?.seq ?? null;
  }
  const result = verifier.result();
  const checkpoints = options.checkpoints && hashes ? checkpointVerdicts(hashes, options.checkpoints.notes, options.checkpoints.keys, result.ok) : null;
  return { result, headSeq: result.ok ? headSeq : null, anchor: options.anchor === undefined ? null : { hash: options.anchor, seq: anchorSeq }, elapsedMs: now() - started, checkpoints };
}

/** Verifies the whole audit log in `db` and counts the rows the chain does not cover. */
export async function verifyAuditLog(db: Store, options: VerifyOptions & { pageSize?: number } = {}): Promise<AuditVerification> {
  const walk = await verifyPages(readChain(db, options.pageSize), options);
  const rows = async (where: { hash: null } | { seq: { lte: number } }) => {
    const [count, listed] = await Promise.all([db.prisma.auditEvent.count({ where }), db.prisma.auditEvent.findMany({ where, orderBy: { seq: "asc" }, take: LISTED, select: { seq: true } })]);
    return { count, seqs: listed.map((row) => row.seq) };
  };
  return { ...walk, unsealed: await rows({ hash: null }), outside: await rows({ seq: { lte: 0 } }) };
}

function plural(count: number, noun: string): string {
  return `${count.toLocaleString("en-US")} ${noun}${count === 1 ? "" : "s"}`;
}

function rate(events: number, elapsedMs: number): string {
  return `${Math.round(events / Math.max(elapsedMs / 1000, 1e-6)).toLocaleString("en-US")} events/s`;
}

function listed(rows: { count: number; seqs: number[] }): string {
  return `${rows.seqs.map((seq) => `#${seq}`).join(", ")}${rows.count > rows.seqs.length ? ", …" : ""}`;
}

/** The report `audit verify` prints: the verdict first, then what an operator needs to act on it. */
export function renderVerification(verification: AuditVerification, location: string): string {
  const { result, elapsedMs, unsealed, outside, anchor } = verification;
  const took = `${elapsedMs.toFixed(0)} ms`;
  const lines: string[] = [];
  if (!result.ok) {
    lines.push(`Audit log BROKEN: the first broken event is #${result.brokenAt}.`, `Reason: ${result.reason}`);
    lines.push(
      result.checked > 0
        ? `${plural(result.checked, "event")} before it verified (#1 to #${result.brokenAt - 1}) in ${took}; events after #${result.brokenAt} were not checked (every later link depends on it).`
        : `No event before it verified (${took}).`,
    );
  } else {
    const problems: string[] = [];
    if (anchor?.seq === null) {
      problems.push(`the anchor ${anchor.hash} is not in the chain: events were cut from the end of the log, or it was rewritten (every hash recomputed) from an event at or before the anchor.`);
    }
    const contradicted = (verification.checkpoints ?? []).filter((verdict) => verdict.status !== "holds");
    if (contradicted.length > 0) problems.push(`${plural(contradicted.length, "signed checkpoint")} ${contradicted.length === 1 ? "does" : "do"} not hold (below): the log was rewritten or cut since ${contradicted.length === 1 ? "it was" : "they were"} signed, or a checkpoint given does not verify.`);
    if (outside.count > 0) problems.push(`${plural(outside.count, "row")} numbered 0 or below (${listed(outside)}) ${outside.count === 1 ? "lies" : "lie"} outside the chain; Countersign never writes one.`);
    if (problems.length > 0) {
      lines.push(`Audit log BROKEN: ${problems.join(" Also: ")}`);
      lines.push(`The chain as stored verified: ${plural(result.checked, "event")} in ${took}, head #${verification.headSeq ?? 0} ${result.head}`);
    } else if (result.checked === 0) {
      lines.push("Audit log verified: it is empty.");
    } else {
      lines.push(`Audit log verified: ${plural(result.checked, "event")} checked in ${took} (${rate(result.checked, elapsedMs)}), every link intact.`);
      lines.push(`Chain head: #${verification.headSeq ?? "?"} ${result.head}`);
      if (anchor) lines.push(`Anchor: found at #${anchor.seq}; every event after it verified.`);
    }
  }
  lines.push(...renderCheckpoints(verification.checkpoints));
  lines.push(
    unsealed.count === 0
      ? "Unsealed rows: none."
      : `Unsealed rows: ${plural(unsealed.count, "row")} with no hash (${listed(unsealed)}), written around Countersign and not covered by the chain.`,
  );
  lines.push(`Database: ${location}`);
  return `${lines.join("\n")}\n`;
}

/** One line per checkpoint: what it witnessed and whether the chain still holds it. */
function renderCheckpoints(verdicts: readonly CheckpointVerdict[] | null): string[] {
  if (verdicts === null) return [];
  if (verdicts.length === 0) return ["Checkpoints: none found in what was given."];
  const holding = verdicts.filter((verdict) => verdict.status === "holds").length;
  return [
    `Checkpoints: ${holding} of ${plural(verdicts.length, "signed checkpoint")} hold.`,
    ...verdicts.map((verdict) => {
      if (verdict.status === "unverified") return `  - not verified: ${verdict.reason}`;
      const what = `events #1..#${verdict.treeSize}, signed by ${verdict.key} at ${verdict.time.toISOString()}`;
      return verdict.status === "holds" ? `  - holds: ${what}` : `  - CONTRADICTED: ${what}: ${verdict.reason}`;
    }),
  ];
}
