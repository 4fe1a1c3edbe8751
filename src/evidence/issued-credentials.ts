import { z } from "zod";
import type { ChainRef, PullRequestStory } from "./pr-story.js";

// The credentials Countersign issued under a pull request's delegations, each told once: to which
// workload, with which permissions, from when until when, and how it ended. Assembled from the
// story's credential events only (`credential.issued` and the events that end it), so every fact is
// backed by the hash chain. The events hold the token's hashes and never the token; nothing here
// reads even those, so no rendering can show a token or a JWT by accident.

/** How a credential ended: revoked at GitHub, or expired (its hour over, or nothing left to revoke). */
export type CredentialEnd = "revoked" | "expired";

/** One credential issued by Countersign, and what became of it. */
export interface StoryIssuedCredential extends ChainRef {
  /** Countersign's id of the credential (`cred_…`). */
  id: string;
  /** The delegation it was issued under. */
  delegationId: string;
  /** The agent the workload acted for. */
  agent: string | null;
  /** The workload, as its verified token's claims identified it (untrusted text: the issuer's words). */
  workload: { issuer: string | null; subject: string | null; repository: string | null; workflowRef: string | null; runId: string | null; actor: string | null };
  /** The permissions GitHub granted the token. */
  permissions: Record<string, string>;
  /** When GitHub would have expired it, and when Countersign ends it (the earlier of the two or sooner). */
  githubExpiresAt: string | null;
  expiresAt: string | null;
  /** How it ended, with the trigger (`effective_expiry`, `delegation_revoked`…) and its event; null while live. */
  ended: (ChainRef & { how: CredentialEnd; trigger: string | null }) | null;
  /** Revocations GitHub did not confirm (each is tried again), in chain order. */
  revokeFailures: Array<ChainRef & { trigger: string | null; github: string | null }>;
}

const text = z.union([z.string(), z.number()]).transform(String);

const issuedSchema = z.object({
  credentialId: z.string(),
  delegationId: z.string(),
  agent: z.string().nullable().optional(),
  workload: z.record(z.string(), z.unknown()).nullable().optional(),
  granted: z.record(z.string(), z.string()).default({}),
  githubExpiresAt: z.string().nullable().optional(),
  expiresAt: z.string().nullable().optional(),
});

const endSchema = z.object({ credentialId: z.string(), trigger: z.string().nullable().optional(), github: z.string().nullable().optional() });

function claim(workload: Record<string, unknown> | null | undefined, name: string): string | null {
  const parsed = text.safeParse(workload?.[name]);
  return parsed.success ? parsed.data : null;
}

/** The credentials issued in `story`, in the order they were issued, each with how it ended. */
export function issuedCredentials(story: Pick<PullRequestStory, "credentials">): StoryIssuedCredential[] {
  const byId = new Map<string, StoryIssuedCredential>();
  for (const event of story.credentials) {
    const at: ChainRef = { seq: event.seq, hash: event.hash, at: event.at };
    if (event.type === "credential.issued") {
      const data = issuedSchema.safeParse(event.payload);
      if (!data.success) continue;
      const workload = data.data.workload;
      byId.set(data.data.credentialId, {
        ...at,
        id: data.data.credentialId,
        delegationId: data.data.delegationId,
        agent: data.data.agent ?? null,
        workload: {
          issuer: claim(workload, "iss"),
          subject: claim(workload, "sub"),
          repository: claim(workload, "repository"),
          workflowRef: claim(workload, "job_workflow_ref") ?? claim(workload, "workflow_ref"),
          runId: claim(workload, "run_id"),
          actor: claim(workload, "actor"),
        },
        permissions: data.data.granted,
        githubExpiresAt: data.data.githubExpiresAt ?? null,
        expiresAt: data.data.expiresAt ?? null,
        ended: null,
        revokeFailures: [],
      });
      continue;
    }
    const data = endSchema.safeParse(event.payload);
    const credential = data.success ? byId.get(data.data.credentialId) : undefined;
    if (!data.success || !credential) continue;
    const trigger = data.data.trigger ?? null;
    if (event.type === "credential.revoke_failed") credential.revokeFailures.push({ ...at, trigger, github: data.data.github ?? null });
    else if (!credential.ended && (event.type === "credential.revoked" || event.type === "credential.expired")) credential.ended = { ...at, how: event.type === "credential.revoked" ? "revoked" : "expired", trigger };
  }
  return [...byId.values()];
}

/** A credential's state in words: `revoked (delegation_revoked)`, `expired (effective_expiry)`, `revoke failed`, `live`. */
export function credentialState(credential: StoryIssuedCredential): string {
  if (credential.ended) return `${credential.ended.how}${credential.ended.trigger ? ` (${credential.ended.trigger})` : ""}`;
  const failed = credential.revokeFailures.at(-1);
  if (failed) return `revoke failed${failed.trigger ? ` (${failed.trigger})` : ""}, to be tried again`;
  return "live";
}

/** What the evidence says when Countersign issued no credential: the agent's credential is its vendor's. */
export const VENDOR_HELD =
  "Countersign issued no credential: the agent's GitHub credential is vendor-held (a hosted agent's app or account), so its permissions are the ones recorded with each delegation.";
