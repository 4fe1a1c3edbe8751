import type { ApprovalObjection, ApprovalVerdict, ExcludedPerson } from "../policy/approvals.js";
import type { AgentSignal } from "../policy/agent-detection.js";
import type { Decision } from "../policy/evaluate.js";
import type { DelegationRecord, PullRequestFacts } from "../policy/types.js";
import { code, escapeText, link, login, shortSha } from "./markdown.js";

/** Where and when a decision was made, shown at the foot of the evidence. */
export interface EvaluationMeta {
  evaluatedAt: Date;
  deliveryId: string | null;
  policySource: string;
}

export interface CheckRunOutput {
  title: string;
  summary: string;
}

const MAX_SIGNALS_SHOWN = 20;
const MAX_NAMES_IN_TITLE = 5;

function names(people: ExcludedPerson[]): string {
  const shown = people.slice(0, MAX_NAMES_IN_TITLE).map((person) => `@${person.actor.login}`);
  const more = people.length - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
}

/** The check run's title: plain text, the decision in a few words. */
export function decisionTitle(decision: Decision): string {
  switch (decision.outcome) {
    case "no-agent":
      return "No agent activity: nothing to countersign";
    case "needs-delegation":
      return "Needs a delegation";
    case "out-of-scope":
      return `Changes outside the delegated scope: ${decision.outOfScope.length} file${decision.outOfScope.length === 1 ? "" : "s"}`;
    case "needs-approval": {
      const count = decision.requiredApprovals > 1 ? `${decision.requiredApprovals} approvals` : "approval";
      const others = decision.excluded.length > 0 ? ` by someone other than ${names(decision.excluded)}` : " by an independent reviewer";
      const progress = decision.requiredApprovals > 1 ? ` (${decision.countedApprovals} of ${decision.requiredApprovals})` : "";
      return `Needs ${count}${others}${progress}`;
    }
    case "approved": {
      const owner = decision.owner && decision.owner.kind !== "missing" ? `@${decision.owner.owner.login}` : "unknown";
      const approvers = decision.approvals.filter((verdict) => verdict.counted).map((verdict) => `@${verdict.reviewer.login}`);
      const verb = decision.owner?.kind === "implicit" ? "owned by" : "delegated by";
      return `Countersigned: ${verb} ${owner}, approved by ${approvers.join(", ")}`;
    }
  }
}

function describeSignal(signal: AgentSignal): string {
  const matched = (how: "id" | "login") => (how === "id" ? "matched by account id" : "matched by login");
  switch (signal.kind) {
    case "pr-author":
      return `PR author ${login(signal.actor.login)} (id ${signal.actor.id ?? "unknown"}) is **${escapeText(signal.identity)}**, ${matched(signal.matchedBy)}`;
    case "commit-author":
    case "commit-committer":
    case "commit-co-author": {
      const role = { "commit-author": "author", "commit-committer": "committer", "commit-co-author": "co-author" }[signal.kind];
      return `commit ${shortSha(signal.sha)}: ${role} ${login(signal.actor.login)} (id ${signal.actor.id ?? "unknown"}) is **${escapeText(signal.identity)}**, ${matched(signal.matchedBy)}`;
    }
    case "trailer":
      return `commit ${shortSha(signal.sha)}: trailer ${code(signal.trailer)} (${escapeText(signal.rule)})`;
    case "unidentified-author":
      return `PR author ${code(signal.actor.login)} cannot be identified (a deleted account or an unknown kind of account), so it is held to the agent rules`;
  }
}

function agentSection(decision: Decision): string[] {
  const kind =
    decision.detection.involvement === "authored"
      ? "**Agent-authored**: the pull request was opened by an agent identity (or by an account that cannot be identified)."
      : "**Agent-assisted**: a person opened the pull request, and an agent wrote or co-wrote commits.";
  const shown = decision.detection.signals.slice(0, MAX_SIGNALS_SHOWN).map((signal) => `- ${describeSignal(signal)}`);
  const more = decision.detection.signals.length - shown.length;
  return ["### Agent", kind, "", "Signals that identified it:", ...shown, ...(more > 0 ? [`- … and ${more} more`] : [])];
}

