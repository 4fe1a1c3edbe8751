import { describe, expect, test } from "@jest/globals";
import { compilePolicyLayers, policyFromBlobs } from "../../../src/config/repo-policy-loader.js";
import { RELAXABLE_KEYS } from "../../../src/config/policy.schema.js";
import { evaluatePullRequest } from "../../../src/policy/evaluate.js";
import { isProtectedBranch } from "../../../src/services/flag-direct-push.js";
import { claudeBot, delegation, NOW, pullRequest } from "../policy/builders.js";
import { NO_PEOPLE_FACTS } from "../../../src/policy/approvals.js";
import { accepted, blob, load, refused } from "./policy-blobs.js";

// The organization's policy is a floor: its file applies to every repository, and a repository's file
// can only add requirements. Read the way the app reads a pull request's policy (`policyFromBlobs`:
// the YAML of the organization's file and of the repository's file on the base branch).

const OWNER = "acme";
const ORG = "acme/.github:.github/countersign.yml";
const REPO = "acme/widgets:.github/countersign.yml@main";
const REPO_FILE = "acme/widgets:.github/countersign.yml";

const tier = (name: string, when: Record<string, unknown>, require: Record<string, unknown>) => ({ name, when, require });

describe("a repository file without _extends no longer replaces the organization's policy", () => {
  test("the organization's requirements apply to a repository whose file sets other keys", async () => {
    const policy = await accepted({ approvals: { required: 2 }, delegation: { max_expiry: "7d" } }, { delegation: { implicit_owner: false } });
    expect(policy).toMatchObject({ approvals: { required: 2 }, delegation: { implicitOwner: false, maxExpiryMs: 7 * 86_400_000 }, source: `${ORG} extended by ${REPO}` });
  });

  test("lowering approvals.required below the organization's is a policy error naming the key and the organization's file", async () => {
    const problems = await refused({ approvals: { required: 2 } }, { approvals: { required: 1 } });
    expect(problems).toEqual([{ file: REPO, path: "approvals.required", message: expect.stringContaining(`1 is fewer than the organization's 2: the organization's policy (${ORG}) is a floor`) }]);
    expect(problems[0]?.message).toContain("repositories_may_relax: [approvals.required]");
  });

  test("_extends: .github means the same as no _extends", async () => {
    const plain = await accepted({ approvals: { required: 2 } }, { approvals: { required: 3 } });
    const extending = await accepted({ approvals: { required: 2 } }, { _extends: ".github", approvals: { required: 3 } });
    expect(extending.hash).toBe(plain.hash);
    expect(extending.source).toBe(plain.source);
    expect((await load({ approvals: { required: 2 } }, { _extends: ".github", approvals: { required: 1 } })).ok).toBe(false);
  });

  test("the organization's own .github repository is judged by its default branch's file as the floor", async () => {
    const result = await policyFromBlobs({ owner: OWNER, name: ".github" }, "experiment", { complete: true, organization: blob({ mode: "enforce" }), repository: blob({ mode: "evaluate" }) });
    expect(result).toMatchObject({ ok: false, problems: [{ file: "acme/.github:.github/countersign.yml@experiment", path: "mode" }] });
  });

  test("a repository without a file of its own has the organization's policy", async () => {
    const policy = await accepted({ approvals: { required: 2 } }, null);
    expect(policy).toMatchObject({ approvals: { required: 2 }, source: ORG });
  });

  test("without an organization file, a repository's file is the whole policy and may loosen the defaults", async () => {
    const policy = await accepted(null, { mode: "evaluate", approvals: { exclude: { delegator: false } } });
    expect(policy).toMatchObject({ mode: "evaluate", approvals: { exclude: { delegator: false } }, source: REPO });
  });
});

