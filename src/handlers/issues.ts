import type { Context } from "probot";
import { toWebhookActor } from "../github/webhook-actor.js";
import type { AppServices } from "../services/create-services.js";
import { recordIssueClosed } from "../services/record-issue-closed.js";
import { eventContext } from "./event-context.js";

/** issues.closed: the delegations given on the task issue end (services/record-issue-closed.ts). */
export async function onIssueClosed(services: AppServices, context: Context<"issues.closed">): Promise<void> {
  const { issue, sender } = context.payload;
  // GitHub sends pull requests' closes as pull_request events; an issue payload naming one is not a task issue.
  if ((issue as { pull_request?: unknown }).pull_request) return;
  await recordIssueClosed(services, eventContext(services, context, context.payload), { number: issue.number, closedBy: toWebhookActor(sender) });
}
