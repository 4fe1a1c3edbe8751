import type { CredentialRulesStatus } from "../github/credential-rules.js";
import type { RequiredCheckStatus } from "../github/required-check.js";
import type { ApprovalObjection, ApprovalVerdict, ExcludedPerson } from "../policy/approvals.js";
import type { AgentSignal } from "../policy/agent-detection.js";
import { formatDuration } from "../policy/duration.js";
import type { Decision, Requirement } from "../policy/evaluate.js";
import { POLICY_PATH } from "../policy/policy-file.js";
import type { DelegationRecord, FileRename, PullRequestFacts, PushCredential } from "../policy/types.js";
import { pathEntries } from "./changed-paths.js";
import { code, escapeText, handle, link, login, plainLine, shortSha, visible } from "./markdown.js";

/** Where, when and under which policy a decision was made, shown at the foot of the evidence. */
export interface EvaluationMeta {
  evaluatedAt: Date;
  deliveryId: string | null;
  policySource: string;
  policyHash: string | null;
  /** The setup doctor's finding: is `Countersign` required on the base branch? */
  setup?: RequiredCheckStatus;
  /**
   * Where credentials are issued: whether a ruleset keeps the credential app's bot from pushing to the
   * base branch directly (absent: no credential app, or no `credentials:` section).
   */
  credentialRules?: CredentialRulesStatus | null;
  /** Credentials Countersign issued under the pull request's delegations (none for a vendor-hosted agent). */
  credentials?: ReadonlyArray<{ delegationId: string; issued: number; live: number }>;
}

export interface CheckRunOutput {
  title: string;
  summary: string;
}

const MAX_SIGNALS_SHOWN = 20;
const MAX_NAMES_IN_TITLE = 5;
const MAX_FILES_SHOWN = 50;
const MAX_TIER_FILES_SHOWN = 10;

