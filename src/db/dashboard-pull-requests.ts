import type { Store } from "./client.js";

// The organization dashboard's first figure: the organization's agent pull requests Countersign has
// decided on, each with its latest decision. From the database only (rendering the page asks GitHub
// nothing beyond the viewer's access).

/** One agent pull request and the latest decision on it. */
export interface AgentPullRequestRow {
  repository: string;
  number: number;
  conclusion: string;
  /** The check run's title at that decision (Countersign's own words). */
  title: string;
  headSha: string;
  evaluatedAt: Date;
}

/**
 * The latest decision on each of `org`'s pull requests in which some decision saw an agent (its
 * reasons start `agent-authored` or `agent-assisted`, see src/policy/evaluate.ts), most recently
 * decided first: the `limit` pull requests an agent was most recently seen in. `org` is the organization's login as GitHub spells it, which is
 * how webhooks name its repositories.
 */
export async function latestAgentPullRequestDecisions(db: Store, org: string, limit: number): Promise<AgentPullRequestRow[]> {
  // Which pull requests: those some decision saw an agent in, the most recently seen first.
  const agentPullRequests = await db.prisma.decision.groupBy({
    by: ["repoId", "prNumber"],
    where: {
      repoFullName: { startsWith: `${org}/` },
      prNumber: { not: null },
      OR: [{ reasons: { contains: '"agent-authored"' } }, { reasons: { contains: '"agent-assisted"' } }],
    },
    _max: { evaluatedAt: true },
    orderBy: { _max: { evaluatedAt: "desc" } },
    take: limit,
  });
  if (agentPullRequests.length === 0) return [];
  // Their latest decision, whatever it saw: a later one that could not run (no agent reason) is the latest.
  const latest = await db.prisma.decision.groupBy({
    by: ["repoId", "prNumber"],
    where: { OR: agentPullRequests.map((group) => ({ repoId: group.repoId, prNumber: group.prNumber })) },
    _max: { evaluatedAt: true },
  });
  const rows = await db.prisma.decision.findMany({
    where: { OR: latest.map((group) => ({ repoId: group.repoId, prNumber: group.prNumber, evaluatedAt: group._max.evaluatedAt as Date })) },
    select: { repoId: true, repoFullName: true, prNumber: true, conclusion: true, title: true, headSha: true, evaluatedAt: true },
    orderBy: [{ evaluatedAt: "desc" }, { id: "asc" }],
  });
  // Two decisions of the same instant on one pull request: one row, the first in a stable order.
  const seen = new Set<string>();
  const rowsByPullRequest: AgentPullRequestRow[] = [];
  for (const row of rows) {
    const key = `${row.repoId}#${row.prNumber}`;
    if (seen.has(key) || row.prNumber === null) continue;
    seen.add(key);
    rowsByPullRequest.push({ repository: row.repoFullName, number: row.prNumber, conclusion: row.conclusion, title: row.title, headSha: row.headSha, evaluatedAt: row.evaluatedAt });
  }
  return rowsByPullRequest;
}
