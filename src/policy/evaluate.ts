import { assessApprovals, excludedApprovers, isMember, reviewersPendingLookups, type ApprovalVerdict, type ExcludedPerson, type PeopleFacts } from "./approvals.js";
import { detectAgents, type AgentDetection } from "./agent-detection.js";
import { applicableDelegations, resolveOwner, type OwnerResolution } from "./delegation.js";
import { referencedIssues } from "./issue-references.js";
import { keySource, teamKey, teamName, tierSource, type RepoPolicy, type TeamRef } from "./repo-policy.js";
import { allowListMatcher } from "./glob-matchers.js";
import { POLICY_PATH } from "./policy-file.js";
import { filesOutsideScope } from "./scope.js";
import { applicableTiers, type AppliedTier } from "./tiers.js";
import type { Actor, DelegationRecord, PullRequestFacts } from "./types.js";

/**
 * Everything a decision depends on: the typed interface between the data layer and the engine.
 * Gathered by the services layer; nothing here does I/O.
 */
export interface EvaluationInput {
  pr: PullRequestFacts;
  policy: RepoPolicy;
  /** Delegations recorded for this PR and for the issues it references (any status). */
  delegations: readonly DelegationRecord[];
  /** Permissions and team memberships looked up for the people the decision depends on. */
  people: PeopleFacts;
  now: Date;
}

/** One thing the policy requires of this pull request, and whether it holds. */
export type Requirement = { met: boolean; sources: string[] } & (
  | { kind: "agents-allowed"; tiers: string[]; files: string[] }
  | { kind: "base-branch"; base: string; policyBranches: string[] | null; delegationBranches: string[] | null }
  | { kind: "scope-paths"; scope: string[]; outside: string[] }
  | { kind: "owner"; owner: OwnerResolution }
  | { kind: "delegation-expiry"; maxMs: number; actualMs: number | null }
  | { kind: "approvals"; required: number; counted: number }
  | { kind: "team-approval"; team: string; approvers: string[] }
);

export type RequirementKind = Requirement["kind"];

/**
 * The outcome names the first unmet requirement, in this order: what no approval can fix first
 * (agents forbidden, base branch, scope), then the owner, the delegation's length, the approvals.
 */
export type Outcome =
  | "no-agent"
  | "forbidden"
  | "base-branch"
  | "out-of-scope"
  | "needs-delegation"
  | "delegation-too-long"
  | "needs-approval"
  | "needs-team-approval"
  | "approved";

const OUTCOME_OF: Record<RequirementKind, Outcome> = {
  "agents-allowed": "forbidden",
  "base-branch": "base-branch",
  "scope-paths": "out-of-scope",
  owner: "needs-delegation",
  "delegation-expiry": "delegation-too-long",
  approvals: "needs-approval",
  "team-approval": "needs-team-approval",
};

/** Unmet requirements that no approval can fix fail; those waiting on a person ask for action. */
const FAILS: ReadonlySet<RequirementKind> = new Set(["agents-allowed", "base-branch", "scope-paths"]);

/** A check-run conclusion. Only `success`, `neutral` and `skipped` let a required check pass. */
export type Conclusion = "success" | "neutral" | "action_required" | "failure";

export interface Decision {
  outcome: Outcome;
  /** The conclusion the policy's mode gives: in `evaluate` mode a block becomes `neutral`. */
  conclusion: Conclusion;
  /** What `enforce` mode would conclude (equal to `conclusion` in enforce mode). */
  enforcedConclusion: Conclusion;
  mode: RepoPolicy["mode"];
  detection: AgentDetection;
  referencedIssues: number[];
  tiers: AppliedTier[];
  /** Every requirement, in the order the evidence lists them. */
  requirements: Requirement[];
  owner: OwnerResolution | null;
  approvals: ApprovalVerdict[];
  countedApprovals: number;
  requiredApprovals: number;
  excluded: ExcludedPerson[];
  /** Changed files outside the delegation's scope (empty when the scope is the whole repository). */
  outOfScope: string[];
  /** Whether this PR changes the policy file (it is judged by the base branch's version). */
  changesPolicy: boolean;
  /** Who may delegate under the policy, for the evidence's next step. */
  delegators: { minPermission: string; teams: string[]; users: string[] };
  /** Lookups that would settle pending approvals: the services layer fetches these and evaluates again. */
  pendingLookups: { reviewers: Actor[]; teams: TeamRef[] };
  policyHash: string;
  /** Machine-readable reasons, stored with the decision. */
  reasons: string[];
}

