import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { DelegationRecord, TaskRef } from "../policy/types.js";
import type { Store } from "./client.js";
import type { Delegation as DelegationRow } from "./generated/sqlite/client.js";

/** What a `/delegate` command records: the engine's view of it, plus where it came from. */
export type NewDelegation = Pick<DelegationRecord, "subjectType" | "subjectNumber" | "owner" | "agent" | "task" | "scopePaths" | "scopeBranches" | "expiresAt"> & {
  installationId: number | null;
  /** What the agent(s) could do when delegated (src/github/agent-inventory.ts), stored as JSON. */
  agentInventory: unknown[];
  repo: { id: number; fullName: string };
  comment: { id: number; url: string };
};

/** A delegation id a human can quote: `dlg_` and 16 hex digits. */
export function newDelegationId(): string {
  return `dlg_${randomBytes(8).toString("hex")}`;
}

const scopeSchema = z.array(z.string());

/** Maps a stored row to the engine's view of a delegation. */
export function toDelegationRecord(row: DelegationRow): DelegationRecord {
  return {
    id: row.id,
    subjectType: row.subjectType === "issue" ? "issue" : "pull_request",
    subjectNumber: row.subjectNumber,
    owner: { id: Number(row.ownerId), login: row.ownerLogin },
    agent: row.agentLogin ? { id: row.agentId === null ? null : Number(row.agentId), login: row.agentLogin } : null,
    task: { kind: row.taskKind as TaskRef["kind"], ref: row.taskRef, url: row.taskUrl },
    scopePaths: scopeSchema.parse(JSON.parse(row.scopePaths)),
    scopeBranches: scopeSchema.parse(JSON.parse(row.scopeBranches)),
    expiresAt: row.expiresAt,
    commentUrl: row.commentUrl,
    status: row.status === "revoked" ? "revoked" : row.status === "expired" ? "expired" : "active",
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
    revokedByLogin: row.revokedByLogin,
    revokeReason: row.revokeReason,
  };
}

/** Records a new, active delegation. */
export async function createDelegation(db: Store, input: NewDelegation, now: Date): Promise<DelegationRecord> {
  const row = await db.prisma.delegation.create({
    data: {
      id: newDelegationId(),
      installationId: input.installationId === null ? null : BigInt(input.installationId),
      repoId: BigInt(input.repo.id),
      repoFullName: input.repo.fullName,
      subjectType: input.subjectType,
      subjectNumber: input.subjectNumber,
      ownerId: BigInt(input.owner.id),
      ownerLogin: input.owner.login,
      agentLogin: input.agent?.login ?? null,
      agentId: input.agent?.id == null ? null : BigInt(input.agent.id),
      taskKind: input.task.kind,
      taskRef: input.task.ref,
      taskUrl: input.task.url,
      scopePaths: JSON.stringify(input.scopePaths),
      scopeBranches: JSON.stringify(input.scopeBranches),
      agentInventory: JSON.stringify(input.agentInventory),
      expiresAt: input.expiresAt,
      commentId: BigInt(input.comment.id),
      commentUrl: input.comment.url,
      status: "active",
      createdAt: now,
    },
  });
  return toDelegationRecord(row);
}

/** Delegations (any status) given on a pull request or on any of `issueNumbers`. */
export async function delegationsForPullRequest(
  db: Store,
  repoId: number,
  prNumber: number,
  issueNumbers: readonly number[],
): Promise<DelegationRecord[]> {
  const rows = await db.prisma.delegation.findMany({
    where: {
      repoId: BigInt(repoId),
      OR: [
        { subjectType: "pull_request", subjectNumber: prNumber },
        ...(issueNumbers.length > 0 ? [{ subjectType: "issue", subjectNumber: { in: [...issueNumbers] } }] : []),
      ],
    },
    orderBy: { createdAt: "desc" },
  });
  return rows.map(toDelegationRecord);
}

/**
 * The delegation recorded from one command comment, if any: a command performed again (its delivery
 * taken over from a process that died after recording it) finds it instead of recording another.
 */
export async function delegationFromComment(db: Store, repoId: number, commentId: number): Promise<DelegationRecord | null> {
  const row = await db.prisma.delegation.findFirst({ where: { repoId: BigInt(repoId), commentId: BigInt(commentId) } });
  return row ? toDelegationRecord(row) : null;
}

/** Active delegations given on one issue or pull request. */
export async function activeDelegationsOn(
  db: Store,
  repoId: number,
  subjectType: "pull_request" | "issue",
  subjectNumber: number,
): Promise<DelegationRecord[]> {
  const rows = await db.prisma.delegation.findMany({
    where: { repoId: BigInt(repoId), subjectType, subjectNumber, status: "active" },
    orderBy: { createdAt: "desc" },
  });
  return rows.map(toDelegationRecord);
}

/**
 * Marks a delegation revoked; a no-op (returns false) when it was no longer active. `by` is who
 * revoked it (a person's `/delegate revoke`, whoever closed its pull request or issue), or null when
 * Countersign itself did (its delegator lost write access).
 */
export async function revokeDelegation(
  db: Store,
  id: string,
  by: { id: number | null; login: string } | null,
  reason: string | null,
  now: Date,
): Promise<boolean> {
  const result = await db.prisma.delegation.updateMany({
    where: { id, status: "active" },
    data: { status: "revoked", revokedAt: now, revokedById: by?.id == null ? null : BigInt(by.id), revokedByLogin: by?.login ?? null, revokeReason: reason },
  });
  return result.count === 1;
}

/** An active delegation whose expiry has passed, with what is needed to re-evaluate its PRs. */
export interface DueDelegation {
  delegation: DelegationRecord;
  installationId: number | null;
  repoId: number;
  repoFullName: string;
}

/** Active delegations whose expiry is at or before `now`. */
export async function delegationsPastExpiry(db: Store, now: Date): Promise<DueDelegation[]> {
  const rows = await db.prisma.delegation.findMany({ where: { status: "active", expiresAt: { lte: now } }, take: 200 });
  return rows.map((row) => ({
    delegation: toDelegationRecord(row),
    installationId: row.installationId === null ? null : Number(row.installationId),
    repoId: Number(row.repoId),
    repoFullName: row.repoFullName,
  }));
}

/** Marks a delegation expired; false when another process got there first. */
export async function markDelegationExpired(db: Store, id: string): Promise<boolean> {
  const result = await db.prisma.delegation.updateMany({ where: { id, status: "active" }, data: { status: "expired" } });
  return result.count === 1;
}

/**
 * Ends every active delegation given on a pull request or issue that was merged or closed: the task
 * it authorised is over, and reopening the pull request or issue revives nothing (it needs a new
 * `/delegate`). Stored as a revocation by whoever merged or closed it, with the reason. Returns the
 * delegations ended (another process, or a redelivery, that got there first ends none).
 */
export async function endSubjectDelegations(
  db: Store,
  repoId: number,
  subject: { type: "pull_request" | "issue"; number: number },
  by: { id: number | null; login: string },
  reason: string,
  now: Date,
): Promise<DelegationRecord[]> {
  const ended: DelegationRecord[] = [];
  for (const delegation of await activeDelegationsOn(db, repoId, subject.type, subject.number)) {
    if (await revokeDelegation(db, delegation.id, by, reason, now)) ended.push(delegation);
  }
  return ended;
}
