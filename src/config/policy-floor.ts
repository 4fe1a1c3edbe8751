import { formatDuration, parseDuration } from "../policy/duration.js";
import { anyGlobMatcher } from "../policy/glob-matchers.js";
import { BUILT_IN_TIERS, parseTeam, teamKey } from "../policy/repo-policy.js";
import { PERMISSION_LEVELS } from "../policy/types.js";
import { CREDENTIAL_PERMISSIONS, GITHUB_TOKEN_LIFETIME_MS, levelWithin, type CredentialsConfig } from "./credentials.schema.js";
import type { PolicyConfig } from "./policy.schema.js";

// The organization's policy is a floor. Its file (in the organization's `.github` repository, with
// its defaults filled in) always applies, and a repository's file can only add to it: every key the
// floor compares has a direction in which it is stricter, and the repository's effective value must
// be at least as strict as the organization's. Where strictness cannot be decided (two regular
// expressions, two glob patterns), the repository's value must be the organization's. The
// organization can let repositories relax a key by listing it in `repositories_may_relax`.
//
// Pure: two validated policies in, the ways the second is weaker out. The loader merges the files
// and turns each weakening into a problem naming the repository file and the organization's.

/** One way the effective policy is weaker than the organization's floor. */
export interface Weakening {
  /** The key as `repositories_may_relax` names it: `approvals.required`, `tiers.<name>`. */
  key: string;
  /** Within a tier: the key in the tier entry (`require.approvals`, `when.paths`, `enabled`). */
  within?: string;
  /** What is weaker, with the organization's value. */
  message: string;
  /** A ceiling `repositories_may_relax` cannot lift (the credentials section's keys). */
  fixed?: true;
}

/**
 * The keys of the credentials ceiling. Unlike the floor's other keys they cannot be listed in
 * `repositories_may_relax`: a repository writer who could widen them could trust an issuer they
 * control and mint tokens for themselves.
 */
export const CREDENTIAL_CEILING_KEYS = ["credentials", "credentials.issuers", "credentials.permissions", "credentials.max_ttl"] as const;

/** A tier as the floor compares it, from a policy entry or a built-in tier. */
interface TierShape {
  name: string;
  paths: string[] | null;
  baseBranches: string[] | null;
  labels: string[] | null;
  approvals: number | null;
  approverTeams: string[];
  maxExpiryMs: number | null;
  agentsForbidden: boolean;
}

/** A validated tier entry that is switched on (it has `when` and `require`). */
export type EnabledTier = PolicyConfig["tiers"][number] & { when: NonNullable<PolicyConfig["tiers"][number]["when"]>; require: NonNullable<PolicyConfig["tiers"][number]["require"]> };

/**
 * The tiers a policy applies, in order: the built-in ones, each replaced or switched off by a policy
 * tier of its name, then the policy's other tiers that are switched on.
 */
export function effectiveTiers(config: PolicyConfig): Array<{ builtIn: boolean; tier: EnabledTier }> {
  const tiers: Array<{ builtIn: boolean; tier: EnabledTier }> = BUILT_IN_TIERS.map((tier) => ({
    builtIn: true,
    tier: { name: tier.name, enabled: true, when: { paths: [...tier.when.paths] }, require: { approvals: tier.require.approvals } },
  }));
  for (const entry of config.tiers) {
    const index = tiers.findIndex((existing) => existing.tier.name === entry.name);
    const enabled = entry.enabled && entry.when && entry.require ? [{ builtIn: false, tier: entry as EnabledTier }] : [];
    if (index >= 0) tiers.splice(index, 1, ...enabled);
    else tiers.push(...enabled);
  }
  return tiers;
}

function durationMs(text: string | undefined): number | null {
  return text === undefined ? null : (parseDuration(text)?.milliseconds ?? null);
}

function tierShape(tier: EnabledTier, owner: string): TierShape {
  return {
    name: tier.name,
    paths: tier.when.paths ?? null,
    baseBranches: tier.when.base_branches ?? null,
    labels: tier.when.labels?.map((label) => label.toLowerCase()) ?? null,
    approvals: tier.require.approvals ?? null,
    approverTeams: (tier.require.approver_teams ?? []).map((team) => teamKey(parseTeam(team, owner))),
    maxExpiryMs: durationMs(tier.require.max_delegation_expiry),
    agentsForbidden: tier.require.agents_forbidden === true,
  };
}

