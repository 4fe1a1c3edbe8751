import type { DelegationRecord, PushCredential } from "../policy/types.js";
import type { Store } from "./store.js";
import { toDelegationRecord } from "./delegations.js";

// What the credential exchange reads from the database: the delegation a workload names. Kept in
// this one file so the exchange's database access is a few functions.

/** A delegation with the repository and installation it was made in. */
export interface CredentialDelegation {
  record: DelegationRecord;
  repo: { id: number; fullName: string };
  installationId: number | null;
}

/** How a request names its delegation: by id, or by the pull request or issue it was made on. */
export type DelegationReference = { id: string } | { subjectType: "pull_request" | "issue"; number: number };

// Enough for any real repository: a number with more active delegations than this is ambiguous anyway.
const MAX_CANDIDATES = 20;

/**
 * The delegations in `repository` (owner/name, exactly as GitHub spells it, as Actions'
 * `github.repository` does) that
 * `reference` names: by id, whatever its status (the caller says why an inactive one is refused);
 * by number, the active ones given on that pull request or issue.
 */
export async function findCredentialDelegations(db: Store, repository: string, reference: DelegationReference): Promise<CredentialDelegation[]> {
  const rows =
    "id" in reference
      ? await db.prisma.delegation.findMany({ where: { id: reference.id, repoFullName: repository }, take: 1 })
      : await db.prisma.delegation.findMany({ where: { repoFullName: repository, subjectType: reference.subjectType, subjectNumber: reference.number, status: "active" }, orderBy: { createdAt: "desc" }, take: MAX_CANDIDATES });
  return rows.map((row) => ({ record: toDelegationRecord(row), repo: { id: Number(row.repoId), fullName: row.repoFullName }, installationId: row.installationId === null ? null : Number(row.installationId) }));
}

/** An issued credential to keep until it ends: hashes, the sealed token, what and until when. */
export interface NewIssuedCredential {
  id: string;
  delegationId: string;
  repo: { id: number; fullName: string };
  installationId: number;
  tokenSha256: string;
  tokenHashedBase64: string;
  encryptedToken: string;
  permissions: Record<string, string>;
  workload: Record<string, unknown>;
  githubExpiresAt: Date;
  expiresAt: Date;
  issuedAt: Date;
}

/** Stores an issued credential (its token sealed: see credentials/token-vault.ts). */
export async function recordIssuedCredential(db: Store, credential: NewIssuedCredential): Promise<void> {
  await db.prisma.issuedCredential.create({
    data: {
      id: credential.id,
      delegationId: credential.delegationId,
      repoId: BigInt(credential.repo.id),
      repoFullName: credential.repo.fullName,
      installationId: BigInt(credential.installationId),
      tokenSha256: credential.tokenSha256,
      tokenHashedBase64: credential.tokenHashedBase64,
      encryptedToken: credential.encryptedToken,
      permissions: JSON.stringify(credential.permissions),
      workload: JSON.stringify(credential.workload),
      githubExpiresAt: credential.githubExpiresAt,
      expiresAt: credential.expiresAt,
      issuedAt: credential.issuedAt,
    },
  });
}

/** A live credential that should end now, and why. */
export interface DueCredential {
  id: string;
  delegationId: string;
  repo: { id: number; fullName: string };
  /** The pull request or issue the delegation was given on (the end is part of its evidence). */
  subjectNumber: number | null;
  encryptedToken: string | null;
  tokenSha256: string;
  tokenHashedBase64: string;
  expiresAt: Date;
  githubExpiresAt: Date;
  /** Why: its effective expiry passed, or its delegation is no longer active (and which status it has). */
  due: { kind: "expiry" } | { kind: "delegation"; status: string; reason: string | null };
}

// Credentials live an hour at most, so the live ones are few; they are read a page at a time all the
// same, and every page is checked: a revoked delegation's credential is never left for later.
const PAGE = 500;

/** A stored credential, as Prisma reads it. */
type IssuedCredentialRow = Awaited<ReturnType<Store["prisma"]["issuedCredential"]["findFirstOrThrow"]>>;

/**
 * The live credentials (not yet ended) that are due to end at `now`: past their effective expiry, or
 * issued under a delegation that is no longer active (revoked, expired, or ended with its pull request).
 */
export async function credentialsDueToEnd(db: Store, now: Date): Promise<DueCredential[]> {
  const due: DueCredential[] = [];
  let after: string | null = null;
  for (;;) {
    const live: IssuedCredentialRow[] = await db.prisma.issuedCredential.findMany({ where: { endedAs: null, ...(after ? { id: { gt: after } } : {}) }, orderBy: { id: "asc" }, take: PAGE });
    if (live.length === 0) return due;
    const delegations = await db.prisma.delegation.findMany({ where: { id: { in: [...new Set(live.map((row) => row.delegationId))] } }, select: { id: true, status: true, revokeReason: true, subjectNumber: true } });
    const byId = new Map(delegations.map((row) => [row.id, row]));
    for (const row of live) {
      const delegation = byId.get(row.delegationId);
      const why: DueCredential["due"] | null =
        // A delegation that is gone from the database cannot vouch for the credential either.
        !delegation || delegation.status !== "active"
          ? { kind: "delegation", status: delegation?.status ?? "missing", reason: delegation?.revokeReason ?? null }
          : row.expiresAt.getTime() <= now.getTime()
            ? { kind: "expiry" }
            : null;
      if (why) due.push({ id: row.id, delegationId: row.delegationId, repo: { id: Number(row.repoId), fullName: row.repoFullName }, subjectNumber: delegation?.subjectNumber ?? null, encryptedToken: row.encryptedToken, tokenSha256: row.tokenSha256, tokenHashedBase64: row.tokenHashedBase64, expiresAt: row.expiresAt, githubExpiresAt: row.githubExpiresAt, due: why });
    }
    if (live.length < PAGE) return due;
    after = (live.at(-1) as IssuedCredentialRow).id;
  }
}

