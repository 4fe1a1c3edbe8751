import type { Probot, ProbotOctokit } from "probot";
import type { CredentialAppSettings } from "../config/env.schema.js";
import { endDueCredentials } from "../credentials/end-credentials.js";
import { octokitGitHub } from "../github/octokit-github.js";
import { instrumentGitHubRequests } from "../observability/github-requests.js";
import type { AppServices } from "../services/create-services.js";
import { reevaluateDelegationPullRequests } from "../services/expire-delegations.js";

/**
 * Revokes issued credentials when their effective expiry passes, their delegation ends, or their
 * delegator loses write access (read as the main app's installation, with its GitHub requests
 * counted), on a timer (every replica sweeps; a credential is ended, and recorded, once).
 */
export function startCredentialSweep(app: Pick<Probot, "log" | "auth">, services: AppServices, credentialApp: CredentialAppSettings, octokitWithToken: (token: string) => ProbotOctokit, everyMs: number): void {
  if (everyMs <= 0) return;
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      await endDueCredentials({
        db: services.db,
        tokenKey: credentialApp.tokenKey,
        octokitWithToken,
        installationGitHub: async (installationId) => octokitGitHub(instrumentGitHubRequests(await app.auth(installationId), services.metrics), services.gitHubCaches),
        clock: services.clock,
        log: app.log,
        recordFailure: () => services.metrics.recordError("credential_revoke"),
        recordAccessReadFailure: () => services.metrics.recordError("delegator_access"),
        delegationRevoked: (delegation) => reevaluateDelegationPullRequests(services, (installationId) => app.auth(installationId), app.log, delegation),
      });
    } catch (error) {
      services.metrics.recordError("credential_sweep");
      app.log.error({ error: { name: (error as Error).name, message: (error as Error).message } }, "countersign: the credential sweep failed; it will run again");
    } finally {
      running = false;
    }
  };
  setInterval(() => void sweep(), everyMs).unref();
}
