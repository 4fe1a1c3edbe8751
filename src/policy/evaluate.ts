import { assessApprovals, excludedApprovers, type ApprovalVerdict, type ExcludedPerson } from "./approvals.js";
import { detectAgents, type AgentDetection } from "./agent-detection.js";
import { applicableDelegations, resolveOwner, type OwnerResolution } from "./delegation.js";
import { referencedIssues } from "./issue-references.js";
import { filesOutsideScope } from "./scope.js";
import type { RepoPolicy } from "./repo-policy.js";
import type { DelegationRecord, Permission, PullRequestFacts } from "./types.js";

/** Everything a decision depends on. Gathered by the services layer; nothing here does I/O. */
export interface EvaluationInput {
  pr: PullRequestFacts;
  policy: RepoPolicy;
  /** Delegations recorded for this PR and for the issues it references (any status). */
  delegations: readonly DelegationRecord[];
  /** Repository permission by `actorKey`, for the reviewers that need it. */
  permissions: ReadonlyMap<string, Permission>;
  now: Date;
}

/**
 * - `no-agent`: no agent took part; nothing to enforce.
 * - `needs-delegation`: an agent took part and no human owns the change.
 * - `out-of-scope`: owned, but the PR changes files outside the delegation's `paths:` scope.
 * - `needs-approval`: owned, but fewer independent approvals of the head commit than required.
 * - `approved`: owned and independently approved.
 */
export type Outcome = "no-agent" | "needs-delegation" | "out-of-scope" | "needs-approval" | "approved";

/** A check-run conclusion. Only `success` lets a required check pass; the others block merging. */
export type Conclusion = "success" | "action_required" | "failure";

export interface Decision {
  outcome: Outcome;
  conclusion: Conclusion;
  detection: AgentDetection;
  referencedIssues: number[];
  owner: OwnerResolution | null;
  approvals: ApprovalVerdict[];
  countedApprovals: number;
  requiredApprovals: number;
  excluded: ExcludedPerson[];
  /** Changed files outside the delegation's scope (empty when the scope is the whole repository). */
  outOfScope: string[];
  /** Machine-readable reasons, stored with the decision. */
  reasons: string[];
}

/** Decides whether an agent's pull request may merge. Pure: same input, same decision. */
export function evaluatePullRequest(input: EvaluationInput): Decision {
  const { pr, policy, now } = input;
  const detection = detectAgents(pr, policy);
  const issues = referencedIssues(pr);
  const base = {
    detection,
    referencedIssues: issues,
    requiredApprovals: policy.requiredApprovals,
  };
  if (detection.involvement === "none") {
    return {
      ...base,
      outcome: "no-agent",
      conclusion: "success",
      owner: null,
      approvals: [],
      countedApprovals: 0,
      excluded: [],
      outOfScope: [],
      reasons: ["no-agent-signals"],
    };
  }

  const applicable = applicableDelegations(pr, issues, detection, input.delegations, policy);
  const owner = resolveOwner(pr, detection, applicable, policy, now);
  const ownerActor = owner.kind === "missing" ? null : owner.owner;
  const approvals = assessApprovals({ pr, policy, owner: ownerActor, permissions: input.permissions });
  const excluded = excludedApprovers({ pr, owner: ownerActor, policy });
  const countedApprovals = approvals.filter((verdict) => verdict.counted).length;
  const reasons = [`agent-${detection.involvement}`];

  const judged = { ...base, owner, approvals, countedApprovals, excluded };

  if (owner.kind === "missing") {
    reasons.push(owner.lapsed === "expired" ? "delegation-expired" : owner.lapsed === "revoked" ? "delegation-revoked" : "no-delegation");
    return { ...judged, outcome: "needs-delegation", conclusion: "action_required", outOfScope: [], reasons };
  }
  reasons.push(owner.kind === "delegated" ? `delegated:${owner.delegation.id}` : "implicit-owner");
  // The owner authorised these paths and no others; approval cannot widen what was delegated.
  const outOfScope = owner.kind === "delegated" ? filesOutsideScope(pr.files, owner.delegation.scopePaths) : [];
  reasons.push(`approvals:${countedApprovals}/${policy.requiredApprovals}`);
  if (outOfScope.length > 0) {
    reasons.push(`out-of-scope:${outOfScope.length}`);
    return { ...judged, outcome: "out-of-scope", conclusion: "failure", outOfScope, reasons };
  }
  if (countedApprovals < policy.requiredApprovals) {
    return { ...judged, outcome: "needs-approval", conclusion: "action_required", outOfScope, reasons };
  }
  return { ...judged, outcome: "approved", conclusion: "success", outOfScope, reasons };
}
