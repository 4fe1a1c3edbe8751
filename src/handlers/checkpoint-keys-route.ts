import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuditCheckpoints } from "../services/audit-checkpoints.js";

// The public keys that check the app's audit checkpoints, published so that anyone holding a
// checkpoint (from a check run, the logs, an export) can check it: the current key first, then the
// rotated-out keys, which still check what they signed.

/** Where the checkpoint keys are published: one public key per line, the current one first. */
export const CHECKPOINT_KEYS_PATH = "/.well-known/countersign-checkpoint-keys";

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
