import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { decisionTitle } from "../../../src/evidence/check-run-output.js";
import { actorKey, sameActor } from "../../../src/policy/agent-identities.js";
import { commitParticipants, NO_PEOPLE_FACTS, type PeopleFacts } from "../../../src/policy/approvals.js";
import { evaluatePullRequest, examinePullRequest, type Decision, type Requirement } from "../../../src/policy/evaluate.js";
import type { RepoPolicy } from "../../../src/policy/repo-policy.js";
import type { Actor, DelegationRecord, Permission, PullRequestFacts, ReviewFacts } from "../../../src/policy/types.js";
import {
  alice,
  bob,
  carol,
  claudeBot,
  commit,
  cursorBot,
  dave,
  delegation,
  dependabot,
  erin,
  HEAD,
  HOUR,
  NOW,
  OLD,
  policyFrom,
  pullRequest,
  renovate,
  review,
} from "./builders.js";

// Invariants of the policy engine over generated pull requests, policies and reviews. Generators draw
// from small pools (a few people, files, globs and branches) so that matches are frequent and every
// run is cheap; each policy is compiled from a YAML-shaped object, so the schema is exercised too.

const RUNS = { numRuns: 200 };

const HUMANS = [alice, bob, carol, dave, erin] as const;
const TEAMS = ["acme/reviewers", "acme/platform"] as const;
const FILES = ["src/a.ts", "src/auth/login.ts", "docs/guide.md", "infra/deploy.sh", "package.json", ".github/workflows/ci.yml", ".github/countersign.yml", "secrets/prod.enc"];
const GLOBS = ["src/**", "src/auth/**", "docs/**", "infra/**", "**/*.md", "secrets/**", ".github/**"];
const BRANCH_PATTERNS = ["main", "release/*", "develop"];
const LABELS = ["security", "docs", "hotfix"];

interface TierConfig {
  name: string;
  when: { paths?: string[]; base_branches?: string[]; labels?: string[] };
  require: { approvals?: number; approver_teams?: string[]; max_delegation_expiry?: string; agents_forbidden?: boolean };
}

/** The YAML shape of a policy, as a repository would write it. */
interface PolicyConfig {
  mode?: "enforce" | "evaluate";
  agents: { all_apps_are_agents: boolean };
  delegation: { required: boolean; implicit_owner: boolean };
  approvals: { required: number; approvers: { min_permission: Permission; teams: string[] }; exclude?: { delegator: boolean; pr_author: boolean; commit_authors: boolean } };
  tiers: TierConfig[];
  scope: { enforce_paths: boolean; base_branches?: string[] };
}

/** Everything about one pull request and its surroundings, as plain generated data. */
interface Scenario {
  policy: PolicyConfig;
  author: Actor;
  commits: Array<{ author: Actor; coAuthors: Actor[]; trailer: boolean; old: boolean }>;
  files: string[];
  labels: string[];
  baseRef: string;
  reviews: Array<{ reviewer: Actor; state: ReviewFacts["state"]; old: boolean }>;
  delegation: { owner: Actor; scopePaths: string[]; scopeBranches: string[]; lifetimeHours: number | null; status: DelegationRecord["status"] } | null;
  /** Per person in HUMANS: their permission, if looked up. */
  permissions: Array<Permission | undefined>;
  /** Per team in TEAMS, per person in HUMANS: member or not, if looked up. */
  memberships: Array<Array<boolean | undefined>>;
}

const tierArb: fc.Arbitrary<Omit<TierConfig, "name">> = fc.record({
  when: fc
    .record(
      {
        paths: fc.subarray(GLOBS, { minLength: 1, maxLength: 2 }),
        base_branches: fc.subarray(BRANCH_PATTERNS, { minLength: 1 }),
        labels: fc.subarray(LABELS, { minLength: 1 }),
      },
      { requiredKeys: [] },
    )
    .map((when) => (Object.keys(when).length > 0 ? when : { paths: ["src/**"] })),
  require: fc.record(
    {
      approvals: fc.integer({ min: 1, max: 4 }),
      approver_teams: fc.constantFrom(["platform"], ["reviewers", "platform"]),
      max_delegation_expiry: fc.constantFrom("1d", "7d"),
      agents_forbidden: fc.constantFrom(false, false, true),
    },
    { requiredKeys: [] },
  ),
});

