import { z } from "zod";
import type { Store } from "./client.js";
import { inBatches } from "./in-batches.js";
import type { PullRequestKey } from "./pull-request-summaries.js";

// Which agents the decisions on a pull request saw, and how: the `decision` audit events name the
// agent accounts (`agents`) and the signals that found them (`signals`: pr-author, commit-author,
// trailer, agent-push, app-bot...), where the decision rows keep only reason codes.

/** What one decision's audit event says it saw. */
export interface AgentSighting {
  repoId: bigint;
  number: number;
  at: Date;
  agents: Array<{ login: string; kind: string }>;
  /** The kinds of signal that made it an agent pull request, without duplicates. */
  signals: string[];
}

// Only what the dashboard reads; the rest of the payload (context, approvals, policy) is the evidence page's.
const payloadSchema = z.object({
  agents: z.array(z.object({ login: z.string(), kind: z.string().optional() })).optional(),
  signals: z.array(z.object({ kind: z.string() })).optional(),
});

/** The agents and signals a `decision` event's payload names (none where it names none or does not parse). */
export function sightingOf(payload: unknown): { agents: Array<{ login: string; kind: string }>; signals: string[] } {
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success || !parsed.data.agents) return { agents: [], signals: [] };
  return {
    agents: parsed.data.agents.map((agent) => ({ login: agent.login, kind: agent.kind ?? "unknown" })),
    signals: [...new Set((parsed.data.signals ?? []).map((signal) => signal.kind))],
  };
}

const CHUNK = 200;

/** The agent sightings of every `decision` event on those pull requests. */
export async function agentSightings(db: Store, pullRequests: readonly PullRequestKey[]): Promise<AgentSighting[]> {
  const rows = await inBatches(pullRequests, CHUNK, (chunk) =>
    db.prisma.auditEvent.findMany({
      where: { type: "decision", OR: chunk.map((pr) => ({ repoId: pr.repoId, subjectNumber: pr.number })) },
      select: { repoId: true, subjectNumber: true, createdAt: true, payload: true },
    }),
  );
  const sightings: AgentSighting[] = [];
  for (const row of rows) {
    if (row.repoId === null || row.subjectNumber === null) continue;
    let payload: unknown;
    try {
      payload = JSON.parse(row.payload);
    } catch {
      continue;
    }
    const seen = sightingOf(payload);
    if (seen.agents.length === 0) continue;
    sightings.push({ repoId: row.repoId, number: row.subjectNumber, at: row.createdAt, ...seen });
  }
  return sightings;
}
