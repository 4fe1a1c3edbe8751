import type { Context } from "probot";
import type { AppServices } from "../services/create-services.js";
import { evaluateAndReport } from "../services/evaluation-queue.js";
import { eventContext } from "./event-context.js";

/** The review actions that can change which approvals count. */
export const REVIEW_ACTIONS = ["submitted", "edited", "dismissed"] as const;

/**
 * pull_request_review: re-evaluate. The review in the payload is not trusted on its own: the
 * evaluation reads every review (and its commit) back from GitHub.
 */
export async function onPullRequestReview(services: AppServices, context: Context<"pull_request_review">): Promise<void> {
  const { pull_request: pr, review } = context.payload;
  if (pr.state !== "open") return;
  await evaluateAndReport(services, eventContext(services, context, context.payload), { prNumber: pr.number, headShaHint: pr.head.sha, reviews: [{ id: review.id, deliveryId: context.id }] });
}