/** Up to three tiers; the first may take the built-in tier's name and so replace it. */
const tiersArb: fc.Arbitrary<TierConfig[]> = fc
  .tuple(fc.array(tierArb, { maxLength: 3 }), fc.boolean())
  .map(([tiers, replaceBuiltIn]) => tiers.map((tier, index) => ({ name: replaceBuiltIn && index === 0 ? "sensitive" : `t${index}`, ...tier })));

/** A policy; `exclusions` says whether the approvals.exclude settings vary or keep their defaults. */
function policyArb(options: { exclusions: boolean; mode: boolean }): fc.Arbitrary<PolicyConfig> {
  return fc.record({
    ...(options.mode ? { mode: fc.constantFrom("enforce" as const, "evaluate" as const) } : {}),
    agents: fc.record({ all_apps_are_agents: fc.boolean() }),
    delegation: fc.record({ required: fc.boolean(), implicit_owner: fc.boolean() }),
    approvals: fc.record({
      required: fc.integer({ min: 1, max: 3 }),
      approvers: fc.record({ min_permission: fc.constantFrom<Permission>("read", "write", "maintain"), teams: fc.constantFrom([], ["reviewers"]) }),
      ...(options.exclusions ? { exclude: fc.record({ delegator: fc.boolean(), pr_author: fc.boolean(), commit_authors: fc.boolean() }) } : {}),
    }),
    tiers: tiersArb,
    scope: fc.record({ enforce_paths: fc.boolean(), base_branches: fc.subarray(BRANCH_PATTERNS, { minLength: 1 }) }, { requiredKeys: ["enforce_paths"] }),
  });
}