function delegationLines(delegation: DelegationRecord): string[] {
  const task = delegation.task.url ? link(delegation.task.ref, delegation.task.url) : code(delegation.task.ref);
  const where = delegation.subjectType === "issue" ? `on issue #${delegation.subjectNumber}` : "on this pull request";
  return [
    `- Owner: ${login(delegation.owner.login)} (delegated ${where}${delegation.agent ? ` to ${login(delegation.agent.login)}` : ""})`,
    `- Task: ${task}`,
    `- Scope: ${delegation.scopePaths.length > 0 ? delegation.scopePaths.map((glob) => code(glob)).join(", ") : "whole repository"}`,
    `- Expires: ${delegation.expiresAt ? delegation.expiresAt.toISOString() : "no expiry"}`,
    `- Record: ${code(delegation.id)}, from ${link("this comment", delegation.commentUrl)} at ${delegation.createdAt.toISOString()}`,
  ];
}

const MAX_FILES_SHOWN = 50;

function scopeLines(decision: Decision): string[] {
  if (decision.outOfScope.length === 0) return [];
  const shown = decision.outOfScope.slice(0, MAX_FILES_SHOWN).map((file) => `  - ${code(file)}`);
  const more = decision.outOfScope.length - shown.length;
  return [`- **Outside the scope** (${decision.outOfScope.length}):`, ...shown, ...(more > 0 ? [`  - … and ${more} more`] : [])];
}

function delegationSection(decision: Decision): string[] {
  const owner = decision.owner;
  if (!owner) return [];
  if (owner.kind === "delegated") return ["### Delegation", ...delegationLines(owner.delegation), ...scopeLines(decision)];
  if (owner.kind === "implicit") {
    return [
      "### Delegation",
      `- Owner: ${login(owner.owner.login)}, **implicitly**: they opened this agent-assisted pull request, and the policy makes the author of an agent-assisted PR its owner (\`delegation.implicit_owner\`).`,
    ];
  }
  const lines = ["### Delegation", "- **None in force.** No active delegation names a human owner for this change."];
  const lapses: Array<["expired" | "revoked", string]> = [];
  if (owner.expired) {
    lapses.push(["expired", `- The latest delegation ${code(owner.expired.id)} by ${login(owner.expired.owner.login)} expired at ${owner.expired.expiresAt?.toISOString() ?? "its expiry"}.`]);
  }
  if (owner.revoked) {
    const reason = owner.revoked.revokeReason ? `: ${code(owner.revoked.revokeReason)}` : "";
    lapses.push(["revoked", `- Delegation ${code(owner.revoked.id)} was revoked by ${login(owner.revoked.revokedByLogin ?? "unknown")} at ${owner.revoked.revokedAt?.toISOString() ?? "unknown time"}${reason}.`]);
  }
  // The most recent lapse first: it is why the change is blocked now.
  const ordered = [...lapses.filter(([kind]) => kind === owner.lapsed), ...lapses.filter(([kind]) => kind !== owner.lapsed)];
  return [...lines, ...ordered.map(([, line]) => line)];
}

function describeObjection(objection: ApprovalObjection): string {
  switch (objection.code) {
    case "changes-requested":
      return "their latest review requests changes";
    case "dismissed":
      return "their approval was dismissed";
    case "stale":
      return `stale: given on ${shortSha(objection.reviewedSha)}, the head is now ${shortSha(objection.headSha)}`;
    case "bot":
      return "a bot, not a person";
    case "agent":
      return `an agent identity (${escapeText(objection.identity)})`;
    case "delegator":
      return "the delegating owner cannot approve their own delegation";
    case "pr-author":
      return "the pull request's author";
    case "commit-participant":
      return `${objection.role} of commit ${shortSha(objection.sha)}`;
    case "insufficient-permission":
      return `has ${objection.permission} permission; write or higher is required`;
    case "permission-unknown":
      return "their permission could not be confirmed";
  }
}

