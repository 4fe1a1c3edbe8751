import { isUniqueViolation, type Store } from "./store.js";

/**
 * What to do with a delivery that has arrived: process it now, leave it queued in the database (the
 * process has no room for it in memory; whichever replica has room takes it later), or nothing (a
 * duplicate).
 */
export type DeliveryClaim = "process" | "queue" | "duplicate";

/**
 * Claims a delivery by its `X-GitHub-Delivery` id, `into` processing (now) or the queue (later). The
 * first arrival is processed or queued; a redelivery or a retry of a delivery that was done (or is
 * being processed by another replica) is a duplicate and does nothing. A delivery that failed (and
 * left the check blocking) or was abandoned (still processing, but accepted before
 * `abandonedBefore`) may be claimed again, so "Redeliver" is the way to retry it; a queued delivery
 * is claimed for processing once, by the first process with room for it.
 */
export async function claimDelivery(db: Store, id: string, event: string, now: Date, payload: unknown, into: "processing" | "queued", abandonedBefore: Date): Promise<DeliveryClaim> {
  const stored = payload === null ? null : JSON.stringify(payload);
  const claimed: DeliveryClaim = into === "processing" ? "process" : "queue";
  try {
    // Nothing is read back: selecting one column spares Prisma mapping the row (its payload included).
    await db.prisma.delivery.create({ data: { id, event, status: into, receivedAt: now, heartbeatAt: into === "processing" ? now : null, payload: stored }, select: { id: true } });
    return claimed;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  // A queued delivery: taken for processing (not a new attempt; its processing starts now, which is
  // what abandonment is timed from), or, with still no room, left queued.
  const fromQueue = await db.prisma.delivery.updateMany({ where: { id, status: "queued" }, data: into === "processing" ? { status: "processing", receivedAt: now, heartbeatAt: now } : { status: "queued" } });
  if (fromQueue.count === 1) return claimed;
  const retry = await db.prisma.delivery.updateMany({
    where: { id, OR: [{ status: "failed" }, { status: "processing", ...silentSince(abandonedBefore) }] },
    data: { status: into, receivedAt: now, heartbeatAt: into === "processing" ? now : null, finishedAt: null, attempts: { increment: 1 }, ...(stored ? { payload: stored } : {}) },
  });
  return retry.count === 1 ? claimed : "duplicate";
}

/**
 * A processing delivery whose process has not said it is alive since `before`: its heartbeat is older,
 * or (a row from before heartbeats) it was accepted before then.
 */
function silentSince(before: Date) {
  return { OR: [{ heartbeatAt: { lt: before } }, { heartbeatAt: null, receivedAt: { lt: before } }] };
}

/**
 * Says that this process is still working on the deliveries `ids` (those it claimed and has not
 * finished): their heartbeat is renewed, so no other replica takes them over.
 */
export async function renewDeliveryHeartbeats(db: Store, ids: readonly string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.prisma.delivery.updateMany({ where: { id: { in: [...ids] }, status: "processing" }, data: { heartbeatAt: now } });
}

/** A delivery stored to be processed later, as `claimDelivery` left it. */
export interface StoredDelivery {
  id: string;
  event: string;
  payload: unknown;
}

/** Queued deliveries, oldest first: to be claimed for processing (only one process's claim wins). */
export async function queuedDeliveries(db: Store, limit: number): Promise<StoredDelivery[]> {
  const rows = await db.prisma.delivery.findMany({
    where: { status: "queued", payload: { not: null } },
    orderBy: { receivedAt: "asc" },
    take: limit,
    select: { id: true, event: true, payload: true },
  });
  return rows.map((row) => ({ id: row.id, event: row.event, payload: JSON.parse(row.payload as string) as unknown }));
}

/** Marks a claimed delivery done (its payload is no longer needed), unless something marked it failed. */
export async function finishDelivery(db: Store, id: string, now: Date): Promise<void> {
  await db.prisma.delivery.updateMany({ where: { id, status: "processing" }, data: { status: "done", finishedAt: now, payload: null } });
}

/** A delivery accepted but never finished: its process stopped while working on it. */
export type AbandonedDelivery = StoredDelivery;

/**
 * Deliveries still processing whose process has been silent for more than `olderThanMs` (it stopped
 * or died: a live one renews their heartbeat), oldest first: each is released (marked failed, so it
 * can be claimed again) for the caller to process. Another replica releasing the same one first is
 * harmless: only one claim wins.
 */
export async function releaseAbandonedDeliveries(db: Store, now: Date, olderThanMs: number, limit = 500): Promise<AbandonedDelivery[]> {
  const rows = await db.prisma.delivery.findMany({
    where: { status: "processing", ...silentSince(new Date(now.getTime() - olderThanMs)), payload: { not: null } },
    orderBy: { receivedAt: "asc" },
    take: limit,
  });
  const released: AbandonedDelivery[] = [];
  for (const row of rows) {
    // Released only as it was read: not if its process renewed its heartbeat, or another took it, meanwhile.
    const update = await db.prisma.delivery.updateMany({ where: { id: row.id, status: "processing", receivedAt: row.receivedAt, heartbeatAt: row.heartbeatAt }, data: { status: "failed" } });
    if (update.count === 1 && row.payload) released.push({ id: row.id, event: row.event, payload: JSON.parse(row.payload) as unknown });
  }
  return released;
}

/** Marks a delivery failed: its work did not complete, and a redelivery will process it again. */
export async function failDelivery(db: Store, id: string, now: Date): Promise<void> {
  await db.prisma.delivery.updateMany({ where: { id }, data: { status: "failed", finishedAt: now } });
}
