import type { Database } from "./client.js";

/** What to do with a delivery that has arrived. */
export type DeliveryClaim = "process" | "duplicate";

// A delivery still "processing" after this long was abandoned (the process died mid-way): it may be
// taken over, so that a redelivery after a crash is not silently dropped.
const ABANDONED_AFTER_MS = 10 * 60_000;

function isUniqueViolation(error: unknown): boolean {
  const err = error as { code?: string; message?: string };
  return err.code === "P2002" || /UNIQUE constraint failed/i.test(err.message ?? "");
}

/**
 * Claims a delivery by its `X-GitHub-Delivery` id. The first arrival processes it; a redelivery or a
 * retry of a delivery that was done (or is being processed by another replica) is a duplicate and
 * does nothing. A delivery that failed (and left the check blocking) or was abandoned may be claimed
 * again, so "Redeliver" is the way to retry it.
 */
export async function claimDelivery(db: Database, id: string, event: string, now: Date): Promise<DeliveryClaim> {
  try {
    await db.delivery.create({ data: { id, event, status: "processing", receivedAt: now } });
    return "process";
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  const retry = await db.delivery.updateMany({
    where: { id, OR: [{ status: "failed" }, { status: "processing", receivedAt: { lt: new Date(now.getTime() - ABANDONED_AFTER_MS) } }] },
    data: { status: "processing", receivedAt: now, finishedAt: null, attempts: { increment: 1 } },
  });
  return retry.count === 1 ? "process" : "duplicate";
}

/** Marks a claimed delivery done, unless something already marked it failed. */
export async function finishDelivery(db: Database, id: string, now: Date): Promise<void> {
  await db.delivery.updateMany({ where: { id, status: "processing" }, data: { status: "done", finishedAt: now } });
}

/** Marks a delivery failed: its work did not complete, and a redelivery will process it again. */
export async function failDelivery(db: Database, id: string, now: Date): Promise<void> {
  await db.delivery.updateMany({ where: { id }, data: { status: "failed", finishedAt: now } });
}
