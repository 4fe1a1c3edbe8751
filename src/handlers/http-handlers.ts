import type { ApplicationFunctionOptions, Logger } from "probot";

type Handler = Parameters<ApplicationFunctionOptions["addHandler"]>[0];

/**
 * Adds `handlers` to Probot's HTTP server, when the app runs on one. Probot loaded without a server
 * (tests, `probot receive`) passes an `addHandler` that throws "No server instance": there is nothing to
 * serve pages from, and webhook handling must still load, so that is logged at debug level and skipped.
 */
export function addHttpHandlers(addHandler: ApplicationFunctionOptions["addHandler"] | undefined, handlers: Handler[], log: Pick<Logger, "debug">): void {
  if (!addHandler) return;
  try {
    for (const handler of handlers) addHandler(handler);
  } catch (error) {
    if (!(error instanceof Error && error.message === "No server instance")) throw error;
    log.debug("countersign: no HTTP server; /metrics, /healthz, /readyz and the evidence page are not served");
  }
}
