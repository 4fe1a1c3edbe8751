import { createHash } from "node:crypto";
import { CHECK_RUN_CLAIM_LAPSE_MS, claimCheckRunCreation, findCheckRun, releaseCheckRunClaim, saveCheckRunId, type CheckRunSave, type KnownCheckRun } from "../db/check-run-records.js";
import type { Store } from "../db/client.js";
import {
  claimAndFindCheckRun,
  parsePublishedOutput,
  readOrder,
  saveCheckRunAndReadOrder,
  savesAndReadsOrderAtOnce,
  takeTicket,
  type CheckRunAtClaim,
  type OrderState,
  type PublishedOutput,
} from "../db/evaluation-order.js";
import { checkpointText, type CheckRunOutput } from "../evidence/check-run-output.js";
import type { Conclusion } from "../policy/evaluate.js";
import type { EventContext } from "./event-context.js";

// Publishing the `Countersign` check run: one check run per commit (created once, even by two
// replicas at once, then updated), no write when it already says what would be written, and, for
// evaluations, publication in the order they started (src/db/evaluation-order.ts holds the
// statements): ticket → claim → write → save → re-check. The database offers statements only; the
// GitHub writes, the waiting and what this process knows beyond the database live here.

/** What the publisher needs: the database its records and the evaluation order live in. */
export interface PublisherDeps {
  db: Store;
  /**
   * The newest signed audit checkpoint, which every check-run write carries as its text (null: none
   * yet, or no checkpoint key). Not part of the fingerprint: a new checkpoint is no reason to write.
   */
  auditCheckpoints?: { latestNote: string | null } | null;
}

/** The check run's text: the newest audit checkpoint, if any. */
function outputText(deps: PublisherDeps): { text?: string } {
  const note = deps.auditCheckpoints?.latestNote;
  return note ? { text: checkpointText(note) } : {};
}

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

// Check runs written without their record being saved (the database failed just then), per database
// and commit, with the id written (null when unknown). Until a save succeeds, the record's hash is
// stale and after a fallback write its id may be too: reads then give that id with no hash, so the
// next write goes to that check run and is never skipped (a skip would leave, say, a failure in place
// of an unchanged decision). Per process: a replica that did not see the failure trusts the record,
// which at worst keeps the check blocking until the decision next changes or the check is re-run.
// Kept on the store (`db.unsavedCheckRuns`), beside the records it overrides.
const MAX_UNSAVED = 10_000;

/** Remembers that the check run `checkRunId` (null: unknown) was written on a commit and not recorded. */
function markCheckRunUnsaved(db: Store, repoId: number, headSha: string, checkRunId: number | null): void {
  const unsaved = db.unsavedCheckRuns;
  if (unsaved.size >= MAX_UNSAVED) unsaved.clear();
  unsaved.set(`${repoId}:${headSha}`, checkRunId);
}

/** A record was saved: reads trust it again. */
function checkRunSaved(db: Store, repoId: number, headSha: string): void {
  db.unsavedCheckRuns.delete(`${repoId}:${headSha}`);
}

/** The check run a write that was not recorded left on a commit, if any (undefined: none). */
function unsavedCheckRun(db: Store, repoId: number, headSha: string): number | null | undefined {
  const unsaved = db.unsavedCheckRuns;
  const key = `${repoId}:${headSha}`;
  return unsaved.has(key) ? (unsaved.get(key) ?? null) : undefined;
}

/** A commit's recorded check run as it is to be trusted: an unsaved write wins over the record. */
function trustedCheckRun(db: Store, repoId: number, headSha: string, recorded: KnownCheckRun | null): KnownCheckRun | null {
  const unsaved = unsavedCheckRun(db, repoId, headSha);
  if (unsaved === undefined) return recorded;
  const checkRunId = unsaved ?? recorded?.checkRunId ?? null;
  return checkRunId === null ? null : { checkRunId, outputHash: null };
}

/** Countersign's check run on a commit as this process trusts it, and the hash of the output last written to it. */
async function readCheckRun(db: Store, repoId: number, headSha: string): Promise<KnownCheckRun | null> {
  return trustedCheckRun(db, repoId, headSha, await findCheckRun(db, repoId, headSha));
}

/** Runs a statement that saves a written check run's record: a failure leaves the check run marked unsaved. */
async function savingRecord<T>(db: Store, save: CheckRunSave, statement: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await statement();
  } catch (error) {
    markCheckRunUnsaved(db, save.repoId, save.headSha, save.checkRunId);
    throw error;
  }
  checkRunSaved(db, save.repoId, save.headSha);
  return result;
}

