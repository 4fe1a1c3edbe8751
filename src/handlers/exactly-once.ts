import type { Context } from "probot";
import { claimDelivery, failDelivery, finishDelivery } from "../db/deliveries.js";
import type { Services } from "../services/deps.js";

/**
 * Wraps a handler so that each webhook delivery is processed once: GitHub's "Redeliver" and retries
 * reuse the `X-GitHub-Delivery` id, and a duplicate produces no events, comments or check-run writes.
 * If claiming fails (the database is down), the delivery is processed anyway: the evaluation itself
 * then fails closed, which is safer than dropping it. Each delivery is counted in the metrics by event
 * and outcome (processed, duplicate, failed).
 */
export function exactlyOnce<C extends Context>(services: Services, handler: (context: C) => Promise<void>): (context: C) => Promise<void> {
  return async (context) => {
    const id = context.id;
    let claimed = false;
    try {
      const claim = await claimDelivery(services.db, id, context.name, services.clock());
      if (claim === "duplicate") {
        context.log.info({ deliveryId: id, event: context.name }, "countersign: duplicate delivery ignored");
        services.metrics.recordDelivery(context.name, "duplicate");
        return;
      }
      claimed = true;
    } catch (error) {
      context.log.error({ err: error, deliveryId: id }, "countersign: could not record the delivery; processing it anyway");
      services.metrics.recordError("delivery_record");
    }
    try {
      await handler(context);
    } catch (error) {
      services.metrics.recordDelivery(context.name, "failed");
      services.metrics.recordError("handler");
      if (claimed) await failDelivery(services.db, id, services.clock()).catch(() => undefined);
      throw error;
    }
    services.metrics.recordDelivery(context.name, "processed");
    if (claimed) await finishDelivery(services.db, id, services.clock()).catch(() => undefined);
  };
}
