import type { ProbotOctokit } from "probot";
import { appendAuditEvent, type AuditEventType } from "../db/audit-log.js";
import { credentialsDueToEnd, markCredentialEnded, type DelegationWithLiveCredentials, type DueCredential } from "../db/credentials.js";
import type { Store } from "../db/store.js";
import { revokeOwnToken } from "../github/credential-app.js";
import type { GitHub } from "../github/github-client.js";
import type { Log } from "../services/event-context.js";
import { DELEGATOR_LOST_WRITE, revokeDelegationsWithoutWriteAccess } from "./delegator-access.js";
import { decryptToken } from "./token-vault.js";

// Ending issued credentials: first, the delegations whose delegator no longer has write access are
// revoked (delegator-access.ts); then each live credential whose effective expiry has passed, or whose
// delegation is no longer active (revoked with `/delegate revoke` or for its delegator's lost access,
// expired, or ended when its pull request was merged or closed or its issue closed), is revoked with
// itself (`DELETE /installation/token`, the only way GitHub revokes a token), marked ended, and its
// sealed token forgotten. A revocation GitHub does not confirm is recorded (`credential.revoke_failed`),
// counted, and tried again at the next sweep.

export interface EndCredentialsSettings {
  db: Store;
  /** The main app as one of its installations: where delegators' permissions are read. */
  installationGitHub: (installationId: number) => Promise<GitHub>;
  /** Counts a delegator's permission that could not be read (the errors metric). */
  recordAccessReadFailure: () => void;
  tokenKey: Buffer;
  octokitWithToken: (token: string) => ProbotOctokit;
  clock: () => Date;
  log: Log;
  /** Counts a failed revocation (the errors metric). */
  recordFailure: () => void;
  /**
   * Told of each delegation revoked because its delegator lost write access, once its credentials
   * have been dealt with: the pull requests that relied on it are judged again at once.
   */
  delegationRevoked?: (delegation: DelegationWithLiveCredentials) => Promise<void>;
}

/** The trigger an audit event names: the effective expiry, or what became of the delegation. */
function triggerOf(credential: DueCredential): string {
  if (credential.due.kind === "expiry") return "effective_expiry";
  // Told apart by the reason Countersign stores, so a revocation retried at a later sweep names it too.
  if (credential.due.status === "revoked" && credential.due.reason === DELEGATOR_LOST_WRITE) return "delegator_lost_write";
  return `delegation_${credential.due.status}`;
}

/** GitHub's answer to a revocation: 204, or a status meaning the token no longer works anyway. */
function alreadyInvalid(status: number | undefined): boolean {
  return status === 401 || status === 404;
}

/** Ends every credential due at this moment; returns how many ended. */
export async function endDueCredentials(settings: EndCredentialsSettings): Promise<number> {
  const now = settings.clock();
  let revoked: DelegationWithLiveCredentials[] = [];
  try {
    revoked = await revokeDelegationsWithoutWriteAccess({ db: settings.db, installationGitHub: settings.installationGitHub, log: settings.log, recordReadFailure: settings.recordAccessReadFailure }, now);
  } catch (error) {
    // The access check failing (the database) must not keep the other triggers from ending credentials.
    settings.recordAccessReadFailure();
    settings.log.error({ error: { name: (error as Error).name, message: (error as Error).message } }, "countersign: could not check delegators' access; tried again at the next sweep");
  }
  let ended = 0;
  for (const credential of await credentialsDueToEnd(settings.db, now)) {
    const trigger = triggerOf(credential);
    const record = (type: AuditEventType, details: Record<string, unknown>) =>
      appendAuditEvent(settings.db, {
        type,
        repo: credential.repo,
        subjectNumber: credential.subjectNumber,
        sha: null,
        actor: null,
        deliveryId: null,
        payload: { credentialId: credential.id, delegationId: credential.delegationId, trigger, ...(credential.due.kind === "delegation" ? { delegationReason: credential.due.reason } : {}), tokenSha256: credential.tokenSha256, hashedToken: credential.tokenHashedBase64, ...details },
        at: now,
      });
    const endAs = credential.due.kind === "expiry" ? "expired" : "revoked";
    if (credential.githubExpiresAt.getTime() <= now.getTime() || credential.encryptedToken === null) {
      // GitHub's hour is over: the token no longer works, there is nothing to revoke.
      if (await markCredentialEnded(settings.db, credential.id, "expired", now)) {
        await record("credential.expired", { github: "expired at GitHub" });
        ended += 1;
      }
      continue;
    }
    let status: number;
    try {
      await revokeOwnToken(settings.octokitWithToken(decryptToken(settings.tokenKey, credential.encryptedToken, credential.id)));
      status = 204;
    } catch (error) {
      const failed = (error as { status?: number }).status;
      if (!alreadyInvalid(failed)) {
        settings.recordFailure();
        settings.log.error({ credentialId: credential.id, trigger, status: failed ?? null }, "countersign: could not revoke an issued credential; it will be tried again");
        await record("credential.revoke_failed", { github: failed === undefined ? "no answer (or the token could not be unsealed)" : `HTTP ${failed}` });
        continue;
      }
      status = failed as number;
    }
    if (await markCredentialEnded(settings.db, credential.id, endAs, now)) {
      await record(endAs === "expired" ? "credential.expired" : "credential.revoked", { github: `HTTP ${status}` });
      ended += 1;
    }
  }
  for (const delegation of revoked) {
    try {
      await settings.delegationRevoked?.(delegation);
    } catch (error) {
      // The check runs catch up at the pull request's next event; the revocation itself stands.
      settings.log.error({ delegationId: delegation.delegationId, error: { name: (error as Error).name, message: (error as Error).message } }, "countersign: could not re-evaluate the pull requests of a revoked delegation");
    }
  }
  return ended;
}
