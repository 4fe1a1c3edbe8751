import type { CredentialAppSettings } from "../config/env.schema.js";
import { credentialAppSlug } from "../github/credential-app.js";
import type { CredentialAppClients } from "../github/credential-rules.js";
import type { AgentIdentity } from "../policy/agent-identities.js";
import type { Log } from "../services/event-context.js";
import { CREDENTIAL_BOT_IDENTITY } from "../services/record-agent-push.js";
import { appJwt, type MintSettings } from "./mint-credential.js";

// Commits pushed with an issued token are pushed by the credential app's bot, `<slug>[bot]`: an agent
// identity like any other, whatever the commits' authors say. The slug is read once from GitHub (or
// configured); a failed read is logged and tried again on the next call, and a configured slug keeps
// the bot recognised meanwhile: its pushes are never taken for a person's.

/** A failed read is tried again on the first event after this long (each event would be too often). */
const RETRY_AFTER_MS = 60_000;

/** What reading the bot's slug needs of the credential app's settings (`countersign simulate` has no token key). */
export type CredentialAppIdentity = Pick<CredentialAppSettings, "appId" | "privateKey" | "slug"> & Partial<CredentialAppSettings>;

/** The identity for a slug. */
export function credentialBotIdentity(slug: string): AgentIdentity {
  return { name: CREDENTIAL_BOT_IDENTITY, ids: [], logins: [`${slug}[bot]`] };
}

/** Resolves the credential app's bot as agent identities (none when no credential app is configured). */
export function credentialBotIdentities(settings: { app: CredentialAppIdentity; octokitWithToken: MintSettings["octokitWithToken"]; clock: () => Date; log: Log }): () => Promise<AgentIdentity[]> {
  let read: string | null = null;
  let pending: Promise<string | null> | null = null;
  let failedAt = Number.NEGATIVE_INFINITY;
  const readSlug = async (): Promise<string | null> => {
    try {
      return await credentialAppSlug(settings.octokitWithToken(await appJwt(settings.app, settings.clock())));
    } catch (error) {
      settings.log.error({ status: (error as { status?: number }).status, message: (error as Error).message }, "countersign: could not read the credential app's slug; its bot is recognised only by COUNTERSIGN_CREDENTIAL_APP_SLUG until it can be read");
      return null;
    }
  };
  return async () => {
    if (read === null && (pending || settings.clock().getTime() - failedAt >= RETRY_AFTER_MS)) {
      pending ??= readSlug().finally(() => {
        pending = null;
      });
      read = await pending;
      if (read === null) failedAt = settings.clock().getTime();
    }
    const slugs = new Set([settings.app.slug, read].filter((slug): slug is string => typeof slug === "string"));
    return [...slugs].map(credentialBotIdentity);
  };
}

/**
 * The credential app as the services take it (createServices' `credentialApp`): its bot as an agent
 * identity, and its clients, with which the setup doctor asks as that bot whether a ruleset keeps it
 * off a base branch.
 */
export function credentialAppForServices(settings: { app: CredentialAppIdentity; octokitWithToken: MintSettings["octokitWithToken"]; clock: () => Date; log: Log }): {
  identities: () => Promise<AgentIdentity[]>;
  clients: CredentialAppClients;
} {
  return {
    identities: credentialBotIdentities(settings),
    clients: { appOctokit: async () => settings.octokitWithToken(await appJwt(settings.app, settings.clock())), octokitWithToken: settings.octokitWithToken },
  };
}
