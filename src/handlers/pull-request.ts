import type { Context } from "probot";
import type { Services } from "../services/deps.js";
import { evaluateAndReport } from "../services/evaluate-pull-request.js";
import { eventContext } from "./event-context.js";

/** The pull_request actions that can change a decision. */
export const PULL_REQUEST_ACTIONS = ["opened", "reopened", "synchronize", "edited", "ready_for_review"] as const;

/** pull_request: re-evaluate the PR (a new head, a new body that may link an issue, a reopen). */
export async function onPullRequest(services: Services, context: Context<"pull_request">): Promise<void> {
  const { pull_request: pr } = context.payload;
  if (pr.state !== "open") return;
  await evaluateAndReport(services, eventContext(context, context.payload), { prNumber: pr.number, headShaHint: pr.head.sha });
}
