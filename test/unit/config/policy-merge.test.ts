import { describe, expect, test } from "@jest/globals";
import { compilePolicyFiles, compileRepoConfig, mergePolicyFiles, type PolicyLoadResult } from "../../../src/config/repo-policy-loader.js";
import { BUILT_IN_AGENT_IDENTITIES, BUILT_IN_TRAILER_RULES } from "../../../src/policy/agent-identities.js";
import { defaultPolicy, type RepoPolicy } from "../../../src/policy/repo-policy.js";

// An organization's policy (its `.github` repository) extended by a repository's: most general first.
const ORG = "acme/.github:.github/countersign.yml";
const REPO = "acme/widgets:.github/countersign.yml@main";

function compiledFiles(org: unknown, repo: unknown, owner = "acme"): RepoPolicy {
  const result: PolicyLoadResult = compilePolicyFiles([{ source: ORG, content: org }, { source: REPO, content: repo }], owner);
  if (!result.ok) throw new Error(`expected the policy files to compile, got ${JSON.stringify(result.problems)}`);
  return result.policy;
}

function hashOf(raw: unknown, owner = "acme"): string {
  const result = compileRepoConfig(raw, "any source", owner);
  if (!result.ok) throw new Error(`expected the policy to compile, got ${JSON.stringify(result.problems)}`);
  return result.policy.hash;
}