// Whose approval cannot count, named without mentioning anyone: a commit's author or committer is
// whoever its (agent-written) metadata says, a noreply address included. `@name` in the plain title,
// `handle()` in Markdown.
function names(people: ExcludedPerson[], show: (login: string) => string = (name) => `@${visible(name)}`): string {
  const shown = people.slice(0, MAX_NAMES_IN_TITLE).map((person) => show(person.actor.login));
  const more = people.length - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function firstUnmet<K extends Requirement["kind"]>(decision: Decision, kind: K): Extract<Requirement, { kind: K }> | undefined {
  return decision.requirements.find((requirement): requirement is Extract<Requirement, { kind: K }> => requirement.kind === kind && !requirement.met);
}

function enforcedTitle(decision: Decision): string {
  switch (decision.outcome) {
    case "no-agent":
      return "No agent activity: nothing to countersign";
    case "forbidden": {
      const requirement = firstUnmet(decision, "agents-allowed");
      return `Agents may not change this: tier ${requirement ? visible(requirement.tiers.join(", ")) : "unknown"}`;
    }
    case "base-branch":
      return `Base branch ${visible(firstUnmet(decision, "base-branch")?.base ?? "")} is not allowed for this agent change`;
    case "out-of-scope":
      return `Changes outside the delegated scope: ${plural(decision.outOfScope.length, "file")}`;
    case "needs-delegation":
      return "Needs a delegation";
    case "delegation-too-long": {
      const requirement = firstUnmet(decision, "delegation-expiry");
      return `Needs a shorter delegation: at most ${requirement ? formatDuration(requirement.maxMs) : "the tier's limit"}`;
    }
    case "needs-approval": {
      const count = decision.requiredApprovals > 1 ? `${decision.requiredApprovals} approvals` : "approval";
      const others = decision.excluded.length > 0 ? ` by someone other than ${names(decision.excluded)}` : " by an independent reviewer";
      const progress = decision.requiredApprovals > 1 ? ` (${decision.countedApprovals} of ${decision.requiredApprovals})` : "";
      return `Needs ${count}${others}${progress}`;
    }
    case "needs-team-approval":
      return `Needs an approval from @${visible(firstUnmet(decision, "team-approval")?.team ?? "a required team")}`;
    case "approved": {
      const owner = decision.owner && decision.owner.kind !== "missing" ? `${decision.owner.kind === "implicit" ? "owned by" : "delegated by"} @${decision.owner.owner.login}, ` : "";
      const approvers = decision.approvals.filter((verdict) => verdict.counted).map((verdict) => `@${verdict.reviewer.login}`);
      return `Countersigned: ${owner}approved by ${approvers.join(", ")}`;
    }
  }
}

/** The check run's title: plain text, the decision in a few words (prefixed in a dry run). */
export function decisionTitle(decision: Decision): string {
  const title = enforcedTitle(decision);
  return decision.mode === "evaluate" && decision.enforcedConclusion !== "success" ? `Would block: ${title}` : title;
}

/** Which issued credential could have made a push by the credential app's bot, or that none could. */
function pushCredentialText(live: PushCredential[] | null): string {
  if (live === null) return "";
  if (live.length === 0) return "; **no credential Countersign issued was live when it was pushed**: a token from elsewhere pushed as the credential app";
  const named = live.map((credential) => {
    const workload = [credential.runId ? `run ${code(credential.runId)}` : null, credential.workflowRef ? `workflow ${code(credential.workflowRef)}` : null].filter((part) => part !== null).join(", ");
    return `${code(credential.id)} (delegation ${code(credential.delegationId)}${workload ? `, ${workload}` : ""})`;
  });
  return `; pushed with ${live.length === 1 ? "the credential" : "one of the credentials live then:"} ${named.join(", ")}`;
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
      return `commit ${shortSha(signal.sha)}: ${role} ${handle(signal.actor.login)} (id ${signal.actor.id ?? "unknown"}) is **${escapeText(signal.identity)}**, ${matched(signal.matchedBy)}`;
    }
    case "trailer":
      return `commit ${shortSha(signal.sha)}: trailer ${code(signal.trailer)} (${escapeText(signal.rule)})`;
    case "unidentified-author":
      return `PR author ${code(signal.actor.login)} cannot be identified (a deleted account or an unknown kind of account), so it is held to the agent rules`;
    case "app-bot": {
      const where = signal.role === "pr-author" ? "PR author" : `commit ${shortSha(signal.sha)}: ${signal.role === "commit-author" ? "author" : "committer"}`;
      return `${where} ${signal.role === "pr-author" ? login(signal.actor.login) : handle(signal.actor.login)} is a GitHub App bot, counted as an agent because \`agents.all_apps_are_agents\` is on`;
    }
    case "agent-push": {
      const { push } = signal;
      const added = push.commits.length > 0 ? `, adding ${push.commits.slice(0, 5).map(shortSha).join(", ")}${push.commits.length > 5 ? ` and ${push.commits.length - 5} more` : ""}` : "";
      const how = push.source === "activity" ? "GitHub's activity log names the pusher" : "GitHub named the pusher";
      return `${push.forced ? "force-pushed" : "pushed"} to this branch by ${login(signal.actor.login)} (id ${signal.actor.id ?? "unknown"}), **${escapeText(signal.identity)}**: ${shortSha(push.beforeSha)} → ${shortSha(push.afterSha)}${added} (${how}; the commits' authors are not taken at their word)${pushCredentialText(push.credentials)}`;
    }
  }
}

function agentSection(decision: Decision): string[] {
  const kind =
    decision.detection.involvement === "authored"
      ? "**Agent-authored**: the pull request was opened by an agent identity (or by an account that cannot be identified)."
      : decision.detection.signals.some((signal) => signal.kind === "agent-push")
        ? "**Agent-assisted**: a person opened the pull request, and an agent pushed to its branch or wrote or co-wrote commits."
        : "**Agent-assisted**: a person opened the pull request, and an agent wrote or co-wrote commits.";
  const shown = decision.detection.signals.slice(0, MAX_SIGNALS_SHOWN).map((signal) => `- ${describeSignal(signal)}`);
  const more = decision.detection.signals.length - shown.length;
  return ["### Agent", kind, "", "Signals that identified it:", ...shown, ...(more > 0 ? [`- … and ${more} more`] : [])];
}

