import type { Context } from "probot";
import { octokitGitHub } from "../github/octokit-github.js";
import type { AppServices } from "../services/create-services.js";
import type { EventContext } from "../services/event-context.js";

/** The payload fields every repository event carries, validated by the webhook types. */
interface RepositoryPayload {
  repository: { id: number; name: string; full_name: string; owner: { login: string } | null };
  installation?: { id: number } | null;
}

/** Builds the services' view of an event from a Probot context: its installation's client becomes their `GitHub`. */
export function eventContext(services: Pick<AppServices, "gitHubCaches">, context: Context, payload: RepositoryPayload): EventContext {
  return {
    github: octokitGitHub(context.octokit, services.gitHubCaches),
    log: context.log,
    repo: {
      // Every repository has an owner; the push payload's type merely allows null.
      owner: payload.repository.owner?.login ?? payload.repository.full_name.split("/")[0] ?? "",
      name: payload.repository.name,
      id: payload.repository.id,
      fullName: payload.repository.full_name,
    },
    deliveryId: context.id ?? null,
    installationId: payload.installation?.id ?? null,
  };
}
