import type { Actor, ActorKind } from "../policy/types.js";

/** An account as REST and webhooks describe it (`type` is "User", "Bot", "Organization", …). */
export interface RestAccount {
  id: number;
  login: string;
  type?: string;
}

const KINDS: Record<string, ActorKind> = { User: "user", Bot: "bot", Organization: "organization", Mannequin: "mannequin" };

/** The engine's view of a REST/webhook account: its kind as GitHub says, "unknown" when absent. */
export function toWebhookActor(account: RestAccount | null | undefined): Actor {
  if (!account) return { id: null, login: "unknown", kind: "unknown" };
  return { id: account.id, login: account.login, kind: (account.type && KINDS[account.type]) || "unknown" };
}