/** The strictest of the values present: the highest count, or the shortest duration. */
function strictest(values: Array<number | undefined>, direction: "highest" | "lowest"): number | null {
  const present = values.filter((value): value is number => value !== undefined);
  if (present.length === 0) return null;
  return direction === "highest" ? Math.max(...present) : Math.min(...present);
}

/** The sources of the tiers that `has` picks: `tier:<name>`, with the file that defined each. */
function tierNames(policy: RepoPolicy, tiers: AppliedTier[], has: (tier: AppliedTier) => boolean): string[] {
  return tiers.filter(has).map((tier) => tierSource(policy, tier.name));
}

function matchesAny(patterns: readonly string[], branch: string): boolean {
  return allowListMatcher(patterns)(branch);
}

/** What a decision learns from the pull request and the policy alone, before anyone's permissions. */
export interface Examination {
  detection: AgentDetection;
  referencedIssues: number[];
  tiers: AppliedTier[];
  changesPolicy: boolean;
}

/**
 * Examines the pull request under the policy: agent signals in every commit, referenced issues, the
 * tiers its files and labels fall in. For a large pull request (250 commits, 1,000 files) this is most
 * of the engine's work; it does not depend on people, so a caller that decides twice (once to learn
 * whose permissions matter, once knowing them) examines once.
 */
export function examinePullRequest(pr: PullRequestFacts, policy: RepoPolicy): Examination {
  return { detection: detectAgents(pr, policy), referencedIssues: referencedIssues(pr), tiers: applicableTiers(policy, pr), changesPolicy: pr.files.includes(POLICY_PATH) };
}

/**
 * Decides whether an agent's pull request may merge. Pure: same input, same decision. `examined` is
 * `examinePullRequest(input.pr, input.policy)`, when the caller has it already.
 */
