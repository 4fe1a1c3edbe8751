import { describe, expect, test } from "@jest/globals";
import type { AgentDetection } from "../../../src/policy/agent-detection.js";
import { applicableDelegations, isExpired, resolveNamedAgent, resolveOwner } from "../../../src/policy/delegation.js";
import { defaultPolicy, type RepoPolicy } from "../../../src/policy/repo-policy.js";
import type { Actor, DelegationRecord } from "../../../src/policy/types.js";
import { alice, claudeBot, delegation, HOUR, NOW } from "./builders.js";

const codexConnector: Actor = { id: 199175422, login: "chatgpt-codex-connector[bot]", kind: "bot" };

/** A detection result with the given involvement and agent accounts. */
function detection(involvement: AgentDetection["involvement"], agents: Actor[] = []): AgentDetection {
  return { involvement, signals: [], agents };
}

describe("isExpired", () => {
  test.each([
    ["an active delegation without expiry", delegation(), false],
    ["an active delegation expiring later", delegation({ expiresAt: new Date(NOW.getTime() + 1) }), false],
    ["an active delegation expiring right now", delegation({ expiresAt: NOW }), true],
    ["an active delegation past its expiry, not yet swept", delegation({ expiresAt: new Date(NOW.getTime() - 1) }), true],
    ["a delegation the sweep marked expired", delegation({ status: "expired", expiresAt: new Date(NOW.getTime() + HOUR) }), true],
    ["a revoked delegation without expiry", delegation({ status: "revoked" }), false],
  ])("%s → %s", (_description, record, expected) => {
    expect(isExpired(record, NOW)).toBe(expected);
  });
});

describe("resolveNamedAgent", () => {
  const policy: RepoPolicy = {
    ...defaultPolicy(),
    identities: [...defaultPolicy().identities, { name: "Acme agent", ids: [], logins: ["acme-agent", "acme-ci[bot]"] }],
  };

  test.each([
    ["@claude", { login: "claude[bot]", identity: "Claude" }],
    ["claude[bot]", { login: "claude[bot]", identity: "Claude" }],
    ["@Copilot", { login: "Copilot[bot]", identity: "GitHub Copilot coding agent" }],
    ["@copilot-swe-agent[bot]", { login: "copilot-swe-agent[bot]", identity: "GitHub Copilot coding agent" }],
    ["@openai-codex", { login: "openai-codex[bot]", identity: "OpenAI Codex" }],
    ["@acme-agent", { login: "acme-agent", identity: "Acme agent" }],
    ["@acme-ci", { login: "acme-ci[bot]", identity: "Acme agent" }],
  ])("%s names %j", (named, expected) => {
    expect(resolveNamedAgent(named, policy)).toEqual(expected);
  });

  test.each([
    ["a person", "@alice"],
    ["a configured machine user spelt as a bot", "@acme-agent[bot]"],
    ["an unknown bot", "@dependabot[bot]"],
  ])("%s is not an agent", (_description, named) => {
    expect(resolveNamedAgent(named, policy)).toBeNull();
  });
});

describe("applicableDelegations", () => {
  const onIssue = (number: number, agent: DelegationRecord["agent"], id = `issue_${number}`) =>
    delegation({ id, subjectType: "issue", subjectNumber: number, agent });

  test.each([
    ["a delegation on this PR", delegation(), [], [claudeBot], true],
    ["a delegation on another PR", delegation({ subjectNumber: 8 }), [], [claudeBot], false],
    ["an issue delegation to this PR's agent, by id", onIssue(5, { id: 209825114, login: "claude[bot]" }), [5], [claudeBot], true],
    ["an issue delegation to this PR's agent, by login", onIssue(5, { id: null, login: "claude[bot]" }), [5], [claudeBot], true],
    ["an issue delegation to another account of the same agent", onIssue(5, { id: null, login: "openai-codex[bot]" }), [5], [codexConnector], true],
    ["an issue delegation to another agent", onIssue(5, { id: 206951365, login: "cursor[bot]" }), [5], [claudeBot], false],
    ["an issue delegation without a named agent", onIssue(5, null), [5], [claudeBot], false],
    ["an issue delegation on an issue the PR does not reference", onIssue(5, { id: null, login: "claude[bot]" }), [6], [claudeBot], false],
    ["an issue delegation when no agent account was seen", onIssue(5, { id: null, login: "claude[bot]" }), [5], [], false],
    ["an issue delegation whose number matches a PR number", onIssue(7, { id: null, login: "claude[bot]" }), [], [claudeBot], false],
  ] as const)("%s → applies: %s", (_description, record, referenced, agents, applies) => {
    const result = applicableDelegations({ number: 7 }, referenced, detection("authored", [...agents]), [record], defaultPolicy());
    expect(result).toEqual(applies ? [record] : []);
  });
});