const quoted = (values: readonly string[]) => values.map((value) => JSON.stringify(value)).join(", ");
const missing = (wanted: readonly string[], have: readonly string[]) => wanted.filter((value) => !have.includes(value));
const extra = (have: readonly string[], allowed: readonly string[]) => have.filter((value) => !allowed.includes(value));
const rank = (permission: (typeof PERMISSION_LEVELS)[number]) => PERMISSION_LEVELS.indexOf(permission);
const lower = (values: readonly string[]) => values.map((value) => value.toLowerCase());
const expiry = (ms: number | null) => (ms === null ? "no limit" : formatDuration(ms));

/** A branch name with no glob syntax: it names one branch, which a floor pattern can be tested on. */
function isLiteralBranch(pattern: string): boolean {
  return !/[*?[\]{}()!+@\\]/.test(pattern);
}

/** How a same-named tier is weaker than the organization's (conditions: wider is stricter). */
function tierWeakenings(floor: TierShape, effective: TierShape | undefined): Weakening[] {
  const key = `tiers.${floor.name}`;
  if (!effective) return [{ key, within: "enabled", message: `switches off the organization's tier "${floor.name}"` }];
  const found: Weakening[] = [];
  const conditions = [
    ["paths", floor.paths, effective.paths],
    ["base_branches", floor.baseBranches, effective.baseBranches],
    ["labels", floor.labels, effective.labels],
  ] as const;
  for (const [name, floorValues, values] of conditions) {
    // A condition left out does not restrict the tier: it then applies at least as often.
    if (values === null) continue;
    if (floorValues === null) {
      found.push({ key, within: `when.${name}`, message: `adds a when.${name} condition the organization's tier "${floor.name}" does not have (the tier would apply less often)` });
      continue;
    }
    const left = missing(floorValues, values);
    if (left.length > 0) found.push({ key, within: `when.${name}`, message: `leaves out ${quoted(left)} from the organization's tier "${floor.name}" (its when.${name} may only gain entries)` });
  }
  if (floor.approvals !== null && (effective.approvals ?? 0) < floor.approvals) {
    found.push({ key, within: "require.approvals", message: `requires ${effective.approvals ?? "no"} approvals where the organization's tier "${floor.name}" requires ${floor.approvals}` });
  }
  const teams = missing(floor.approverTeams, effective.approverTeams);
  if (teams.length > 0) found.push({ key, within: "require.approver_teams", message: `leaves out ${quoted(teams)} from the organization's tier "${floor.name}" (its approver_teams may only gain teams)` });
  if (floor.maxExpiryMs !== null && (effective.maxExpiryMs === null || effective.maxExpiryMs > floor.maxExpiryMs)) {
    found.push({ key, within: "require.max_delegation_expiry", message: `allows delegations of ${expiry(effective.maxExpiryMs)} where the organization's tier "${floor.name}" allows at most ${expiry(floor.maxExpiryMs)}` });
  }
  if (floor.agentsForbidden && !effective.agentsForbidden) {
    found.push({ key, within: "require.agents_forbidden", message: `lets agents change what the organization's tier "${floor.name}" forbids them to` });
  }
  return found;
}

const permissionList = (permissions: CredentialsConfig["permissions"]) =>
  CREDENTIAL_PERMISSIONS.flatMap((permission) => (permissions[permission] ? [`${permission}: ${permissions[permission]}`] : [])).join(", ") || "none";

/**
 * How a repository's `credentials:` section goes beyond the organization's ceiling: an issuer the
 * organization does not trust exactly as it does (same issuer, key set URL and audience, no other
 * algorithm), a permission above the organization's, a longer `max_ttl`, or a section at all where
 * the organization has none (no credentials are issued then).
 */
