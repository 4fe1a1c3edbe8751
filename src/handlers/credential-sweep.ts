import type { Probot, ProbotOctokit } from "probot";
import type { CredentialAppSettings } from "../config/env.schema.js";
import { endDueCredentials } from "../credentials/end-credentials.js";
import type { AppServices } from "../services/create-services.js";

/**
 * Revokes issued credentials when their effective expiry passes or their delegation ends, on a timer
 * (every replica sweeps; a credential is ended, and recorded, once).
 */
export function startCredentialSweep(app: Pick<Probot, "log">, services: AppServices, credentialApp: CredentialAppSettings, octokitWithToken: (token: string) => ProbotOctokit, everyMs: number): void {
  if (everyMs <= 0) return;
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      await endDueCredentials({ db: services.db, tokenKey: credentialApp.tokenKey, octokitWithToken, clock: services.clock, log: app.log, recordFailure: () => services.metrics.recordError("credential_revoke") });
    } catch (error) {
      services.metrics.recordError("credential_sweep");
      app.log.error({ error: { name: (error as Error).name, message: (error as Error).message } }, "countersign: the credential sweep failed; it will run again");
    } finally {
      running = false;
    }
  };
  setInterval(() => void sweep(), everyMs).unref();
}
