import type { DelegationRecord } from "../policy/types.js";
import type { Database } from "./database.js";
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
export async function findCredentialDelegations(db: Database, repository: string, reference: DelegationReference): Promise<CredentialDelegation[]> {
  const rows =
    "id" in reference
      ? await db.delegation.findMany({ where: { id: reference.id, repoFullName: repository }, take: 1 })
      : await db.delegation.findMany({ where: { repoFullName: repository, subjectType: reference.subjectType, subjectNumber: reference.number, status: "active" }, orderBy: { createdAt: "desc" }, take: MAX_CANDIDATES });
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
export async function recordIssuedCredential(db: Database, credential: NewIssuedCredential): Promise<void> {
  await db.issuedCredential.create({
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
