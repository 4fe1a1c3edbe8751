import type { Store } from "./client.js";

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

/** `org`'s delegations given in [start, end), and those among `ids` whenever given. */
export async function dashboardDelegations(db: Store, org: string, start: Date, end: Date, ids: readonly string[]): Promise<DashboardDelegationRow[]> {
  const rows = await db.prisma.delegation.findMany({
    where: { repoFullName: { startsWith: `${org}/` }, OR: [{ createdAt: { gte: start, lt: end } }, ...(ids.length > 0 ? [{ id: { in: [...ids] } }] : [])] },
    select: { id: true, repoFullName: true, ownerLogin: true, agentLogin: true, status: true, createdAt: true, expiresAt: true, revokedAt: true, agentInventory: true },
    orderBy: { createdAt: "asc" },
  });
  return rows.map(({ repoFullName, ...row }) => ({ ...row, repository: repoFullName }));
}
