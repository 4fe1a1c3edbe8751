import { createHash } from "node:crypto";
import { z } from "zod";
import type { AgentPush } from "../policy/types.js";
import type { Store } from "./client.js";
import type { AgentPush as AgentPushRow } from "./generated/sqlite/client.js";

/** A push to record: who GitHub says pushed, to which branch, from which commit to which. */
export interface NewAgentPush extends Omit<AgentPush, "id"> {
  repo: { id: number; fullName: string };
  prNumber: number | null;
  deliveryId: string | null;
}

const commitsSchema = z.array(z.string());
const credentialsSchema = z.array(z.object({ id: z.string(), delegationId: z.string(), runId: z.string().nullable(), workflowRef: z.string().nullable() })).nullable();

function toAgentPush(row: AgentPushRow): AgentPush {
  return {
    id: row.id,
    branch: row.branch,
    beforeSha: row.beforeSha,
    afterSha: row.afterSha,
    forced: row.forced,
    pusher: { id: row.pusherId === null ? null : Number(row.pusherId), login: row.pusherLogin, kind: row.pusherLogin.endsWith("[bot]") ? "bot" : "user" },
    identity: row.identity,
    commits: commitsSchema.parse(JSON.parse(row.commits)),
    source: row.source === "activity" ? "activity" : row.source === "pull_request.synchronize" ? "pull_request.synchronize" : "push",
    pushedAt: row.pushedAt,
    credentials: credentialsSchema.parse(row.credentials === null ? null : JSON.parse(row.credentials)),
  };
}

/**
 * One git push reaches Countersign up to three ways (the `push` webhook, `pull_request.synchronize`,
 * GitHub's activity API): the id is derived from what they share, so each push is one record.
 */
function pushId(repoId: number, branch: string, afterSha: string, pusherLogin: string): string {
  return `push_${createHash("sha256").update(JSON.stringify([repoId, branch, afterSha, pusherLogin.toLowerCase()])).digest("hex").slice(0, 16)}`;
}

/**
 * Records an agent's push, once: a second report of the same push fills in what the first lacked (the
 * pull request it went to, the commits it added), and never removes anything.
 */
export async function recordAgentPush(db: Store, push: NewAgentPush): Promise<{ push: AgentPush; created: boolean }> {
  const id = pushId(push.repo.id, push.branch, push.afterSha, push.pusher.login);
  const existing = await db.prisma.agentPush.findUnique({ where: { id } });
  if (existing) {
    const known = commitsSchema.parse(JSON.parse(existing.commits));
    const commits = [...new Set([...known, ...push.commits])];
    const credentialsLearnt = existing.credentials === null && push.credentials !== null;
    const needs = (existing.prNumber === null && push.prNumber !== null) || commits.length !== known.length || (!existing.forced && push.forced) || credentialsLearnt;
    if (!needs) return { push: toAgentPush(existing), created: false };
    const row = await db.prisma.agentPush.update({
      where: { id },
      data: { prNumber: existing.prNumber ?? push.prNumber, commits: JSON.stringify(commits), forced: existing.forced || push.forced, ...(credentialsLearnt ? { credentials: JSON.stringify(push.credentials) } : {}) },
    });
    return { push: toAgentPush(row), created: false };
  }
  const data = {
    id,
    repoId: BigInt(push.repo.id),
    repoFullName: push.repo.fullName,
    branch: push.branch,
    prNumber: push.prNumber,
    beforeSha: push.beforeSha,
    afterSha: push.afterSha,
    forced: push.forced,
    pusherId: push.pusher.id === null ? null : BigInt(push.pusher.id),
    pusherLogin: push.pusher.login,
    identity: push.identity,
    commits: JSON.stringify(push.commits),
    source: push.source,
    deliveryId: push.deliveryId,
    pushedAt: push.pushedAt,
    credentials: push.credentials === null ? null : JSON.stringify(push.credentials),
  };
  try {
    return { push: toAgentPush(await db.prisma.agentPush.create({ data })), created: true };
  } catch (error) {
    // Another replica recorded the same push meanwhile (the webhook and the synchronize event of one
    // push often arrive together): theirs stands, with ours merged in.
    const raced = await db.prisma.agentPush.findUnique({ where: { id } });
    if (!raced) throw error;
    return recordAgentPush(db, push);
  }
}

/**
 * Agent pushes a pull request's head may contain: those to its head branch in its own repository, and
 * those a `synchronize` event tied to it (a fork's branch), oldest first.
 */
export async function agentPushesFor(db: Store, repoId: number, pr: { number: number; headRef: string; headInRepo: boolean }): Promise<AgentPush[]> {
  const rows = await db.prisma.agentPush.findMany({
    where: { repoId: BigInt(repoId), OR: [{ prNumber: pr.number }, ...(pr.headInRepo ? [{ branch: pr.headRef }] : [])] },
    orderBy: { pushedAt: "asc" },
    take: 200,
  });
  return rows.map(toAgentPush);
}
