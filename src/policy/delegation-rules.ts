import { formatDuration, type Duration } from "./duration.js";
import { teamKey, type RepoPolicy } from "./repo-policy.js";
import { atLeast, type Permission, type TaskRef } from "./types.js";

// The policy's rules for giving a delegation, applied when a `/delegate` command arrives. Pure: the
// commenter's permission and team memberships are looked up by the caller, at the time of the command.

/** Why the commenter may not delegate under the policy, or null when they may. */
export function delegatorRefusal(
  delegator: { login: string; permission: Permission; memberships: ReadonlyMap<string, boolean> },
  policy: Pick<RepoPolicy, "delegation">,
): string | null {
  const rules = policy.delegation.delegators;
  if (!atLeast(delegator.permission, rules.minPermission)) {
    return `@${delegator.login} has ${delegator.permission} permission on this repository; delegating needs ${rules.minPermission} or higher.`;
  }
  if (rules.teams.length === 0 && rules.users.length === 0) return null;
  if (rules.users.some((user) => user.toLowerCase() === delegator.login.toLowerCase())) return null;
  if (rules.teams.some((team) => delegator.memberships.get(teamKey(team)) === true)) return null;
  const allowed = [...rules.teams.map((team) => `@${team.org}/${team.slug}`), ...rules.users.map((user) => `@${user}`)];
  return `only ${allowed.join(", ")} may delegate here (\`delegation.delegators\`).`;
}

/** Why a task reference is not acceptable under the policy, or null when it is. */
export function taskRefusal(task: TaskRef | null, policy: Pick<RepoPolicy, "delegation">): string | null {
  const rules = policy.delegation.task;
  if (task === null || task.kind === "none") {
    return rules.required ? "this repository's policy requires a task: `/delegate <task>` with #123, an issue URL or a ticket key (`delegation.task.required`)." : null;
  }
  if (!rules.forms.includes(task.kind)) {
    return `a task given as ${task.kind === "url" ? "a URL" : task.kind === "issue" ? "an issue" : "a ticket key"} is not accepted here; use ${rules.forms.join(" or ")} (\`delegation.task.forms\`).`;
  }
  if (task.kind === "ticket" && !rules.ticketPattern.test(task.ref)) {
    return `\`${task.ref}\` is not a ticket key this repository accepts (\`delegation.task.ticket_pattern\`: \`${rules.ticketPattern.source}\`).`;
  }
  return null;
}

/**
 * How long a new delegation lasts: the command's `expires:`, else the policy's default, else its
 * maximum (a maximum implies that nothing lasts longer), else no expiry. An `expires:` beyond the
 * maximum is refused rather than silently shortened.
 */
export function delegationLifetime(requested: Duration | null, policy: Pick<RepoPolicy, "delegation">): { ok: true; milliseconds: number | null } | { ok: false; why: string } {
  const { defaultExpiryMs, maxExpiryMs } = policy.delegation;
  if (requested && maxExpiryMs !== null && requested.milliseconds > maxExpiryMs) {
    return { ok: false, why: `expires:${requested.text} is longer than this repository allows: at most ${formatDuration(maxExpiryMs)} (\`delegation.max_expiry\`).` };
  }
  return { ok: true, milliseconds: requested?.milliseconds ?? defaultExpiryMs ?? maxExpiryMs ?? null };
}
