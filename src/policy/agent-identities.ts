import { compileLinearPattern, type LinearPattern } from "./linear-pattern.js";
import type { Actor } from "./types.js";

/**
 * An AI coding agent's GitHub identity. Ids are matched first: they survive renames and cannot be
 * claimed by anyone else. Logins are the fallback (GitHub Enterprise Server installs of the same app
 * have other ids); a login ending in `[bot]` names a GitHub App bot, anything else a machine user.
 */
export interface AgentIdentity {
  name: string;
  ids: number[];
  logins: string[];
}

/**
 * A commit-message trailer that marks a commit as written with an agent's help. `pattern` is tested
 * against the trailer's value (everything after `Key:`).
 */
export interface TrailerRule {
  name: string;
  key: string;
  /** Matched in linear time: the value is agent-written (see linear-pattern.ts). */
  pattern: LinearPattern;
}

// Seen on public repositories (ids from the `<id>+<login>@users.noreply.github.com` addresses the
// apps commit with, and from pull-request payloads). Ids are github.com's; on GitHub Enterprise Server
// the logins still match.
export const BUILT_IN_AGENT_IDENTITIES: readonly AgentIdentity[] = [
  { name: "GitHub Copilot coding agent", ids: [198982749], logins: ["Copilot[bot]", "copilot-swe-agent[bot]"] },
  { name: "Claude", ids: [209825114], logins: ["claude[bot]"] },
  { name: "Claude Code", ids: [], logins: ["claude-code[bot]"] },
  { name: "OpenAI Codex", ids: [199175422, 215057067], logins: ["chatgpt-codex-connector[bot]", "openai-codex[bot]", "codex[bot]"] },
  { name: "Devin", ids: [158243242], logins: ["devin-ai-integration[bot]"] },
  { name: "Cursor", ids: [206951365], logins: ["cursor[bot]"] },
  { name: "Google Jules", ids: [161369871], logins: ["google-labs-jules[bot]"] },
];

// Written as RE2 pattern sources and compiled with the same engine and flags as configured rules
// (case-insensitive), so a built-in rule can never be one the policy would refuse.
const BUILT_IN_TRAILER_PATTERNS: ReadonlyArray<{ name: string; key: string; pattern: string }> = [
  // Claude Code: "Co-Authored-By: Claude <noreply@anthropic.com>", newer versions put the model in the
  // display name ("Claude Opus 4.1 <noreply@anthropic.com>"): match the address.
  { name: "Claude", key: "co-authored-by", pattern: "<noreply@anthropic\\.com>" },
  // Copilot (chat and coding agent): "<175728472+Copilot@users.noreply.github.com>",
  // "<198982749+Copilot@users.noreply.github.com>".
  { name: "GitHub Copilot", key: "co-authored-by", pattern: "<\\d+\\+copilot(?:-swe-agent\\[bot\\])?@users\\.noreply\\.github\\.com>" },
  { name: "Cursor", key: "co-authored-by", pattern: "<cursoragent@cursor\\.com>" },
  { name: "Aider", key: "co-authored-by", pattern: "<(?:noreply|aider)@aider\\.chat>" },
  // Linux kernel convention ("Assisted-by: AGENT:MODEL") and its common variant.
  { name: "Assisted-by trailer", key: "assisted-by", pattern: "\\S" },
  { name: "Generated-by trailer", key: "generated-by", pattern: "\\S" },
];

export const BUILT_IN_TRAILER_RULES: readonly TrailerRule[] = BUILT_IN_TRAILER_PATTERNS.map((rule) => ({
  ...rule,
  pattern: compileLinearPattern(rule.pattern, { caseInsensitive: true }),
}));

/**
 * A stable key for a login that keeps bots and users apart: `bot:claude` for `claude[bot]`, and
 * `user:alice` for `alice`. A user may not register a name ending in `[bot]`, so a bot key cannot be
 * claimed by a person, while a user named like a bot (`cursor`) never matches the bot.
 */
export function loginKey(login: string, kind: "bot" | "user"): string {
  const bare = login.replace(/\[bot\]$/i, "").toLowerCase();
  return `${kind}:${bare}`;
}

/**
 * A pure function of a string, remembered: the engine asks the same questions about the same few
 * logins and addresses for every commit of a pull request (a large one has hundreds), and each answer
 * is a regular expression's work. At most `limit` answers are kept; then the memory starts over.
 */
function remembered<T>(compute: (input: string) => T, limit = 10_000): (input: string) => T {
  const answers = new Map<string, T>();
  return (input) => {
    if (answers.has(input)) return answers.get(input) as T;
    const answer = compute(input);
    if (answers.size >= limit) answers.clear();
    answers.set(input, answer);
    return answer;
  };
}

/** The key of an actor: bots by their bot key, everyone else as a user. */
export function actorKey(actor: Pick<Actor, "login" | "kind">): string {
  return actor.kind === "bot" ? loginKey(actor.login, "bot") : configuredLoginKey(actor.login);
}

/** The key of a configured login: `[bot]` suffix means a bot, otherwise a machine user. */
export const configuredLoginKey: (login: string) => string = remembered((login) => loginKey(login, /\[bot\]$/i.test(login) ? "bot" : "user"));

/** How an actor was recognised as an agent. */
export interface IdentityMatch {
  identity: AgentIdentity;
  matchedBy: "id" | "login";
}

/** Finds the agent identity an actor belongs to, by id first and login second. */
export function matchAgentIdentity(
  actor: Pick<Actor, "id" | "login" | "kind">,
  identities: readonly AgentIdentity[],
): IdentityMatch | null {
  if (actor.id !== null) {
    const byId = identities.find((identity) => identity.ids.includes(actor.id as number));
    if (byId) return { identity: byId, matchedBy: "id" };
  }
  const key = actorKey(actor);
  const byLogin = identities.find((identity) => identity.logins.some((login) => configuredLoginKey(login) === key));
  return byLogin ? { identity: byLogin, matchedBy: "login" } : null;
}

/** Same actor? By id when both have one, else by login key. */
export function sameActor(a: Pick<Actor, "id" | "login" | "kind">, b: Pick<Actor, "id" | "login" | "kind">): boolean {
  if (a.id !== null && b.id !== null) return a.id === b.id;
  return actorKey(a) === actorKey(b);
}

/**
 * The GitHub account behind a `<id>+<login>@users.noreply.github.com` address, which GitHub assigns
 * per account and which apps commit with. Returns null for any other address.
 */
export const accountFromNoreplyEmail: (email: string) => Actor | null = remembered((email) => {
  const match = /^(\d+)\+([A-Za-z0-9-]+(?:\[bot\])?)@users\.noreply\.github\.com$/i.exec(email.trim());
  if (!match) return null;
  const login = match[2] as string;
  // One object answers every asker: frozen, so no caller can change it for the others.
  return Object.freeze({ id: Number(match[1]), login, kind: /\[bot\]$/i.test(login) ? ("bot" as const) : ("user" as const) });
});
