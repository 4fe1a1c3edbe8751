import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "probot";
import type { AppServices } from "../services/create-services.js";
import type { AuditCheckpoints } from "../services/audit-checkpoints.js";

/** Where the checkpoint keys are published: one public key per line, the current one first. */
export const CHECKPOINT_KEYS_PATH = "/.well-known/countersign-checkpoint-keys";

/**
 * Signs the audit log's head at start-up and then every `everyMs` (every replica signs; a tree size
 * is stored once). Each new checkpoint is logged in full: logs shipped elsewhere are a second witness
 * beside the check runs. A refusal (the log failed the signer's checks) is an error to act on.
 */
export function startCheckpointSigning(log: Pick<Logger, "info" | "error" | "debug">, services: AppServices, checkpoints: AuditCheckpoints, everyMs: number): { stop: () => void; signNow: () => Promise<void> } {
  let running: Promise<void> | null = null;
  const signNow = (): Promise<void> => {
    running ??= (async () => {
      try {
        const outcome = await checkpoints.sign(services.db, services.clock);
        if (outcome.kind === "signed") {
          log.info({ treeSize: outcome.checkpoint.treeSize, rootHash: outcome.checkpoint.rootHash, headHash: outcome.checkpoint.headHash, note: outcome.note }, "countersign: audit checkpoint signed");
        } else if (outcome.kind === "refused") {
          services.metrics.recordError("audit_checkpoint");
          log.error({ reason: outcome.reason }, "countersign: the audit log failed its checks and was not signed; check runs keep the last good checkpoint. Run `countersign audit verify` now");
        } else {
          log.debug({ outcome: outcome.kind }, "countersign: audit checkpoint not needed");
        }
      } catch (error) {
        services.metrics.recordError("audit_checkpoint");
        log.error({ error: { name: (error as Error).name, message: (error as Error).message } }, "countersign: the audit checkpoint could not be signed; it will be tried again");
      } finally {
        running = null;
      }
    })();
    return running;
  };
  void signNow();
  const timer = setInterval(() => void signNow(), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), signNow };
}

/** Serves the checkpoint public keys (text/plain, one per line, current first), so anyone can check a checkpoint. */
export function checkpointKeysRoute(checkpoints: AuditCheckpoints): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    if (new URL(req.url ?? "/", "http://countersign.invalid").pathname !== CHECKPOINT_KEYS_PATH) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      res.end("Method Not Allowed");
      return true;
    }
    const body = `${checkpoints.publicKeys.map((key) => key.encoded).join("\n")}\n`;
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "public, max-age=300", "x-content-type-options": "nosniff" });
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}
