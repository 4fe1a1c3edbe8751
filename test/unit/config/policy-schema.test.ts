import { describe, expect, test } from "@jest/globals";
import { policySchema } from "../../../src/config/policy.schema.js";
import { compileRepoConfig, type ConfigProblem } from "../../../src/config/repo-policy-loader.js";

const SOURCE = "acme/widgets:.github/countersign.yml";

/** The problems of a policy that must be refused, checking that each names this file. */
function problems(raw: unknown): Array<Omit<ConfigProblem, "file">> {
  const result = compileRepoConfig(raw, SOURCE);
  if (result.ok) throw new Error("expected the policy to be refused");
  expect(result.problems.every((problem) => problem.file === SOURCE)).toBe(true);
  return result.problems.map(({ path, message }) => ({ path, message }));
}

const tier = (overrides: object) => ({ tiers: [{ name: "t", when: { paths: ["src/**"] }, require: {}, ...overrides }] });

describe("the policy schema: every key the issue names is accepted", () => {
  test("a policy using every key compiles", () => {
    const full = {
      mode: "evaluate",
      agents: { identities: [{ name: "Acme agent", ids: [1], logins: ["acme[bot]"] }], trailers: [{ name: "Acme", key: "Assisted-by", pattern: "acme" }], all_apps_are_agents: true },
      delegation: {
        required: false,
        implicit_owner: false,
        delegators: { min_permission: "maintain", teams: ["leads", "platform/leads"], users: ["alice"] },
        task: { required: false, forms: ["ticket"], ticket_pattern: "^SEC-\\d+$" },
        default_expiry: "1d",
        max_expiry: "2w",
      },
      approvals: { required: 2, approvers: { min_permission: "admin", teams: ["reviewers"] }, exclude: { delegator: false, pr_author: false, commit_authors: false } },
      tiers: [
        { name: "sensitive", enabled: false, when: { paths: ["x"] }, require: {} },
        { name: "prod", when: { paths: ["infra/**"], base_branches: ["main"], labels: ["deploy"] }, require: { approvals: 3, approver_teams: ["sre"], max_delegation_expiry: "12h", agents_forbidden: false } },
      ],
      scope: { enforce_paths: false, base_branches: ["main", "release/*"] },
      protected_branches: ["main"],
    };
    const result = compileRepoConfig(full, SOURCE);
    expect(result).toMatchObject({
      ok: true,
      policy: {
        mode: "evaluate",
        allAppsAreAgents: true,
        delegation: {
          required: false,
          implicitOwner: false,
          delegators: { minPermission: "maintain", teams: [{ org: "acme", slug: "leads" }, { org: "platform", slug: "leads" }], users: ["alice"] },
          task: { required: false, forms: ["ticket"], ticketPattern: /^SEC-\d+$/ },
          defaultExpiryMs: 86_400_000,
          maxExpiryMs: 14 * 86_400_000,
        },
        approvals: { required: 2, approvers: { minPermission: "admin", teams: [{ org: "acme", slug: "reviewers" }] }, exclude: { delegator: false, prAuthor: false, commitAuthors: false } },
        tiers: [{ name: "prod", builtIn: false, when: { paths: ["infra/**"], baseBranches: ["main"], labels: ["deploy"] }, require: { approvals: 3, approverTeams: [{ org: "acme", slug: "sre" }], maxDelegationExpiryMs: 12 * 3_600_000, agentsForbidden: false } }],
        scope: { enforcePaths: false, baseBranches: ["main", "release/*"] },
        protectedBranches: ["main"],
        source: SOURCE,
      },
    });
  });

  test("a team is resolved against the repository's owner", () => {
    const result = compileRepoConfig({ approvals: { approvers: { teams: ["reviewers"] } } }, SOURCE, "globex");
    expect(result.ok && result.policy.approvals.approvers.teams).toEqual([{ org: "globex", slug: "reviewers" }]);
  });

  test("the schema fills in every default", () => {
    expect(policySchema.parse({})).toEqual({
      mode: "enforce",
      agents: { identities: [], trailers: [], all_apps_are_agents: false },
      delegation: {
        required: true,
        implicit_owner: true,
        delegators: { min_permission: "write", teams: [], users: [] },
        task: { required: true, forms: ["issue", "url", "ticket"], ticket_pattern: "^[A-Z][A-Z0-9_]+-\\d+$" },
      },
      approvals: { required: 1, approvers: { min_permission: "write", teams: [] }, exclude: { delegator: true, pr_author: true, commit_authors: true } },
      tiers: [],
      scope: { enforce_paths: true },
    });
  });
});

