import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { compilePolicyLayers, type PolicyLoadResult } from "../../../src/config/repo-policy-loader.js";
import { actorKey } from "../../../src/policy/agent-identities.js";
import type { PeopleFacts } from "../../../src/policy/approvals.js";
import { delegationLifetime, delegatorRefusal, taskRefusal } from "../../../src/policy/delegation-rules.js";
import { evaluatePullRequest, type Decision } from "../../../src/policy/evaluate.js";
import type { RepoPolicy } from "../../../src/policy/repo-policy.js";
import type { Actor, Permission, TaskRef } from "../../../src/policy/types.js";
import { isProtectedBranch } from "../../../src/services/flag-direct-push.js";
import { alice, bob, carol, claudeBot, commit, dave, delegation, dependabot, HEAD, HOUR, NOW, OLD, pullRequest, renovate, review } from "../policy/builders.js";

// The floor, as a property: for generated organization files and repository files, whatever the
// repository's file says, the policy that applies is never weaker than the organization's alone.
// "Weaker" is judged by what the policy decides, not by its keys: every pull request the
// organization's policy blocks stays blocked, every /delegate it refuses stays refused, every
// delegation it limits stays as limited, every branch it protects stays protected. A repository file
// that would weaken it is refused, each problem naming the organization's file.

const RUNS = { numRuns: 500 };
const OWNER = "acme";
const ORG = "acme/.github:.github/countersign.yml";
const REPO = "acme/widgets:.github/countersign.yml@main";

const PERMISSIONS: Permission[] = ["read", "triage", "write", "maintain", "admin"];
const TEAMS = ["reviewers", "platform"];
const PEOPLE = [alice, bob, carol, dave] as const;
const FILES = ["src/a.ts", "src/auth/login.ts", "docs/guide.md", "infra/main.tf", "package.json", ".github/workflows/ci.yml", "compose.yaml"];
const GLOBS = ["src/**", "src/auth/**", "docs/**", "infra/**", "**/*.md"];
const BRANCHES = ["main", "release/*", "develop", "release/1.0"];
const LABELS = ["security", "docs"];
const DURATIONS = ["12h", "1d", "7d", "30d"];
const IDENTITIES = [
  { name: "Org bot", logins: ["org-bot[bot]"] },
  { name: "Renovate as agent", ids: [renovate.id as number], logins: ["renovate[bot]"] },
];

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Drops the keys whose value is undefined: a generated file says only what it sets. */
function compact(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, child]) => child !== undefined)
      .map(([key, child]) => [key, typeof child === "object" && child !== null && !Array.isArray(child) ? compact(child as Record<string, unknown>) : child]),
  );
}

const tierArb = fc.record({
  name: fc.constantFrom("sensitive", "infra", "docs"),
  enabled: fc.constantFrom(true, true, true, false),
  // Mostly paths alone, so that tiers apply often enough for their requirements to matter.
  when: fc
    .record({
      paths: fc.option(fc.subarray(GLOBS, { minLength: 1, maxLength: 3 }), { nil: undefined, freq: 5 }),
      base_branches: fc.option(fc.subarray(BRANCHES, { minLength: 1 }), { nil: undefined, freq: 1 }),
      labels: fc.option(fc.subarray(LABELS, { minLength: 1 }), { nil: undefined, freq: 1 }),
    })
    .map((when) => compact(when))
    .map((when) => (when.paths || when.base_branches || when.labels ? when : { paths: ["src/**"] })),
  require: fc.record({
    approvals: optional(fc.integer({ min: 1, max: 4 })),
    approver_teams: optional(fc.subarray(TEAMS, { minLength: 1 })),
    max_delegation_expiry: optional(fc.constantFrom(...DURATIONS)),
    agents_forbidden: optional(fc.boolean()),
  }),
});

