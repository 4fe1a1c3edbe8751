import { appendAuditEvent } from "../db/audit-log.js";
import { delegationsWithLiveCredentials, type DelegationWithLiveCredentials } from "../db/credentials.js";
import { revokeDelegation } from "../db/delegations.js";
import type { Store } from "../db/store.js";
import type { GitHub } from "../github/github-client.js";
import { canWrite, type Permission } from "../policy/types.js";
import type { Log } from "../services/event-context.js";

// A credential rests on its delegation, and a delegation on its delegator's write access: someone who
// can no longer push to the repository must not keep an agent pushing there on their word. So each
// sweep reads, through the main app's installation, the current permission of every delegator whose
// delegation has a live credential; one below write (read, triage, none, or not a collaborator at all)
// revokes the delegation, and the sweep then ends its credentials (trigger `delegator_lost_write`).
// A read that fails proves nothing either way: nothing is ended, the failure is logged and counted,
// and the next sweep reads again.

/** The reason stored on a delegation revoked because its delegator lost write access. */
export const DELEGATOR_LOST_WRITE = "the delegator no longer has write access";

export interface DelegatorAccessSettings {
  db: Store;
  /** The main app's view of GitHub as one of its installations (where the delegation was made). */
  installationGitHub: (installationId: number) => Promise<GitHub>;
  log: Log;
  /** Counts a permission that could not be read (the errors metric). */
  recordReadFailure: () => void;
}

/** A delegator's permission as read this sweep, or null when it could not be read. */
type Read = Promise<Permission | null>;

/**
 * Revokes each active delegation with a live credential whose delegator no longer has write access,
 * recording `delegation.revoked` (by Countersign: no actor). Each delegator's permission on a
 * repository is read at most once per call. Returns the delegations revoked.
 */
export async function revokeDelegationsWithoutWriteAccess(settings: DelegatorAccessSettings, now: Date): Promise<DelegationWithLiveCredentials[]> {
  const reads = new Map<string, Read>();
  const clients = new Map<number, Promise<GitHub>>();
  const read = (delegation: DelegationWithLiveCredentials): Read => {
    const key = `${delegation.installationId}:${delegation.repo.id}:${delegation.delegator.login.toLowerCase()}`;
    let answer = reads.get(key);
    if (!answer) {
      answer = readPermission(settings, clients, delegation);
      reads.set(key, answer);
    }
    return answer;
  };
  const revoked: DelegationWithLiveCredentials[] = [];
  for (const delegation of await delegationsWithLiveCredentials(settings.db, now)) {
    const permission = await read(delegation);
    if (permission === null || canWrite(permission)) continue;
    if (!(await revokeDelegation(settings.db, delegation.delegationId, null, DELEGATOR_LOST_WRITE, now))) continue;
    revoked.push(delegation);
    settings.log.warn({ delegationId: delegation.delegationId, repo: delegation.repo.fullName, delegator: delegation.delegator.login, permission }, "countersign: a delegator no longer has write access; their delegation is revoked and its credentials end");
    await appendAuditEvent(settings.db, {
      type: "delegation.revoked",
      repo: delegation.repo,
      subjectNumber: delegation.subjectNumber,
      sha: null,
      // Countersign revoked it, not a person.
      actor: null,
      deliveryId: null,
      payload: { delegationId: delegation.delegationId, reason: DELEGATOR_LOST_WRITE, delegator: delegation.delegator, permission },
      at: now,
    });
  }
  return revoked;
}

/** Reads a delegator's current permission (never a cached answer); null, logged and counted, on failure. */
async function readPermission(settings: DelegatorAccessSettings, clients: Map<number, Promise<GitHub>>, delegation: DelegationWithLiveCredentials): Read {
  const [owner = "", name = ""] = delegation.repo.fullName.split("/");
  const failed = (why: string, status: number | null): null => {
    settings.recordReadFailure();
    settings.log.error({ delegationId: delegation.delegationId, repo: delegation.repo.fullName, delegator: delegation.delegator.login, status, why }, "countersign: could not read a delegator's permission; their credentials stay live until the next sweep reads it");
    return null;
  };
  // A delegation recorded without its installation cannot be checked: left as it is, and said so.
  if (delegation.installationId === null) return failed("the delegation has no installation recorded", null);
  const installationId = delegation.installationId;
  try {
    let client = clients.get(installationId);
    if (!client) {
      client = settings.installationGitHub(installationId);
      clients.set(installationId, client);
    }
    return await (await client).permission({ owner, name, id: delegation.repo.id }, delegation.delegator.login, { fresh: true });
  } catch (error) {
    return failed((error as Error).message ?? "unreadable", (error as { status?: number }).status ?? null);
  }
}