describe("compilePolicyFiles: problems name the file they are in", () => {
  test("each file is validated on its own", () => {
    const result = compilePolicyFiles(
      [
        { source: ORG, content: { approvals: { requird: 2 } } },
        { source: REPO, content: { mode: "dry-run", scope: { base_branches: ["[x"] } } },
      ],
      "acme",
    );
    expect(result).toEqual({
      ok: false,
      source: `${ORG} extended by ${REPO}`,
      problems: [
        { file: ORG, path: "approvals.requird", message: "unknown key" },
        { file: REPO, path: "mode", message: expect.stringMatching(/expected one of/) },
        { file: REPO, path: "scope.base_branches[0]", message: expect.stringMatching(/^not a valid branch pattern: /) },
      ],
    });
  });

  test("a valid file beside an invalid one is not blamed", () => {
    const result = compilePolicyFiles([{ source: ORG, content: { approvals: { required: 2 } } }, { source: REPO, content: { tiers: [{ name: "t", when: {}, require: {} }] } }], "acme");
    expect(result.ok ? [] : result.problems.map((problem) => [problem.file, problem.path])).toEqual([[REPO, "tiers[0].when"]]);
  });

  test("a problem only the merged policy has names both files", () => {
    const result = compilePolicyFiles([{ source: ORG, content: { delegation: { default_expiry: "7d" } } }, { source: REPO, content: { delegation: { max_expiry: "1d" } } }], "acme");
    expect(result).toEqual({ ok: false, source: `${ORG} extended by ${REPO}`, problems: [{ file: `${ORG} extended by ${REPO}`, path: "delegation.default_expiry", message: "longer than delegation.max_expiry (1d)" }] });
  });

  test.each([
    ["no files", []],
    ["only absent files", [{ source: ORG, content: null }, { source: REPO, content: undefined }]],
  ])("%s give the built-in defaults", (_description, files) => {
    const result = compilePolicyFiles(files, "acme");
    expect(result.ok && result.policy.source).toBe(defaultPolicy().source);
    // The defaults are compiled like any policy: a real version hash, the same every time.
    expect(result.ok && result.policy.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(result.ok && result.policy.hash).toBe(compilePolicyFiles([], "acme").ok ? (compilePolicyFiles([], "acme") as { policy: { hash: string } }).policy.hash : null);
  });

  test("an absent file is left out of the source", () => {
    const result = compilePolicyFiles([{ source: ORG, content: null }, { source: REPO, content: { mode: "evaluate" } }], "acme");
    expect(result.ok && result.policy.source).toBe(REPO);
  });
});

describe("mergePolicyFiles", () => {
  test("objects merge key by key, the more specific file's values winning", () => {
    const merged = mergePolicyFiles([
      { mode: "evaluate", approvals: { required: 2, exclude: { delegator: false, pr_author: false } }, delegation: { implicit_owner: false } },
      { mode: "enforce", approvals: { exclude: { pr_author: true } } },
    ]);
    expect(merged).toEqual({ mode: "enforce", approvals: { required: 2, exclude: { delegator: false, pr_author: true } }, delegation: { implicit_owner: false } });
  });

  test("agent identities and trailers accumulate", () => {
    const orgAgent = { name: "Org agent", logins: ["org-agent[bot]"] };
    const repoAgent = { name: "Repo agent", logins: ["repo-agent"] };
    const orgTrailer = { name: "Org", key: "Assisted-by", pattern: "org" };
    const repoTrailer = { name: "Repo", key: "Generated-by", pattern: "repo" };
    expect(mergePolicyFiles([{ agents: { identities: [orgAgent], trailers: [orgTrailer] } }, { agents: { identities: [repoAgent], trailers: [repoTrailer] } }])).toEqual({
      agents: { identities: [orgAgent, repoAgent], trailers: [orgTrailer, repoTrailer] },
    });
    const policy = compiledFiles({ agents: { identities: [orgAgent] } }, { agents: { identities: [repoAgent] } });
    expect(policy.identities.map((identity) => identity.name)).toEqual([...BUILT_IN_AGENT_IDENTITIES.map((identity) => identity.name), "Org agent", "Repo agent"]);
    expect(policy.trailerRules).toHaveLength(BUILT_IN_TRAILER_RULES.length);
  });

  test("tiers merge by name: a same-named tier is replaced in place, new tiers are appended", () => {
    const docs = { name: "docs", when: { paths: ["docs/**"] }, require: { approvals: 2 } };
    const infra = { name: "infra", when: { paths: ["infra/**"] }, require: { approvals: 3 } };
    const infraRepo = { name: "infra", when: { paths: ["terraform/**"] }, require: { approvals: 2 } };
    const auth = { name: "auth", when: { paths: ["src/auth/**"] }, require: { approvals: 2 } };
    expect(mergePolicyFiles([{ tiers: [docs, infra] }, { tiers: [infraRepo, auth] }])).toEqual({ tiers: [docs, infraRepo, auth] });
  });

  test("a repository can switch off an organization's tier by name", () => {
    const infra = { name: "infra", when: { paths: ["infra/**"] }, require: { approvals: 3 } };
    const policy = compiledFiles({ tiers: [infra] }, { tiers: [{ ...infra, enabled: false }] });
    expect(policy.tiers.map((tier) => tier.name)).toEqual(["sensitive"]);
  });

  test.each([
    ["scope.base_branches", { scope: { base_branches: ["main", "release/*"] } }, { scope: { base_branches: ["develop"] } }, { scope: { base_branches: ["develop"] } }],
    ["protected_branches", { protected_branches: ["main"] }, { protected_branches: ["trunk"] }, { protected_branches: ["trunk"] }],
    ["approvals.approvers.teams", { approvals: { approvers: { teams: ["a", "b"] } } }, { approvals: { approvers: { teams: ["c"] } } }, { approvals: { approvers: { teams: ["c"] } } }],
    ["delegation.delegators.users", { delegation: { delegators: { users: ["alice"] } } }, { delegation: { delegators: { users: ["bob"] } } }, { delegation: { delegators: { users: ["bob"] } } }],
    ["delegation.task.forms", { delegation: { task: { forms: ["issue", "url"] } } }, { delegation: { task: { forms: ["ticket"] } } }, { delegation: { task: { forms: ["ticket"] } } }],
  ])("other lists are replaced: %s", (_key, org, repo, merged) => {
    expect(mergePolicyFiles([org, repo])).toEqual(merged);
  });

  test("a key the specific file leaves out keeps the general file's value", () => {
    expect(mergePolicyFiles([{ scope: { base_branches: ["main"] } }, { scope: { enforce_paths: false } }])).toEqual({ scope: { base_branches: ["main"], enforce_paths: false } });
  });

  test("does not change the files it merges", () => {
    const org = { approvals: { required: 2 }, tiers: [{ name: "a", when: { labels: ["x"] }, require: {} }] };
    const repo = { approvals: { required: 3 }, tiers: [{ name: "a", when: { labels: ["y"] }, require: {} }] };
    const before = JSON.stringify([org, repo]);
    mergePolicyFiles([org, repo]);
    expect(JSON.stringify([org, repo])).toBe(before);
  });

  test("the compiled result follows the merge", () => {
    const policy = compiledFiles(
      { mode: "evaluate", approvals: { required: 2, approvers: { teams: ["reviewers"] } }, scope: { base_branches: ["main"] } },
      { mode: "enforce", approvals: { exclude: { delegator: false } }, scope: { base_branches: ["develop"] } },
    );
    expect(policy).toMatchObject({
      mode: "enforce",
      approvals: { required: 2, approvers: { teams: [{ org: "acme", slug: "reviewers" }] }, exclude: { delegator: false, prAuthor: true, commitAuthors: true } },
      scope: { baseBranches: ["develop"] },
      source: `${ORG} extended by ${REPO}`,
    });
  });
});

describe("policy.hash: the policy's version", () => {
  test.each<[string, unknown, unknown]>([
    ["keys in another order", { mode: "enforce", approvals: { required: 2 } }, { approvals: { required: 2 }, mode: "enforce" }],
    ["defaults spelt out or left out", { approvals: { required: 1, exclude: { delegator: true } } }, {}],
    ["an empty section or none", { scope: {} }, {}],
  ])("equal content gives an equal hash: %s", (_description, a, b) => {
    expect(hashOf(a)).toBe(hashOf(b));
  });

  test.each<[string, unknown, unknown]>([
    ["another approval count", { approvals: { required: 2 } }, { approvals: { required: 3 } }],
    ["another mode", { mode: "evaluate" }, {}],
    ["a switched exclusion", { approvals: { exclude: { pr_author: false } } }, {}],
    ["another tier", { tiers: [{ name: "a", when: { labels: ["x"] }, require: { approvals: 2 } }] }, { tiers: [{ name: "a", when: { labels: ["y"] }, require: { approvals: 2 } }] }],
    ["the built-in tier switched off", { tiers: [{ name: "sensitive", enabled: false, when: { paths: ["x"] }, require: {} }] }, {}],
    ["another list order", { scope: { base_branches: ["main", "develop"] } }, { scope: { base_branches: ["develop", "main"] } }],
  ])("different content gives a different hash: %s", (_description, a, b) => {
    expect(hashOf(a)).not.toBe(hashOf(b));
  });

  test("the same file in another organization is another policy (teams resolve against the owner)", () => {
    expect(hashOf({ approvals: { approvers: { teams: ["reviewers"] } } }, "acme")).not.toBe(hashOf({ approvals: { approvers: { teams: ["reviewers"] } } }, "globex"));
  });

  test("one file or two files merging to the same content give the same hash, each with its own source", () => {
    const single = compileRepoConfig({ mode: "evaluate", approvals: { required: 2 } }, REPO);
    const split = compiledFiles({ approvals: { required: 2 } }, { mode: "evaluate" });
    expect(single.ok && single.policy.hash).toBe(split.hash);
    expect(single.ok && single.policy.source).toBe(REPO);
    expect(split.source).toBe(`${ORG} extended by ${REPO}`);
  });

  test("is a SHA-256 hex digest, never the built-in marker, once a file exists", () => {
    expect(hashOf({})).toMatch(/^[0-9a-f]{64}$/);
  });
});
