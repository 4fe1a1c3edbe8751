import { describe, expect, test } from "@jest/globals";
import {
  BUILT_IN_AGENT_IDENTITIES,
  accountFromNoreplyEmail,
  actorKey,
  configuredLoginKey,
  loginKey,
  matchAgentIdentity,
  sameActor,
  type AgentIdentity,
} from "../../../src/policy/agent-identities.js";
import type { Actor, ActorKind } from "../../../src/policy/types.js";

/** An actor with the given login; `kind` and `id` default to an id-less user. */
function actor(login: string, kind: ActorKind = "user", id: number | null = null): Actor {
  return { id, login, kind };
}

const acmeAgent: AgentIdentity = { name: "Acme agent", ids: [555], logins: ["acme-agent", "acme-ci[bot]"] };
const identities: readonly AgentIdentity[] = [...BUILT_IN_AGENT_IDENTITIES, acmeAgent];

describe("loginKey, actorKey and configuredLoginKey", () => {
  test.each([
    ["claude[bot]", "bot", "bot:claude"],
    ["Claude[BOT]", "bot", "bot:claude"],
    ["claude", "bot", "bot:claude"],
    ["Alice", "user", "user:alice"],
    ["cursor", "user", "user:cursor"],
  ] as const)("loginKey(%j, %s) is %s", (login, kind, key) => {
    expect(loginKey(login, kind)).toBe(key);
  });

  test.each([
    [actor("claude[bot]", "bot"), "bot:claude"],
    [actor("claude", "bot"), "bot:claude"],
    [actor("claude[bot]", "unknown"), "bot:claude"],
    [actor("cursor", "user"), "user:cursor"],
    [actor("acme", "organization"), "user:acme"],
  ])("actorKey(%j) is %s", (who, key) => {
    expect(actorKey(who)).toBe(key);
  });

  test.each([
    ["cursor[bot]", "bot:cursor"],
    ["Copilot[bot]", "bot:copilot"],
    ["acme-agent", "user:acme-agent"],
  ])("configuredLoginKey(%j) is %s", (login, key) => {
    expect(configuredLoginKey(login)).toBe(key);
  });
});

describe("matchAgentIdentity", () => {
  test.each([
    ["the Claude app by id", actor("renamed-login", "bot", 209825114), "Claude", "id"],
    ["Copilot by id whatever it is called", actor("Copilot", "bot", 198982749), "GitHub Copilot coding agent", "id"],
    ["Codex by its second app id", actor("chatgpt-codex-connector[bot]", "bot", 215057067), "OpenAI Codex", "id"],
    ["a configured id", actor("someone", "user", 555), "Acme agent", "id"],
    ["a REST bot login", actor("claude[bot]", "bot"), "Claude", "login"],
    ["a REST bot login with another id (GHES)", actor("claude[bot]", "bot", 42), "Claude", "login"],
    ["a GraphQL bot login (no [bot] suffix)", actor("claude", "bot"), "Claude", "login"],
    ["a GraphQL Copilot login", actor("Copilot", "bot"), "GitHub Copilot coding agent", "login"],
    ["a GraphQL Copilot SWE agent login", actor("copilot-swe-agent", "bot"), "GitHub Copilot coding agent", "login"],
    ["a login in another case", actor("Cursor[bot]", "bot"), "Cursor", "login"],
    ["a [bot] login whatever kind is reported", actor("devin-ai-integration[bot]", "unknown"), "Devin", "login"],
    ["a configured machine user", actor("acme-agent", "user", 9999), "Acme agent", "login"],
    ["a configured app bot via GraphQL", actor("acme-ci", "bot"), "Acme agent", "login"],
  ] as const)("matches %s", (_description, who, name, matchedBy) => {
    const match = matchAgentIdentity(who, identities);
    expect(match?.identity.name).toBe(name);
    expect(match?.matchedBy).toBe(matchedBy);
  });

  test.each([
    ["a human named cursor", actor("cursor", "user", 123)],
    ["a human named claude without an id", actor("claude", "user")],
    ["a human named Copilot", actor("Copilot", "user", 77)],
    ["a human named devin-ai-integration", actor("devin-ai-integration", "user")],
    ["an organization named cursor", actor("cursor", "organization")],
    ["an unrelated bot", actor("dependabot[bot]", "bot", 49699333)],
    ["a bot named like a configured machine user", actor("acme-agent[bot]", "bot")],
    ["a human named like a configured bot", actor("acme-ci", "user")],
    ["a human", actor("alice", "user", 1001)],
  ])("does not match %s", (_description, who) => {
    expect(matchAgentIdentity(who, identities)).toBeNull();
  });

  test("prefers the id: an account with an agent's id matches that agent, not the one its login names", () => {
    expect(matchAgentIdentity(actor("cursor[bot]", "bot", 209825114), identities)).toEqual({
      identity: expect.objectContaining({ name: "Claude" }),
      matchedBy: "id",
    });
  });

  test("knows no agent when given no identities", () => {
    expect(matchAgentIdentity(actor("claude[bot]", "bot", 209825114), [])).toBeNull();
  });
});

describe("sameActor", () => {
  test.each([
    ["the same id, whatever the logins", actor("alice", "user", 1), actor("alice-renamed", "user", 1), true],
    ["different ids, even with the same login", actor("alice", "user", 1), actor("alice", "user", 2), false],
    ["the same login in another case when an id is missing", actor("Alice", "user", 1), actor("alice", "user"), true],
    ["REST and GraphQL spellings of a bot", actor("claude[bot]", "bot"), actor("claude", "bot"), true],
    ["a human and the bot of the same name", actor("cursor", "user"), actor("cursor[bot]", "bot"), false],
    ["a human and a GraphQL bot of the same name", actor("cursor", "user"), actor("cursor", "bot"), false],
    ["different logins without ids", actor("alice", "user"), actor("bob", "user"), false],
  ])("%s → %s", (_description, a, b, expected) => {
    expect(sameActor(a, b)).toBe(expected);
    expect(sameActor(b, a)).toBe(expected);
  });
});

describe("accountFromNoreplyEmail", () => {
  test.each([
    ["209825114+claude[bot]@users.noreply.github.com", { id: 209825114, login: "claude[bot]", kind: "bot" }],
    ["198982749+Copilot@users.noreply.github.com", { id: 198982749, login: "Copilot", kind: "user" }],
    ["1001+alice@users.noreply.github.com", { id: 1001, login: "alice", kind: "user" }],
    ["  1001+alice@USERS.NOREPLY.GITHUB.COM  ", { id: 1001, login: "alice", kind: "user" }],
    ["158243242+devin-ai-integration[bot]@users.noreply.github.com", { id: 158243242, login: "devin-ai-integration[bot]", kind: "bot" }],
  ])("%s belongs to %j", (email, expected) => {
    expect(accountFromNoreplyEmail(email)).toEqual(expected);
  });

  test.each([
    ["an old-style noreply address without an id", "alice@users.noreply.github.com"],
    ["Anthropic's noreply address", "noreply@anthropic.com"],
    ["GitHub's web-flow address", "noreply@github.com"],
    ["a noreply address on another domain", "1001+alice@users.noreply.github.com.evil.dev"],
    ["a noreply address with a prefix", "x1001+alice@users.noreply.github.com"],
    ["a display name and address", "Claude <209825114+claude[bot]@users.noreply.github.com>"],
    ["a login with a dot", "1001+al.ice@users.noreply.github.com"],
    ["an empty address", ""],
  ])("ignores %s", (_description, email) => {
    expect(accountFromNoreplyEmail(email)).toBeNull();
  });
});