/** A policy file as an organization or a repository might write it: any key may be left out. */
const fileArb = fc
  .record({
    mode: optional(fc.constantFrom("enforce", "evaluate")),
    agents: optional(fc.record({ all_apps_are_agents: optional(fc.boolean()), identities: optional(fc.subarray(IDENTITIES)) })),
    delegation: optional(
      fc.record({
        required: optional(fc.boolean()),
        implicit_owner: optional(fc.boolean()),
        delegators: optional(fc.record({ min_permission: optional(fc.constantFrom(...PERMISSIONS)), teams: optional(fc.subarray(TEAMS)), users: optional(fc.subarray(["alice", "bob", "carol"])) })),
        task: optional(fc.record({ required: optional(fc.boolean()), forms: optional(fc.subarray(["issue", "url", "ticket"] as const, { minLength: 1 })), ticket_pattern: optional(fc.constantFrom("^SEC-\\d+$", "^[A-Z]+-\\d+$")) })),
        default_expiry: optional(fc.constantFrom(...DURATIONS)),
        max_expiry: optional(fc.constantFrom(...DURATIONS)),
      }),
    ),
    approvals: optional(
      fc.record({
        required: optional(fc.integer({ min: 1, max: 3 })),
        approvers: optional(fc.record({ min_permission: optional(fc.constantFrom<Permission>("read", "write", "maintain")), teams: optional(fc.subarray(TEAMS)) })),
        exclude: optional(fc.record({ delegator: optional(fc.boolean()), pr_author: optional(fc.boolean()), commit_authors: optional(fc.boolean()) })),
      }),
    ),
    tiers: optional(fc.uniqueArray(tierArb, { maxLength: 3, selector: (tier) => tier.name })),
    scope: optional(fc.record({ enforce_paths: optional(fc.boolean()), base_branches: optional(fc.subarray(BRANCHES, { minLength: 1 })) })),
    protected_branches: optional(fc.subarray(["main", "release/*", "trunk"], { minLength: 1 })),
  })
  .map((file) => compact(file));

/** A repository file that starts from the organization's and moves some keys the stricter way. */
function tightenedArb(org: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({ approvals: fc.integer({ min: 0, max: 2 }), enforce: fc.boolean(), forbid: fc.boolean(), extraTier: fc.boolean() }).map(({ approvals, enforce, forbid, extraTier }) => {
    const copy = structuredClone(org) as Record<string, any>;
    const required = (copy.approvals?.required as number | undefined) ?? 1;
    copy.approvals = { ...(copy.approvals ?? {}), required: Math.min(10, required + approvals) };
    if (enforce) copy.mode = "enforce";
    if (forbid) copy.delegation = { ...(copy.delegation ?? {}), implicit_owner: false };
    if (extraTier) copy.tiers = [...((copy.tiers as unknown[]) ?? []), { name: "repo-extra", when: { paths: ["src/**"] }, require: { approvals: 2 } }];
    return copy;
  });
}

/** One key of a policy file and the values it may take: what a mutation sets. */
const KEY_VALUES: Array<[string[], fc.Arbitrary<unknown>]> = [
  [["mode"], fc.constantFrom("enforce", "evaluate")],
  [["agents", "all_apps_are_agents"], fc.boolean()],
  [["agents", "identities"], fc.subarray(IDENTITIES)],
  [["delegation", "required"], fc.boolean()],
  [["delegation", "implicit_owner"], fc.boolean()],
  [["delegation", "delegators", "min_permission"], fc.constantFrom(...PERMISSIONS)],
  [["delegation", "delegators", "teams"], fc.subarray(TEAMS)],
  [["delegation", "delegators", "users"], fc.subarray(["alice", "bob", "carol"])],
  [["delegation", "task", "required"], fc.boolean()],
  [["delegation", "task", "forms"], fc.subarray(["issue", "url", "ticket"], { minLength: 1 })],
  [["delegation", "task", "ticket_pattern"], fc.constantFrom("^SEC-\\d+$", "^[A-Z]+-\\d+$")],
  [["delegation", "default_expiry"], fc.constantFrom(...DURATIONS)],
  [["delegation", "max_expiry"], fc.constantFrom(...DURATIONS)],
  [["approvals", "required"], fc.integer({ min: 1, max: 3 })],
  [["approvals", "approvers", "min_permission"], fc.constantFrom<Permission>("read", "write", "maintain")],
  [["approvals", "approvers", "teams"], fc.subarray(TEAMS)],
  [["approvals", "exclude", "delegator"], fc.boolean()],
  [["approvals", "exclude", "pr_author"], fc.boolean()],
  [["approvals", "exclude", "commit_authors"], fc.boolean()],
  [["tiers"], tierArb],
  [["tiers"], tierArb],
  [["tiers"], tierArb],
  [["tiers"], fc.constantFrom("sensitive", "infra", "docs").map((name) => ({ name, enabled: false }))],
  [["scope", "enforce_paths"], fc.boolean()],
  [["scope", "base_branches"], fc.subarray(BRANCHES, { minLength: 1 })],
  [["protected_branches"], fc.subarray(["main", "release/*", "trunk"], { minLength: 1 })],
];