export function credentialWeakenings(ceiling: CredentialsConfig | undefined, effective: CredentialsConfig | undefined): Weakening[] {
  if (effective === undefined) return [];
  if (ceiling === undefined) {
    return [{ key: "credentials", fixed: true, message: "issues credentials where the organization's policy has no credentials section (none may be issued in its repositories)" }];
  }
  const found: Weakening[] = [];
  for (const issuer of effective.issuers) {
    const trusted = ceiling.issuers.find((candidate) => candidate.issuer === issuer.issuer);
    if (!trusted) {
      found.push({ key: "credentials.issuers", fixed: true, message: `trusts ${JSON.stringify(issuer.issuer)}, an issuer the organization's policy does not (it trusts ${quoted(ceiling.issuers.map((entry) => entry.issuer))})` });
      continue;
    }
    for (const key of ["jwks_url", "audience"] as const) {
      if (issuer[key] !== trusted[key]) found.push({ key: "credentials.issuers", fixed: true, message: `gives ${JSON.stringify(issuer.issuer)} the ${key} ${JSON.stringify(issuer[key])} where the organization's policy pins ${JSON.stringify(trusted[key])}` });
    }
    const algorithms = extra(issuer.algorithms, trusted.algorithms);
    if (algorithms.length > 0) found.push({ key: "credentials.issuers", fixed: true, message: `accepts ${quoted(algorithms)} from ${JSON.stringify(issuer.issuer)}, which the organization's policy does not` });
    if ((issuer.github_actions ?? null) !== (trusted.github_actions ?? null)) {
      found.push({ key: "credentials.issuers", fixed: true, message: `changes github_actions for ${JSON.stringify(issuer.issuer)} (the organization's policy decides which claims its tokens are checked on)` });
    }
  }
  const above = CREDENTIAL_PERMISSIONS.filter((permission) => {
    const wanted = effective.permissions[permission];
    return wanted !== undefined && !levelWithin(wanted, ceiling.permissions[permission]);
  });
  if (above.length > 0) {
    found.push({ key: "credentials.permissions", fixed: true, message: `allows ${quoted(above.map((permission) => `${permission}: ${effective.permissions[permission]}`))} beyond the organization's ${permissionList(ceiling.permissions)}` });
  }
  const ttlMs = durationMs(effective.max_ttl) ?? GITHUB_TOKEN_LIFETIME_MS;
  const ceilingTtlMs = durationMs(ceiling.max_ttl) ?? GITHUB_TOKEN_LIFETIME_MS;
  if (ttlMs > ceilingTtlMs) found.push({ key: "credentials.max_ttl", fixed: true, message: `${expiry(ttlMs)} is longer than the organization's ${expiry(ceilingTtlMs)}` });
  return found;
}

/**
 * The ways `effective` (the organization's policy merged with a repository's files) is weaker than
 * `floor` (the organization's alone), leaving out the keys in `relaxable`. Teams resolve against
 * `owner`. Empty when the repository only tightens.
 */