/**
 * Writes the check run on `headSha`, updating the one already there, and remembers its id; skips the
 * write when the check run already says exactly this.
 */
export async function publishCheckRun(deps: PublisherDeps, event: EventContext, target: CheckRunTarget, conclusion: Conclusion, output: CheckRunOutput): Promise<number> {
  const written = await writeCheckRunUnsaved(deps, event, target, conclusion, output);
  const save = written.save;
  if (save) await savingRecord(deps.db, save, () => saveCheckRunId(deps.db, save.repoId, save.headSha, save.checkRunId, save.prNumber, save.outputHash));
  return written.checkRunId;
}

/**
 * `publishCheckRun` without saving the record: returns what to save (null when nothing was written),
 * so that publishing in order saves it with its next statement (the order is re-read then). `known` is
 * the commit's record when the caller has just read it (and whether it claimed the check run's
 * creation with it); undefined reads it here.
 */
async function writeCheckRunUnsaved(
  deps: PublisherDeps,
  event: EventContext,
  target: CheckRunTarget,
  conclusion: Conclusion,
  output: CheckRunOutput,
  known?: CheckRunAtClaim,
): Promise<{ checkRunId: number; save: CheckRunSave | null }> {
  const recorded = known === undefined ? await readCheckRun(deps.db, event.repo.id, target.headSha) : known.checkRun;
  const existing = recorded ?? (known?.creationClaimed ? null : await awaitCheckRunCreation(deps.db, event.repo.id, target.headSha, target.prNumber));
  const fingerprint = outputFingerprint(conclusion, output, target.detailsUrl ?? null);
  if (existing && existing.outputHash === fingerprint && !target.forceWrite) return { checkRunId: existing.checkRunId, save: null };
  let id: number;
  try {
    id = await event.github.writeCheckRun(event.repo, existing?.checkRunId ?? null, {
      headSha: target.headSha,
      conclusion,
      title: output.title,
      summary: output.summary,
      ...outputText(deps),
      ...(target.detailsUrl ? { detailsUrl: target.detailsUrl } : {}),
    });
  } catch (error) {
    if (!existing) await releaseCheckRunClaim(deps.db, event.repo.id, target.headSha).catch(() => undefined);
    throw error;
  }
  return { checkRunId: id, save: { repoId: event.repo.id, headSha: target.headSha, checkRunId: id, prNumber: target.prNumber, outputHash: fingerprint } };
}

/**
 * When no check run exists on a commit yet, either claims its creation (returns null: create it) or
 * waits for the process that claimed it to finish (returns that check run, to update). A claim whose
 * process died, or whose write failed, lapses and is taken over.
 */
