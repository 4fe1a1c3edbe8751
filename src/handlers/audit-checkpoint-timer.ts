import type { Logger } from "probot";
import type { AppServices } from "../services/create-services.js";
import type { AuditCheckpoints } from "../services/audit-checkpoints.js";

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
