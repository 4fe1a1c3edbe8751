import type { AgentInventory } from "../github/agent-inventory.js";
import type { DelegationRecord } from "../policy/types.js";
import { code, escapeText, handle, link, login, plainLine } from "./markdown.js";

// Replies to commands. Every command gets one: what was recorded, or why nothing was. A refusal and a
// malformed command read the same for every command (run-command.ts); the rest are `/delegate`'s.

/** The reply confirming a recorded delegation. */
export function delegationRecordedReply(delegation: DelegationRecord, agentLogins: string[], commandUrl: string, inventory: AgentInventory[] = []): string {
  const task = delegation.task.kind === "none" ? "none given (the policy does not require one)" : delegation.task.url ? link(delegation.task.ref, delegation.task.url) : code(delegation.task.ref);
  const agent = delegation.agent
    ? login(delegation.agent.login)
    : agentLogins.length > 0
      ? agentLogins.map(handle).join(", ")
      : "the agent that works on this pull request";
  return [
    `**Countersign recorded a delegation** (${link("command", commandUrl)})`,
    "",
    `- Record: ${code(delegation.id)}`,
    `- Owner: ${login(delegation.owner.login)}`,
    `- Agent: ${agent}`,
    `- Task: ${task}`,
    `- Scope: ${delegation.scopePaths.length > 0 ? delegation.scopePaths.map((glob) => code(glob)).join(", ") : "whole repository"}${delegation.scopeBranches.length > 0 ? `; base branches ${delegation.scopeBranches.map((branch) => code(branch)).join(", ")}` : ""}`,
    `- Expires: ${delegation.expiresAt ? delegation.expiresAt.toISOString() : "no expiry"}`,
    ...inventory.map((entry) => `- What ${handle(entry.login)} can do: ${describeInventory(entry)}`),
    "",
    delegation.subjectType === "issue"
      ? `A pull request by this agent that references this issue is linked to this delegation. It still needs an approval of its head commit by someone with write permission other than ${login(delegation.owner.login)}.`
      : `This pull request still needs an approval of its head commit by someone with write permission other than ${login(delegation.owner.login)}.`,
    "",
    "_Editing or deleting this command later does not change the record; use `/delegate revoke [reason]`._",
  ].join("\n");
}

/** The reply confirming revocations. */
export function revokedReply(revoked: DelegationRecord[], notAllowed: DelegationRecord[], reason: string | null): string {
  const lines = [
    `**Countersign revoked ${revoked.length === 1 ? "a delegation" : `${revoked.length} delegations`}**`,
    "",
    ...revoked.map((delegation) => `- ${code(delegation.id)} by ${login(delegation.owner.login)} (task ${code(delegation.task.ref)})`),
    ...(reason ? ["", `Reason: ${escapeText(reason)}`] : []),
    "",
    "Pull requests that relied on it need a new delegation before they can pass.",
  ];
  if (notAllowed.length > 0) {
    lines.push("", `Not revoked (only their owner or a repository admin may): ${notAllowed.map((delegation) => code(delegation.id)).join(", ")}`);
  }
  return lines.join("\n");
}

/** The reply refusing a command, saying why (with the usage when it helps); nothing was recorded. */
export function refusedReply(why: string, usageText: string | null = null): string {
  return [`**Countersign did not record this command.** ${plainLine(why)}`, ...(usageText ? ["", "Usage:", "```", usageText, "```"] : []), "", "_Nothing was changed._"].join("\n");
}

/** The reply to a malformed command, with its usage. */
export function malformedReply(error: string, usageText: string): string {
  return [
    `**Countersign could not read this command:** ${escapeText(error)}.`,
    "",
    "Usage:",
    "```",
    usageText,
    "```",
    "_Nothing was changed._",
  ].join("\n");
}

/** One line on what an agent is able to do. */
export function describeInventory(entry: AgentInventory): string {
  switch (entry.kind) {
    case "app": {
      const grants = Object.entries(entry.permissions)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([scope, access]) => `${scope}: ${access}`);
      return `GitHub App ${code(entry.slug)} with ${grants.length > 0 ? grants.map((grant) => code(grant)).join(", ") : "no permissions"}${entry.events.length > 0 ? `; receives ${entry.events.length === 1 ? "1 event type" : `${entry.events.length} event types`}` : ""}`;
    }
    case "machine-user":
      return `machine user with ${code(entry.permission)} permission on this repository`;
    case "unknown":
      return `unknown (${escapeText(entry.reason)})`;
  }
}

/** What an evaluation a command caused left on a pull request's check run. */
export type CheckRunShown =
  | { number: number; kind: "published"; conclusion: string; title: string }
  | { number: number; kind: "invalid-policy" }
  | { number: number; kind: "not-published"; errorId: string }
  | { number: number; kind: "not-evaluated"; reason: string };

/**
 * The reply's account of the check run, written after the evaluation: it says only what the check
 * run now shows, and when the write failed, that it does not show the command's effect yet.
 */
export function checkRunLines(shown: readonly CheckRunShown[]): string[] {
  if (shown.length === 0) return [];
  const line = (item: CheckRunShown): string => {
    switch (item.kind) {
      case "published":
        return `the \`Countersign\` check now shows **${escapeText(item.conclusion)}**: ${escapeText(item.title)}`;
      case "invalid-policy":
        return "the `Countersign` check now shows **failure**: the policy is invalid";
      case "not-published":
        return `Countersign **could not update the check run yet** (error ${code(item.errorId)}) and keeps trying; until the check shows this change, treat the pull request as blocked and do not merge it`;
      case "not-evaluated":
        return `not evaluated (${escapeText(item.reason)})`;
    }
  };
  return ["", ...shown.map((item) => `- #${item.number}: ${line(item)}`)];
}
