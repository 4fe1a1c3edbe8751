import { randomBytes } from "node:crypto";
import type { Conclusion } from "../policy/evaluate.js";
import type { Store } from "./client.js";

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
export async function recordDecision(db: Store, entry: DecisionEntry): Promise<string> {
  const id = `dec_${randomBytes(8).toString("hex")}`;
  await db.prisma.decision.create({
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
export async function pullRequestsDecidedWithDelegation(db: Store, delegationId: string): Promise<number[]> {
  const rows = await db.prisma.decision.findMany({
    where: { delegationId, prNumber: { not: null } },
    select: { prNumber: true },
    distinct: ["prNumber"],
  });
  return rows.map((row) => row.prNumber).filter((number): number is number => number !== null);
}

/** The latest decision on one commit of a pull request, and whether any decision on it saw an agent. */
export async function decisionsAtMerge(db: Store, repoId: number, prNumber: number, headSha: string): Promise<{ onHead: { conclusion: string; title: string; reasons: string[] } | null; anyDecision: boolean; agentSeen: boolean }> {
  const [onHead, any, agent] = await Promise.all([
    db.prisma.decision.findFirst({ where: { repoId: BigInt(repoId), prNumber, headSha }, orderBy: { evaluatedAt: "desc" }, select: { conclusion: true, title: true, reasons: true } }),
    db.prisma.decision.findFirst({ where: { repoId: BigInt(repoId), prNumber }, select: { id: true } }),
    // Reasons start with `agent-authored` or `agent-assisted` when an agent was seen (src/policy/evaluate.ts).
    db.prisma.decision.findFirst({ where: { repoId: BigInt(repoId), prNumber, OR: [{ reasons: { contains: '"agent-authored"' } }, { reasons: { contains: '"agent-assisted"' } }] }, select: { id: true } }),
  ]);
  return {
    onHead: onHead ? { conclusion: onHead.conclusion, title: onHead.title, reasons: JSON.parse(onHead.reasons) as string[] } : null,
    anyDecision: any !== null,
    agentSeen: agent !== null,
  };
}