describe("the policy schema: unknown keys are named by their path", () => {
  test.each([
    ["top level", { dry_run: true }, "dry_run"],
    ["agents", { agents: { all_bots_are_agents: true } }, "agents.all_bots_are_agents"],
    ["delegation", { delegation: { requried: false } }, "delegation.requried"],
    ["delegation.delegators", { delegation: { delegators: { team: ["x"] } } }, "delegation.delegators.team"],
    ["delegation.task", { delegation: { task: { pattern: "x" } } }, "delegation.task.pattern"],
    ["approvals.approvers", { approvals: { approvers: { permission: "write" } } }, "approvals.approvers.permission"],
    ["approvals.exclude", { approvals: { exclude: { author: false } } }, "approvals.exclude.author"],
    ["a tier", tier({ priority: 1 }), "tiers[0].priority"],
    ["a tier's conditions", tier({ when: { paths: ["a"], branches: ["main"] } }), "tiers[0].when.branches"],
    ["a tier's requirements", tier({ require: { reviewers: 2 } }), "tiers[0].require.reviewers"],
    ["scope", { scope: { paths: ["src/**"] } }, "scope.paths"],
  ])("in %s", (_where, raw, path) => {
    expect(problems(raw)).toEqual([{ path, message: "unknown key" }]);
  });
});

describe("the policy schema: wrong types and values are named by their path", () => {
  test.each<[string, unknown, string, RegExp]>([
    ["mode", { mode: "dry-run" }, "mode", /expected one of "enforce"\|"evaluate"/],
    ["mode as a boolean", { mode: true }, "mode", /expected one of/],
    ["all_apps_are_agents", { agents: { all_apps_are_agents: "yes" } }, "agents.all_apps_are_agents", /expected boolean/],
    ["delegation.required", { delegation: { required: "no" } }, "delegation.required", /expected boolean/],
    ["a permission level", { delegation: { delegators: { min_permission: "owner" } } }, "delegation.delegators.min_permission", /expected one of "none"\|"read"\|"triage"\|"write"\|"maintain"\|"admin"/],
    ["an approver permission level", { approvals: { approvers: { min_permission: "pull" } } }, "approvals.approvers.min_permission", /expected one of/],
    ["a team", { approvals: { approvers: { teams: ["bad team"] } } }, "approvals.approvers.teams[0]", /^not a team: use slug or org\/slug$/],
    ["a delegator login", { delegation: { delegators: { users: ["@alice"] } } }, "delegation.delegators.users[0]", /^not a GitHub login$/],
    ["no task forms", { delegation: { task: { forms: [] } } }, "delegation.task.forms", />=1/],
    ["an unknown task form", { delegation: { task: { forms: ["jira"] } } }, "delegation.task.forms[0]", /expected one of "issue"\|"url"\|"ticket"/],
    ["an invalid ticket pattern", { delegation: { task: { ticket_pattern: "(" } } }, "delegation.task.ticket_pattern", /^not a valid RE2 regular expression: missing closing \)/],
    ["a lookahead ticket pattern", { delegation: { task: { ticket_pattern: "^(?=SEC)\\w+-\\d+$" } } }, "delegation.task.ticket_pattern", /lookarounds and backreferences cannot be matched in linear time/],
    ["an exclusion", { approvals: { exclude: { delegator: 0 } } }, "approvals.exclude.delegator", /expected boolean/],
    ["tiers as an object", { tiers: { sensitive: {} } }, "tiers", /expected array/],
    ["a tier's name", tier({ name: "Sensitive Tier" }), "tiers[0].name", /^lower-case letters, digits, - and _$/],
    ["a tier's enabled flag", tier({ enabled: "no" }), "tiers[0].enabled", /expected boolean/],
    ["a tier without conditions", tier({ when: {} }), "tiers[0].when", /^a tier needs at least one condition: paths, base_branches or labels$/],
    ["a tier's approvals of 0", tier({ require: { approvals: 0 } }), "tiers[0].require.approvals", />=1/],
    ["a tier's approvals of 11", tier({ require: { approvals: 11 } }), "tiers[0].require.approvals", /<=10/],
    ["a tier's approver team", tier({ require: { approver_teams: ["a/b/c"] } }), "tiers[0].require.approver_teams[0]", /not a team/],
    ["agents_forbidden", tier({ require: { agents_forbidden: "yes" } }), "tiers[0].require.agents_forbidden", /expected boolean/],
    ["a tier's label", tier({ when: { labels: [""] } }), "tiers[0].when.labels[0]", />=1/],
    ["scope.enforce_paths", { scope: { enforce_paths: 1 } }, "scope.enforce_paths", /expected boolean/],
    ["protected_branches as a string", { protected_branches: "main" }, "protected_branches", /expected array/],
    ["a protected branch as a number", { protected_branches: [1] }, "protected_branches[0]", /expected string/],
  ])("%s", (_description, raw, path, message) => {
    const found = problems(raw);
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe(path);
    expect(found[0]?.message).toMatch(message);
  });

  test("a tier missing its parts names each", () => {
    expect(problems({ tiers: [{}] }).map((problem) => problem.path)).toEqual(["tiers[0].name", "tiers[0].when", "tiers[0].require"]);
  });
});