describe("every key has a stricter direction: a repository may move a key that way only", () => {
  // [key, organization's file, a repository file that tightens it, one that loosens it, what the message says]
  test.each<[string, unknown, unknown, unknown, string]>([
    ["mode", {}, { mode: "enforce" }, { mode: "evaluate" }, "evaluate (a dry run that never blocks) where the organization's policy enforces"],
    ["agents.all_apps_are_agents", { agents: { all_apps_are_agents: true } }, { agents: { all_apps_are_agents: true } }, { agents: { all_apps_are_agents: false } }, "false where the organization's policy has true"],
    ["delegation.required", {}, { delegation: { required: true } }, { delegation: { required: false } }, "false where the organization's policy has true"],
    ["delegation.implicit_owner", { delegation: { implicit_owner: false } }, { delegation: { implicit_owner: false } }, { delegation: { implicit_owner: true } }, "true where the organization's policy has false"],
    ["delegation.delegators.min_permission", {}, { delegation: { delegators: { min_permission: "maintain" } } }, { delegation: { delegators: { min_permission: "triage" } } }, "triage is below the organization's write"],
    ["delegation.delegators.teams", { delegation: { delegators: { teams: ["leads", "platform"] } } }, { delegation: { delegators: { teams: ["acme/leads"] } } }, { delegation: { delegators: { teams: ["leads", "interns"] } } }, 'adds "acme/interns"'],
    ["delegation.delegators.teams", { delegation: { delegators: { teams: ["leads"] } } }, { delegation: { delegators: { teams: ["leads"] } } }, { delegation: { delegators: { teams: [] } } }, "empties the list of delegators"],
    ["delegation.delegators.users", { delegation: { delegators: { users: ["alice", "bob"] } } }, { delegation: { delegators: { users: ["Alice"] } } }, { delegation: { delegators: { users: ["alice", "mallory"] } } }, 'adds "mallory"'],
    ["delegation.task.required", {}, {}, { delegation: { task: { required: false } } }, "false where the organization's policy has true"],
    ["delegation.task.forms", { delegation: { task: { forms: ["issue", "ticket"] } } }, { delegation: { task: { forms: ["ticket"] } } }, { delegation: { task: { forms: ["ticket", "url"] } } }, 'adds "url"'],
    ["delegation.task.ticket_pattern", { delegation: { task: { ticket_pattern: "^SEC-\\d+$" } } }, { delegation: { task: { ticket_pattern: "^SEC-\\d+$" } } }, { delegation: { task: { ticket_pattern: "^[A-Z]+-\\d+$" } } }, "two patterns cannot be compared"],
    ["delegation.default_expiry", { delegation: { default_expiry: "7d" } }, { delegation: { default_expiry: "3d" } }, { delegation: { default_expiry: "14d" } }, "2w is longer than the organization's 1w"],
    ["delegation.max_expiry", { delegation: { max_expiry: "30d" } }, { delegation: { max_expiry: "7d" } }, { delegation: { max_expiry: "60d" } }, "60d is longer than the organization's 30d"],
    ["approvals.required", { approvals: { required: 2 } }, { approvals: { required: 3 } }, { approvals: { required: 1 } }, "1 is fewer than the organization's 2"],
    ["approvals.approvers.min_permission", { approvals: { approvers: { min_permission: "maintain" } } }, { approvals: { approvers: { min_permission: "admin" } } }, { approvals: { approvers: { min_permission: "write" } } }, "write is below the organization's maintain"],
    ["approvals.approvers.teams", { approvals: { approvers: { teams: ["a", "b"] } } }, { approvals: { approvers: { teams: ["b"] } } }, { approvals: { approvers: { teams: ["a", "c"] } } }, 'adds "acme/c"'],
    ["approvals.approvers.teams", { approvals: { approvers: { teams: ["a"] } } }, { approvals: { approvers: { teams: ["acme/a"] } } }, { approvals: { approvers: { teams: [] } } }, "empties the list"],
    ["approvals.exclude.delegator", {}, {}, { approvals: { exclude: { delegator: false } } }, "their approval would count"],
    ["approvals.exclude.pr_author", {}, {}, { approvals: { exclude: { pr_author: false } } }, "their approval would count"],
    ["approvals.exclude.commit_authors", {}, {}, { approvals: { exclude: { commit_authors: false } } }, "their approval would count"],
    ["scope.enforce_paths", {}, { scope: { enforce_paths: true } }, { scope: { enforce_paths: false } }, "files outside a delegation's paths would not block"],
    ["scope.base_branches", { scope: { base_branches: ["main", "release/*"] } }, { scope: { base_branches: ["main", "release/2.1"] } }, { scope: { base_branches: ["main", "develop"] } }, 'allows "develop"'],
    ["scope.base_branches", { scope: { base_branches: ["release/*"] } }, { scope: { base_branches: ["release/*"] } }, { scope: { base_branches: ["release/2.*"] } }, "each entry must be one of the organization's patterns, or a branch name one of them matches"],
  ])("%s", async (key, org, tighter, looser, message) => {
    await expect(accepted(org, tighter)).resolves.toMatchObject({ source: `${ORG} extended by ${REPO}` });
    const problems = await refused(org, looser);
    expect(problems).toEqual([{ file: REPO, path: key, message: expect.stringContaining(message) }]);
    expect(problems[0]?.message).toContain(ORG);
    // The organization can let repositories relax it.
    await expect(accepted({ ...(org as object), repositories_may_relax: [key] }, looser)).resolves.toHaveProperty("hash");
  });

  test("keys the organization's file leaves out hold at their defaults: the floor is the policy as it applies", async () => {
    expect(await refused({ agents: { identities: [{ name: "Org agent", logins: ["org-agent"] }] } }, { approvals: { exclude: { pr_author: false } } })).toEqual([
      { file: REPO, path: "approvals.exclude.pr_author", message: expect.stringContaining("their approval would count") },
    ]);
  });

  test("every problem is reported at once", async () => {
    const problems = await refused({ approvals: { required: 2 } }, { mode: "evaluate", approvals: { required: 1 }, delegation: { required: false } });
    expect(problems.map((problem) => problem.path)).toEqual(["mode", "delegation.required", "approvals.required"]);
  });

  test("a tightened delegator list is narrower; with no list, any list narrows it", async () => {
    await expect(accepted({}, { delegation: { delegators: { teams: ["leads"], users: ["alice"] } } })).resolves.toMatchObject({ delegation: { delegators: { users: ["alice"] } } });
    await expect(accepted({ delegation: { delegators: { teams: ["leads"], users: ["alice"] } } }, { delegation: { delegators: { users: [] } } })).resolves.toMatchObject({ delegation: { delegators: { users: [] } } });
  });
});

