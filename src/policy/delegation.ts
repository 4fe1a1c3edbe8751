import { configuredLoginKey, loginKey, matchAgentIdentity, sameActor } from "./agent-identities.js";
import type { AgentDetection } from "./agent-detection.js";
import type { RepoPolicy } from "./repo-policy.js";
import type { Actor, DelegationRecord, PullRequestFacts } from "./types.js";

/** Who owns an agent's pull request, and on what authority. */
export type OwnerResolution =
  | { kind: "delegated"; owner: { id: number; login: string }; delegation: DelegationRecord }
  | { kind: "implicit"; owner: { id: number; login: string } }
  | {
      kind: "missing";
      /** The most recent delegation that would apply but has expired, if any. */
      expired: DelegationRecord | null;
      /** The most recent delegation that would apply but was revoked, if any. */
      revoked: DelegationRecord | null;
      /** Which of the two happened last: what the evidence leads with. */
      lapsed: "expired" | "revoked" | null;
    };

/** Whether a delegation has passed its expiry at `now` (whether or not the sweep has marked it yet). */
export function isExpired(delegation: DelegationRecord, now: Date): boolean {
  if (delegation.status === "expired") return true;
  return delegation.expiresAt !== null && delegation.expiresAt.getTime() <= now.getTime();
}

/**
 * Resolves the agent named in an issue `/delegate @login` command to an identity key. `@claude`,
 * `@claude[bot]` and `@Copilot` all name bots; a plain login may also be a configured machine user.
 */
export function resolveNamedAgent(login: string, policy: RepoPolicy): { login: string; identity: string } | null {
  const bare = login.replace(/^@/, "");
  const keys = /\[bot\]$/i.test(bare) ? [loginKey(bare, "bot")] : [loginKey(bare, "bot"), loginKey(bare, "user")];
  for (const identity of policy.identities) {
    const found = identity.logins.find((candidate) => keys.includes(configuredLoginKey(candidate)));
    if (found) return { login: found, identity: identity.name };
  }
  return null;
}

/** Whether an issue delegation's named agent is one of the agents seen on the PR. */
function namesAgentOnPullRequest(delegation: DelegationRecord, agents: Actor[], policy: RepoPolicy): boolean {
  if (!delegation.agent) return false;
  const named: Actor = {
    id: delegation.agent.id,
    login: delegation.agent.login,
    kind: /\[bot\]$/i.test(delegation.agent.login) ? "bot" : "user",
  };
  const namedIdentity = matchAgentIdentity(named, policy.identities)?.identity.name;
  return agents.some((agent) => {
    if (sameActor(agent, named)) return true;
    // Same agent product under another of its accounts (Codex has two apps, for example).
    return namedIdentity !== undefined && matchAgentIdentity(agent, policy.identities)?.identity.name === namedIdentity;
  });
}

/**
 * The delegations that could apply to a pull request: those given on the PR itself, and those given on
 * an issue the PR references to the agent that wrote it. Which issues a PR references is agent-written
 * text, but it only selects among delegations a human already gave to that same agent.
 */
export function applicableDelegations(
  pr: Pick<PullRequestFacts, "number">,
  referencedIssues: readonly number[],
  detection: AgentDetection,
  candidates: readonly DelegationRecord[],
  policy: RepoPolicy,
): DelegationRecord[] {
  return candidates.filter((delegation) => {
    if (delegation.subjectType === "pull_request") return delegation.subjectNumber === pr.number;
    return referencedIssues.includes(delegation.subjectNumber) && namesAgentOnPullRequest(delegation, detection.agents, policy);
  });
}

function newestFirst(a: DelegationRecord, b: DelegationRecord): number {
  return b.createdAt.getTime() - a.createdAt.getTime();
}

/**
 * Picks the owner of an agent PR: an active delegation given on the PR beats one given on its issue;
 * then, for an agent-assisted PR opened by a human, that human when the policy allows implicit owners.
 */
export function resolveOwner(
  pr: Pick<PullRequestFacts, "author">,
  detection: AgentDetection,
  applicable: readonly DelegationRecord[],
  policy: RepoPolicy,
  now: Date,
): OwnerResolution {
  const sorted = [...applicable].sort(newestFirst);
  const active = sorted.filter((delegation) => delegation.status === "active" && !isExpired(delegation, now));
  const chosen = active.find((delegation) => delegation.subjectType === "pull_request") ?? active[0];
  if (chosen) return { kind: "delegated", owner: chosen.owner, delegation: chosen };

  if (detection.involvement === "assisted" && policy.delegation.implicitOwner && pr.author.kind === "user" && pr.author.id !== null) {
    return { kind: "implicit", owner: { id: pr.author.id, login: pr.author.login } };
  }
  const expired = sorted.find((delegation) => delegation.status !== "revoked" && isExpired(delegation, now)) ?? null;
  const revoked = sorted.find((delegation) => delegation.status === "revoked") ?? null;
  const expiredAt = expired?.expiresAt?.getTime() ?? -Infinity;
  const revokedAt = revoked?.revokedAt?.getTime() ?? -Infinity;
  const lapsed = expired === null && revoked === null ? null : expiredAt >= revokedAt ? (expired ? "expired" : "revoked") : "revoked";
  return { kind: "missing", expired, revoked, lapsed };
}