function delegationLines(delegation: DelegationRecord): string[] {
  const task = delegation.task.kind === "none" ? "none given (the policy does not require one)" : delegation.task.url ? link(delegation.task.ref, delegation.task.url) : code(delegation.task.ref);
  const where = delegation.subjectType === "issue" ? `on issue #${delegation.subjectNumber}` : "on this pull request";
  return [
    `- Owner: ${login(delegation.owner.login)} (delegated ${where}${delegation.agent ? ` to ${login(delegation.agent.login)}` : ""})`,
    `- Task: ${task}`,
    `- Scope: ${delegation.scopePaths.length > 0 ? delegation.scopePaths.map((glob) => code(glob)).join(", ") : "whole repository"}${delegation.scopeBranches.length > 0 ? `; base branches ${delegation.scopeBranches.map((branch) => code(branch)).join(", ")}` : ""}`,
    `- Expires: ${delegation.expiresAt ? delegation.expiresAt.toISOString() : "no expiry"}`,
    `- Record: ${code(delegation.id)}, from ${link("this comment", delegation.commentUrl)} at ${delegation.createdAt.toISOString()}`,
  ];
}

function delegationSection(decision: Decision): string[] {
  const owner = decision.owner;
  if (!owner) return [];
  if (owner.kind === "delegated") return ["### Delegation", ...delegationLines(owner.delegation)];
  if (owner.kind === "implicit") {
    return [
      "### Delegation",
      `- Owner: ${login(owner.owner.login)}, **implicitly**: they opened this agent-assisted pull request, and the policy makes the author of an agent-assisted PR its owner (\`delegation.implicit_owner\`).`,
    ];
  }
  const none = decision.requirements.some((requirement) => requirement.kind === "owner")
    ? "- **None in force.** No active delegation names a human owner for this change."
    : "- None, and the policy does not require one (`delegation.required: false`): approvals alone decide.";
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
  return ["### Delegation", none, ...ordered.map(([, line]) => line)];
}

function tierSection(decision: Decision, renames: readonly FileRename[]): string[] {
  const lines = ["### Risk tier"];
  if (decision.tiers.length === 0) lines.push("No tier applies: the policy's base requirements hold.");
  for (const tier of decision.tiers) {
    const why: string[] = [];
    if (tier.files.length > 0) {
      const entries = pathEntries(tier.files, renames);
      const shown = entries.slice(0, MAX_TIER_FILES_SHOWN);
      why.push(`changes ${shown.join(", ")}${entries.length > shown.length ? ` and ${entries.length - shown.length} more` : ""}`);
    }
    if (tier.baseBranch) why.push(`targets ${code(tier.baseBranch)}`);
    if (tier.labels.length > 0) why.push(`is labelled ${tier.labels.map((label) => code(label)).join(", ")}`);
    const adds: string[] = [];
    if (tier.require.approvals !== undefined) adds.push(plural(tier.require.approvals, "approval"));
    if (tier.require.approverTeams) adds.push(`an approval from ${tier.require.approverTeams.map((team) => handle(`${team.org}/${team.slug}`)).join(" and from ")}`);
    if (tier.require.maxDelegationExpiryMs !== undefined) adds.push(`a delegation of at most ${formatDuration(tier.require.maxDelegationExpiryMs)}`);
    if (tier.require.agentsForbidden) adds.push("no agent changes at all");
    lines.push(`- **${escapeText(tier.name)}**${tier.builtIn ? " (built-in)" : ""}: applies because the pull request ${why.join(", and ")}. Requires ${adds.join(", ") || "nothing more"}.`);
  }
  if (decision.changesPolicy) {
    lines.push(`- This pull request changes \`${POLICY_PATH}\`. It is judged by the policy on its base branch, never by the version it proposes.`);
  }
  return lines;
}

function requirementLine(requirement: Requirement, renames: readonly FileRename[]): string {
  const mark = requirement.met ? "✅ met" : "❌ not met";
  const from = requirement.sources.length > 0 ? ` _(${requirement.sources.map((source) => plainLine(source)).join(", ")})_` : "";
  switch (requirement.kind) {
    case "agents-allowed":
      return `- ${mark}: agents may change ${pathEntries(requirement.files, renames).slice(0, MAX_TIER_FILES_SHOWN).join(", ")}${from}`;
    case "base-branch": {
      const allowed = [...(requirement.policyBranches ?? []), ...(requirement.delegationBranches ?? [])].map((branch) => code(branch)).join(", ");
      return `- ${mark}: base branch ${code(requirement.base)} is allowed (${allowed})${from}`;
    }
    case "scope-paths":
      return `- ${mark}: every changed file is within the delegation's paths (${requirement.scope.map((glob) => code(glob)).join(", ")})${from}`;
    case "owner":
      return `- ${mark}: a named human owner${requirement.owner.kind !== "missing" ? `: ${login(requirement.owner.owner.login)}` : ""}${from}`;
    case "delegation-expiry":
      return `- ${mark}: the delegation lasts at most ${formatDuration(requirement.maxMs)} (it lasts ${requirement.actualMs === null ? "without expiry" : formatDuration(requirement.actualMs)})${from}`;
    case "approvals":
      return `- ${mark}: ${plural(requirement.required, "independent approval")} of the head commit (${requirement.counted} counted)${from}`;
    case "team-approval":
      return `- ${mark}: an approval from ${handle(requirement.team)}${requirement.approvers.length > 0 ? ` (${requirement.approvers.map((name) => login(name)).join(", ")})` : ""}${from}`;
  }
}

