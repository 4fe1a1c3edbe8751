import { isUniqueViolation, type Store } from "./store.js";

/** A commit's check run as recorded: its id and the hash of the output last written to it. */
export interface KnownCheckRun {
  checkRunId: number;
  outputHash: string | null;
}

/**
 * A stored record as a check run: a placeholder (0) means another process is creating the check run
 * right now, so none is known yet.
 */
export function recordedCheckRun(row: { checkRunId: bigint; outputHash: string | null } | null): KnownCheckRun | null {
  return row && row.checkRunId !== 0n ? { checkRunId: Number(row.checkRunId), outputHash: row.outputHash } : null;
}

/**
 * Countersign's check run on a commit as recorded, and the hash of the output last written to it.
 * Whether to trust the record (a write this process could not save) is for the check-run publisher
 * (a service above this layer) to say.
 */
export async function findCheckRun(db: Store, repoId: number, headSha: string): Promise<KnownCheckRun | null> {
  const row = await db.prisma.checkRunRecord.findUnique({ where: { repoId_headSha: { repoId: BigInt(repoId), headSha } }, select: { checkRunId: true, outputHash: true } });
  return recordedCheckRun(row);
}

/** How long a claim to create a check run holds: longer than any check-run write takes. */
export const CHECK_RUN_CLAIM_LAPSE_MS = 10_000;

/**
 * Claims the right to create the check run on a commit (a placeholder row, unique per commit), so
 * that two replicas evaluating the same new head do not both create one. Returns false when another
 * process holds the claim. A claim older than CHECK_RUN_CLAIM_LAPSE_MS (its process died mid-write)
 * is taken over.
 */
export async function claimCheckRunCreation(db: Store, repoId: number, headSha: string, prNumber: number | null, now: Date = new Date()): Promise<boolean> {
  try {
    await db.prisma.checkRunRecord.create({ data: { repoId: BigInt(repoId), headSha, checkRunId: 0n, prNumber, updatedAt: now }, select: { checkRunId: true } });
    return true;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  const lapsed = new Date(now.getTime() - CHECK_RUN_CLAIM_LAPSE_MS);
  const taken = await db.prisma.checkRunRecord.updateMany({ where: { repoId: BigInt(repoId), headSha, checkRunId: 0n, updatedAt: { lt: lapsed } }, data: { updatedAt: now } });
  return taken.count === 1;
}

/** Gives up a claim whose check run could not be created, so the next evaluation need not wait. */
export async function releaseCheckRunClaim(db: Store, repoId: number, headSha: string): Promise<void> {
  await db.prisma.checkRunRecord.deleteMany({ where: { repoId: BigInt(repoId), headSha, checkRunId: 0n } });
}

/**
 * Remembers the check run written on a commit (so the next evaluation updates it) and the hash of
 * what was written (null when unknown: the next write then always happens).
 */
export async function saveCheckRunId(db: Store, repoId: number, headSha: string, checkRunId: number, prNumber: number | null, outputHash: string | null = null): Promise<void> {
  await db.prisma.checkRunRecord.upsert({
    where: { repoId_headSha: { repoId: BigInt(repoId), headSha } },
    create: { repoId: BigInt(repoId), headSha, checkRunId: BigInt(checkRunId), prNumber, outputHash },
    update: { checkRunId: BigInt(checkRunId), outputHash, ...(prNumber !== null ? { prNumber } : {}) },
    select: { checkRunId: true },
  });
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
export async function latestCheckRunForPullRequest(db: Store, repoId: number, prNumber: number): Promise<{ headSha: string; checkRunId: number } | null> {
  const row = await db.prisma.checkRunRecord.findFirst({ where: { repoId: BigInt(repoId), prNumber, checkRunId: { not: 0n } }, orderBy: { updatedAt: "desc" } });
  return row ? { headSha: row.headSha, checkRunId: Number(row.checkRunId) } : null;
}

/** The pull request a commit's Countersign check run was written for, if known. */
export async function pullRequestForCommit(db: Store, repoId: number, headSha: string): Promise<number | null> {
  const row = await db.prisma.checkRunRecord.findUnique({ where: { repoId_headSha: { repoId: BigInt(repoId), headSha } } });
  return row?.prNumber ?? null;
}
