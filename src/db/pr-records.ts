import type { StoredEvent } from "../audit/chain.js";
import { toStoredEvent } from "./audit-log.js";
import type { Store } from "./client.js";

/**
 * The ids of the repositories the audit log names `repository`, in any case: GitHub's names are
 * case-insensitive (`ACME/Widgets` is `acme/widgets`), and by id a repository renamed since is still
 * found whole. The exact spelling is looked up first; only a miss reads the log's distinct names.
 */
export async function repositoryIds(db: Store, repository: string): Promise<bigint[]> {
  const exact = await db.prisma.auditEvent.findFirst({ where: { repoFullName: repository, repoId: { not: null } }, select: { repoId: true }, orderBy: { seq: "desc" } });
  if (exact?.repoId != null) return [exact.repoId];
  const wanted = repository.toLowerCase();
  const names = await db.prisma.auditEvent.groupBy({ by: ["repoId", "repoFullName"], where: { repoId: { not: null } } });
  return [...new Set(names.filter((row) => row.repoFullName?.toLowerCase() === wanted && row.repoId !== null).map((row) => row.repoId as bigint))];
}

/** The name a story is told under: the one GitHub gave the repository most recently in `events`. */
export function currentRepositoryName(events: readonly StoredEvent[], asked: string): string {
  return events.findLast((event) => event.repoFullName !== null)?.repoFullName ?? asked;
}

/**
 * The audit events that tell one pull request's story: its own (decisions, approvals, commands on it)
 * and those of every delegation its decisions relied on (an issue delegation lives on the issue).
 */
export async function pullRequestEvents(db: Store, repository: string, number: number): Promise<StoredEvent[]> {
  const repoIds = await repositoryIds(db, repository);
  if (repoIds.length === 0) return [];
  const own = (await db.prisma.auditEvent.findMany({ where: { repoId: { in: repoIds }, subjectNumber: number }, orderBy: { seq: "asc" } })).map(toStoredEvent);
  const ids = new Set<string>();
  // Agent pushes to the branch before the pull request existed (or before an event tied them to it)
  // are recorded without its number; its decisions name them.
  const pushIds = new Set<string>();
  for (const event of own) {
    const match = /"delegationId":"(dlg_[0-9a-f]+)"/.exec(event.payload);
    if (match) ids.add(match[1] as string);
    for (const push of event.payload.matchAll(/"id":"(push_[0-9a-f]{16})"/g)) pushIds.add(push[1] as string);
  }
  if (ids.size === 0 && pushIds.size === 0) return own;
  const linked = await db.prisma.auditEvent.findMany({
    where: {
      repoId: { in: repoIds },
      OR: [
        // Credentials issued under a delegation given on a task issue are recorded under the number.
        ...(ids.size > 0 ? ["delegation.", "credential."].map((prefix) => ({ type: { startsWith: prefix }, OR: [...ids].map((id) => ({ payload: { contains: `"delegationId":"${id}"` } })) })) : []),
        ...(pushIds.size > 0 ? [{ type: "push.agent", OR: [...pushIds].map((id) => ({ payload: { contains: `"pushId":"${id}"` } })) }] : []),
      ],
    },
    orderBy: { seq: "asc" },
  });
  const bySeq = new Map(own.map((event) => [event.seq, event]));
  for (const row of linked) bySeq.set(row.seq, toStoredEvent(row));
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** Agent pull requests (agent-authored or agent-assisted in some decision, or issued a credential), optionally filtered. */
export async function agentPullRequests(db: Store, filter: { repository?: string; since?: Date } = {}): Promise<Array<{ repository: string; number: number }>> {
  const repoIds = filter.repository ? await repositoryIds(db, filter.repository) : null;
  if (repoIds?.length === 0) return [];
  const rows = await db.prisma.auditEvent.findMany({
    where: {
      subjectNumber: { not: null },
      repoId: repoIds ? { in: repoIds } : { not: null },
      ...(filter.since ? { createdAt: { gte: filter.since } } : {}),
      OR: [
        { type: "decision", OR: [{ payload: { contains: '"involvement":"authored"' } }, { payload: { contains: '"involvement":"assisted"' } }] },
        // A merge found agent-touched when it was merged (never evaluated before), and agents' pushes.
        { type: "merge.unverified" },
        { type: "push.agent" },
        // A credential issued to an agent's workload under a delegation given on the pull request.
        { type: "credential.issued", payload: { contains: '"subjectType":"pull_request"' } },
      ],
    },
    select: { repoId: true, repoFullName: true, subjectNumber: true },
    distinct: ["repoId", "subjectNumber"],
    orderBy: { seq: "asc" },
  });
  // One entry per pull request, under its repository's latest name (a rename keeps the id).
  const latest = new Map<bigint, { name: string; seq: number }>();
  const groups = await db.prisma.auditEvent.groupBy({ by: ["repoId", "repoFullName"], where: { repoId: { in: [...new Set(rows.map((row) => row.repoId as bigint))] } }, _max: { seq: true } });
  for (const group of groups) {
    if (group.repoId === null || group.repoFullName === null) continue;
    const seq = group._max.seq ?? 0;
    const known = latest.get(group.repoId);
    if (!known || seq > known.seq) latest.set(group.repoId, { name: group.repoFullName, seq });
  }
  return rows.filter((row) => row.repoId !== null && row.subjectNumber !== null).map((row) => ({ repository: latest.get(row.repoId as bigint)?.name ?? (row.repoFullName as string), number: row.subjectNumber as number }));
}

/** The agents the latest decision on a pull request named (from its audit event), oldest first. */
export async function latestDecisionAgents(db: Store, repoId: number, number: number): Promise<string[]> {
  const row = await db.prisma.auditEvent.findFirst({ where: { repoId: BigInt(repoId), subjectNumber: number, type: "decision" }, orderBy: { seq: "desc" }, select: { payload: true } });
  if (!row) return [];
  const agents = (JSON.parse(row.payload) as { agents?: Array<{ login?: unknown }> }).agents ?? [];
  return agents.map((agent) => agent.login).filter((login): login is string => typeof login === "string");
}