/**
 * A repository file that is the organization's with one or two keys changed, either way: each floor
 * rule then decides alone whether the file is accepted (a file differing in many keys is almost
 * always refused for one of them). A tier replaces the organization's tier of its name.
 */
function mutatedArb(org: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const change = fc.oneof(...KEY_VALUES.map(([path, values]) => values.map((value) => ({ path, value }))));
  return fc.array(change, { minLength: 1, maxLength: 2 }).map((changes) => {
    const copy = structuredClone(org) as Record<string, any>;
    for (const { path, value } of changes) {
      if (path[0] === "tiers") {
        const name = (value as { name: string }).name;
        copy.tiers = [...((copy.tiers as Array<{ name: string }>) ?? []).filter((tier) => tier.name !== name), value];
        continue;
      }
      let target = copy;
      for (const key of path.slice(0, -1)) target = target[key] = { ...(target[key] ?? {}) };
      target[path.at(-1) as string] = value;
    }
    return copy;
  });
}

/** The organization's tiers as its policy applies them (the built-in one included), as files write them. */
function tiersOf(policy: RepoPolicy): Array<Record<string, any>> {
  return policy.tiers.map((tier) =>
    compact({
      name: tier.name,
      when: { paths: tier.when.paths, base_branches: tier.when.baseBranches, labels: tier.when.labels },
      require: {
        approvals: tier.require.approvals,
        approver_teams: tier.require.approverTeams?.map((team) => `${team.org}/${team.slug}`),
        max_delegation_expiry: tier.require.maxDelegationExpiryMs === undefined ? undefined : `${tier.require.maxDelegationExpiryMs / HOUR}h`,
        agents_forbidden: tier.require.agentsForbidden,
      },
    }),
  );
}

/** A repository file that is the organization's with one of its tiers changed in one place, either way. */
function tierTweakedArb(org: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const floor = floorOf(org);
  const tiers = floor.ok ? tiersOf(floor.policy) : [];
  if (tiers.length === 0) return fc.constant(structuredClone(org));
  const tweaks: Array<fc.Arbitrary<(tier: Record<string, any>) => void>> = [
    optional(fc.integer({ min: 1, max: 4 })).map((value) => (tier) => void (tier.require.approvals = value)),
    optional(fc.subarray(TEAMS.map((team) => `${OWNER}/${team}`), { minLength: 1 })).map((value) => (tier) => void (tier.require.approver_teams = value)),
    optional(fc.constantFrom(...DURATIONS)).map((value) => (tier) => void (tier.require.max_delegation_expiry = value)),
    optional(fc.boolean()).map((value) => (tier) => void (tier.require.agents_forbidden = value)),
    fc.subarray(GLOBS, { minLength: 1 }).map((value) => (tier) => void (tier.when = { ...tier.when, paths: [...(tier.when.paths ?? []).slice(1), ...value] })),
    fc.constantFrom("paths", "base_branches", "labels").map((key) => (tier) => void (Object.keys(tier.when).length > 1 ? delete tier.when[key] : undefined)),
    fc.subarray(LABELS, { minLength: 1 }).map((value) => (tier) => void (tier.when = { ...tier.when, labels: value })),
  ];
  return fc.tuple(fc.nat({ max: tiers.length - 1 }), fc.oneof(...tweaks)).map(([index, tweak]) => {
    const tier = structuredClone(tiers[index]) as Record<string, any>;
    tweak(tier);
    tier.require = compact(tier.require);
    const copy = structuredClone(org) as Record<string, any>;
    copy.tiers = [...((copy.tiers as Array<{ name: string }>) ?? []).filter((entry) => entry.name !== tier.name), tier];
    return copy;
  });
}

