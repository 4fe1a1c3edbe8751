import { createHash } from "node:crypto";
import {
  CHECK_RUN_CLAIM_LAPSE_MS,
  claimCheckRunCreation,
  findCheckRun,
  markCheckRunUnsaved,
  releaseCheckRunClaim,
  saveCheckRunId,
  unsavedCheckRun,
  type CheckRunSave,
} from "../db/check-run-records.js";
import type { CheckRunAtClaim } from "../db/evaluation-order.js";
import type { CheckRunOutput } from "../evidence/check-run-output.js";
import { writeCheckRun } from "../github/check-runs.js";
import type { Conclusion } from "../policy/evaluate.js";
import type { EventContext, Services } from "./deps.js";

// Writing the `Countersign` check run on a commit: one check run per commit (created once, even by
// two replicas at once, then updated), and no write when it already says what would be written.

/**
 * What a check run says, for "has it changed?": the conclusion, title, details link, the summary
 * without its footer's evaluated-at time and delivery id (they change on every evaluation, the
 * decision does not), and the policy the footer names (a new policy version is news even when it
 * decides the same). Re-evaluating an unchanged pull request then costs no write.
 */
export function outputFingerprint(conclusion: Conclusion, output: CheckRunOutput, detailsUrl: string | null): string {
  const footer = output.summary.lastIndexOf("\n---\nHead ");
  const body = footer === -1 ? output.summary : output.summary.slice(0, footer);
  const provenance = footer === -1 ? "" : output.summary.slice(footer);
  const policyAt = provenance.lastIndexOf(" · policy: ");
  const policy = policyAt === -1 ? "" : provenance.slice(policyAt);
  return createHash("sha256").update(JSON.stringify([conclusion, output.title, body, detailsUrl, policy])).digest("hex");
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
  const written = await writeCheckRunUnsaved(services, event, target, conclusion, output);
  if (written.save) await saveCheckRunId(services.db, written.save.repoId, written.save.headSha, written.save.checkRunId, written.save.prNumber, written.save.outputHash);
  return written.checkRunId;
}

/**
 * `publishCheckRun` without saving the record: returns what to save (null when nothing was written),
 * so that the caller saves it with its next statement (publishing in order re-reads the order then).
 * `known` is the commit's record when the caller has just read it (and whether it claimed the check
 * run's creation with it); undefined reads it here.
 */
export async function writeCheckRunUnsaved(
  services: Services,
  event: EventContext,
  target: CheckRunTarget,
  conclusion: Conclusion,
  output: CheckRunOutput,
  known?: CheckRunAtClaim,
): Promise<{ checkRunId: number; save: CheckRunSave | null }> {
  const recorded = known === undefined ? await findCheckRun(services.db, event.repo.id, target.headSha) : known.checkRun;
  const existing = recorded ?? (known?.creationClaimed ? null : await awaitCheckRunCreation(services, event.repo.id, target.headSha, target.prNumber));
  const fingerprint = outputFingerprint(conclusion, output, target.detailsUrl ?? null);
  if (existing && existing.outputHash === fingerprint && !target.forceWrite) return { checkRunId: existing.checkRunId, save: null };
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
  return { checkRunId: id, save: { repoId: event.repo.id, headSha: target.headSha, checkRunId: id, prNumber: target.prNumber, outputHash: fingerprint } };
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
    const known = (await findCheckRun(services.db, event.repo.id, target.headSha).catch(() => null))?.checkRunId ?? unsavedCheckRun(services.db, event.repo.id, target.headSha) ?? null;
    markCheckRunUnsaved(services.db, event.repo.id, target.headSha, known);
    const id = await writeCheckRun(event.octokit, event.repo, known, { headSha: target.headSha, conclusion: "failure", title: output.title, summary: output.summary });
    markCheckRunUnsaved(services.db, event.repo.id, target.headSha, id);
    return id;
  }
}
