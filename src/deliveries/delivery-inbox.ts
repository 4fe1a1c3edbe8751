import type { Context } from "probot";
import type { Store } from "../db/client.js";
import { claimDelivery, failDelivery, finishDelivery } from "../db/deliveries.js";
import { instrumentGitHubRequests } from "../observability/github-requests.js";
import type { Metrics } from "../observability/metrics.js";
import { DeliveryQueue } from "./delivery-queue.js";

// A delivery GitHub sends again while it is still "processing", with no heartbeat from its process for
// this long, was abandoned (its process died mid-way): the redelivery takes it over, so that it is not
// silently dropped as a duplicate. Heartbeats come every few seconds (delivery-sweeps.ts).
const REDELIVERY_TAKES_OVER_AFTER_MS = 2 * 60_000;

/**
 * Where webhook deliveries arrive: the database that records each one (the exactly-once claim and the
 * deliveries stored beyond the in-memory limit), the queue that works on them once GitHub has been
 * answered, and what a delivery's outcome is counted in.
 */
export interface DeliveryInbox {
  db: Store;
  metrics: Metrics;
  clock: () => Date;
  /** Deliveries accepted (GitHub answered) and processed afterwards. */
  queue: DeliveryQueue;
  /**
   * The deliveries this process has claimed and not finished: their heartbeat is renewed while they
   * are here (delivery-sweeps.ts), so that only a process that died leaves them to be taken over.
   */
  working: Set<string>;
}

/**
 * The inbox for one process. `maxInMemory` accepted deliveries are held in memory at most (default
 * 1,000); once something drains them (delivery-sweeps.ts), the rest wait in the database.
 */
export function createDeliveryInbox(services: { db: Store; metrics: Metrics; clock: () => Date }, maxInMemory = 1_000): DeliveryInbox {
  return {
    db: services.db,
    metrics: services.metrics,
    clock: services.clock,
    // Every delivery held in memory is worked on at once: what it waits for is GitHub, Octokit's
    // throttling and a place to read its pull request (AppServices.evaluationSemaphore), not the queue,
    // so that a delivery for a pull request whose evaluation is waiting can join it (see
    // concurrency/coalescing-serializer.ts).
    queue: new DeliveryQueue(Math.max(1, maxInMemory), maxInMemory),
    working: new Set(),
  };
}

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
 * counted in the metrics by event and outcome (processed, duplicate, failed), and so are the GitHub
 * requests its handler makes.
 */
export function exactlyOnce<C extends Context>(inbox: DeliveryInbox, handler: (context: C) => Promise<void>): (context: C) => Promise<void> {
  return async (context) => {
    const id = context.id;
    let claimed = false;
    // Beyond the in-memory limit a delivery is stored only, and processed when there is room.
    const queue = inbox.queue;
    const room = queue.reserve();
    try {
      const now = inbox.clock();
      const claim = await claimDelivery(inbox.db, id, context.name, now, context.payload, room ? "processing" : "queued", new Date(now.getTime() - REDELIVERY_TAKES_OVER_AFTER_MS));
      if (claim === "duplicate") {
        context.log.info({ deliveryId: id, event: context.name }, "countersign: duplicate delivery ignored");
        inbox.metrics.recordDelivery(context.name, "duplicate");
        if (room) queue.releaseReservation();
        return;
      }
      if (claim === "queue") {
        context.log.info({ deliveryId: id, event: context.name, inMemory: queue.pending }, "countersign: delivery stored, to be processed when there is room");
        inbox.metrics.recordDelivery(context.name, "queued");
        return;
      }
      claimed = true;
    } catch (error) {
      context.log.error({ err: error, deliveryId: id }, "countersign: could not record the delivery; processing it anyway");
      inbox.metrics.recordError("delivery_record");
    }
    if (room) queue.releaseReservation();
    if (claimed) inbox.working.add(id);
    queue.enqueue(async () => {
      try {
        instrumentGitHubRequests(context.octokit, inbox.metrics);
        await handler(context);
      } catch (error) {
        inbox.metrics.recordDelivery(context.name, "failed");
        inbox.metrics.recordError("handler");
        context.log.error({ err: error, deliveryId: id, event: context.name }, "countersign: delivery failed; redeliver it to try again");
        if (claimed) await failDelivery(inbox.db, id, inbox.clock()).catch(() => undefined);
        inbox.working.delete(id);
        return;
      }
      inbox.metrics.recordDelivery(context.name, "processed");
      if (claimed) await finishDelivery(inbox.db, id, inbox.clock()).catch(() => undefined);
      inbox.working.delete(id);
    });
  };
}
