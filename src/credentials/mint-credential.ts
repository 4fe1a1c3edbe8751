import { createPrivateKey, randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import type { ProbotOctokit } from "probot";
import type { CredentialAppSettings } from "../config/env.schema.js";
import { appendAuditEvent } from "../db/audit-log.js";
import { recordIssuedCredential } from "../db/credentials.js";
import type { Store } from "../db/store.js";
import { createRepositoryToken, credentialInstallation, revokeOwnToken } from "../github/credential-app.js";
import { intersectPermissions, type CredentialLevel } from "../policy/credential-policy.js";
import type { Log } from "../services/event-context.js";
import type { CredentialGrant, ExchangeContext } from "./credential-exchange.js";
import type { Refusal } from "./refusals.js";
import { encryptToken, tokenHashes } from "./token-vault.js";

// Minting a granted credential through the credential app, and recording it before anyone sees it:
// the installation on the repository → a token for that one repository with the intersected
// permissions → `credential.issued` in the hash chain (with the token's hashes, never the token) and
// the sealed token kept for revocation → the token returned. If recording fails, the token is
// revoked at once: an unrecorded token never leaves Countersign.

/** GitHub's tokens are opaque; the longer stateless format stays well within this. */
const MAX_TOKEN_LENGTH = 1000;

/** A minted credential, as the route returns it. */
export interface IssuedCredential {
  id: string;
  token: string;
  /** When Countersign revokes it (GitHub's own expiry is an hour from minting). */
  expiresAt: Date;
  githubExpiresAt: Date;
  permissions: Record<string, string>;
}

export type MintOutcome = { ok: true; credential: IssuedCredential } | { ok: false; refusal: Refusal };

/** Mints the credential a grant allows, with `credential.issued` recorded before it is returned. */
export type CredentialMint = (grant: CredentialGrant, context: ExchangeContext) => Promise<MintOutcome>;

export interface MintSettings {
  db: Store;
  app: CredentialAppSettings;
  /** An Octokit that authenticates with `token` (the credential app's JWT, or an issued token). */
  octokitWithToken: (token: string) => ProbotOctokit;
  clock: () => Date;
  log: Log;
}

/** The credential app's JWT (RS256, ten minutes at most as GitHub requires; issued a minute back for clock drift). */
export async function appJwt(app: Pick<CredentialAppSettings, "appId" | "privateKey">, now: Date): Promise<string> {
  const seconds = Math.floor(now.getTime() / 1000);
  return new SignJWT({}).setProtectedHeader({ alg: "RS256" }).setIssuer(String(app.appId)).setIssuedAt(seconds - 60).setExpirationTime(seconds + 540).sign(createPrivateKey(app.privateKey));
}

/** GitHub's levels as the policy's: `admin` includes `write`. */
function asLevels(permissions: Record<string, string>): Record<string, CredentialLevel> {
  const result: Record<string, CredentialLevel> = {};
  for (const [name, level] of Object.entries(permissions)) {
    if (level === "read") result[name] = "read";
    else if (level === "write" || level === "admin") result[name] = "write";
  }
  return result;
}

/** The credential mint for the configured credential app. */
export function credentialMint(settings: MintSettings): CredentialMint {
  const refuse = (reason: Refusal["reason"], detail: string): MintOutcome => ({ ok: false, refusal: { reason, detail } });
  return async (grant, context) => {
    const appOctokit = settings.octokitWithToken(await appJwt(settings.app, settings.clock()));
    const [owner, repo] = grant.repository.fullName.split("/") as [string, string];
    let installation: Awaited<ReturnType<typeof credentialInstallation>>;
    try {
      installation = await credentialInstallation(appOctokit, owner, repo);
    } catch (error) {
      return refuse("github_refused", `GitHub did not say where the credential app is installed (${(error as { status?: number }).status ?? "no answer"})`);
    }
    if (!installation) return refuse("github_refused", `the credential app is not installed on ${grant.repository.fullName}`);
    const permissions = intersectPermissions(grant.permissions, asLevels(installation.permissions));
    if (Object.keys(permissions).length === 0) return refuse("permissions_exceed_policy", `the credential app has none of ${Object.keys(grant.permissions).join(", ")} on ${grant.repository.fullName}`);

    let minted: Awaited<ReturnType<typeof createRepositoryToken>>;
    try {
      minted = await createRepositoryToken(appOctokit, installation.id, grant.repository.id, permissions);
    } catch (error) {
      return refuse("github_refused", `GitHub refused to mint the token (${(error as { status?: number }).status ?? "no answer"})`);
    }
    const issuedAt = settings.clock();
    const id = `cred_${randomBytes(8).toString("hex")}`;
    /** Revokes the minted token with itself; false when GitHub did not confirm it. */
    const revokeNow = async (why: string): Promise<boolean> => {
      try {
        await revokeOwnToken(settings.octokitWithToken(minted.token));
        return true;
      } catch (error) {
        settings.log.error({ credentialId: id, tokenSha256: tokenHashes(minted.token).sha256, status: (error as { status?: number }).status }, `countersign: a token that was not issued (${why}) could not be revoked; it expires within the hour`);
        return false;
      }
    };
    if (minted.token.length === 0 || minted.token.length > MAX_TOKEN_LENGTH) {
      await revokeNow("GitHub returned a token of an unexpected length");
      return refuse("github_refused", "GitHub returned a token Countersign cannot keep");
    }
    const hashes = tokenHashes(minted.token);
    const expiresAt = new Date(Math.min(grant.effectiveExpiresAt.getTime(), minted.expiresAt.getTime()));
    try {
      await appendAuditEvent(settings.db, {
        type: "credential.issued",
        repo: { id: grant.repository.id, fullName: grant.repository.fullName },
        subjectNumber: grant.delegation.record.subjectNumber,
        sha: null,
        actor: null,
        deliveryId: null,
        payload: {
          credentialId: id,
          delegationId: grant.delegation.record.id,
          // With the event's number, names what it was given on: a pull request's evidence lists it.
          subjectType: grant.delegation.record.subjectType,
          agent: grant.workload.agent,
          workload: context.claims ?? null,
          requested: grant.requested,
          granted: minted.permissions,
          githubExpiresAt: minted.expiresAt.toISOString(),
          expiresAt: expiresAt.toISOString(),
          tokenSha256: hashes.sha256,
          hashedToken: hashes.hashedToken,
          installationId: installation.id,
        },
        at: issuedAt,
      });
      await recordIssuedCredential(settings.db, {
        id,
        delegationId: grant.delegation.record.id,
        repo: { id: grant.repository.id, fullName: grant.repository.fullName },
        installationId: installation.id,
        tokenSha256: hashes.sha256,
        tokenHashedBase64: hashes.hashedToken,
        encryptedToken: encryptToken(settings.app.tokenKey, minted.token, id),
        permissions: minted.permissions,
        workload: context.claims ?? {},
        githubExpiresAt: minted.expiresAt,
        expiresAt,
        issuedAt,
      });
    } catch (error) {
      settings.log.error({ credentialId: id, error: { name: (error as Error).name, message: (error as Error).message } }, "countersign: an issued token could not be recorded; revoking it");
      const revoked = await revokeNow("it could not be recorded");
      // Best effort: when the issued event was recorded, the chain also says the token ended at once.
      await appendAuditEvent(settings.db, {
        type: revoked ? "credential.revoked" : "credential.revoke_failed",
        repo: { id: grant.repository.id, fullName: grant.repository.fullName },
        subjectNumber: grant.delegation.record.subjectNumber,
        sha: null,
        actor: null,
        deliveryId: null,
        payload: { credentialId: id, delegationId: grant.delegation.record.id, trigger: "recording_failed", tokenSha256: hashes.sha256, hashedToken: hashes.hashedToken },
        at: settings.clock(),
      }).catch(() => undefined);
      return refuse("unavailable", "the credential could not be recorded, so it was revoked; nothing was issued");
    }
    return { ok: true, credential: { id, token: minted.token, expiresAt, githubExpiresAt: minted.expiresAt, permissions: minted.permissions } };
  };
}