function reviewLabel(verdict: ApprovalVerdict): string {
  const state = verdict.review.state.toLowerCase().replace("_", " ");
  return `${link(state, verdict.review.url)} on ${shortSha(verdict.review.commitSha)}`;
}

function approvalsSection(decision: Decision): string[] {
  const header = `### Approvals: ${decision.countedApprovals} of ${decision.requiredApprovals} required`;
  if (decision.approvals.length === 0) return [header, "No reviews that approve or request changes yet."];
  return [
    header,
    "| Reviewer | Review | Counts | Why |",
    "| --- | --- | --- | --- |",
    ...decision.approvals.map((verdict) => {
      const why = verdict.counted ? "independent, has write permission, approved the head commit" : verdict.objections.map(describeObjection).join("; ");
      return `| ${login(verdict.reviewer.login)} | ${reviewLabel(verdict)} | ${verdict.counted ? "yes" : "no"} | ${why} |`;
    }),
    "",
    "_A reviewer's latest approving, change-requesting or dismissed review is their standing opinion; a later comment-only review does not withdraw it (as on GitHub)._",
  ];
}

function nextSteps(decision: Decision, pr: PullRequestFacts): string[] {
  switch (decision.outcome) {
    case "no-agent":
      return ["Nothing: no agent identity or agent trailer was found on this pull request or its commits."];
    case "needs-delegation":
      return [
        "A person with **write** permission or higher (not the agent, not a bot) takes ownership by commenting on this pull request:",
        "",
        "```",
        "/delegate <task> [paths:<glob>,...] [expires:<duration>]",
        "```",
        "for example `/delegate SEC-142`, `/delegate #12 paths:src/** expires:7d`, or `/delegate https://tracker.example/T-1`.",
        "Or, on the task's issue, before the agent opens its PR: `/delegate @<agent-login>`.",
      ];
    case "out-of-scope":
      return [
        "The pull request changes files the delegation does not cover. Either remove those changes, or the owner (or another writer) records a delegation whose `paths:` cover them, for example:",
        "",
        "```",
        "/delegate <task> paths:<glob>,<glob> [expires:<duration>]",
        "```",
      ];
    case "needs-approval": {
      const excluded = decision.excluded.length > 0 ? `, other than ${names(decision.excluded)},` : "";
      const missing = decision.requiredApprovals - decision.countedApprovals;
      return [`${missing === 1 ? "A reviewer" : `${missing} more reviewers`} with **write** permission${excluded} approve${missing === 1 ? "s" : ""} the head commit ${shortSha(pr.headSha)}.`];
    }
    case "approved":
      return ["Nothing: the change has a named owner and the required independent approval of its head commit."];
  }
}

function decisionLine(decision: Decision): string {
  // The title is Countersign's own words and GitHub logins, which cannot carry Markdown.
  return `**Decision: ${decision.conclusion === "success" ? "pass" : "blocked"}** — ${decisionTitle(decision)}`;
}

/** The evidence a reviewer reads in the check run: decision, agent, delegation, approvals, next step. */
export function renderDecision(decision: Decision, pr: PullRequestFacts, meta: EvaluationMeta): CheckRunOutput {
  const sections: string[][] = [[decisionLine(decision)]];
  if (decision.outcome !== "no-agent") {
    sections.push(agentSection(decision), delegationSection(decision), approvalsSection(decision));
  }
  sections.push(["### What to do next", ...nextSteps(decision, pr)]);
  sections.push([footer(pr.headSha, meta)]);
  return { title: decisionTitle(decision), summary: sections.map((lines) => lines.join("\n")).join("\n\n") };
}

/** The evaluation's provenance: commit, time, delivery and policy. */
export function footer(headSha: string, meta: EvaluationMeta): string {
  return [
    "---",
    `Head ${shortSha(headSha)} · evaluated at ${meta.evaluatedAt.toISOString()} · delivery ${meta.deliveryId ? code(meta.deliveryId) : "none (scheduled)"} · policy: ${code(meta.policySource)}`,
  ].join("\n");
}