/** What a decision depends on besides the policy, as plain generated data. */
interface Scenario {
  author: Actor;
  coAuthor: Actor | null;
  files: string[];
  labels: string[];
  baseRef: string;
  reviews: Array<{ reviewer: Actor; old: boolean }>;
  delegation: { scopePaths: string[]; scopeBranches: string[]; lifetimeHours: number | null } | null;
  permissions: Permission[];
  memberships: boolean[][];
}

// Biased towards pull requests that can pass (approved by several people with standing, delegated):
// a weakened policy shows only where the organization's blocks and the weakened one would not.
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  author: fc.constantFrom(claudeBot, claudeBot, alice, carol, renovate),
  coAuthor: fc.constantFrom(null, null, claudeBot, dave),
  files: fc.subarray(FILES, { minLength: 1, maxLength: 3 }),
  labels: fc.subarray(LABELS),
  baseRef: fc.constantFrom<string>("main", "main", "develop", "release/1.0", "release/2.0"),
  reviews: fc.oneof<Array<fc.Arbitrary<Scenario["reviews"]>>>(
    fc.subarray([...PEOPLE], { minLength: 2 }).map((reviewers) => reviewers.map((reviewer) => ({ reviewer, old: false }))),
    fc.array(fc.record({ reviewer: fc.constantFrom(...PEOPLE, dependabot), old: fc.constantFrom(false, false, true) }), { maxLength: 4 }),
  ),
  delegation: fc.oneof(
    fc.record({ scopePaths: fc.constant<string[]>([]), scopeBranches: fc.constant<string[]>([]), lifetimeHours: fc.constantFrom<number | null>(null, 6) }),
    fc.record({ scopePaths: fc.subarray(["src/**", "docs/**"]), scopeBranches: fc.subarray(["main", "release/*"]), lifetimeHours: fc.constantFrom<number | null>(null, 6, 48, 400) }),
    fc.constant<Scenario["delegation"]>(null),
  ),
  permissions: fc.array(fc.constantFrom<Permission>("admin", "admin", "maintain", "write", "read", "triage"), { minLength: PEOPLE.length, maxLength: PEOPLE.length }),
  memberships: fc.array(fc.array(fc.constantFrom(true, true, false), { minLength: PEOPLE.length, maxLength: PEOPLE.length }), { minLength: TEAMS.length, maxLength: TEAMS.length }),
});

function decide(policy: RepoPolicy, scenario: Scenario): Decision {
  const pr = pullRequest({
    author: scenario.author,
    commits: [commit(scenario.author, { coAuthors: scenario.coAuthor ? [scenario.coAuthor] : [] })],
    files: scenario.files,
    labels: scenario.labels,
    baseRef: scenario.baseRef,
    reviews: scenario.reviews.map((spec) => review(spec.reviewer, "APPROVED", spec.old ? OLD : HEAD)),
  });
  const delegations = scenario.delegation
    ? [
        delegation({
          owner: { id: bob.id as number, login: bob.login },
          scopePaths: scenario.delegation.scopePaths,
          scopeBranches: scenario.delegation.scopeBranches,
          expiresAt: scenario.delegation.lifetimeHours === null ? null : new Date(NOW.getTime() - HOUR + scenario.delegation.lifetimeHours * HOUR),
        }),
      ]
    : [];
  const people: PeopleFacts = {
    permissions: new Map(PEOPLE.map((person, index) => [actorKey(person), scenario.permissions[index] as Permission])),
    memberships: new Map(TEAMS.map((team, teamIndex) => [`${OWNER}/${team}`, new Map(PEOPLE.map((person, index) => [actorKey(person), scenario.memberships[teamIndex]?.[index] === true]))])),
  };
  return evaluatePullRequest({ pr, policy, delegations, people, now: NOW });
}