function scenarioArb(policy: fc.Arbitrary<PolicyConfig>): fc.Arbitrary<Scenario> {
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  return fc.record({
    policy,
    author: fc.constantFrom(claudeBot, cursorBot, alice, carol, renovate),
    commits: fc.array(
      fc.record({
        author: fc.constantFrom(claudeBot, alice, carol, dave, renovate),
        coAuthors: fc.subarray([erin, dave, claudeBot], { maxLength: 2 }),
        trailer: fc.boolean(),
        old: fc.boolean(),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    files: fc.subarray(FILES, { minLength: 1, maxLength: 4 }),
    labels: fc.subarray(LABELS),
    baseRef: fc.constantFrom("main", "develop", "release/1.0"),
    reviews: fc.array(
      fc.record({
        reviewer: fc.constantFrom(...HUMANS, claudeBot, dependabot),
        state: fc.constantFrom<ReviewFacts["state"]>("APPROVED", "APPROVED", "APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"),
        old: fc.constantFrom(false, false, true),
      }),
      { maxLength: 4 },
    ),
    delegation: fc.option(
      fc.record({
        owner: fc.constantFrom(alice, bob, dave),
        scopePaths: fc.subarray(["src/**", "docs/**", "infra/**"], { maxLength: 2 }),
        scopeBranches: fc.subarray(["main", "release/*"]),
        lifetimeHours: fc.constantFrom(null, 12, 72, 240),
        status: fc.constantFrom<DelegationRecord["status"]>("active", "active", "active", "expired", "revoked"),
      }),
      { nil: null },
    ),
    permissions: fc.array(maybe(fc.constantFrom<Permission>("write", "write", "admin", "maintain", "read", "none")), { minLength: HUMANS.length, maxLength: HUMANS.length }),
    memberships: fc.array(fc.array(maybe(fc.boolean()), { minLength: HUMANS.length, maxLength: HUMANS.length }), { minLength: TEAMS.length, maxLength: TEAMS.length }),
  });
}

interface Built {
  pr: PullRequestFacts;
  delegations: DelegationRecord[];
  people: PeopleFacts;
}

/** Turns generated data into the engine's input facts. */
function build(scenario: Scenario): Built {
  const commits = scenario.commits.map((spec, index) =>
    commit(spec.author, {
      sha: spec.old ? `${OLD.slice(0, 39)}${index}` : HEAD,
      coAuthors: spec.coAuthors,
      message: spec.trailer ? "Change\n\nCo-Authored-By: Claude <noreply@anthropic.com>" : "Change",
    }),
  );
  const reviews = scenario.reviews.map((spec) => review(spec.reviewer, spec.state, spec.old ? OLD : HEAD));
  const pr = pullRequest({ author: scenario.author, commits, files: scenario.files, labels: scenario.labels, baseRef: scenario.baseRef, reviews });

  const delegations: DelegationRecord[] = [];
  if (scenario.delegation) {
    const spec = scenario.delegation;
    const createdAt = new Date(NOW.getTime() - HOUR);
    delegations.push(
      delegation({
        owner: { id: spec.owner.id as number, login: spec.owner.login },
        scopePaths: spec.scopePaths,
        scopeBranches: spec.scopeBranches,
        createdAt,
        status: spec.status,
        expiresAt: spec.status === "expired" ? new Date(NOW.getTime() - 60_000) : spec.lifetimeHours === null ? null : new Date(createdAt.getTime() + spec.lifetimeHours * HOUR),
        revokedAt: spec.status === "revoked" ? new Date(NOW.getTime() - 60_000) : null,
        revokedByLogin: spec.status === "revoked" ? spec.owner.login : null,
      }),
    );
  }

  const permissions = new Map<string, Permission>();
  HUMANS.forEach((human, index) => {
    const permission = scenario.permissions[index];
    if (permission !== undefined) permissions.set(actorKey(human), permission);
  });
  const memberships = new Map<string, Map<string, boolean>>();
  TEAMS.forEach((team, teamIndex) => {
    const members = new Map<string, boolean>();
    HUMANS.forEach((human, index) => {
      const member = scenario.memberships[teamIndex]?.[index];
      if (member !== undefined) members.set(actorKey(human), member);
    });
    memberships.set(team, members);
  });
  return { pr, delegations, people: { permissions, memberships } };
}

function decide(built: Built, policy: RepoPolicy): Decision {
  return evaluatePullRequest({ pr: built.pr, policy, delegations: built.delegations, people: built.people, now: NOW });
}

/** The people facts with `actor` given every permission and team membership: nothing but an exclusion can stop their approval. */
function fullStanding(people: PeopleFacts, actor: Actor): PeopleFacts {
  const permissions = new Map(people.permissions);
  permissions.set(actorKey(actor), "admin");
  const memberships = new Map([...people.memberships].map(([team, members]) => [team, new Map([...members, [actorKey(actor), true]])]));
  return { permissions, memberships };
}

/** Unmet requirements, told apart by kind (and team, for team approvals). */
function unmet(decision: Decision, leaveOut: ReadonlySet<Requirement["kind"]> = new Set()): string[] {
  return decision.requirements.filter((requirement) => !requirement.met && !leaveOut.has(requirement.kind)).map((requirement) => (requirement.kind === "team-approval" ? `team-approval:${requirement.team}` : requirement.kind));
}

describe("invariant 1: with the default exclusions, an excluded person's approval changes nothing", () => {
  test("an APPROVED head review by the delegator, the PR author, a commit participant, a bot or an agent never turns a block into success", () => {
    fc.assert(
      fc.property(scenarioArb(policyArb({ exclusions: false, mode: true })), fc.nat(), (scenario, pick) => {
        const built = build(scenario);
        const policy = policyFrom(scenario.policy);
        expect(policy.approvals.exclude).toEqual({ delegator: true, prAuthor: true, commitAuthors: true });
        const before = decide(built, policy);

        const owner = before.owner && before.owner.kind !== "missing" ? [{ ...before.owner.owner, kind: "user" as const }] : [];
        const excluded: Actor[] = [...owner, built.pr.author, ...commitParticipants(built.pr).map((participant) => participant.actor), dependabot, renovate, claudeBot, cursorBot];
        const reviewer = excluded[pick % excluded.length] as Actor;
        const after = decide({ ...built, pr: { ...built.pr, reviews: [...built.pr.reviews, review(reviewer, "APPROVED", HEAD)] }, people: fullStanding(built.people, reviewer) }, policy);

        expect(after.countedApprovals).toBe(before.countedApprovals);
        expect(after.approvals.some((verdict) => verdict.counted && sameActor(verdict.reviewer, reviewer))).toBe(false);
        if (before.enforcedConclusion !== "success") expect(after.enforcedConclusion).not.toBe("success");
        expect(after.outcome).toBe(before.outcome);
      }),
      RUNS,
    );
  });
});

/** F ∪ G, keeping F's order. */
function union(files: readonly string[], more: readonly string[]): string[] {
  return [...files, ...more.filter((file) => !files.includes(file))];
}

describe("invariant 2: adding files to a pull request can only raise its requirements", () => {
  test("tiers(F) ⊆ tiers(F ∪ G), requiredApprovals(F ∪ G) ≥ requiredApprovals(F), and what was unmet stays unmet", () => {
    fc.assert(
      fc.property(scenarioArb(policyArb({ exclusions: true, mode: true })), fc.subarray(FILES, { minLength: 1 }), (scenario, extra) => {
        const built = build(scenario);
        const policy = policyFrom(scenario.policy);
        const before = decide(built, policy);
        const after = decide({ ...built, pr: { ...built.pr, files: union(built.pr.files, extra) } }, policy);

        for (const tier of before.tiers) {
          const grown = after.tiers.find((candidate) => candidate.name === tier.name);
          expect(grown).toBeDefined();
          expect(grown?.files).toEqual(expect.arrayContaining(tier.files));
        }
        expect(after.requiredApprovals).toBeGreaterThanOrEqual(before.requiredApprovals);
        expect(unmet(after, new Set())).toEqual(expect.arrayContaining(unmet(before, new Set())));
      }),
      RUNS,
    );
  });

  // The expiry limit of several applying tiers is the shortest: adding a file that brings in a tier
  // with a longer limit must not loosen a shorter one. The first example is the case that once did.
  test("a success never appears where there was none", () => {
    const counterexample: [Scenario, string[]] = [
      {
        policy: {
          agents: { all_apps_are_agents: false },
          delegation: { required: true, implicit_owner: true },
          approvals: { required: 1, approvers: { min_permission: "write", teams: [] } },
          tiers: [
            { name: "t0", when: { base_branches: ["main"] }, require: { max_delegation_expiry: "1d" } },
            { name: "t1", when: { paths: ["infra/**"] }, require: { max_delegation_expiry: "7d" } },
          ],
          scope: { enforce_paths: true },
        },
        author: claudeBot,
        commits: [{ author: claudeBot, coAuthors: [], trailer: false, old: false }],
        files: ["src/a.ts"],
        labels: [],
        baseRef: "main",
        reviews: [{ reviewer: bob, state: "APPROVED", old: false }],
        delegation: { owner: alice, scopePaths: [], scopeBranches: [], lifetimeHours: 72, status: "active" },
        permissions: ["write", "write", "write", "write", "write"],
        memberships: [[], []],
      },
      ["infra/deploy.sh"],
    ];
    fc.assert(
      fc.property(scenarioArb(policyArb({ exclusions: true, mode: true })), fc.subarray(FILES, { minLength: 1 }), (scenario, extra) => {
        const built = build(scenario);
        const policy = policyFrom(scenario.policy);
        const before = decide(built, policy);
        const after = decide({ ...built, pr: { ...built.pr, files: union(built.pr.files, extra) } }, policy);
        if (before.enforcedConclusion !== "success") expect(after.enforcedConclusion).not.toBe("success");
      }),
      { ...RUNS, examples: [counterexample] },
    );
  });
});

describe("invariant 3: mode evaluate never blocks, and never passes what enforce would block", () => {
  test("evaluate concludes success or neutral, success exactly when enforce does, keeping enforce's conclusion and outcome", () => {
    fc.assert(
      fc.property(scenarioArb(policyArb({ exclusions: true, mode: false })), (scenario) => {
        const built = build(scenario);
        const enforce = decide(built, policyFrom({ ...scenario.policy, mode: "enforce" }));
        const dryRun = decide(built, policyFrom({ ...scenario.policy, mode: "evaluate" }));

        expect(["success", "neutral"]).toContain(dryRun.conclusion);
        expect(dryRun.conclusion === "success").toBe(enforce.conclusion === "success");
        expect(dryRun.enforcedConclusion).toBe(enforce.conclusion);
        expect(dryRun.outcome).toBe(enforce.outcome);
        expect(decisionTitle(dryRun)).toBe(enforce.conclusion === "success" ? decisionTitle(enforce) : `Would block: ${decisionTitle(enforce)}`);
      }),
      RUNS,
    );
  });
});

describe("invariant 4: examining a pull request once and deciding twice is deciding from scratch", () => {
  test("evaluatePullRequest(input, examinePullRequest(pr, policy)) equals evaluatePullRequest(input), knowing nobody and knowing the people", () => {
    fc.assert(
      fc.property(scenarioArb(policyArb({ exclusions: true, mode: true })), (scenario) => {
        const built = build(scenario);
        const policy = policyFrom(scenario.policy);
        const examined = examinePullRequest(built.pr, policy);
        const input = { pr: built.pr, policy, delegations: built.delegations, now: NOW };
        expect(evaluatePullRequest({ ...input, people: NO_PEOPLE_FACTS }, examined)).toEqual(evaluatePullRequest({ ...input, people: NO_PEOPLE_FACTS }));
        expect(evaluatePullRequest({ ...input, people: built.people }, examined)).toEqual(decide(built, policy));
      }),
      RUNS,
    );
  });
});
