import type { DashboardOutcome } from "./dashboard-filters.js";

// What the dashboard calls a pull request's outcome, from one stored decision (its conclusion and
// reasons, src/policy/evaluate.ts). The engine lists `unmet:<requirement>` reasons in its own order
// (agents allowed, base branch, scope, owner, delegation's length, approvals, team approval), and the
// first unmet requirement is what the pull request waits on, so the first `unmet:` reason decides:
//   countersigned        the decision passed (`success`; a later decision that saw no agent and passed counts too)
//   waiting-delegation   first unmet: `owner` (nobody delegated) or `delegation-expiry` (the delegation is
//                        longer than a tier allows): what is missing is an owner's (new) `/delegate`
//   waiting-approval     first unmet: `approvals` or `team-approval`: what is missing is an independent approval
//   blocked              anything else: a requirement no approval fixes (agents forbidden, base branch,
//                        scope), an invalid policy, an evaluation that failed closed
// A decision in `evaluate` mode (`neutral`) is classified by its reasons as well: what it would wait on.

const WAITING_DELEGATION = new Set(["unmet:owner", "unmet:delegation-expiry"]);
const WAITING_APPROVAL = new Set(["unmet:approvals", "unmet:team-approval"]);

/** The outcome of one decision, as the dashboard counts it. */
export function decisionOutcome(decision: { conclusion: string; reasons: readonly string[] }): DashboardOutcome {
  if (decision.conclusion === "success") return "countersigned";
  const firstUnmet = decision.reasons.find((reason) => reason.startsWith("unmet:"));
  if (firstUnmet && WAITING_DELEGATION.has(firstUnmet)) return "waiting-delegation";
  if (firstUnmet && WAITING_APPROVAL.has(firstUnmet)) return "waiting-approval";
  return "blocked";
}

/** Whether a decision saw an agent (its first reason is `agent-authored` or `agent-assisted`). */
export function sawAgent(reasons: readonly string[]): boolean {
  return reasons.includes("agent-authored") || reasons.includes("agent-assisted");
}

/** The delegation a decision relied on (`delegated:<id>`), or null. */
export function delegationRelied(reasons: readonly string[]): string | null {
  const reason = reasons.find((candidate) => candidate.startsWith("delegated:"));
  return reason ? reason.slice("delegated:".length) : null;
}