const blocks = (decision: Decision) => decision.conclusion === "action_required" || decision.conclusion === "failure";

/** The policy of the organization's files alone (every repository without a file of its own has it). */
function floorOf(org: Record<string, unknown>): PolicyLoadResult {
  return compilePolicyLayers({ organization: [{ source: ORG, content: org }], repository: [] }, OWNER);
}

function underFloor(org: Record<string, unknown>, repo: Record<string, unknown>): PolicyLoadResult {
  return compilePolicyLayers({ organization: [{ source: ORG, content: org }], repository: [{ source: REPO, content: repo }] }, OWNER);
}

/** Asserts that `effective` decides every case at least as strictly as `floor`. */
function expectNoWeaker(floor: RepoPolicy, effective: RepoPolicy, scenarios: Scenario[], tasks: TaskRef[], delegator: { login: string; permission: Permission; teams: boolean[] }, requested: number | null): void {
  expect(effective.mode === "enforce" || floor.mode === "evaluate").toBe(true);
  for (const scenario of scenarios) {
    const before = decide(floor, scenario);
    const after = decide(effective, scenario);
    if (before.enforcedConclusion !== "success") expect(after.enforcedConclusion).not.toBe("success");
    if (blocks(before)) expect(blocks(after)).toBe(true);
    expect(after.requiredApprovals).toBeGreaterThanOrEqual(before.requiredApprovals);
    if (before.detection.involvement === "none") continue;
    // What the organization's policy asks of this pull request, the applying policy asks too.
    expect(after.tiers.map((tier) => tier.name)).toEqual(expect.arrayContaining(before.tiers.map((tier) => tier.name)));
    const asked = (decision: Decision) => decision.requirements.map((requirement) => (requirement.kind === "team-approval" ? `team:${requirement.team}` : requirement.kind));
    const notAsked = asked(before).filter((kind) => kind !== "owner" && !asked(after).includes(kind));
    expect(notAsked).toEqual([]);
    const unmetNow = (decision: Decision, kind: string) => decision.requirements.some((requirement) => requirement.kind === kind && !requirement.met);
    if (unmetNow(before, "agents-allowed")) expect(unmetNow(after, "agents-allowed")).toBe(true);
    const expiry = (decision: Decision) => decision.requirements.find((requirement) => requirement.kind === "delegation-expiry");
    const [expiryBefore, expiryAfter] = [expiry(before), expiry(after)];
    if (expiryBefore?.kind === "delegation-expiry") expect(expiryAfter?.kind === "delegation-expiry" && expiryAfter.maxMs <= expiryBefore.maxMs).toBe(true);
  }
  const memberships = new Map(TEAMS.map((team, index) => [`${OWNER}/${team}`, delegator.teams[index] === true]));
  if (delegatorRefusal({ login: delegator.login, permission: delegator.permission, memberships }, floor) !== null) {
    expect(delegatorRefusal({ login: delegator.login, permission: delegator.permission, memberships }, effective)).not.toBeNull();
  }
  for (const task of tasks) if (taskRefusal(task, floor) !== null) expect(taskRefusal(task, effective)).not.toBeNull();
  const duration = requested === null ? null : { text: `${requested}h`, milliseconds: requested * HOUR };
  const lifetimes = { floor: delegationLifetime(duration, floor), effective: delegationLifetime(duration, effective) };
  if (!lifetimes.floor.ok) expect(lifetimes.effective.ok).toBe(false);
  if (lifetimes.floor.ok && lifetimes.effective.ok && lifetimes.floor.milliseconds !== null) expect(lifetimes.effective.milliseconds ?? Infinity).toBeLessThanOrEqual(lifetimes.floor.milliseconds);
  for (const branch of ["main", "release/1.0", "trunk", "feature/x"]) {
    if (isProtectedBranch(branch, "main", floor.protectedBranches, floor.protectsDefaultBranch)) expect(isProtectedBranch(branch, "main", effective.protectedBranches, effective.protectsDefaultBranch)).toBe(true);
  }
}

