import { z } from "zod";
import type { Store } from "./client.js";
import { inBatches } from "./in-batches.js";

// The decisions the dashboard's figures are computed from: every decision, up to the end of the
// range, on each of the organization's pull requests that was decided on inside the range. Earlier
// decisions are needed too: when an agent was first seen, and when a pull request was delegated, may
// lie before the range. From the database only.

/** One stored decision, as the figures read it. */
export interface DashboardDecisionRow {
  repoId: bigint;
  repository: string;
  number: number;
  conclusion: string;
  title: string;
  reasons: string[];
  delegationId: string | null;
  evaluatedAt: Date;
}

const reasonsSchema = z.array(z.string());

/** Pull requests read per query: an `OR` of this many pairs stays well inside every driver's limits. */
const CHUNK = 200;

/**
 * `org`'s agent pull requests (repository id and number) decided on at least once in [start, end): some
 * decision before `end` saw an agent (reasons `agent-authored`, `agent-assisted`), and some decision,
 * that one or another (an evaluation that failed closed sees no agent), lies in the range. Only their
 * decisions are read in full, not those of the organization's human pull requests.
 */
export async function pullRequestsDecidedBetween(db: Store, org: string, start: Date, end: Date): Promise<Array<{ repoId: bigint; number: number }>> {
  const [inRange, agent] = await Promise.all([
    db.prisma.decision.groupBy({ by: ["repoId", "prNumber"], where: { repoFullName: { startsWith: `${org}/` }, prNumber: { not: null }, evaluatedAt: { gte: start, lt: end } } }),
    db.prisma.decision.groupBy({
      by: ["repoId", "prNumber"],
      where: { repoFullName: { startsWith: `${org}/` }, prNumber: { not: null }, evaluatedAt: { lt: end }, OR: [{ reasons: { contains: '"agent-authored"' } }, { reasons: { contains: '"agent-assisted"' } }] },
    }),
  ]);
  const agentKeys = new Set(agent.map((group) => `${group.repoId}#${group.prNumber}`));
  return inRange.filter((group) => group.prNumber !== null && agentKeys.has(`${group.repoId}#${group.prNumber}`)).map((group) => ({ repoId: group.repoId, number: group.prNumber as number }));
}

/** Every decision before `end` on those pull requests, oldest first (decisions of one instant in id order). */
export async function decisionsOfPullRequests(db: Store, pullRequests: ReadonlyArray<{ repoId: bigint; number: number }>, end: Date): Promise<DashboardDecisionRow[]> {
  const found = await inBatches(pullRequests, CHUNK, (chunk) =>
    db.prisma.decision.findMany({
      where: { evaluatedAt: { lt: end }, OR: chunk.map((pr) => ({ repoId: pr.repoId, prNumber: pr.number })) },
      select: { id: true, repoId: true, repoFullName: true, prNumber: true, conclusion: true, title: true, reasons: true, delegationId: true, evaluatedAt: true },
      orderBy: [{ evaluatedAt: "asc" }, { id: "asc" }],
    }),
  );
  const rows: DashboardDecisionRow[] = [];
  for (const row of found) {
    if (row.prNumber === null) continue;
    const reasons = reasonsSchema.safeParse(safeJson(row.reasons));
    rows.push({ repoId: row.repoId, repository: row.repoFullName, number: row.prNumber, conclusion: row.conclusion, title: row.title, reasons: reasons.success ? reasons.data : [], delegationId: row.delegationId, evaluatedAt: row.evaluatedAt });
  }
  return rows.sort((a, b) => a.evaluatedAt.getTime() - b.evaluatedAt.getTime());
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
