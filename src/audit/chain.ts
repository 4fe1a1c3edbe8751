import { createHash } from "node:crypto";

// The audit log's hash chain. Each event's hash covers its canonical serialisation, which includes the
// previous event's hash, so altering, removing or reordering any event breaks every link after it.
// Pure: used by the writer (src/db/audit-log.ts) and by `countersign audit verify`.

/** The `prevHash` of the first event. */
export const GENESIS = "0".repeat(64);

/** An audit event as stored. `payload` is the exact stored JSON text: hashing it catches a flipped byte. */
export interface StoredEvent {
  seq: number;
  type: string;
  repoId: number | null;
  repoFullName: string | null;
  subjectNumber: number | null;
  sha: string | null;
  actorId: number | null;
  actorLogin: string | null;
  deliveryId: string | null;
  payload: string;
  createdAt: Date;
  hash: string | null;
  prevHash: string | null;
}

/**
 * The canonical serialisation: a JSON array in a fixed field order (no key-order ambiguity), the time
 * as ISO 8601 in UTC with milliseconds, absent values as null.
 */
export function canonicalEvent(event: Omit<StoredEvent, "hash">): string {
  return JSON.stringify([
    "countersign-audit/1",
    event.seq,
    event.type,
    event.repoId,
    event.repoFullName,
    event.subjectNumber,
    event.sha,
    event.actorId,
    event.actorLogin,
    event.deliveryId,
    event.payload,
    event.createdAt.toISOString(),
    event.prevHash,
  ]);
}

/** SHA-256 (hex) of an event's canonical serialisation. */
export function eventHash(event: Omit<StoredEvent, "hash">): string {
  return createHash("sha256").update(canonicalEvent(event)).digest("hex");
}

export type VerifyResult =
  | { ok: true; checked: number; head: string }
  | { ok: false; checked: number; brokenAt: number; reason: string };

/**
 * Walks events in `seq` order and checks every link. Resumable: pass the state returned by one batch
 * (`expectedPrev`, `lastSeq`) into the next, so a long chain is verified a page at a time.
 */
export class ChainVerifier {
  private expectedPrev = GENESIS;
  private lastSeq = 0;
  private checked = 0;
  private broken: { seq: number; reason: string } | null = null;

  /** Checks the next events; returns false once the chain is broken (later events are not checked). */
  push(events: Iterable<StoredEvent>): boolean {
    for (const event of events) {
      if (this.broken) return false;
      const problem = this.check(event);
      if (problem) {
        this.broken = { seq: event.seq, reason: problem };
        return false;
      }
      this.checked += 1;
      this.expectedPrev = event.hash as string;
      this.lastSeq = event.seq;
    }
    return true;
  }

  private check(event: StoredEvent): string | null {
    if (event.seq !== this.lastSeq + 1) {
      return this.lastSeq === 0 ? `the chain starts at event #${event.seq}, not #1: earlier events were removed` : `event #${event.seq} follows #${this.lastSeq}: ${event.seq - this.lastSeq - 1} event(s) between them were removed`;
    }
    if (event.hash === null || event.prevHash === null) return `event #${event.seq} is not sealed into the chain (no hash)`;
    if (event.prevHash !== this.expectedPrev) {
      return `event #${event.seq} does not link to the event before it (its previous hash is ${event.prevHash.slice(0, 12)}…, the chain has ${this.expectedPrev.slice(0, 12)}…): events were removed, inserted or reordered`;
    }
    if (eventHash(event) !== event.hash) return `event #${event.seq} (${event.type}) does not match its hash: its contents were altered`;
    return null;
  }

  /** The verdict over everything pushed so far. */
  result(): VerifyResult {
    return this.broken ? { ok: false, checked: this.checked, brokenAt: this.broken.seq, reason: this.broken.reason } : { ok: true, checked: this.checked, head: this.expectedPrev };
  }
}

/** Verifies a whole chain held in memory. */
export function verifyChain(events: Iterable<StoredEvent>): VerifyResult {
  const verifier = new ChainVerifier();
  verifier.push(events);
  return verifier.result();
}