/** An active delegation that live credentials were issued under, with whose standing vouches for them. */
export interface DelegationWithLiveCredentials {
  delegationId: string;
  /** The main app's installation the delegation was made in (null: recorded before it was kept). */
  installationId: number | null;
  repo: { id: number; fullName: string };
  subjectType: "pull_request" | "issue";
  subjectNumber: number;
  /** Who delegated: their write access is what the credentials rest on. */
  delegator: { id: number; login: string };
}

/**
 * The active delegations with at least one live credential (not ended, effective expiry not passed at
 * `now`): those whose delegator's access the sweep checks. Read a page at a time, like the due ones.
 */
export async function delegationsWithLiveCredentials(db: Store, now: Date): Promise<DelegationWithLiveCredentials[]> {
  const found = new Map<string, DelegationWithLiveCredentials>();
  let after: string | null = null;
  for (;;) {
    const live: Array<{ id: string; delegationId: string }> = await db.prisma.issuedCredential.findMany({ where: { endedAs: null, expiresAt: { gt: now }, ...(after ? { id: { gt: after } } : {}) }, orderBy: { id: "asc" }, take: PAGE, select: { id: true, delegationId: true } });
    if (live.length === 0) break;
    const wanted = [...new Set(live.map((row) => row.delegationId))].filter((id) => !found.has(id));
    const delegations = wanted.length === 0 ? [] : await db.prisma.delegation.findMany({ where: { id: { in: wanted }, status: "active" }, select: { id: true, installationId: true, repoId: true, repoFullName: true, subjectType: true, subjectNumber: true, ownerId: true, ownerLogin: true } });
    for (const row of delegations) {
      found.set(row.id, { delegationId: row.id, installationId: row.installationId === null ? null : Number(row.installationId), repo: { id: Number(row.repoId), fullName: row.repoFullName }, subjectType: row.subjectType === "issue" ? "issue" : "pull_request", subjectNumber: row.subjectNumber, delegator: { id: Number(row.ownerId), login: row.ownerLogin } });
    }
    if (live.length < PAGE) break;
    after = (live.at(-1) as { id: string }).id;
  }
  return [...found.values()];
}

/** Marks a credential ended and forgets its sealed token; false when it had ended already (another replica). */
export async function markCredentialEnded(db: Store, id: string, endedAs: "revoked" | "expired", at: Date): Promise<boolean> {
  const { count } = await db.prisma.issuedCredential.updateMany({ where: { id, endedAs: null }, data: { endedAs, endedAt: at, encryptedToken: null } });
  return count === 1;
}

/** How many credentials were issued under each of `delegationIds`, and how many of them are still live at `now`. */
export async function credentialCounts(db: Store, delegationIds: readonly string[], now: Date): Promise<Array<{ delegationId: string; issued: number; live: number }>> {
  if (delegationIds.length === 0) return [];
  const rows = await db.prisma.issuedCredential.findMany({ where: { delegationId: { in: [...delegationIds] } }, select: { delegationId: true, endedAs: true, expiresAt: true } });
  return delegationIds.flatMap((delegationId) => {
    const under = rows.filter((row) => row.delegationId === delegationId);
    if (under.length === 0) return [];
    return [{ delegationId, issued: under.length, live: under.filter((row) => row.endedAs === null && row.expiresAt.getTime() > now.getTime()).length }];
  });
}

/**
 * How long after a credential ended a push by the credential app's bot may still be its: GitHub
 * delivers the push webhook seconds after the push, and a delivery can wait in the queue behind
 * others, while the credential may have been revoked in between.
 */
export const PUSH_ATTRIBUTION_GRACE_MS = 10 * 60_000;

/**
 * The credentials issued for repository `repoId` that could have made a push recorded at `at`:
 * issued by then, and not ended (or past their effective expiry) more than the grace before it.
 */
export async function credentialsLiveWhenPushed(db: Store, repoId: number, at: Date): Promise<PushCredential[]> {
  const rows = await db.prisma.issuedCredential.findMany({
    where: { repoId: BigInt(repoId), issuedAt: { lte: at }, OR: [{ endedAt: null }, { endedAt: { gte: new Date(at.getTime() - PUSH_ATTRIBUTION_GRACE_MS) } }] },
    select: { id: true, delegationId: true, workload: true, endedAt: true, expiresAt: true },
    orderBy: { issuedAt: "asc" },
    take: 50,
  });
  return rows
    .filter((row) => (row.endedAt ?? row.expiresAt).getTime() >= at.getTime() - PUSH_ATTRIBUTION_GRACE_MS)
    .map((row) => {
      const workload = parseWorkload(row.workload);
      const claim = (name: string) => (typeof workload[name] === "string" || typeof workload[name] === "number" ? String(workload[name]) : null);
      return { id: row.id, delegationId: row.delegationId, runId: claim("run_id"), workflowRef: claim("job_workflow_ref") ?? claim("workflow_ref") };
    });
}

function parseWorkload(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The delegations issued credentials were given under, by id (those still in the database). */
export async function delegationsOfCredentials(db: Store, delegationIds: readonly string[]): Promise<DelegationRecord[]> {
  if (delegationIds.length === 0) return [];
  const rows = await db.prisma.delegation.findMany({ where: { id: { in: [...new Set(delegationIds)] } } });
  return rows.map(toDelegationRecord);
}