describe("lists that add up: agents and protected branches", () => {
  test("a repository adds agent identities and trailers and cannot remove the organization's", async () => {
    const orgAgent = { name: "Org agent", ids: [], logins: ["org-agent"] };
    const policy = await accepted({ agents: { identities: [orgAgent] } }, { agents: { identities: [{ name: "Repo agent", logins: ["repo-agent"] }], trailers: [{ name: "Repo", key: "Generated-by", pattern: "repo" }] } });
    expect(policy.identities.map((identity) => identity.name).slice(-2)).toEqual(["Org agent", "Repo agent"]);
    // An entry both files have is kept once.
    const twice = await accepted({ agents: { identities: [orgAgent] } }, { agents: { identities: [orgAgent] } });
    expect(twice.identities.filter((identity) => identity.name === "Org agent")).toHaveLength(1);
  });

  test("protected_branches add to the organization's; a repository cannot unprotect a branch", async () => {
    const policy = await accepted({ protected_branches: ["main", "release/*"] }, { protected_branches: ["trunk"] });
    expect(policy.protectedBranches).toEqual(["main", "release/*", "trunk"]);
    expect(policy.protectsDefaultBranch).toBe(false);
  });

  test("when the organization protects the default branch (no list), a repository's list adds to it", async () => {
    const policy = await accepted({ approvals: { required: 1 } }, { protected_branches: ["release/*"] });
    expect(policy).toMatchObject({ protectedBranches: ["release/*"], protectsDefaultBranch: true });
    expect(isProtectedBranch("main", "main", policy.protectedBranches, policy.protectsDefaultBranch)).toBe(true);
    expect(isProtectedBranch("release/1", "main", policy.protectedBranches, policy.protectsDefaultBranch)).toBe(true);
    expect(isProtectedBranch("feature", "main", policy.protectedBranches, policy.protectsDefaultBranch)).toBe(false);
    // Without a floor, a list replaces the default branch, as before.
    const alone = await accepted(null, { protected_branches: ["release/*"] });
    expect(isProtectedBranch("main", "main", alone.protectedBranches, alone.protectsDefaultBranch)).toBe(false);
  });

  test("relaxed, a repository's list replaces the organization's", async () => {
    const policy = await accepted({ protected_branches: ["main", "release/*"], repositories_may_relax: ["protected_branches"] }, { protected_branches: ["trunk"] });
    expect(policy).toMatchObject({ protectedBranches: ["trunk"], protectsDefaultBranch: false });
  });
});

