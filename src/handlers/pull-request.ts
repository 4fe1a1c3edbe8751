import type { Context } from "probot";
import { toWebhookActor } from "../github/webhook-actor.js";
import type { AppServices } from "../services/create-services.js";
import { evaluateAndReport } from "../services/evaluation-queue.js";
import { recordPullRequestClosed } from "../services/record-merge.js";
import { eventContext } from "./event-context.js";

/** The pull_request actions that can change a decision, or end one (closed). */
export const PULL_REQUEST_ACTIONS = ["opened", "reopened", "synchronize", "edited", "ready_for_review", "closed"] as const;

/** pull_request: re-evaluate the PR (a new head, a new body that may link an issue, a reopen); record a merge. */
export async function onPullRequest(services: AppServices, context: Context<"pull_request">): Promise<void> {
  const { payload } = context;
  const { pull_request: pr } = payload;
  const event = eventContext(services, context, payload);
  if (payload.action === "closed") {
    await recordPullRequestClosed(services, event, {
      number: pr.number,
      merged: pr.merged === true,
      headSha: pr.head.sha,
      headRef: pr.head.ref,
      headInRepo: pr.head.repo?.id === pr.base.repo.id,
      baseRef: pr.base.ref,
      mergeCommitSha: pr.merge_commit_sha ?? null,
      mergedBy: pr.merged_by ? toWebhookActor(pr.merged_by) : null,
      closedBy: toWebhookActor(payload.sender),
      url: pr.html_url,
      at: pr.merged_at ? new Date(pr.merged_at) : pr.closed_at ? new Date(pr.closed_at) : services.clock(),
    });
    return;
  }
  if (pr.state !== "open") return;
  // GitHub names who pushed (the sender), which the commits' own metadata cannot be trusted to.
  const pushes =
    payload.action === "synchronize"
      ? [{ pusher: toWebhookActor(payload.sender), beforeSha: payload.before, afterSha: payload.after, forced: false, deliveryId: event.deliveryId }]
      : undefined;
  await evaluateAndReport(services, event, {
    prNumber: pr.number,
    headShaHint: pr.head.sha,
    ...(pushes ? { pushes } : {}),
    ...(payload.action === "opened" || payload.action === "reopened" ? { readActivity: true } : {}),
  });
}
