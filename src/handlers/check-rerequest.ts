import type { Context } from "probot";
import { pullRequestForCommit } from "../db/check-run-records.js";
import { CHECK_NAME } from "../github/check-runs.js";
import type { AppServices } from "../services/create-services.js";
import { evaluateAndReport } from "../services/evaluation-queue.js";
import { eventContext } from "./event-context.js";

type Rerequest = { headSha: string; pullRequests: number[] };

async function reevaluate(services: AppServices, context: Context<"check_run.rerequested" | "check_suite.rerequested">, request: Rerequest): Promise<void> {
  const event = eventContext(services, context, context.payload);
  const numbers = new Set(request.pullRequests);
  if (numbers.size === 0) {
    // GitHub lists no pull requests for a commit on a fork's branch; the check run's own record does.
    const known = await pullRequestForCommit(services.db, event.repo.id, request.headSha);
    if (known !== null) numbers.add(known);
  }
  if (numbers.size === 0) {
    // A direct push's failing check stays failing: re-running it cannot make the push reviewed.
    context.log.info({ sha: request.headSha }, "countersign: re-run requested for a commit without a pull request; nothing to re-evaluate");
    return;
  }
  // A re-run always writes the check run, even when the decision is unchanged: someone asked for it.
  for (const prNumber of numbers) await evaluateAndReport(services, event, { prNumber, headShaHint: request.headSha, forceWrite: true });
}

/** check_run.rerequested: the Re-run button on Countersign's check. */
export async function onCheckRunRerequested(services: AppServices, context: Context<"check_run.rerequested">): Promise<void> {
  const { check_run: run } = context.payload;
  if (run.name !== CHECK_NAME) return;
  await reevaluate(services, context, { headSha: run.head_sha, pullRequests: run.pull_requests.map((pr) => pr.number) });
}

/** check_suite.rerequested: "Re-run all checks". */
export async function onCheckSuiteRerequested(services: AppServices, context: Context<"check_suite.rerequested">): Promise<void> {
  const { check_suite: suite } = context.payload;
  await reevaluate(services, context, { headSha: suite.head_sha, pullRequests: suite.pull_requests.map((pr) => pr.number) });
}
