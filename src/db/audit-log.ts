import type { Database } from "./client.js";

/** What the audit log records. */
export type AuditEventType =
  | "delegation.created"
  | "delegation.refused"
  | "delegation.revoked"
  | "delegation.expired"
  | "command.malformed"
  | "decision"
  | "evaluation.failed"
  | "push.flagged";

export interface AuditEntry {
  type: AuditEventType;
  repo: { id: number; fullName: string } | null;
  subjectNumber: number | null;
  sha: string | null;
  actor: { id: number | null; login: string } | null;
  deliveryId: string | null;
  payload: Record<string, unknown>;
  at: Date;
}

/** Appends one event to the audit log (the table refuses UPDATE and DELETE). */
export async function appendAuditEvent(db: Database, entry: AuditEntry): Promise<void> {
  await db.auditEvent.create({
    data: {
      type: entry.type,
      repoId: entry.repo ? BigInt(entry.repo.id) : null,
      repoFullName: entry.repo?.fullName ?? null,
      subjectNumber: entry.subjectNumber,
      sha: entry.sha,
      actorId: entry.actor?.id == null ? null : BigInt(entry.actor.id),
      actorLogin: entry.actor?.login ?? null,
      deliveryId: entry.deliveryId,
      payload: JSON.stringify(entry.payload),
      createdAt: entry.at,
    },
  });
}