describe("tiers: the organization's cannot be switched off or weakened", () => {
  const docs = tier("docs-three", { paths: ["docs/**"], labels: ["docs"] }, { approvals: 3, approver_teams: ["writers"], max_delegation_expiry: "1d" });

  test("a repository's own tiers are added to the organization's", async () => {
    const policy = await accepted({ tiers: [docs] }, { tiers: [tier("auth", { paths: ["src/auth/**"] }, { approvals: 2 })] });
    expect(policy.tiers.map((entry) => entry.name)).toEqual(["sensitive", "docs-three", "auth"]);
  });

  test.each<[string, unknown, string, string]>([
    ["switched off", { name: "docs-three", enabled: false }, "tiers[0].enabled", `switches off the organization's tier "docs-three"`],
    ["with fewer approvals", { ...docs, require: { ...docs.require, approvals: 2 } }, "tiers[0].require.approvals", `requires 2 approvals where the organization's tier "docs-three" requires 3`],
    ["without its approvals", { ...docs, require: { approver_teams: ["writers"], max_delegation_expiry: "1d" } }, "tiers[0].require.approvals", "requires no approvals"],
    ["without one of its teams", { ...docs, require: { ...docs.require, approver_teams: ["editors"] } }, "tiers[0].require.approver_teams", `leaves out "acme/writers"`],
    ["with a longer delegation", { ...docs, require: { ...docs.require, max_delegation_expiry: "2d" } }, "tiers[0].require.max_delegation_expiry", "allows delegations of 2d where"],
    ["with fewer paths", { ...docs, when: { paths: ["docs/api/**"], labels: ["docs"] } }, "tiers[0].when.paths", `leaves out "docs/**"`],
    ["with a condition added", { ...docs, when: { ...docs.when, base_branches: ["main"] } }, "tiers[0].when.base_branches", "adds a when.base_branches condition"],
  ])("a same-named repository tier %s is refused", async (_description, repoTier, path, message) => {
    const problems = await refused({ tiers: [docs] }, { tiers: [repoTier] });
    expect(problems).toEqual([{ file: REPO, path, message: expect.stringContaining(message) }]);
    expect(problems[0]?.message).toContain(`repositories_may_relax: [tiers.docs-three]`);
  });

  test("a same-named repository tier that only tightens replaces the organization's", async () => {
    const stricter = { ...docs, when: { paths: ["docs/**", "guides/**"] }, require: { approvals: 4, approver_teams: ["acme/writers", "legal"], max_delegation_expiry: "12h", agents_forbidden: false } };
    const policy = await accepted({ tiers: [docs] }, { tiers: [stricter] });
    expect(policy.tiers.find((entry) => entry.name === "docs-three")).toMatchObject({ when: { paths: ["docs/**", "guides/**"] }, require: { approvals: 4 } });
  });

  test("the built-in sensitive tier is part of the organization's policy unless the organization switches it off", async () => {
    expect(await refused({ approvals: { required: 1 } }, { tiers: [{ name: "sensitive", enabled: false }] })).toEqual([{ file: REPO, path: "tiers[0].enabled", message: expect.stringContaining(`switches off the organization's tier "sensitive"`) }]);
    const off = await accepted({ tiers: [{ name: "sensitive", enabled: false }] }, { tiers: [{ name: "sensitive", enabled: false }] });
    expect(off.tiers).toEqual([]);
    const allowed = await accepted({ repositories_may_relax: ["tiers.sensitive"] }, { tiers: [{ name: "sensitive", enabled: false }] });
    expect(allowed.tiers).toEqual([]);
  });

  test("an organization that lets a tier be relaxed lets a repository switch it off with a name-only entry", async () => {
    const policy = await accepted({ tiers: [docs], repositories_may_relax: ["tiers.docs-three"] }, "tiers:\n  - name: docs-three\n    enabled: false\n");
    expect(policy.tiers.map((entry) => entry.name)).toEqual(["sensitive"]);
  });
});

describe("item 4a: a tier entry that only switches a tier off needs no when or require", () => {
  test("a repository without an organization file switches the built-in tier off with `- name: sensitive` / `enabled: false`", async () => {
    const policy = await accepted(null, "tiers:\n  - name: sensitive\n    enabled: false\n");
    expect(policy.tiers).toEqual([]);
  });

  test("a tier that is on still needs both", async () => {
    const problems = await refused(null, "tiers:\n  - name: new-tier\n");
    expect(problems.map((problem) => [problem.path, problem.message])).toEqual([
      ["tiers[0].when", expect.stringContaining("a tier needs `when`")],
      ["tiers[0].require", expect.stringContaining("a tier needs `require`")],
    ]);
  });
});

