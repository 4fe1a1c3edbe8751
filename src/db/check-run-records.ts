import type { Database } from "./client.js";

/** The id of Countersign's check run on a commit, if one was created. */
export async function findCheckRunId(db: Database, repoId: number, headSha: string): Promise<number | null> {
  const row = await db.checkRunRecord.findUnique({ where: { repoId_headSha: { repoId: BigInt(repoId), headSha } } });
  return row ? Number(row.checkRunId) : null;
}

/** Remembers the check run written on a commit, so the next evaluation updates it. */
export async function saveCheckRunId(db: Database, repoId: number, headSha: string, checkRunId: number, prNumber: number | null): Promise<void> {
  await db.checkRunRecord.upsert({
    where: { repoId_headSha: { repoId: BigInt(repoId), headSha } },
    create: { repoId: BigInt(repoId), headSha, checkRunId: BigInt(checkRunId), prNumber },
    update: { checkRunId: BigInt(checkRunId), ...(prNumber !== null ? { prNumber } : {}) },
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
