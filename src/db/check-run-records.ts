import type { Database } from "./client.js";

/** The id of Countersign's check run on a commit, if one was created. */
export async function findCheckRunId(db: Database, repoId: number, headSha: string): Promise<number | null> {
  return (await findCheckRun(db, repoId, headSha))?.checkRunId ?? null;
}

/** Countersign's check run on a commit and the hash of the output last written to it. */
export async function findCheckRun(db: Database, repoId: number, headSha: string): Promise<{ checkRunId: number; outputHash: string | null } | null> {
  const row = await db.checkRunRecord.findUnique({ where: { repoId_headSha: { repoId: BigInt(repoId), headSha } } });
  return row ? { checkRunId: Number(row.checkRunId), outputHash: row.outputHash } : null;
}

/**
 * Remembers the check run written on a commit (so the next evaluation updates it) and the hash of
 * what was written (null when unknown: the next write then always happens).
 */
export async function saveCheckRunId(db: Database, repoId: number, headSha: string, checkRunId: number, prNumber: number | null, outputHash: string | null = null): Promise<void> {
  await db.checkRunRecord.upsert({
    where: { repoId_headSha: { repoId: BigInt(repoId), headSha } },
    create: { repoId: BigInt(repoId), headSha, checkRunId: BigInt(checkRunId), prNumber, outputHash },
    update: { checkRunId: BigInt(checkRunId), outputHash, ...(prNumber !== null ? { prNumber } : {}) },
  });
}

/** The commit a check run was last written on for a PR, and the PR a commit's check run belongs to. */
export async function latestCheckRunForPullRequest(db: Database, repoId: number, prNumber: number): Promise<{ headSha: string; checkRunId: number } | null> {
  const row = await db.checkRunRecord.findFirst({ where: { repoId: BigInt(repoId), prNumber }, orderBy: { updatedAt: "desc" } });
  return row ? { headSha: row.headSha, checkRunId: Number(row.checkRunId) } : null;
}

/** The pull request a commit's Countersign check run was written for, if known. */
export async function pullRequestForCommit(db: Database, repoId: number, headSha: string): Promise<number | null> {
  const row = await db.checkRunRecord.findUnique({ where: { repoId_headSha: { repoId: BigInt(repoId), headSha } } });
  return row?.prNumber ?? null;
}