async function awaitCheckRunCreation(db: Store, repoId: number, headSha: string, prNumber: number | null): Promise<KnownCheckRun | null> {
  for (let waited = 0; waited <= CHECK_RUN_CLAIM_LAPSE_MS + 1_000; waited += 50) {
    if (await claimCheckRunCreation(db, repoId, headSha, prNumber)) return null;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const created = await readCheckRun(db, repoId, headSha);
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
export async function publishFailureCheckRun(deps: PublisherDeps, event: EventContext, target: { headSha: string; prNumber: number | null }, output: CheckRunOutput): Promise<number> {
  try {
    return await publishCheckRun(deps, event, target, "failure", output);
  } catch (error) {
    if (typeof (error as { status?: unknown }).status === "number") throw error;
    const known = (await readCheckRun(deps.db, event.repo.id, target.headSha).catch(() => null))?.checkRunId ?? unsavedCheckRun(deps.db, event.repo.id, target.headSha) ?? null;
    markCheckRunUnsaved(deps.db, event.repo.id, target.headSha, known);
    const id = await event.github.writeCheckRun(event.repo, known, { headSha: target.headSha, conclusion: "failure", title: output.title, summary: output.summary, ...outputText(deps) });
    markCheckRunUnsaved(deps.db, event.repo.id, target.headSha, id);
    return id;
  }
}

/** An evaluation's place in its pull request's order: taken before anything is read. */
export interface PublishingTicket {
  prNumber: number;
  ticket: number;
}

/** Takes an evaluation's ticket: a later ticket means a later view of GitHub. */
export async function takePublishingTicket(deps: PublisherDeps, event: EventContext, prNumber: number): Promise<PublishingTicket> {
  return { prNumber, ticket: await takeTicket(deps.db, event.repo.id, prNumber) };
}

/** Saves a written check run's record (when there is one) and re-reads the order, at once. */
async function saveAndReadOrder(db: Store, key: { repoId: number; prNumber: number }, save: CheckRunSave | null): Promise<OrderState> {
  // Nothing was written (the check run already said this): the order is re-read alone.
  if (!save) return readOrder(db, key);
  if (savesAndReadsOrderAtOnce(db)) return savingRecord(db, save, () => saveCheckRunAndReadOrder(db, key, save));
  const [state] = await Promise.all([readOrder(db, key), savingRecord(db, save, () => saveCheckRunId(db, save.repoId, save.headSha, save.checkRunId, save.prNumber, save.outputHash))]);
  return state;
}

/**
 * Publishes an evaluation's output in ticket order. Returns false (writing nothing) when a later
 * evaluation has published already. Otherwise claims the newest place (reading the commit's check-run
 * record with it), writes, saves the written check run's record and checks that nothing newer for the
 * same head was published meanwhile; if something was, its output is written again, so the last write
 * on the check run is always the newest decision. `write` must be idempotent; it is given the check
 * run read with the claim on its first call (undefined afterwards: it reads the record itself), must
 * create the check run when the claim took its creation, and returns what to save (null when it wrote
 * nothing).
 */
export async function publishInOrder(
  db: Store,
  key: { repoId: number; prNumber: number; ticket: number },
  output: PublishedOutput,
  write: (output: PublishedOutput, known: CheckRunAtClaim | undefined) => Promise<CheckRunSave | null>,
): Promise<boolean> {
  const claim = await claimAndFindCheckRun(db, key, output);
  if (!claim.claimed) return false;

  let version = key.ticket;
  let content = output;
  let known: CheckRunAtClaim | undefined = { checkRun: trustedCheckRun(db, key.repoId, output.headSha, claim.checkRun), creationClaimed: claim.creationClaimed };
  // Each round either confirms the newest output is on the check run, or writes a newer one: the
  // number of rounds is bounded by the number of evaluations racing, so a small cap is ample.
  for (let round = 0; round < 10; round += 1) {
    const save = await write(content, known);
    known = undefined;
    const state = await saveAndReadOrder(db, key, save);
    if (!state || state.published === version || state.publishedSha !== output.headSha || !state.publishedOutput) return true;
    version = state.published;
    content = parsePublishedOutput(state.publishedOutput);
  }
  return true;
}

/**
 * Publishes an evaluation's check run in evaluation order: returns its id, or null when a
 * later-started evaluation of the pull request has published already. `onPublished` records what
 * the evaluation decided once its output is on the check run.
 */
export async function publishNewest(
  deps: PublisherDeps,
  event: EventContext,
  ticket: PublishingTicket,
  target: { headSha: string; detailsUrl: string; forceWrite?: boolean },
  conclusion: Conclusion,
  output: CheckRunOutput,
  onPublished?: (checkRunId: number) => Promise<void>,
): Promise<number | null> {
  let checkRunId: number | null = null;
  let recording: Promise<void> | null = null;
  let published: boolean;
  try {
    published = await publishInOrder(
      deps.db,
      { repoId: event.repo.id, prNumber: ticket.prNumber, ticket: ticket.ticket },
      { headSha: target.headSha, conclusion, title: output.title, summary: output.summary, detailsUrl: target.detailsUrl },
      async (content, known) => {
        const written = await writeCheckRunUnsaved(
          deps,
          event,
          { headSha: content.headSha, prNumber: ticket.prNumber, detailsUrl: content.detailsUrl ?? undefined, forceWrite: target.forceWrite },
          content.conclusion as Conclusion,
          { title: content.title, summary: content.summary },
          known,
        );
        checkRunId = written.checkRunId;
        // Once this evaluation's decision is on the check run, recording it needs only the check run's
        // id: it goes alongside saving the check run's record (one wait on the database, not two). A
        // later round rewrites a newer evaluation's output on the same check run, and records nothing.
        if (onPublished && !recording) {
          recording = onPublished(written.checkRunId);
          recording.catch(() => undefined);
        }
        return written.save;
      },
    );
  } catch (error) {
    if (recording) await Promise.allSettled([recording]);
    throw error;
  }
  if (recording) await recording;
  return published ? checkRunId : null;
}
