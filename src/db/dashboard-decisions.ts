import { z } from "zod";
import type { Store } from "./client.js";
import { inBatches } from "./in-batches.js";
import type { PullRequestKey } from "./pull-request-summaries.js";

// The stored decisions of some pull requests, as a dashboard summary is rebuilt from them
// (src/services/pull-request-summaries.ts): every decision, whenever it was made.

/** One stored decision, as a summary reads it. */
export interface StoredDecisionRow {
  repoId: bigint;
  repository: string;
  number: number;
  conclusion: string;
  title: string;
  /** The reason codes; empty where the stored JSON is not a list of strings. */
  reasons: string[];
  delegationId: string | null;
  evaluatedAt: Date;
}

const reasonsSchema = z.array(z.string());

/** Pull requests read per query: an `OR` of this many pairs stays well inside every driver's limits. */
const CHUNK = 200;

/** Every decision on those pull requests. */
export async function storedDecisionsOf(db: Store, pullRequests: readonly PullRequestKey[]): Promise<StoredDecisionRow[]> {
  const found = await inBatches(pullRequests, CHUNK, (chunk) =>
    db.prisma.decision.findMany({
      where: { OR: chunk.map((pr) => ({ repoId: pr.repoId, prNumber: pr.number })) },
      select: { repoId: true, repoFullName: true, prNumber: true, conclusion: true, title: true, reasons: true, delegationId: true, evaluatedAt: true },
    }),
  );
  const rows: StoredDecisionRow[] = [];
  for (const row of found) {
    if (row.prNumber === null) continue;
    const reasons = reasonsSchema.safeParse(safeJson(row.reasons));
    rows.push({ repoId: row.repoId, repository: row.repoFullName, number: row.prNumber, conclusion: row.conclusion, title: row.title, reasons: reasons.success ? reasons.data : [], delegationId: row.delegationId, evaluatedAt: row.evaluatedAt });
  }
  return rows;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