export function floorWeakenings(floor: PolicyConfig, effective: PolicyConfig, owner: string, relaxable: ReadonlySet<string>): Weakening[] {
  const found: Weakening[] = [];
  const check = (key: string, weaker: boolean, message: () => string) => {
    if (weaker && !relaxable.has(key)) found.push({ key, message: message() });
  };
  const stricterWhenTrue = (key: string, floorValue: boolean, value: boolean, meaning: string) => check(key, floorValue && !value, () => `false where the organization's policy has true (${meaning})`);
  const stricterWhenFalse = (key: string, floorValue: boolean, value: boolean, meaning: string) => check(key, !floorValue && value, () => `true where the organization's policy has false (${meaning})`);

  check("mode", floor.mode === "enforce" && effective.mode !== "enforce", () => "evaluate (a dry run that never blocks) where the organization's policy enforces");
  stricterWhenTrue("agents.all_apps_are_agents", floor.agents.all_apps_are_agents, effective.agents.all_apps_are_agents, "every GitHub App bot is an agent");

  const delegation = { floor: floor.delegation, effective: effective.delegation };
  stricterWhenTrue("delegation.required", delegation.floor.required, delegation.effective.required, "agent pull requests need a delegation");
  stricterWhenFalse("delegation.implicit_owner", delegation.floor.implicit_owner, delegation.effective.implicit_owner, "the human author of an agent-assisted pull request would own it without a command");
  check("delegation.delegators.min_permission", rank(delegation.effective.delegators.min_permission) < rank(delegation.floor.delegators.min_permission), () => `${delegation.effective.delegators.min_permission} is below the organization's ${delegation.floor.delegators.min_permission}`);
  // Who may delegate: anyone with the permission when both lists are empty, else the listed teams'
  // members and users. A repository may narrow the lists, never add to them or empty them.
  const teamsOf = (config: PolicyConfig) => config.delegation.delegators.teams.map((team) => teamKey(parseTeam(team, owner)));
  const floorDelegators = { teams: teamsOf(floor), users: lower(delegation.floor.delegators.users) };
  const delegators = { teams: teamsOf(effective), users: lower(delegation.effective.delegators.users) };
  if (floorDelegators.teams.length + floorDelegators.users.length > 0) {
    if (delegators.teams.length + delegators.users.length === 0) {
      check(floorDelegators.teams.length > 0 ? "delegation.delegators.teams" : "delegation.delegators.users", true, () => "empties the list of delegators, which lets anyone with the permission delegate; the organization's policy names who may");
    }
    const addedTeams = extra(delegators.teams, floorDelegators.teams);
    check("delegation.delegators.teams", addedTeams.length > 0, () => `adds ${quoted(addedTeams)}, which the organization's list does not have (a repository may only narrow who may delegate)`);
    const addedUsers = extra(delegators.users, floorDelegators.users);
    check("delegation.delegators.users", addedUsers.length > 0, () => `adds ${quoted(addedUsers)}, which the organization's list does not have (a repository may only narrow who may delegate)`);
  }
  stricterWhenTrue("delegation.task.required", delegation.floor.task.required, delegation.effective.task.required, "a delegation must name its task");
  const forms = extra(delegation.effective.task.forms, delegation.floor.task.forms);
  check("delegation.task.forms", forms.length > 0, () => `adds ${quoted(forms)}, which the organization's policy does not accept`);
  check(
    "delegation.task.ticket_pattern",
    delegation.effective.task.ticket_pattern !== delegation.floor.task.ticket_pattern,
    () => `differs from the organization's ${JSON.stringify(delegation.floor.task.ticket_pattern)} (two patterns cannot be compared, so a repository may not change it)`,
  );
  for (const key of ["default_expiry", "max_expiry"] as const) {
    const floorMs = durationMs(delegation.floor[key]);
    const ms = durationMs(delegation.effective[key]);
    check(`delegation.${key}`, floorMs !== null && (ms === null || ms > floorMs), () => `${expiry(ms)} is longer than the organization's ${expiry(floorMs)}`);
  }

  const approvals = { floor: floor.approvals, effective: effective.approvals };
  check("approvals.required", approvals.effective.required < approvals.floor.required, () => `${approvals.effective.required} is fewer than the organization's ${approvals.floor.required}`);
  check("approvals.approvers.min_permission", rank(approvals.effective.approvers.min_permission) < rank(approvals.floor.approvers.min_permission), () => `${approvals.effective.approvers.min_permission} is below the organization's ${approvals.floor.approvers.min_permission}`);
  const approverTeams = { floor: approvals.floor.approvers.teams.map((team) => teamKey(parseTeam(team, owner))), effective: approvals.effective.approvers.teams.map((team) => teamKey(parseTeam(team, owner))) };
  if (approverTeams.floor.length > 0) {
    const added = extra(approverTeams.effective, approverTeams.floor);
    check(
      "approvals.approvers.teams",
      approverTeams.effective.length === 0 || added.length > 0,
      () => (approverTeams.effective.length === 0 ? "empties the list, which lets any eligible writer approve; the organization's policy names the teams" : `adds ${quoted(added)}, which the organization's list does not have (a repository may only narrow who may approve)`),
    );
  }
  for (const key of ["delegator", "pr_author", "commit_authors"] as const) {
    stricterWhenTrue(`approvals.exclude.${key}`, approvals.floor.exclude[key], approvals.effective.exclude[key], "their approval would count");
  }

  stricterWhenTrue("scope.enforce_paths", floor.scope.enforce_paths, effective.scope.enforce_paths, "files outside a delegation's paths would not block");
  const floorBranches = floor.scope.base_branches;
  if (floorBranches) {
    const within = anyGlobMatcher(floorBranches);
    const outside = (effective.scope.base_branches ?? ["(any branch)"]).filter((pattern) => !floorBranches.includes(pattern) && !(isLiteralBranch(pattern) && within(pattern)));
    check(
      "scope.base_branches",
      outside.length > 0,
      () => `allows ${quoted(outside)}, which is not within the organization's ${quoted(floorBranches)} (each entry must be one of the organization's patterns, or a branch name one of them matches)`,
    );
  }
  const floorProtected = floor.protected_branches ?? [];
  const unprotected = missing(floorProtected, effective.protected_branches ?? []);
  check("protected_branches", unprotected.length > 0, () => `leaves out ${quoted(unprotected)}, which the organization's policy protects`);

  const tiers = new Map(effectiveTiers(effective).map(({ tier }) => [tier.name, tierShape(tier, owner)]));
  for (const { tier } of effectiveTiers(floor)) {
    if (relaxable.has(`tiers.${tier.name}`)) continue;
    found.push(...tierWeakenings(tierShape(tier, owner), tiers.get(tier.name)));
  }
  found.push(...credentialWeakenings(floor.credentials, effective.credentials));
  return found;
}
