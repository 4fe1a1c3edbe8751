import type { Store } from "./client.js";
import { inBatches } from "./in-batches.js";

// The delegations the dashboard shows: how many each owner gave in the range, by status (the
// owners' table), who gave the ones its pull requests relied on (their summaries), and the newest
// tool inventory recorded for an agent.

/** How many delegations of one repository, owner, agent and status were given in the range. */
export interface DelegationCount {
  repository: string;
  ownerLogin: string;
  agentLogin: string | null;
  /** "active", "revoked" or "expired". */
  status: string;
  count: number;
}

/** How many ids one query names (in-batches.ts). */
const IDS_PER_QUERY = 500;

const inOrg = (org: string) => ({ repoFullName: { startsWith: `${org}/` } });

/** `org`'s delegations given in [start, end), counted by repository, owner, agent and status (one grouped read). */
export async function delegationCounts(db: Store, org: string, start: Date, end: Date): Promise<DelegationCount[]> {
  const groups = await db.prisma.delegation.groupBy({ by: ["repoFullName", "ownerLogin", "agentLogin", "status"], where: { ...inOrg(org), createdAt: { gte: start, lt: end } }, _count: { _all: true } });
  return groups.map((group) => ({ repository: group.repoFullName, ownerLogin: group.ownerLogin, agentLogin: group.agentLogin, status: group.status, count: group._count._all }));
}

/** How many of the newest inventories naming one agent are read: the first that parses is shown. */
const INVENTORIES_READ = 10;

/**
 * For each of `logins`, the stored tool inventories (JSON, src/github/agent-inventory.ts) of `org`'s
 * newest delegations given before `end` whose inventory names it, newest first.
 */
export async function agentInventories(db: Store, org: string, logins: readonly string[], end: Date): Promise<Map<string, string[]>> {
  const found = await Promise.all(
    logins.map(async (login) => {
      const rows = await db.prisma.delegation.findMany({
        where: { ...inOrg(org), createdAt: { lt: end }, agentInventory: { contains: JSON.stringify(login) } },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        select: { agentInventory: true },
        take: INVENTORIES_READ,
      });
      return [login, rows.map((row) => row.agentInventory).filter((json): json is string => json !== null)] as const;
    }),
  );
  return new Map(found);
}

/** Who gave each of `ids` and when (read `IDS_PER_QUERY` at a time); an id not found is absent. */
export async function delegationGivers(db: Store, ids: readonly string[]): Promise<Map<string, { owner: string; givenAt: Date }>> {
  const rows = await inBatches([...new Set(ids)], IDS_PER_QUERY, (batch) => db.prisma.delegation.findMany({ where: { id: { in: batch } }, select: { id: true, ownerLogin: true, createdAt: true } }));
  return new Map(rows.map((row) => [row.id, { owner: row.ownerLogin, givenAt: row.createdAt }]));
}
