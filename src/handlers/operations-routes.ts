import type { IncomingMessage, ServerResponse } from "node:http";
import type { Metrics } from "../observability/metrics.js";
import type { ReadinessCheck } from "../observability/readiness.js";
import type { Log } from "../services/event-context.js";

/** What the operations endpoints read: the app's metrics, and how to tell whether it is ready. */
export interface OperationsSettings {
  metrics: Metrics;
  /** The readiness check; null when none was configured, which `/readyz` reports as not ready. */
  readiness: ReadinessCheck | null;
  log: Log;
}

const PATHS = new Set(["/metrics", "/healthz", "/readyz"]);

// Probes and scrapers must always see the current answer, never a cached one.
const NO_STORE = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

function send(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string): true {
  res.writeHead(status, { ...NO_STORE, "content-type": contentType });
  res.end(req.method === "HEAD" ? undefined : body);
  return true;
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: Record<string, unknown>): true {
  return send(req, res, status, "application/json; charset=utf-8", JSON.stringify(body));
}

/**
 * Serves the operations endpoints on Probot's HTTP server: `GET /metrics` (Prometheus text format),
 * `GET /healthz` (the process is up and serving HTTP) and `GET /readyz` (the database answers and is
 * migrated; 503 naming the problem otherwise). Returns false for any other path.
 */
export function operationsRoutes(settings: OperationsSettings): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const path = new URL(req.url ?? "/", "http://countersign.invalid").pathname;
    if (!PATHS.has(path)) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { ...NO_STORE, allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      res.end("Method Not Allowed");
      return true;
    }
    if (path === "/healthz") return sendJson(req, res, 200, { status: "ok" });
    if (path === "/metrics") {
      try {
        return send(req, res, 200, settings.metrics.registry.contentType, await settings.metrics.registry.metrics());
      } catch (error) {
        settings.log.error({ err: error }, "countersign: could not collect metrics");
        return send(req, res, 500, "text/plain; charset=utf-8", "Countersign could not collect its metrics; see the app's logs.");
      }
    }
    if (!settings.readiness) return sendJson(req, res, 503, { status: "not ready", problems: ["readiness: no readiness check is configured"] });
    try {
      const readiness = await settings.readiness(settings.log);
      return readiness.ok ? sendJson(req, res, 200, { status: "ready" }) : sendJson(req, res, 503, { status: "not ready", problems: readiness.problems });
    } catch (error) {
      // A readiness check is meant to answer, not throw; if it does, the error stays in the log.
      settings.log.error({ err: error }, "countersign: the readiness check failed");
      return sendJson(req, res, 503, { status: "not ready", problems: ["readiness: the check itself failed; see the app's logs"] });
    }
  };
}
