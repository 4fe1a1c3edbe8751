import type { Probot } from "probot";
import { instrumentGitHubRequests } from "../observability/github-requests.js";
import type { AppServices } from "../services/create-services.js";
import { sweepExpiredDelegations } from "../services/expire-delegations.js";

/**
 * The expiry sweep, every `everyMs` (0 turns it off): delegations past their expiry are marked expired
 * and the pull requests that relied on them re-evaluated, as the app's installation, with its GitHub
 * requests counted. A failed sweep is logged and counted; the next one tries again. The timer does not
 * keep the process alive.
 */
export function startExpirySweep(app: Pick<Probot, "auth" | "log">, services: AppServices, everyMs: number): void {
  if (everyMs <= 0) return;
  const sweep = () =>
    sweepExpiredDelegations(services, async (installationId) => instrumentGitHubRequests(await app.auth(installationId), services.metrics), app.log).catch((error: unknown) => {
      services.metrics.recordError("expiry_sweep");
      app.log.error({ err: error }, "countersign: expiry sweep failed; it will run again");
    });
  setInterval(sweep, everyMs).unref();
}