describe("the policy schema: bad globs", () => {
  test.each([
    ["an unclosed bracket", "src/[a", "not a valid glob: a [ is never closed (write \\[ for the character)"],
    ["an unclosed brace", "**/*.{ts", "not a valid glob: a { is never closed"],
    ["a negative extglob", "src/!(gen)/**", "not a valid glob: !(...) patterns are not supported; list the paths instead"],
    ["a parent directory", "../secrets/**", 'globs are relative to the repository root and may not use ".."'],
    ["a parent directory inside", "src/../../etc", 'globs are relative to the repository root and may not use ".."'],
    ["an absolute path", "/etc/passwd", 'globs are relative to the repository root and may not use ".."'],
  ])("%s in a tier's paths is named by its index", (_description, glob, message) => {
    expect(problems(tier({ when: { paths: ["src/**", glob] } }))).toEqual([{ path: "tiers[0].when.paths[1]", message }]);
  });

  test.each([
    ["a tier's base branches", tier({ when: { base_branches: ["main", "release/[0-9"] } }), "tiers[0].when.base_branches[1]"],
    ["scope.base_branches", { scope: { base_branches: ["[x"] } }, "scope.base_branches[0]"],
    ["protected_branches", { protected_branches: ["main", "hotfix/[a"] }, "protected_branches[1]"],
  ])("a bad branch pattern in %s is named by its index", (_description, raw, path) => {
    expect(problems(raw)).toEqual([{ path, message: "not a valid branch pattern: a [ is never closed (write \\[ for the character)" }]);
  });
});

describe("the policy schema: bad durations", () => {
  test.each([
    ["delegation.default_expiry", { delegation: { default_expiry: "1y" } }],
    ["delegation.default_expiry", { delegation: { default_expiry: "7" } }],
    ["delegation.max_expiry", { delegation: { max_expiry: "0d" } }],
    ["delegation.max_expiry", { delegation: { max_expiry: "366d" } }],
    ["tiers[0].require.max_delegation_expiry", tier({ require: { max_delegation_expiry: "two days" } })],
  ])("%s: %j", (path, raw) => {
    expect(problems(raw)).toEqual([{ path, message: "not a duration like 30m, 12h, 7d or 2w (at most 365d)" }]);
  });

  test("a default expiry longer than the maximum is refused, naming both", () => {
    expect(problems({ delegation: { default_expiry: "2w", max_expiry: "7d" } })).toEqual([{ path: "delegation.default_expiry", message: "longer than delegation.max_expiry (7d)" }]);
  });

  test.each(["30m", "12h", "7d", "2w", "365d", "52w"])("%s is a valid expiry", (text) => {
    expect(compileRepoConfig({ delegation: { default_expiry: text, max_expiry: "365d" } }, SOURCE).ok).toBe(true);
  });
});

describe("mistakes that would quietly weaken a policy are refused", () => {
  test.each([
    [
      "two tiers with the same name in one file",
      { tiers: [{ name: "infra", when: { paths: ["infra/**"] }, require: { approvals: 3 } }, { name: "infra", when: { paths: ["deploy/**"] }, require: { approvals: 2 } }] },
      [{ path: "tiers[1].name", message: 'a tier named "infra" is already defined in this file' }],
    ],
    ["an empty list of allowed base branches", { scope: { base_branches: [] } }, [{ path: "scope.base_branches", message: expect.stringMatching(/>=1|at least 1/i) }]],
    ["an empty list of protected branches", { protected_branches: [] }, [{ path: "protected_branches", message: expect.stringMatching(/>=1|at least 1/i) }]],
  ])("%s", (_description, raw, expected) => {
    expect(problems(raw)).toEqual(expected);
  });
});
