import type { Database } from "./client.js";

/** A commit's check run as recorded: its id and the hash of the output last written to it. */
export interface KnownCheckRun {
  checkRunId: number;
  outputHash: string | null;
}

// Check runs written without their record being saved (the database failed just then), per database
// and commit, with the id written (null when unknown). Until a save succeeds, the record's hash is
// stale and after a fallback write its id may be too: reads then give that id with no hash, so the
// next write goes to that check run and is never skipped (a skip would leave, say, a failure in place
// of an unchanged decision). Per process: a replica that did not see the failure trusts the record,
// which at worst keeps the check blocking until the decision next changes or the check is re-run.
const unsavedByDatabase = new WeakMap<Database, Map<string, number | null>>();
const MAX_UNSAVED = 10_000;

function unsavedOf(db: Database): Map<string, number | null> {
  let unsaved = unsavedByDatabase.get(db);
  if (!unsaved) unsavedByDatabase.set(db, (unsaved = new Map()));
  return unsaved;
}

/** Remembers that the check run `checkRunId` (null: unknown) was written on a commit and not recorded. */
export function markCheckRunUnsaved(db: Database, repoId: number, headSha: string, checkRunId: number | null): void {
  const unsaved = unsavedOf(db);
  if (unsaved.size >= MAX_UNSAVED) unsaved.clear();
  unsaved.set(`${repoId}:${headSha}`, checkRunId);
}

/** The check run a write that was not recorded left on a commit, if any (undefined: none). */
export function unsavedCheckRun(db: Database, repoId: number, headSha: string): number | null | undefined {
  const unsaved = unsavedOf(db);
  const key = `${repoId}:${headSha}`;
  return unsaved.has(key) ? (unsaved.get(key) ?? null) : undefined;
}

/** A stored record as it is to be trusted: a placeholder (0) is no check run yet; an unsaved write wins. */
export function trustedCheckRun(db: Database, repoId: number, headSha: string, row: { checkRunId: bigint; outputHash: string | null } | null): KnownCheckRun | null {
  const unsaved = unsavedCheckRun(db, repoId, headSha);
  // A placeholder (0) means another process is creating the check run right now: none is known yet.
  const recorded = row && row.checkRunId !== 0n ? { checkRunId: Number(row.checkRunId), outputHash: row.outputHash } : null;
  if (unsaved === undefined) return recorded;
  const checkRunId = unsaved ?? recorded?.checkRunId ?? null;
  return checkRunId === null ? null : { checkRunId, outputHash: null };
}

/** Countersign's check run on a commit and the hash of the output last written to it. */
export async function findCheckRun(db: Database, repoId: number, headSha: string): Promise<KnownCheckRun | null> {
  const row = await db.checkRunRecord.findUnique({ where: { repoId_headSha: { repoId: BigInt(repoId), headSha } }, select: { checkRunId: true, outputHash: true } });
  return trustedCheckRun(db, repoId, headSha, row);
}

/** How long a claim to create a check run holds: longer than any check-run write takes. */
export const CHECK_RUN_CLAIM_LAPSE_MS = 10_000;

/**
 * Claims the right to create the check run on a commit (a placeholder row, unique per commit), so
 * that two replicas evaluating the same new head do not both create one. Returns false when another
 * process holds the claim. A claim older than CHECK_RUN_CLAIM_LAPSE_MS (its process died mid-write)
 * is taken over.
 */
export async function claimCheckRunCreation(db: Database, repoId: number, headSha: string, prNumber: number | null, now: Date = new Date()): Promise<boolean> {
  try {
    await db.checkRunRecord.create({ data: { repoId: BigInt(repoId), headSha, checkRunId: 0n, prNumber, updatedAt: now }, select: { checkRunId: true } });
    return true;
  } catch (error) {
    const err = error as { code?: string; message?: string };
    if (!(err.code === "P2002" || /UNIQUE constraint failed/i.test(err.message ?? ""))) throw error;
  }
  const lapsed = new Date(now.getTime() - CHECK_RUN_CLAIM_LAPSE_MS);
  const taken = await db.checkRunRecord.updateMany({ where: { repoId: BigInt(repoId), headSha, checkRunId: 0n, updatedAt: { lt: lapsed } }, data: { updatedAt: now } });
  return taken.count === 1;
}

/** Gives up a claim whose check run could not be created, so the next evaluation need not wait. */
export async function releaseCheckRunClaim(db: Database, repoId: number, headSha: string): Promise<void> {
  await db.checkRunRecord.deleteMany({ where: { repoId: BigInt(repoId), headSha, checkRunId: 0n } });
}

/**
 * Remembers the check run written on a commit (so the next evaluation updates it) and the hash of
 * what was written (null when unknown: the next write then always happens).
 */
export async function saveCheckRunId(db: Database, repoId: number, headSha: string, checkRunId: number, prNumber: number | null, outputHash: string | null = null): Promise<void> {
  try {
    await db.checkRunRecord.upsert({
      where: { repoId_headSha: { repoId: BigInt(repoId), headSha } },
      create: { repoId: BigInt(repoId), headSha, checkRunId: BigInt(checkRunId), prNumber, outputHash },
      update: { checkRunId: BigInt(checkRunId), outputHash, ...(prNumber !== null ? { prNumber } : {}) },
      select: { checkRunId: true },
    });
  } catch (error) {
    markCheckRunUnsaved(db, repoId, headSha, checkRunId);
    throw error;
  }
  checkRunSaved(db, repoId, headSha);
}

/** A record was saved: reads trust it again. */
export function checkRunSaved(db: Database, repoId: number, headSha: string): void {
  unsavedOf(db).delete(`${repoId}:${headSha}`);
}

/** What saving a written check run's record takes. */
export interface CheckRunSave {
  repoId: number;
  headSha: string;
  checkRunId: number;
  prNumber: number | null;
  outputHash: string | null;
}

/** The commit a check run was last written on for a PR, and the PR a commit's check run belongs to. */
export async function latestCheckRunForPullRequest(db: Database, repoId: number, prNumber: number): Promise<{ headSha: string; checkRunId: number } | null> {
  const row = await db.checkRunRecord.findFirst({ where: { repoId: BigInt(repoId), prNumber, checkRunId: { not: 0n } }, orderBy: { updatedAt: "desc" } });
  return row ? { headSha: row.headSha, checkRunId: Number(row.checkRunId) } : null;
}

/** The pull request a commit's Countersign check run was written for, if known. */
export async function pullRequestForCommit(db: Database, repoId: number, headSha: string): Promise<number | null> {
  const row = await db.checkRunRecord.findUnique({ where: { repoId_headSha: { repoId: BigInt(repoId), headSha } } });
  return row?.prNumber ?? null;
}
