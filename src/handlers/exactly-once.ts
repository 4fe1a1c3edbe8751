import type { Context } from "probot";
import { claimDelivery, failDelivery, finishDelivery, queuedDeliveries, releaseAbandonedDeliveries } from "../db/deliveries.js";
import type { AppServices } from "../services/create-services.js";

/**
 * Wraps a handler so that each webhook delivery is processed once: GitHub's "Redeliver" and retries
 * reuse the `X-GitHub-Delivery` id, and a duplicate produces no events, comments or check-run writes.
 *
 * The delivery (with its payload) is stored first, and GitHub is answered as soon as it is: the work
 * runs afterwards on the delivery queue, because GitHub gives up on a delivery after 10 seconds. A
 * delivery whose process stops before finishing is resumed from the stored payload (see
 * `resumeAbandonedDeliveries`). At most a bounded number of deliveries are held in memory; beyond it a
 * delivery is stored only and answered, and `drainQueuedDeliveries` takes it when there is room (on
 * any replica: the claim decides which). If storing fails (the database is down), the delivery is processed
 * anyway: the evaluation itself then fails closed, which is safer than dropping it. Each delivery is
 * counted in the metrics by event and outcome (processed, duplicate, failed).
 */
export function exactlyOnce<C extends Context>(services: AppServices, handler: (context: C) => Promise<void>): (context: C) => Promise<void> {
  return async (context) => {
    const id = context.id;
    let claimed = false;
    // Beyond the in-memory limit a delivery is stored only, and processed when there is room.
    const room = services.queue.reserve();
    try {
      const claim = await claimDelivery(services.db, id, context.name, services.clock(), context.payload, room ? "processing" : "queued");
      if (claim === "duplicate") {
        context.log.info({ deliveryId: id, event: context.name }, "countersign: duplicate delivery ignored");
        services.metrics.recordDelivery(context.name, "duplicate");
        if (room) services.queue.releaseReservation();
        return;
      }
      if (claim === "queue") {
        context.log.info({ deliveryId: id, event: context.name, inMemory: services.queue.pending }, "countersign: delivery stored, to be processed when there is room");
        services.metrics.recordDelivery(context.name, "queued");
        return;
      }
      claimed = true;
    } catch (error) {
      context.log.error({ err: error, deliveryId: id }, "countersign: could not record the delivery; processing it anyway");
      services.metrics.recordError("delivery_record");
    }
    if (room) services.queue.releaseReservation();
    services.queue.enqueue(async () => {
      try {
        await handler(context);
      } catch (error) {
        services.metrics.recordDelivery(context.name, "failed");
        services.metrics.recordError("handler");
        context.log.error({ err: error, deliveryId: id, event: context.name }, "countersign: delivery failed; redeliver it to try again");
        if (claimed) await failDelivery(services.db, id, services.clock()).catch(() => undefined);
        return;
      }
      services.metrics.recordDelivery(context.name, "processed");
      if (claimed) await finishDelivery(services.db, id, services.clock()).catch(() => undefined);
    });
  };
}

/**
 * Processes deliveries that were accepted but never finished (their process stopped), by receiving
 * them again: they were released as failed, so the exactly-once claim lets them through once.
 */
export async function resumeAbandonedDeliveries(services: AppServices, receive: (event: { id: string; name: string; payload: unknown }) => Promise<unknown>, log: Pick<Context["log"], "info" | "error">, olderThanMs: number): Promise<number> {
  const abandoned = await releaseAbandonedDeliveries(services.db, services.clock(), olderThanMs);
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
export async function drainQueuedDeliveries(services: AppServices, receive: (event: { id: string; name: string; payload: unknown }) => Promise<unknown>, log: Pick<Context["log"], "error">): Promise<number> {
  const tried = new Set<string>();
  // In batches, until the queue in memory is full again or nothing new is left in the database (one
  // that could not be received stays queued, and is tried again at the next look, not in this one).
  for (;;) {
    const wanted = Math.min(services.queue.room, 100);
    if (wanted === 0) return tried.size;
    const queued = await queuedDeliveries(services.db, wanted);
    const fresh = queued.filter((delivery) => !tried.has(delivery.id));
    if (fresh.length === 0) return tried.size;
    for (const delivery of fresh) {
      tried.add(delivery.id);
      await receive({ id: delivery.id, name: delivery.event, payload: delivery.payload }).catch((error: unknown) => log.error({ err: error, deliveryId: delivery.id }, "countersign: could not process a queued delivery"));
    }
    if (queued.length < wanted) return tried.size;
  }
}