describe("repositories_may_relax", () => {
  test("is read only from the organization's file", async () => {
    expect(await refused({ approvals: { required: 2 } }, { repositories_may_relax: ["approvals.required"], approvals: { required: 1 } })).toEqual([
      { file: REPO, path: "repositories_may_relax", message: expect.stringContaining("is read only from the organization's file") },
    ]);
    expect(await refused(null, { repositories_may_relax: ["mode"] })).toEqual([{ file: REPO, path: "repositories_may_relax", message: expect.stringContaining("is read only from the organization's file") }]);
  });

  test.each([
    ["an unknown key", ["approvals.requird"], "repositories_may_relax[0]", "not a key repositories can be allowed to relax"],
    ["a key listed twice", ["mode", "mode"], "repositories_may_relax[1]", "mode is listed twice"],
    ["a tier the organization does not have", ["tiers.docs"], "repositories_may_relax[0]", "names no tier of the organization's policy (its tiers: sensitive)"],
  ])("%s is a problem in the organization's file", async (_description, keys, path, message) => {
    expect(await refused({ repositories_may_relax: keys }, {})).toEqual([{ file: ORG, path, message: expect.stringContaining(message) }]);
  });

  test("names the keys of the policy", () => {
    expect(RELAXABLE_KEYS).toContain("approvals.required");
    expect(RELAXABLE_KEYS).not.toContain("repositories_may_relax");
  });
});

describe("the evidence names the file that set each requirement", () => {
  test("a requirement's sources name the organization's or the repository's file; a default is the bare key", async () => {
    const policy = await accepted(
      { approvals: { required: 2 }, tiers: [tier("infra", { paths: ["infra/**"] }, { approver_teams: ["platform"] })] },
      { scope: { base_branches: ["main"] }, tiers: [tier("auth", { paths: ["src/auth/**"] }, { approvals: 3 })] },
    );
    const pr = pullRequest({ author: claudeBot, files: ["infra/a.tf", "src/auth/login.ts", "src/a.ts"] });
    const decision = evaluatePullRequest({ pr, policy, delegations: [delegation()], people: NO_PEOPLE_FACTS, now: NOW });
    const sources = Object.fromEntries(decision.requirements.map((requirement) => [requirement.kind === "team-approval" ? `team:${requirement.team}` : requirement.kind, requirement.sources]));
    expect(sources).toEqual({
      "base-branch": [`scope.base_branches (${REPO_FILE})`],
      owner: ["delegation.required"],
      approvals: [`tier:auth (${REPO_FILE})`],
      "team:acme/platform": [`tier:infra (${ORG})`],
    });
    const onlyOrg = await accepted({ approvals: { required: 2 } }, { delegation: { implicit_owner: false } });
    const plain = evaluatePullRequest({ pr: pullRequest({ author: claudeBot }), policy: onlyOrg, delegations: [], people: NO_PEOPLE_FACTS, now: NOW });
    expect(plain.requirements.find((requirement) => requirement.kind === "approvals")?.sources).toEqual([`approvals.required (${ORG})`]);
  });
});

describe("the layers compiled directly", () => {
  test("a shared file the repository extends is part of the repository's layer: the floor still applies to the two merged", () => {
    const shared = { source: "other-org/policies:countersign.yml", content: { approvals: { required: 1 }, delegation: { implicit_owner: false } } };
    const result = compilePolicyLayers({ organization: [{ source: ORG, content: { approvals: { required: 2 } } }], repository: [shared, { source: REPO, content: {} }] }, OWNER);
    expect(result).toMatchObject({ ok: false, problems: [{ file: "other-org/policies:countersign.yml", path: "approvals.required" }] });
    const tightened = compilePolicyLayers({ organization: [{ source: ORG, content: { approvals: { required: 2 } } }], repository: [shared, { source: REPO, content: { approvals: { required: 2 } } }] }, OWNER);
    expect(tightened).toMatchObject({ ok: true, policy: { approvals: { required: 2 }, delegation: { implicitOwner: false }, source: `${ORG} extended by other-org/policies:countersign.yml extended by ${REPO}` } });
  });
});