describe("resolveOwner", () => {
  const humanPr = { author: alice };
  const agentPr = { author: claudeBot };

  test("an active PR delegation beats a newer issue delegation", () => {
    const onPr = delegation({ id: "pr", createdAt: new Date(NOW.getTime() - 2 * HOUR) });
    const onIssue = delegation({ id: "issue", subjectType: "issue", subjectNumber: 5, owner: { id: 1002, login: "bob" } });
    expect(resolveOwner(agentPr, detection("authored"), [onIssue, onPr], defaultPolicy(), NOW)).toEqual({
      kind: "delegated",
      owner: { id: 1001, login: "alice" },
      delegation: onPr,
    });
  });

  test("the newest of several active delegations wins", () => {
    const older = delegation({ id: "older", createdAt: new Date(NOW.getTime() - 3 * HOUR) });
    const newer = delegation({ id: "newer", owner: { id: 1002, login: "bob" }, createdAt: new Date(NOW.getTime() - HOUR) });
    const owner = resolveOwner(agentPr, detection("authored"), [older, newer], defaultPolicy(), NOW);
    expect(owner).toMatchObject({ kind: "delegated", delegation: { id: "newer" }, owner: { login: "bob" } });
  });

  test.each([
    ["an agent-assisted PR by a person", humanPr, "assisted", true, { kind: "implicit", owner: { id: 1001, login: "alice" } }],
    ["an agent-assisted PR when the policy wants explicit owners", humanPr, "assisted", false, { kind: "missing", expired: null, revoked: null, lapsed: null }],
    ["an agent-authored PR", agentPr, "authored", true, { kind: "missing", expired: null, revoked: null, lapsed: null }],
    ["an agent-assisted PR by an id-less person", { author: { id: null, login: "alice", kind: "user" } }, "assisted", true, { kind: "missing", expired: null, revoked: null, lapsed: null }],
    ["an agent-assisted PR by an unknown bot", { author: { id: 5, login: "renovate[bot]", kind: "bot" } }, "assisted", true, { kind: "missing", expired: null, revoked: null, lapsed: null }],
  ] as const)("without delegations, %s resolves to %j", (_description, pr, involvement, implicitOwner, expected) => {
    const defaults = defaultPolicy();
    const policy: RepoPolicy = { ...defaults, delegation: { ...defaults.delegation, implicitOwner } };
    expect(resolveOwner({ author: { ...pr.author } }, detection(involvement), [], policy, NOW)).toEqual(expected);
  });

  test("an explicit delegation beats the implicit owner", () => {
    const record = delegation({ owner: { id: 1002, login: "bob" } });
    expect(resolveOwner(humanPr, detection("assisted"), [record], defaultPolicy(), NOW)).toMatchObject({ kind: "delegated", owner: { login: "bob" } });
  });

  test.each([
    ["past its expiry", delegation({ expiresAt: new Date(NOW.getTime() - 1) }), "expired"],
    ["expiring right now", delegation({ expiresAt: NOW }), "expired"],
    ["marked expired", delegation({ status: "expired" }), "expired"],
    ["revoked", delegation({ status: "revoked", revokedAt: NOW, revokedByLogin: "alice", revokeReason: "off task" }), "revoked"],
    ["revoked after its expiry", delegation({ status: "revoked", expiresAt: new Date(NOW.getTime() - HOUR) }), "revoked"],
  ] as const)("a delegation %s leaves the PR without an owner and is reported as %s", (_description, record, why) => {
    const owner = resolveOwner(agentPr, detection("authored"), [record], defaultPolicy(), NOW);
    expect(owner).toEqual({ kind: "missing", expired: why === "expired" ? record : null, revoked: why === "revoked" ? record : null, lapsed: why });
  });
});