function requirementsSection(decision: Decision, renames: readonly FileRename[]): string[] {
  return ["### Requirements", ...decision.requirements.map((requirement) => requirementLine(requirement, renames)), ...scopeLines(decision, renames)];
}

function scopeLines(decision: Decision, renames: readonly FileRename[]): string[] {
  if (decision.outOfScope.length === 0) return [];
  const entries = pathEntries(decision.outOfScope, renames);
  const shown = entries.slice(0, MAX_FILES_SHOWN).map((entry) => `  - ${entry}`);
  const more = entries.length - shown.length;
  return [`- **Outside the scope** (${decision.outOfScope.length}):`, ...shown, ...(more > 0 ? [`  - … and ${more} more`] : [])];
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
      return `has ${objection.permission} permission; ${objection.required} or higher is required`;
    case "permission-unknown":
      return "their permission could not be confirmed";
    case "not-in-approver-team":
      return `not in an approver team (${objection.teams.map((team) => handle(team)).join(", ")})`;
    case "membership-unknown":
      return "their team membership could not be confirmed";
  }
}

const WAIVER_NOTES = {
  delegator: "counted although they delegated: the policy allows it (`approvals.exclude.delegator: false`)",
  "pr-author": "counted although they opened the PR: the policy allows it (`approvals.exclude.pr_author: false`)",
  "commit-participant": "counted although they wrote commits: the policy allows it (`approvals.exclude.commit_authors: false`)",
} as const;

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
      const why = verdict.counted
        ? ["independent, has the required permission, approved the head commit", ...verdict.waived.map((waiver) => WAIVER_NOTES[waiver])].join("; ")
        : verdict.objections.map(describeObjection).join("; ");
      return `| ${login(verdict.reviewer.login)} | ${reviewLabel(verdict)} | ${verdict.counted ? "yes" : "no"} | ${why} |`;
    }),
    "",
    "_A reviewer's latest approving, change-requesting or dismissed review is their standing opinion; a later comment-only review does not withdraw it (as on GitHub)._",
  ];
}

function whoElse(delegators: Decision["delegators"]): string {
  const allowed = [...delegators.teams.map((team) => handle(team)), ...delegators.users.map((user) => handle(user))];
  return allowed.length > 0 ? `, who is ${allowed.length === 1 ? "" : "one of "}${allowed.join(", ")},` : "";
}

function nextSteps(decision: Decision, pr: PullRequestFacts): string[] {
  switch (decision.outcome) {
    case "no-agent":
      return ["Nothing: no agent identity or agent trailer was found on this pull request or its commits."];
    case "forbidden":
      return ["The policy forbids agent changes to these files. Take the agent's changes to them out of this pull request; a person can make them in a separate one."];
    case "base-branch":
      return ["Retarget the pull request to an allowed base branch, or have the owner record a delegation (`/delegate <task> branches:<pattern>`) that covers this one if the policy allows it."];
    case "out-of-scope":
      return [
        "The pull request changes files the delegation does not cover. Either remove those changes, or the owner (or another writer) records a delegation whose `paths:` cover them, for example:",
        "",
        "```",
        "/delegate <task> paths:<glob>,<glob> [expires:<duration>]",
        "```",
      ];
    case "needs-delegation":
      return [
        `A person with **${decision.delegators.minPermission}** permission or higher${whoElse(decision.delegators)} (not the agent, not a bot) takes ownership by commenting on this pull request:`,
        "",
        "```",
        "/delegate <task> [paths:<glob>,...] [expires:<duration>]",
        "```",
        "for example `/delegate SEC-142`, `/delegate #12 paths:src/** expires:7d`, or `/delegate https://tracker.example/T-1`.",
        "Or, on the task's issue, before the agent opens its PR: `/delegate @<agent-login>`.",
      ];
    case "delegation-too-long": {
      const requirement = firstUnmet(decision, "delegation-expiry");
      return [`The owner records a new delegation that expires within ${requirement ? formatDuration(requirement.maxMs) : "the limit"}, e.g. \`/delegate <task> expires:${requirement ? formatDuration(requirement.maxMs) : "24h"}\`.`];
    }
    case "needs-approval": {
      const excluded = decision.excluded.length > 0 ? `, other than ${names(decision.excluded, handle)},` : "";
      const missing = decision.requiredApprovals - decision.countedApprovals;
      return [`${missing === 1 ? "A reviewer" : `${missing} more reviewers`} with the required permission${excluded} approve${missing === 1 ? "s" : ""} the head commit ${shortSha(pr.headSha)}.`];
    }
    case "needs-team-approval":
      return [`A member of ${handle(firstUnmet(decision, "team-approval")?.team ?? "the required team")}, who is otherwise eligible, approves the head commit ${shortSha(pr.headSha)}.`];
    case "approved":
      return ["Nothing: every requirement of the policy holds for this head commit."];
  }
}

