import type { Store } from "./client.js";
import { inBatches } from "./in-batches.js";

// The delegations the dashboard shows: those given in the organization in the range (the owners'
// table), and those its pull requests' decisions relied on, whenever they were given (the time to
// delegation, the owner filter).

/** A delegation as the dashboard reads it. */
export interface DashboardDelegationRow {
  id: string;
  repository: string;
  ownerLogin: string;
  agentLogin: string | null;
  /** "active", "revoked" or "expired". */
  status: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** The stored JSON of what the agent(s) could do when delegated (src/github/agent-inventory.ts), or null. */
  agentInventory: string | null;
}

/** How many ids one query names (in-batches.ts). */
const IDS_PER_QUERY = 500;

const SELECT = { id: true, repoFullName: true, ownerLogin: true, agentLogin: true, status: true, createdAt: true, expiresAt: true, revokedAt: true, agentInventory: true } as const;

/** `org`'s delegations given in [start, end), and those among `ids` whenever given (read `IDS_PER_QUERY` at a time). */
export async function dashboardDelegations(db: Store, org: string, start: Date, end: Date, ids: readonly string[]): Promise<DashboardDelegationRow[]> {
  const inOrg = { repoFullName: { startsWith: `${org}/` } };
  const byId = new Map<string, Awaited<ReturnType<typeof db.prisma.delegation.findMany<{ select: typeof SELECT }>>>[number]>();
  for (const row of await db.prisma.delegation.findMany({ where: { ...inOrg, createdAt: { gte: start, lt: end } }, select: SELECT })) byId.set(row.id, row);
  const rest = [...new Set(ids)].filter((id) => !byId.has(id));
  for (const row of await inBatches(rest, IDS_PER_QUERY, (batch) => db.prisma.delegation.findMany({ where: { ...inOrg, id: { in: batch } }, select: SELECT }))) byId.set(row.id, row);
  return [...byId.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id)).map(({ repoFullName, ...row }) => ({ ...row, repository: repoFullName }));
}
