import { createHash } from "node:crypto";
import { CHECK_RUN_CLAIM_LAPSE_MS, claimCheckRunCreation, findCheckRun, releaseCheckRunClaim, saveCheckRunId } from "../db/check-run-records.js";
import type { CheckRunOutput } from "../evidence/check-run-output.js";
import { writeCheckRun } from "../github/check-runs.js";
import type { Conclusion } from "../policy/evaluate.js";
import type { EventContext, Services } from "./deps.js";

// Writing the `Countersign` check run on a commit: one check run per commit (created once, even by
// two replicas at once, then updated), and no write when it already says what would be written.

/**
 * What a check run says, for "has it changed?": the conclusion, title, details link and summary
 * without its footer (evaluated-at time and delivery id change on every evaluation, the decision does
 * not). Re-evaluating an unchanged pull request then costs no write.
 */
export function outputFingerprint(conclusion: Conclusion, output: CheckRunOutput, detailsUrl: string | null): string {
  const footer = output.summary.lastIndexOf("\n---\nHead ");
  const body = footer === -1 ? output.summary : output.summary.slice(0, footer);
  return createHash("sha256").update(JSON.stringify([conclusion, output.title, body, detailsUrl])).digest("hex");
}

/**
 * Commits whose check run was written without its record being saved (the database failed just then),
 * with the id written: the record's hash is stale, and after a fallback write its id may be too. Until
 * a write is recorded again, writes on such a commit go to that check run and are never skipped (a
 * skip would leave the failure in place of an unchanged decision). Per process: a replica that did
 * not see the failure trusts the record, which at worst keeps the check blocking until the decision
 * next changes or the check is re-run.
 */
const unrecordedByDatabase = new WeakMap<Services["db"], Map<string, number | null>>();
const MAX_UNRECORDED = 10_000;

function unrecordedOf(services: Services): Map<string, number | null> {
  let map = unrecordedByDatabase.get(services.db);
  if (!map) unrecordedByDatabase.set(services.db, (map = new Map()));
  return map;
}

function rememberUnrecorded(unrecorded: Map<string, number | null>, key: string, checkRunId: number | null): void {
  if (unrecorded.size >= MAX_UNRECORDED) unrecorded.clear();
  unrecorded.set(key, checkRunId);
}

/** Where a check run is written: the commit, its pull request, the details link, and whether to write even when unchanged. */
export interface CheckRunTarget {
  headSha: string;
  prNumber: number | null;
  detailsUrl?: string;
  forceWrite?: boolean;
}

/**
 * Writes the check run on `headSha`, updating the one already there, and remembers its id; skips the
 * write when the check run already says exactly this.
 */
export async function publishCheckRun(services: Services, event: EventContext, target: CheckRunTarget, conclusion: Conclusion, output: CheckRunOutput): Promise<number> {
  const { checkRunId, recorded } = await writeCheckRunThenRecord(services, event, target, conclusion, output);
  await recorded;
  return checkRunId;
}

/**
 * `publishCheckRun`, answering once the check run is written, with the saving of its record still
 * under way (`recorded`, which the caller must await): the caller's next statement (the publishing
 * order's re-read) then runs beside it, one database round trip fewer for the evaluation to wait on.
 */
export async function writeCheckRunThenRecord(
  services: Services,
  event: EventContext,
  target: CheckRunTarget,
  conclusion: Conclusion,
  output: CheckRunOutput,
): Promise<{ checkRunId: number; recorded: Promise<void> }> {
  let existing = (await findCheckRun(services.db, event.repo.id, target.headSha)) ?? (await awaitCheckRunCreation(services, event.repo.id, target.headSha, target.prNumber));
  const key = `${event.repo.id}:${target.headSha}`;
  const unrecorded = unrecordedOf(services);
  if (unrecorded.has(key)) {
    const id = unrecorded.get(key) ?? existing?.checkRunId ?? null;
    existing = id === null ? null : { checkRunId: id, outputHash: null };
  }
  const fingerprint = outputFingerprint(conclusion, output, target.detailsUrl ?? null);
  if (existing && existing.outputHash === fingerprint && !target.forceWrite) return { checkRunId: existing.checkRunId, recorded: Promise.resolve() };
  let id: number;
  try {
    id = await writeCheckRun(event.octokit, event.repo, existing?.checkRunId ?? null, {
      headSha: target.headSha,
      conclusion,
      title: output.title,
      summary: output.summary,
      ...(target.detailsUrl ? { detailsUrl: target.detailsUrl } : {}),
    });
  } catch (error) {
    if (!existing) await releaseCheckRunClaim(services.db, event.repo.id, target.headSha).catch(() => undefined);
    throw error;
  }
  const recorded = saveCheckRunId(services.db, event.repo.id, target.headSha, id, target.prNumber, fingerprint).then(
    () => void unrecorded.delete(key),
    (error: unknown) => {
      rememberUnrecorded(unrecorded, key, id);
      throw error;
    },
  );
  // Awaited by the caller; this keeps a failure from counting as unhandled before it is.
  recorded.catch(() => undefined);
  return { checkRunId: id, recorded };
}

/**
 * When no check run exists on a commit yet, either claims its creation (returns null: create it) or
 * waits for the process that claimed it to finish (returns that check run, to update). A claim whose
 * process died, or whose write failed, lapses and is taken over.
 */
async function awaitCheckRunCreation(services: Services, repoId: number, headSha: string, prNumber: number | null): Promise<{ checkRunId: number; outputHash: string | null } | null> {
  for (let waited = 0; waited <= CHECK_RUN_CLAIM_LAPSE_MS + 1_000; waited += 50) {
    if (await claimCheckRunCreation(services.db, repoId, headSha, prNumber)) return null;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const created = await findCheckRun(services.db, repoId, headSha);
    if (created) return created;
  }
  // Still claimed after the lapse (clocks apart?): create it rather than leave the commit unchecked.
  return null;
}

/**
 * Writes a blocking check run when an evaluation failed. Like `publishCheckRun` (one check run per
 * commit, the record kept), but the database may be what failed: then the check run is written
 * without it (updating the known check run if the record can still be read, else creating one), so
 * the commit is blocked whatever else is down, and the commit's recorded hash is distrusted until a
 * write is recorded again. Throws only when GitHub refused the write itself.
 */
export async function publishFailureCheckRun(services: Services, event: EventContext, target: { headSha: string; prNumber: number | null }, output: CheckRunOutput): Promise<number> {
  try {
    return await publishCheckRun(services, event, target, "failure", output);
  } catch (error) {
    if (typeof (error as { status?: unknown }).status === "number") throw error;
    const key = `${event.repo.id}:${target.headSha}`;
    const unrecorded = unrecordedOf(services);
    const known = unrecorded.get(key) ?? (await findCheckRun(services.db, event.repo.id, target.headSha).catch(() => null))?.checkRunId ?? null;
    rememberUnrecorded(unrecorded, key, known);
    const id = await writeCheckRun(event.octokit, event.repo, known, { headSha: target.headSha, conclusion: "failure", title: output.title, summary: output.summary });
    rememberUnrecorded(unrecorded, key, id);
    return id;
  }
}