function decisionLine(decision: Decision): string {
  // The title is Countersign's own words around names an agent may have chosen (a base branch, a
  // committer read from a noreply address): plainLine() shows them all inert.
  if (decision.mode === "evaluate" && decision.enforcedConclusion !== "success") {
    return `**Decision: would block (dry run, \`mode: evaluate\`)** — ${plainLine(enforcedTitle(decision))}. This check is neutral, so merging is not blocked while the policy is being rolled out.`;
  }
  return `**Decision: ${decision.conclusion === "success" ? "pass" : "blocked"}** — ${plainLine(decisionTitle(decision))}`;
}

/** The setup doctor's warning, shown prominently when merging does not wait for this check. */
export function setupWarning(setup: RequiredCheckStatus | undefined, baseRef: string): string[] {
  if (!setup || setup.state === "required") {
    if (setup?.state === "required" && setup.pinnedToApp === false && setup.via.includes("ruleset") && !setup.via.includes("branch protection")) {
      return [`> [!NOTE]\n> \`Countersign\` is required on ${code(baseRef)} by a ruleset, but not pinned to this app as its source: another app or workflow could report a check with the same name. In the ruleset, choose **Countersign** as the check's source.`];
    }
    return [];
  }
  const steps = [
    `> 1. *Settings → Rules → Rulesets → New branch ruleset*, target ${code(baseRef)}, enable **Require status checks to pass**, add \`Countersign\` and choose **Countersign** as its source; or`,
    `> 2. *Settings → Branches*, edit the rule for ${code(baseRef)}: **Require status checks to pass before merging**, select \`Countersign\`.`,
  ];
  if (setup.state === "not-required") {
    return [["> [!WARNING]", `> **Merge is not blocked by this check: make it required.** \`Countersign\` is not a required check on ${code(baseRef)} (no ruleset or branch protection requires it), so a blocked decision can still be merged.`, ...steps].join("\n")];
  }
  return [["> [!WARNING]", `> **Could not confirm that merging waits for this check** on ${code(baseRef)}: ${escapeText(setup.reason)}. Make sure \`Countersign\` is required:`, ...steps].join("\n")];
}

/** The rulesets named in a note, each as the text it is (an administrator's, never markup). */
function rulesetNames(names: readonly string[]): string {
  const shown = names.slice(0, 5).map((name) => code(name, 100));
  return `${shown.join(", ")}${names.length > 5 ? ` and ${names.length - 5} more` : ""}`;
}

/**
 * The setup doctor's finding on the credential app's bot, where Countersign issues credentials: a
 * token can push to any branch of its repository, so only a ruleset keeps agents' tokens off the base
 * branch. Advisory, like the required-check warning: it never changes the conclusion. Protection is
 * claimed only when GitHub confirmed it.
 */
