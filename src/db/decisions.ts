import { randomBytes } from "node:crypto";
import type { Conclusion } from "../policy/evaluate.js";
import { providerOf, type Database } from "./client.js";
import { postgresRows } from "./driver-sql.js";

/** A decision as stored: what was concluded about which commit, and why. */
export interface DecisionEntry {
  repo: { id: number; fullName: string };
  prNumber: number | null;
  headSha: string;
  conclusion: Conclusion;
  title: string;
  reasons: string[];
  deliveryId: string | null;
  delegationId: string | null;
  checkRunId: number | null;
  errorId: string | null;
  /** The policy version (hash) and its source; null when no policy was loaded. */
  policy: { hash: string; source: string } | null;
  evaluatedAt: Date;
}

/** Stores one decision and returns its id (`dec_...`). */
export async function recordDecision(db: Database, entry: DecisionEntry): Promise<string> {
  const id = `dec_${randomBytes(8).toString("hex")}`;
  if (providerOf(db) === "postgres") {
    // Every evaluation records one: sent to the driver (see driver-sql.ts).
    await postgresRows(
      db,
      `INSERT INTO "Decision" ("id", "repoId", "repoFullName", "prNumber", "headSha", "conclusion", "title", "reasons", "deliveryId", "delegationId", "checkRunId", "errorId", "policyHash", "policySource", "evaluatedAt")
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
        id,
        BigInt(entry.repo.id),
        entry.repo.fullName,
        entry.prNumber,
        entry.headSha,
        entry.conclusion,
        entry.title,
        JSON.stringify(entry.reasons),
        entry.deliveryId,
        entry.delegationId,
        entry.checkRunId === null ? null : BigInt(entry.checkRunId),
        entry.errorId,
        entry.policy?.hash ?? null,
        entry.policy?.source ?? null,
        entry.evaluatedAt.toISOString(),
      ],
    );
    return id;
  }
  await db.decision.create({
    data: {
      id,
      repoId: BigInt(entry.repo.id),
      repoFullName: entry.repo.fullName,
      prNumber: entry.prNumber,
      headSha: entry.headSha,
      conclusion: entry.conclusion,
      title: entry.title,
      reasons: JSON.stringify(entry.reasons),
      deliveryId: entry.deliveryId,
      delegationId: entry.delegationId,
      checkRunId: entry.checkRunId === null ? null : BigInt(entry.checkRunId),
      errorId: entry.errorId,
      policyHash: entry.policy?.hash ?? null,
      policySource: entry.policy?.source ?? null,
      evaluatedAt: entry.evaluatedAt,
    },
    select: { id: true },
  });
  return id;
}

/** Open pull requests (by number) whose latest decisions relied on a delegation. */
export async function pullRequestsDecidedWithDelegation(db: Database, delegationId: string): Promise<number[]> {
  const rows = await db.decision.findMany({
    where: { delegationId, prNumber: { not: null } },
    select: { prNumber: true },
    distinct: ["prNumber"],
  });
  return rows.map((row) => row.prNumber).filter((number): number is number => number !== null);
}
