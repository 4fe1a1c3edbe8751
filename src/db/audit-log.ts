import { eventHash, GENESIS, type StoredEvent } from "../audit/chain.js";
import { isUniqueViolation, type Store } from "./store.js";
import type { AuditEvent as AuditEventRow } from "./generated/sqlite/client.js";

/** What the audit log records. */
export type AuditEventType =
  | "delegation.created"
  | "delegation.refused"
  | "delegation.revoked"
  | "delegation.expired"
  | "command.malformed"
  | "decision"
  | "approval.counted"
  | "approval.rejected"
  | "config.invalid"
  | "evaluation.failed"
  | "push.flagged"
  | "push.agent"
  | "merge.recorded"
  | "merge.unverified"
  | "delegation.ended"
  | "policy.changed"
  | "credential.issued"
  | "credential.denied"
  | "credential.revoked"
  | "credential.expired"
  | "credential.revoke_failed";

export interface AuditEntry {
  type: AuditEventType;
  repo: { id: number; fullName: string } | null;
  subjectNumber: number | null;
  sha: string | null;
  actor: { id: number | null; login: string } | null;
  deliveryId: string | null;
  payload: Record<string, unknown>;
  at: Date;
}

/** An appended event's place in the chain. */
export interface ChainLink {
  seq: number;
  hash: string;
  prevHash: string;
}

/** The stored row as the chain sees it. */
export function toStoredEvent(row: AuditEventRow): StoredEvent {
  return {
    seq: row.seq,
    type: row.type,
    repoId: row.repoId === null ? null : Number(row.repoId),
    repoFullName: row.repoFullName,
    subjectNumber: row.subjectNumber,
    sha: row.sha,
    actorId: row.actorId === null ? null : Number(row.actorId),
    actorLogin: row.actorLogin,
    deliveryId: row.deliveryId,
    payload: row.payload,
    createdAt: row.createdAt,
    hash: row.hash,
    prevHash: row.prevHash,
  };
}

// Appends in one process go one at a time (reading the chain's head and writing the next link must not
// interleave); across processes, the unique `prevHash` (and `seq`) makes a second writer on the same
// head fail and retry on the new head, so the chain never forks. The link this process appended last
// is kept: the next append assumes it is still the head and costs one round trip; when another
// process appended meanwhile, the insert fails on the unique keys and the head is read afresh. Both
// are kept on the store (`db.auditAppends`).
const MAX_ATTEMPTS = 8;


/** Inserts a sealed event. */
async function insertEvent(db: Store, event: Omit<StoredEvent, "hash">, hash: string): Promise<void> {
  await db.prisma.auditEvent.create({
    data: {
      seq: event.seq,
      type: event.type,
      repoId: event.repoId === null ? null : BigInt(event.repoId),
      repoFullName: event.repoFullName,
      subjectNumber: event.subjectNumber,
      sha: event.sha,
      actorId: event.actorId === null ? null : BigInt(event.actorId),
      actorLogin: event.actorLogin,
      deliveryId: event.deliveryId,
      payload: event.payload,
      createdAt: event.createdAt,
      hash,
      prevHash: event.prevHash as string,
    },
    select: { seq: true },
  });
}

async function appendNow(db: Store, entry: AuditEntry): Promise<ChainLink> {
  for (let attempt = 1; ; attempt += 1) {
    let head = db.auditAppends.tip;
    if (!head) {
      const top = await db.prisma.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { seq: true } });
      // Link to the newest sealed event. An unsealed row can only be one written around the app (legacy
      // rows are sealed at start-up); it is not absorbed into the chain, and `audit verify` reports it.
      const last = await db.prisma.auditEvent.findFirst({ where: { hash: { not: null } }, orderBy: { seq: "desc" }, select: { hash: true } });
      head = { seq: top?.seq ?? 0, hash: last?.hash ?? GENESIS };
    }
    const event: Omit<StoredEvent, "hash"> = {
      seq: head.seq + 1,
      type: entry.type,
      repoId: entry.repo?.id ?? null,
      repoFullName: entry.repo?.fullName ?? null,
      subjectNumber: entry.subjectNumber,
      sha: entry.sha,
      actorId: entry.actor?.id ?? null,
      actorLogin: entry.actor?.login ?? null,
      deliveryId: entry.deliveryId,
      payload: JSON.stringify(entry.payload),
      createdAt: new Date(entry.at.getTime()),
      prevHash: head.hash,
    };
    const hash = eventHash(event);
    try {
      await insertEvent(db, event, hash);
      db.auditAppends.tip = { seq: event.seq, hash };
      return { seq: event.seq, hash, prevHash: event.prevHash as string };
    } catch (error) {
      db.auditAppends.tip = null;
      if (!isUniqueViolation(error) || attempt >= MAX_ATTEMPTS) throw error;
      // Another process appended to the same head first: read the new head and link to it.
    }
  }
}