export function credentialRulesNote(rules: CredentialRulesStatus | null | undefined, baseRef: string): string[] {
  if (!rules) return [];
  if (rules.state === "in-force") {
    return [`**Credential app:** ${rules.rulesets.length === 1 ? "the ruleset" : "the rulesets"} ${rulesetNames(rules.rulesets)} keep${rules.rulesets.length === 1 ? "s" : ""} the credential app's bot from pushing to ${code(baseRef)} directly; GitHub says the bot can never bypass ${rules.rulesets.length === 1 ? "it" : "them"}.`];
  }
  if (rules.state === "not-installed") {
    return [`**Credential app:** not installed on this repository, so no token Countersign issues can push here. Before installing it here, add a ruleset that keeps its bot off ${code(baseRef)}.`];
  }
  const steps = [
    `> 1. *Settings → Rules → Rulesets → New branch ruleset*, targeting the default branch and the release branches (${code(baseRef)} among them);`,
    "> 2. enable **Require a pull request before merging** (or **Restrict updates**);",
    "> 3. leave the credential app out of the bypass list, and set enforcement to **Active**.",
  ];
  if (rules.state === "not-in-force") {
    const bypass = rules.bypassable.length > 0 ? ` GitHub says the bot can bypass ${rules.bypassable.map((ruleset) => `${code(ruleset.name, 100)} (${code(ruleset.bypass, 40)})`).join(", ")}.` : "";
    return [
      [
        "> [!WARNING]",
        `> **No ruleset keeps the credential app's bot off ${code(baseRef)}.** Countersign issues tokens on this repository, and GitHub cannot limit a token to the agent branches: an agent's token can push to ${code(baseRef)} directly.${bypass} Add a ruleset:`,
        ...steps,
      ].join("\n"),
    ];
  }
  return [
    [
      "> [!WARNING]",
      `> **Could not confirm that a ruleset keeps the credential app's bot off ${code(baseRef)}**: ${escapeText(rules.reason)}. Until it is confirmed, an agent's token may be able to push to ${code(baseRef)} directly. Make sure a ruleset stops it:`,
      ...steps,
    ].join("\n"),
  ];
}

/** One line per delegation that credentials were issued under: how many, how many still live. Never a token. */
export function credentialsSection(credentials: EvaluationMeta["credentials"]): string[] {
  if (!credentials || credentials.length === 0) return [];
  return credentials.map(
    ({ delegationId, issued, live }) =>
      `**Credentials:** Countersign issued ${issued} credential${issued === 1 ? "" : "s"} under delegation ${code(delegationId)} (${live === 0 ? "none live now" : `${live} live now`}); the evidence page names each one's workload, permissions and end.`,
  );
}

/** The evidence a reviewer reads in the check run: decision, agent, tier, delegation, requirements, approvals, next step. */
export function renderDecision(decision: Decision, pr: PullRequestFacts, meta: EvaluationMeta): CheckRunOutput {
  const sections: string[][] = [[decisionLine(decision)], setupWarning(meta.setup, pr.baseRef), credentialRulesNote(meta.credentialRules, pr.baseRef)];
  if (decision.outcome !== "no-agent") {
    sections.push(agentSection(decision), tierSection(decision, pr.renames ?? []), delegationSection(decision), credentialsSection(meta.credentials), requirementsSection(decision, pr.renames ?? []), approvalsSection(decision));
  }
  sections.push(["### What to do next", ...nextSteps(decision, pr)]);
  sections.push([footer(pr.headSha, meta)]);
  return { title: decisionTitle(decision), summary: sections.filter((lines) => lines.length > 0).map((lines) => lines.join("\n")).join("\n\n") };
}

/** The evaluation's provenance: commit, time, delivery and the exact policy version. */
export function footer(headSha: string, meta: EvaluationMeta): string {
  const policy = `policy: ${code(meta.policySource)}${meta.policyHash ? ` (version ${code(meta.policyHash.slice(0, 12))})` : ""}`;
  return ["---", `Head ${shortSha(headSha)} · evaluated at ${meta.evaluatedAt.toISOString()} · delivery ${meta.deliveryId ? code(meta.deliveryId) : "none (scheduled)"} · ${policy}`].join("\n");
}

/**
 * The check run's `text`: the newest signed checkpoint of the audit log (src/audit/checkpoint.ts).
 * Check runs stay on GitHub, out of the database owner's reach, so each one keeps a witness of the
 * log's head. The note is Countersign's own text (nothing untrusted), in a code block so it is
 * copied byte for byte.
 */
export function checkpointText(note: string): string {
  return [
    "### Audit checkpoint",
    "",
    "The newest signed checkpoint of Countersign's audit log when this was written. Saved (for example the check run as JSON), it lets `countersign audit verify --checkpoints <file>` prove that no event up to it was altered or removed since.",
    "",
    "```text",
    note.trimEnd(),
    "```",
  ].join("\n");
}
