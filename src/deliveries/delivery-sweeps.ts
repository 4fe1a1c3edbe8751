import type { Logger } from "probot";
import { queuedDeliveries, releaseAbandonedDeliveries, renewDeliveryHeartbeats } from "../db/deliveries.js";
import type { DeliveryInbox } from "./delivery-inbox.js";

/** Hands a stored delivery to the app again, as if GitHub had just sent it (Probot's `app.receive`). */
export type Receive = (event: { id: string; name: string; payload: unknown }) => Promise<unknown>;

/** How often to look for deliveries stored beyond the in-memory limit. */
const QUEUED_DELIVERY_SWEEP_MS = 1_000;


/** When the first look for abandoned deliveries is made, after start-up. */
const FIRST_RESUME_MS = 1_000;

/**
 * Starts the sweeps that take up deliveries the inbox stored but did not process: those abandoned by
 * a process that stopped or died (right after start-up, then every `resumeEveryMs`), and those stored
 * beyond the in-memory limit (here or on another replica: a second at most after they appear). While
 * they run, this process renews the heartbeat of the deliveries it is working on four times per
 * `abandonedAfterMs`; a processing delivery whose heartbeat is older than that was left by a process
 * that is gone, and is taken over. Only once the sweeps run may deliveries wait in the database, so
 * `resumeEveryMs` 0 turns them off and keeps every delivery in memory. The timers do not keep the
 * process alive.
 */
export function startDeliverySweeps(inbox: DeliveryInbox, receive: Receive, log: Pick<Logger, "info" | "error">, resumeEveryMs: number, abandonedAfterMs = 60_000): void {
  if (resumeEveryMs <= 0) return;
  const heartbeat = () =>
    renewDeliveryHeartbeats(inbox.db, [...inbox.working], inbox.clock()).catch((error: unknown) => {
      inbox.metrics.recordError("resume");
      log.error({ err: error }, "countersign: could not renew the heartbeat of the deliveries in progress; will try again");
    });
  // At most 30 s apart whatever the lease: a redelivery takes over a delivery silent for 2 minutes
  // (delivery-inbox.ts), which a live process must never be.
  setInterval(heartbeat, Math.min(30_000, Math.max(250, Math.floor(abandonedAfterMs / 4)))).unref();
  const resume = () =>
    resumeAbandonedDeliveries(inbox, receive, log, abandonedAfterMs).catch((error: unknown) => {
      inbox.metrics.recordError("resume");
      log.error({ err: error }, "countersign: could not resume abandoned deliveries; will try again");
    });
  setTimeout(resume, FIRST_RESUME_MS).unref();
  setInterval(resume, resumeEveryMs).unref();
  // One look at a time for queued deliveries.
  let draining = false;
  const drain = () => {
    if (draining) return;
    draining = true;
    drainQueuedDeliveries(inbox, receive, log)
      .catch((error: unknown) => {
        inbox.metrics.recordError("resume");
        log.error({ err: error }, "countersign: could not take up queued deliveries; will try again");
      })
      .finally(() => {
        draining = false;
      });
  };
  setInterval(drain, QUEUED_DELIVERY_SWEEP_MS).unref();
  // Only now may deliveries wait in the database: something takes them up.
  inbox.queue.spillToDatabase();
}

/**
 * Processes deliveries that were accepted but never finished (their process stopped), by receiving
 * them again: they were released as failed, so the exactly-once claim lets them through once.
 */
export async function resumeAbandonedDeliveries(inbox: DeliveryInbox, receive: Receive, log: Pick<Logger, "info" | "error">, olderThanMs: number): Promise<number> {
  const abandoned = await releaseAbandonedDeliveries(inbox.db, inbox.clock(), olderThanMs);
  for (const delivery of abandoned) {
    log.info({ deliveryId: delivery.id, event: delivery.event }, "countersign: resuming a delivery accepted before a stop");
    await receive({ id: delivery.id, name: delivery.event, payload: delivery.payload }).catch((error: unknown) => log.error({ err: error, deliveryId: delivery.id }, "countersign: could not resume a delivery"));
  }
  return abandoned.length;
}

/**
 * Processes queued deliveries (stored while the in-memory queue was full), oldest first, as long as
 * this process has room: each is received again and claimed for processing, which only one process
 * wins. Returns how many were taken up.
 */
export async function drainQueuedDeliveries(inbox: DeliveryInbox, receive: Receive, log: Pick<Logger, "error">): Promise<number> {
  const tried = new Set<string>();
  // In batches, until the queue in memory is full again or nothing new is left in the database (one
  // that could not be received stays queued, and is tried again at the next look, not in this one).
  for (;;) {
    const wanted = Math.min(inbox.queue.room, 100);
    if (wanted === 0) return tried.size;
    const queued = await queuedDeliveries(inbox.db, wanted);
    const fresh = queued.filter((delivery) => !tried.has(delivery.id));
    if (fresh.length === 0) return tried.size;
    for (const delivery of fresh) {
      tried.add(delivery.id);
      await receive({ id: delivery.id, name: delivery.event, payload: delivery.payload }).catch((error: unknown) => log.error({ err: error, deliveryId: delivery.id }, "countersign: could not process a queued delivery"));
    }
    if (queued.length < wanted) return tried.size;
  }
}