/** Appends one event to the hash-chained audit log (the table refuses UPDATE and DELETE). */
export function appendAuditEvent(db: Store, entry: AuditEntry): Promise<ChainLink> {
  const next = db.auditAppends.queue.then(
    () => appendNow(db, entry),
    () => appendNow(db, entry),
  );
  db.auditAppends.queue = next.catch(() => undefined);
  return next;
}

/**
 * Seals events written before the chain existed (hash still null) into it, oldest first. Only events
 * older than every sealed one qualify; an unsealed event after sealed ones is left for `audit verify`
 * to report, never absorbed into the chain. Returns how many were sealed.
 */
export async function sealUnchainedEvents(db: Store): Promise<number> {
  const firstSealed = await db.prisma.auditEvent.findFirst({ where: { hash: { not: null } }, orderBy: { seq: "asc" }, select: { seq: true } });
  if (firstSealed) return 0;
  const rows = await db.prisma.auditEvent.findMany({ where: { hash: null }, orderBy: { seq: "asc" } });
  let prevHash = GENESIS;
  for (const row of rows) {
    const event = { ...toStoredEvent(row), prevHash };
    const hash = eventHash(event);
    await db.prisma.auditEvent.update({ where: { seq: row.seq }, data: { hash, prevHash } });
    prevHash = hash;
  }
  return rows.length;
}

/** The newest sealed event: the chain's head, which an export or a page names so it can be checked later. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** The chain's head now, or null when no event is sealed yet. */
export async function chainHead(db: Store): Promise<ChainHead | null> {
  const last = await db.prisma.auditEvent.findFirst({ where: { hash: { not: null } }, orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
  return last ? { seq: last.seq, hash: last.hash as string } : null;
}

/** Reads the chain a page at a time, in order. */
export function readChain(db: Store, pageSize = 5000): AsyncGenerator<StoredEvent[]> {
  return readChainAfter(db, 0, pageSize);
}

/** An event's place in the chain without its contents: what a Merkle tree over the log needs. */
export interface ChainLinkRow {
  seq: number;
  hash: string | null;
  prevHash: string | null;
}

/** Reads every event's sequence number and hashes a page at a time, in order (no payloads: cheap). */
export async function* readChainLinks(db: Store, pageSize = 20_000): AsyncGenerator<ChainLinkRow[]> {
  let after = 0;
  for (;;) {
    const rows = await db.prisma.auditEvent.findMany({ where: { seq: { gt: after } }, orderBy: { seq: "asc" }, take: pageSize, select: { seq: true, hash: true, prevHash: true } });
    if (rows.length === 0) return;
    yield rows;
    after = rows.at(-1)?.seq ?? after;
  }
}

/** The events after `after`, in order, with their contents (a page at a time). */
export async function* readChainAfter(db: Store, after: number, pageSize = 5000): AsyncGenerator<StoredEvent[]> {
  let from = after;
  for (;;) {
    const rows = await db.prisma.auditEvent.findMany({ where: { seq: { gt: from } }, orderBy: { seq: "asc" }, take: pageSize });
    if (rows.length === 0) return;
    yield rows.map(toStoredEvent);
    from = rows.at(-1)?.seq ?? from;
  }
}

/** Whether the chain holds an event of `type` whose payload names `delegationId` (a command performed again checks before recording it twice). */
export async function delegationEventExists(db: Store, type: AuditEventType, delegationId: string): Promise<boolean> {
  const found = await db.prisma.auditEvent.findFirst({ where: { type, payload: { contains: `"delegationId":${JSON.stringify(delegationId)}` } }, select: { seq: true } });
  return found !== null;
}