export function evaluatePullRequest(input: EvaluationInput, examined: Examination = examinePullRequest(input.pr, input.policy)): Decision {
  const { pr, policy, now, people } = input;
  const { detection, referencedIssues: issues, tiers, changesPolicy } = examined;
  const { delegators } = policy.delegation;
  const base = {
    delegators: { minPermission: delegators.minPermission, teams: delegators.teams.map(teamName), users: delegators.users },
    mode: policy.mode,
    detection,
    referencedIssues: issues,
    tiers,
    changesPolicy,
    policyHash: policy.hash,
  };
  if (detection.involvement === "none") {
    return {
      ...base,
      outcome: "no-agent",
      conclusion: "success",
      enforcedConclusion: "success",
      requirements: [],
      owner: null,
      approvals: [],
      countedApprovals: 0,
      requiredApprovals: 0,
      excluded: [],
      outOfScope: [],
      pendingLookups: { reviewers: [], teams: [] },
      reasons: ["no-agent-signals"],
    };
  }

  const applicable = applicableDelegations(pr, issues, detection, input.delegations, policy);
  const owner = resolveOwner(pr, detection, applicable, policy, now);
  const ownerActor = owner.kind === "missing" ? null : owner.owner;
  const approvals = assessApprovals({ pr, policy, owner: ownerActor, people });
  const counted = approvals.filter((verdict) => verdict.counted);
  const requirements: Requirement[] = [];

  // Agents forbidden by a tier: nothing fixes this but taking the agent's changes out.
  const forbidding = tiers.filter((tier) => tier.require.agentsForbidden === true);
  if (forbidding.length > 0) {
    requirements.push({ kind: "agents-allowed", met: false, sources: forbidding.map((tier) => tierSource(policy, tier.name)), tiers: forbidding.map((tier) => tier.name), files: [...new Set(forbidding.flatMap((tier) => tier.files))] });
  }

  const delegation = owner.kind === "delegated" ? owner.delegation : null;
  const policyBranches = policy.scope.baseBranches;
  const delegationBranches = delegation && delegation.scopeBranches.length > 0 ? delegation.scopeBranches : null;
  if (policyBranches || delegationBranches) {
    const met = (!policyBranches || matchesAny(policyBranches, pr.baseRef)) && (!delegationBranches || matchesAny(delegationBranches, pr.baseRef));
    requirements.push({ kind: "base-branch", met, sources: [...(policyBranches ? [keySource(policy, "scope.base_branches")] : []), ...(delegationBranches ? ["delegation"] : [])], base: pr.baseRef, policyBranches, delegationBranches });
  }

  // The owner authorised these paths and no others; approval cannot widen what was delegated.
  const outOfScope = delegation && policy.scope.enforcePaths ? filesOutsideScope(pr.files, delegation.scopePaths) : [];
  if (delegation && delegation.scopePaths.length > 0 && policy.scope.enforcePaths) {
    requirements.push({ kind: "scope-paths", met: outOfScope.length === 0, sources: ["delegation"], scope: delegation.scopePaths, outside: outOfScope });
  }

  if (policy.delegation.required || owner.kind !== "missing") {
    requirements.push({ kind: "owner", met: owner.kind !== "missing", sources: [keySource(policy, "delegation.required")], owner });
  }

  const maxExpiry = strictest(tiers.map((tier) => tier.require.maxDelegationExpiryMs), "lowest");
  if (maxExpiry !== null && delegation) {
    const actualMs = delegation.expiresAt ? delegation.expiresAt.getTime() - delegation.createdAt.getTime() : null;
    requirements.push({ kind: "delegation-expiry", met: actualMs !== null && actualMs <= maxExpiry, sources: tierNames(policy, tiers, (tier) => tier.require.maxDelegationExpiryMs === maxExpiry), maxMs: maxExpiry, actualMs });
  }

  // Requirements only tighten: the highest count of the policy and every applying tier.
  const requiredApprovals = Math.max(policy.approvals.required, strictest(tiers.map((tier) => tier.require.approvals), "highest") ?? 0);
  const approvalSources = requiredApprovals > policy.approvals.required ? tierNames(policy, tiers, (tier) => tier.require.approvals === requiredApprovals) : [keySource(policy, "approvals.required")];
  requirements.push({ kind: "approvals", met: counted.length >= requiredApprovals, sources: approvalSources, required: requiredApprovals, counted: counted.length });

  const teams = new Map<string, { team: TeamRef; sources: string[] }>();
  for (const tier of tiers) {
    for (const team of tier.require.approverTeams ?? []) {
      const entry = teams.get(teamKey(team)) ?? { team, sources: [] };
      entry.sources.push(tierSource(policy, tier.name));
      teams.set(teamKey(team), entry);
    }
  }
  for (const { team, sources } of teams.values()) {
    const approvers = counted.filter((verdict) => isMember(people, team, verdict.reviewer) === true).map((verdict) => verdict.reviewer.login);
    requirements.push({ kind: "team-approval", met: approvers.length > 0, sources, team: teamName(team), approvers });
  }

  const firstUnmet = requirements.find((requirement) => !requirement.met);
  const outcome: Outcome = firstUnmet ? OUTCOME_OF[firstUnmet.kind] : "approved";
  const enforcedConclusion: Conclusion = !firstUnmet ? "success" : FAILS.has(firstUnmet.kind) ? "failure" : "action_required";
  // Dry run: report what would happen, but never block and never pass what enforce would block.
  const conclusion: Conclusion = policy.mode === "evaluate" && enforcedConclusion !== "success" ? "neutral" : enforcedConclusion;

  const reasons = [`agent-${detection.involvement}`, `policy:${policy.hash.slice(0, 12)}`, ...tiers.map((tier) => `tier:${tier.name}`)];
  reasons.push(owner.kind === "delegated" ? `delegated:${owner.delegation.id}` : owner.kind === "implicit" ? "implicit-owner" : owner.lapsed ? `delegation-${owner.lapsed}` : "no-delegation");
  reasons.push(`approvals:${counted.length}/${requiredApprovals}`);
  for (const requirement of requirements) if (!requirement.met) reasons.push(`unmet:${requirement.kind}`);
  if (policy.mode === "evaluate") reasons.push("mode:evaluate");

  return {
    ...base,
    outcome,
    conclusion,
    enforcedConclusion,
    requirements,
    owner,
    approvals,
    countedApprovals: counted.length,
    requiredApprovals,
    excluded: excludedApprovers({ pr, owner: ownerActor, policy }),
    outOfScope,
    pendingLookups: { reviewers: reviewersPendingLookups(approvals), teams: [...policy.approvals.approvers.teams, ...[...teams.values()].map((entry) => entry.team)] },
    reasons,
  };
}