/** Every kind of task reference a /delegate command can give. */
const TASKS: TaskRef[] = [
  { kind: "none", ref: "", url: null },
  { kind: "issue", ref: "#12", url: null },
  { kind: "url", ref: "https://tracker.example/T-1", url: "https://tracker.example/T-1" },
  { kind: "ticket", ref: "SEC-1", url: null },
  { kind: "ticket", ref: "OPS-2", url: null },
];
const taskArb = fc.constant(TASKS);
const delegatorArb = fc.record({ login: fc.constantFrom("alice", "bob", "erin"), permission: fc.constantFrom(...PERMISSIONS), teams: fc.array(fc.boolean(), { minLength: TEAMS.length, maxLength: TEAMS.length }) });
const requestedArb = fc.constantFrom(null, 6, 24, 200, 1000);

describe("the organization's policy is a floor", () => {
  test("for random organization and repository files, the applying policy is never weaker than the organization's, or the repository's file is refused", () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fileArb.chain((org) => fc.tuple(fc.constant(org), fc.oneof(fileArb, tightenedArb(org), fc.constant(structuredClone(org)), mutatedArb(org), mutatedArb(org), mutatedArb(org), tierTweakedArb(org), tierTweakedArb(org)))),
        fc.array(scenarioArb, { minLength: 10, maxLength: 10 }),
        taskArb,
        delegatorArb,
        requestedArb,
        ([org, repo], scenarios, tasks, delegator, requested) => {
          const floor = floorOf(org);
          fc.pre(floor.ok && compilePolicyLayers({ organization: [], repository: [{ source: REPO, content: repo }] }, OWNER).ok);
          if (!floor.ok) return;
          const result = underFloor(org, repo);
          if (!result.ok) {
            // Refused: each problem is a weakening naming the organization's file, or a conflict
            // only the merged files have (a default expiry longer than the merged maximum).
            for (const problem of result.problems) expect(problem.message.includes(ORG) || problem.path === "delegation.default_expiry").toBe(true);
            return;
          }
          accepted += 1;
          expectNoWeaker(floor.policy, result.policy, scenarios, tasks, delegator, requested);
        },
      ),
      RUNS,
    );
    // The generators reach both sides: many repository files are accepted, and checked.
    expect(accepted).toBeGreaterThan(RUNS.numRuns / 4);
  });

  test("a repository file that repeats the organization's is accepted and is the same policy", () => {
    fc.assert(
      fc.property(fileArb, (org) => {
        const floor = floorOf(org);
        fc.pre(floor.ok);
        const result = underFloor(org, structuredClone(org));
        expect(result.ok).toBe(true);
        expect(result.ok && floor.ok && result.policy.hash).toBe(floor.ok && floor.policy.hash);
      }),
      RUNS,
    );
  });

  test("what the organization lists in repositories_may_relax is never a problem; what it does not list keeps the floor", () => {
    const keys = ["mode", "approvals.required", "delegation.required", "approvals.exclude.pr_author", "scope.enforce_paths", "tiers.sensitive"];
    fc.assert(
      fc.property(fileArb, fileArb, fc.subarray(keys), (org, repo, relaxable) => {
        const withList = { ...org, repositories_may_relax: relaxable };
        fc.pre(floorOf(withList).ok && compilePolicyLayers({ organization: [], repository: [{ source: REPO, content: repo }] }, OWNER).ok);
        const result = underFloor(withList, repo);
        if (result.ok) return;
        for (const problem of result.problems) {
          const key = problem.path.replace(/^tiers\[\d+\].*$/, "tiers");
          expect(relaxable).not.toContain(key);
          if (problem.path.startsWith("tiers[")) {
            const index = Number(/^tiers\[(\d+)\]/.exec(problem.path)?.[1]);
            expect(relaxable).not.toContain(`tiers.${(repo.tiers as Array<{ name: string }>)[index]?.name}`);
          }
        }
      }),
      RUNS,
    );
  });
});
