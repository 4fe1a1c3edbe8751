import { randomBytes } from "node:crypto";
import { ZodError } from "zod";
import { rateLimitDelayMs } from "./retry-scheduler.js";
import { latestCheckRunForPullRequest } from "../db/check-run-records.js";
import type { Store } from "../db/client.js";
import { failDelivery } from "../db/deliveries.js";
import { renderEvaluationFailure } from "../evidence/blocking-outputs.js";
import { IncompleteFileList } from "../github/changed-files.js";
import type { Metrics } from "../observability/metrics.js";
import { publishFailureCheckRun } from "./check-run-publisher.js";
import type { EventContext } from "./event-context.js";
import { recordDecisionWithEvent } from "./record-decision.js";

/** What failing closed needs: the database (which may be what failed), the clock, and the error metrics. */
export interface FailClosedDeps {
  db: Store;
  clock: () => Date;
  metrics: Metrics;
}

/** A short id that appears both in the blocking check run and in the log line with the full error. */
export function newErrorId(): string {
  return `cs-${randomBytes(5).toString("hex")}`;
}

/**
 * What failed, in words fit for a check run: the kind of failure and where, never the raw message
 * (which could carry request details). The full error goes to the log under the error id.
 */
export function describeFailure(error: unknown): string {
  const err = error as { status?: number; name?: string; request?: { method?: string; url?: string }; errors?: unknown };
  // Countersign's own words, with counts only: a file list GitHub did not give in full.
  if (error instanceof IncompleteFileList) return error.message;
  if (error instanceof ZodError) return "GitHub returned data in a shape Countersign did not expect";
  if (typeof err.status === "number") {
    const where = err.request?.url ? ` on ${err.request.method ?? "GET"} ${new URL(err.request.url).pathname}` : "";
    const kind = err.status === 403 || err.status === 429 ? "GitHub API refused the request (permission or rate limit)" : "GitHub API error";
    return `${kind}: HTTP ${err.status}${where}`;
  }
  if (err.name === "GraphqlResponseError" || Array.isArray(err.errors)) return "GitHub GraphQL query returned errors";
  if (typeof err.name === "string" && err.name.startsWith("PrismaClient")) return "Countersign's database could not be read or written";
  if (error instanceof Error && /SQLITE|database/i.test(error.message)) return "Countersign's database could not be read or written";
  return "an unexpected error inside Countersign";
}

async function findHeadSha(services: FailClosedDeps, event: EventContext, prNumber: number | null, hint: string | null): Promise<string | null> {
  if (hint) return hint;
  if (prNumber === null) return null;
  try {
    return await event.github.pullRequestHeadSha(event.repo, prNumber);
  } catch {
    // GitHub is failing too: fall back to the last commit Countersign wrote a check run on.
  }
  try {
    return (await latestCheckRunForPullRequest(services.db, event.repo.id, prNumber))?.headSha ?? null;
  } catch {
    return null;
  }
}

/**
 * Handles a failed evaluation: logs the error with an id, and sets the check run on the head commit to
 * a blocking "could not evaluate", replacing any earlier success on that commit. Each step is tried
 * on its own, so a database outage still blocks the check and a GitHub outage is still logged.
 */
export async function failClosed(
  services: FailClosedDeps,
  event: EventContext,
  subject: { prNumber: number | null; headSha: string | null },
  error: unknown,
  retryAt: Date | null = null,
): Promise<string> {
  const errorId = newErrorId();
  const cause = describeFailure(error);
  services.metrics.recordError("evaluation");
  // A failed delivery may be redelivered to try again (see deliveries/delivery-inbox.ts).
  if (event.deliveryId) await failDelivery(services.db, event.deliveryId, services.clock()).catch(() => undefined);
  event.log.error({ err: error, errorId, repo: event.repo.fullName, pr: subject.prNumber, deliveryId: event.deliveryId }, `countersign: evaluation failed (${errorId}): ${cause}`);
  const now = services.clock();
  const headSha = await findHeadSha(services, event, subject.prNumber, subject.headSha);
  if (!headSha) {
    event.log.error({ errorId }, "countersign: could not find the commit to block; the check run was not updated");
    return errorId;
  }
  const rateLimited = rateLimitDelayMs(error, now) !== null;
  const output = renderEvaluationFailure(errorId, cause, headSha, { evaluatedAt: now, deliveryId: event.deliveryId, policySource: "not loaded", policyHash: null }, retryAt, rateLimited);
  let checkRunId: number | null = null;
  try {
    checkRunId = await publishFailureCheckRun(services, event, { headSha, prNumber: subject.prNumber }, output);
  } catch (writeError) {
    event.log.error({ err: writeError, errorId }, "countersign: could not write the blocking check run");
  }
  try {
    await recordDecisionWithEvent(
      services,
      {
        repo: { id: event.repo.id, fullName: event.repo.fullName },
        prNumber: subject.prNumber,
        headSha,
        conclusion: "failure",
        title: output.title,
        reasons: ["evaluation-failed"],
        deliveryId: event.deliveryId,
        delegationId: null,
        checkRunId,
        errorId,
        policy: null,
        evaluatedAt: now,
      },
      { type: "evaluation.failed", actor: null, payload: { errorId, cause } },
    );
  } catch (recordError) {
    event.log.error({ err: recordError, errorId }, "countersign: could not record the failed evaluation");
  }
  return errorId;
}
