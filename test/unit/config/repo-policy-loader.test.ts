import { createHash } from "node:crypto";
import { describe, expect, test } from "@jest/globals";
import { compileRepoConfig, describeIssues, policyFromBlobs, type ConfigProblem, type PolicyLoadResult } from "../../../src/config/repo-policy-loader.js";
import { policySchema } from "../../../src/config/policy.schema.js";
import { compileLinearPattern } from "../../../src/policy/linear-pattern.js";
import { BUILT_IN_AGENT_IDENTITIES, BUILT_IN_TRAILER_RULES } from "../../../src/policy/agent-identities.js";
import { defaultPolicy, type RepoPolicy } from "../../../src/policy/repo-policy.js";

const SOURCE = "acme/widgets:.github/countersign.yml";

/** A policy with its tiers' compiled matchers left out, so two compilations can be compared. */
function comparable(policy: RepoPolicy): unknown {
  return { ...policy, tiers: policy.tiers.map(({ matchesPath: _path, matchesBaseBranch: _branch, ...tier }) => tier) };
}

/** The policy of a config that must compile. */
function compiled(raw: unknown): RepoPolicy {
  const result: PolicyLoadResult = compileRepoConfig(raw, SOURCE);
  if (!result.ok) throw new Error(`expected the config to compile, got ${JSON.stringify(result.problems)}`);
  return result.policy;
}

/** The problems of a config that must not compile. */
function problems(raw: unknown): ConfigProblem[] {
  const result = compileRepoConfig(raw, SOURCE);
  if (result.ok) throw new Error("expected the config to be refused");
  expect(result.source).toBe(SOURCE);
  return result.problems;
}

describe("compileRepoConfig: valid configs", () => {
  test.each([
    ["a missing config (null)", null],
    ["an undefined config", undefined],
    ["an empty object", {}],
    ["empty sections", { agents: {}, delegation: {}, approvals: {} }],
    ["empty lists", { agents: { identities: [], trailers: [] } }],
  ])("%s compiles to the built-in defaults, from the given source, versioned by content hash", (_description, raw) => {
    const policy = compiled(raw);
    // Which keys the file spelt out is where they came from, not what they mean.
    expect(comparable(policy)).toEqual(comparable({ ...defaultPolicy(), source: SOURCE, origins: policy.origins, hash: policy.hash, files: [], texts: policy.texts }));
    expect(policy.hash).toMatch(/^[0-9a-f]{64}$/);
    // The text hashed is kept with the policy: rehashing it gives the hash.
    expect(createHash("sha256").update(policy.texts?.[policy.hash] ?? "").digest("hex")).toBe(policy.hash);
    // Defaults filled in by the schema are part of the content: every spelling of "no settings" is one version.
    expect(policy.hash).toBe(compiled({}).hash);
  });

  test("a full config appends its identities and trailers to the built-ins and sets approvals and ownership", () => {
    const policy = compiled({
      agents: {
        identities: [{ name: "Acme release agent", ids: [4242], logins: ["acme-release[bot]", "acme-agent"] }],
        trailers: [{ name: "Acme bot", key: "Co-Authored-By", pattern: "<bot@acme\\.dev>" }],
      },
      delegation: { implicit_owner: false },
      approvals: { required: 2 },
    });
    expect(policy.identities).toEqual([...BUILT_IN_AGENT_IDENTITIES, { name: "Acme release agent", ids: [4242], logins: ["acme-release[bot]", "acme-agent"] }]);
    expect(policy.trailerRules.slice(0, BUILT_IN_TRAILER_RULES.length)).toEqual([...BUILT_IN_TRAILER_RULES]);
    expect(policy.trailerRules).toHaveLength(BUILT_IN_TRAILER_RULES.length + 1);
    expect(policy.approvals.required).toBe(2);
    expect(policy.delegation.implicitOwner).toBe(false);
    expect(policy.source).toBe(SOURCE);
  });

  test("a repository trailer rule has a lower-case key and a case-insensitive pattern", () => {
    const rule = compiled({ agents: { trailers: [{ name: "Acme bot", key: "Co-Authored-By", pattern: "<bot@acme\\.dev>" }] } }).trailerRules.at(-1);
    expect(rule?.name).toBe("Acme bot");
    expect(rule?.key).toBe("co-authored-by");
    expect(rule?.pattern.source).toBe("<bot@acme\\.dev>");
    expect(rule?.pattern.test("Acme <BOT@ACME.DEV>")).toBe(true);
    expect(rule?.pattern.test("Acme <bot@acmexdev>")).toBe(false);
  });

  test("an identity's ids and logins default to empty lists", () => {
    expect(compiled({ agents: { identities: [{ name: "Named only" }] } }).identities.at(-1)).toEqual({ name: "Named only", ids: [], logins: [] });
  });

  test.each([1, 10])("approvals.required %d is accepted", (required) => {
    expect(compiled({ approvals: { required } }).approvals.required).toBe(required);
  });

  test("a compiled policy, shared through the compile cache, cannot be changed by its users", () => {
    // Compiled policies are cached by content hash, so this uses content no other test compiles.
    const builtIns = { identities: BUILT_IN_AGENT_IDENTITIES.length, trailers: BUILT_IN_TRAILER_RULES.length };
    const policy = compiled({ approvals: { required: 9 } });
    expect(() => policy.identities.push({ name: "Injected", ids: [], logins: [] })).toThrow(TypeError);
    expect(() => policy.trailerRules.push({ name: "Injected", key: "x", pattern: compileLinearPattern("x") })).toThrow(TypeError);
    expect(() => {
      (policy.approvals as { required: number }).required = 0;
    }).toThrow(TypeError);
    expect(compiled({ approvals: { required: 9 } }).approvals.required).toBe(9);
    expect({ identities: BUILT_IN_AGENT_IDENTITIES.length, trailers: BUILT_IN_TRAILER_RULES.length }).toEqual(builtIns);
    expect(defaultPolicy().identities).toHaveLength(builtIns.identities);
    expect(compiled({ approvals: { required: 8 } }).identities).toHaveLength(builtIns.identities);
  });
});

describe("compileRepoConfig: invalid configs", () => {
  test.each([
    ["a misspelt section key", { agents: { identites: [] } }, [{ path: "agents.identites", message: "unknown key" }]],
    ["an unknown top-level key", { approval: { required: 2 } }, [{ path: "approval", message: "unknown key" }]],
    ["two unknown keys in one object", { approvals: { required: 1, minimum: 2, stale: true } }, [{ path: "approvals.minimum", message: "unknown key" }, { path: "approvals.stale", message: "unknown key" }]],
    ["an unknown key in an identity", { agents: { identities: [{ name: "A", login: ["a"] }] } }, [{ path: "agents.identities[0].login", message: "unknown key" }]],
    ["an unknown key in a trailer", { agents: { trailers: [{ name: "A", key: "Assisted-by", pattern: "x", flags: "g" }] } }, [{ path: "agents.trailers[0].flags", message: "unknown key" }]],
    ["a bad regular expression", { agents: { trailers: [{ name: "Broken", key: "Co-authored-by", pattern: "(unclosed" }] } }, [{ path: "agents.trailers[0].pattern", message: "not a valid RE2 regular expression: missing closing ): `(unclosed`" }]],
    ["a bad trailer key", { agents: { trailers: [{ name: "A", key: "Co authored by", pattern: "x" }] } }, [{ path: "agents.trailers[0].key", message: "not a trailer key" }]],
    ["a bad login", { agents: { identities: [{ name: "A", logins: ["ok-login", "not a login"] }] } }, [{ path: "agents.identities[0].logins[1]", message: "not a GitHub login" }]],
  ])("%s is reported by key path, in the file it is in", (_description, raw, expected) => {
    expect(problems(raw)).toEqual(expected.map((problem) => ({ file: SOURCE, ...problem })));
  });

  test.each([
    ["a string for approvals.required", { approvals: { required: "two" } }, "approvals.required", /expected number/],
    ["zero approvals", { approvals: { required: 0 } }, "approvals.required", />=1/],
    ["eleven approvals", { approvals: { required: 11 } }, "approvals.required", /<=10/],
    ["a fractional approval count", { approvals: { required: 1.5 } }, "approvals.required", /int/],
    ["a string for implicit_owner", { delegation: { implicit_owner: "yes" } }, "delegation.implicit_owner", /expected boolean/],
    ["a list where an object belongs", { agents: [] }, "agents", /expected object/],
    ["an empty section (null in YAML)", { approvals: null }, "approvals", /expected object/],
    ["a negative agent id", { agents: { identities: [{ name: "A", ids: [-1] }] } }, "agents.identities[0].ids[0]", />0/],
    ["an empty identity name", { agents: { identities: [{ name: "" }] } }, "agents.identities[0].name", />=1/],
    ["a string config", "approvals: 2", "(top level)", /expected object/],
    ["a list config", [], "(top level)", /expected object/],
  ])("%s is reported at %s", (_description, raw, path, message) => {
    const found = problems(raw);
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe(path);
    expect(found[0]?.file).toBe(SOURCE);
    expect(found[0]?.message).toMatch(message);
  });

  test("reports every problem at once", () => {
    const paths = problems({ agents: { identites: [] }, approvals: { required: "two" } }).map((problem) => problem.path);
    expect(paths.sort()).toEqual(["agents.identites", "approvals.required"]);
  });
});

describe("describeIssues", () => {
  test("names each unknown key and the path of every other issue, in the given file", () => {
    const parsed = policySchema.safeParse({ extra: 1, agents: { trailers: [{ name: "T", key: "k", pattern: "[" }] } });
    expect(parsed.success).toBe(false);
    const described = describeIssues(parsed.error?.issues ?? [], "org/.github:.github/countersign.yml");
    expect(described).toHaveLength(2);
    expect(described).toEqual(
      expect.arrayContaining([
        { file: "org/.github:.github/countersign.yml", path: "extra", message: "unknown key" },
        { file: "org/.github:.github/countersign.yml", path: "agents.trailers[0].pattern", message: "not a valid RE2 regular expression: missing closing ]: `[`" },
      ]),
    );
  });

  test("an issue without a path is at the top level", () => {
    const parsed = policySchema.safeParse(42);
    expect(describeIssues(parsed.error?.issues ?? [], SOURCE)).toEqual([{ file: SOURCE, path: "(top level)", message: expect.stringMatching(/expected object/) }]);
  });
});

describe("configured patterns are matched by a linear-time engine", () => {
  // Each of these backtracks in JavaScript's RegExp; the first has no nested quantifier, so no screen
  // of pattern shapes refused it. All of them compile for RE2 and answer at once.
  test.each([
    ["^([a-z0-9]|[a-z-])+$", "a".repeat(60) + "!"],
    ["(a+)+$", "a".repeat(60) + "!"],
    ["(\\w*)*x", "w".repeat(60)],
    ["^(a|aa)+$", "a".repeat(80) + "b"],
    ["(.*a){12}b", "a".repeat(60)],
  ])("%s is accepted and does not match %s", (pattern, value) => {
    const rule = compiled({ agents: { trailers: [{ name: "x", key: "Assisted-by", pattern }] } }).trailerRules.at(-1);
    expect(rule?.pattern.test(value)).toBe(false);
  });

  test.each([
    ["agents.trailers[0].pattern", { agents: { trailers: [{ name: "x", key: "Assisted-by", pattern: "(?<=claude)bot" }] } }, /lookarounds/],
    ["agents.trailers[0].pattern", { agents: { trailers: [{ name: "x", key: "Assisted-by", pattern: "(a)\\1" }] } }, /backreferences/],
    ["agents.trailers[0].pattern", { agents: { trailers: [{ name: "x", key: "Assisted-by", pattern: "a++" }] } }, /not a valid RE2 regular expression/],
    ["agents.trailers[0].pattern", { agents: { trailers: [{ name: "x", key: "Assisted-by", pattern: "[\\p{L}\\p{N}]{1,1000}x" }] } }, /too large to match quickly/],
    ["delegation.task.ticket_pattern", { delegation: { task: { ticket_pattern: "^(?!TMP)[A-Z]+-\\d+$" } } }, /lookarounds/],
    ["delegation.task.ticket_pattern", { delegation: { task: { ticket_pattern: "[A-Z" } } }, /not a valid RE2 regular expression/],
  ])("%s: a pattern RE2 cannot run is refused, naming the key (%#)", (path, config, message) => {
    expect(compileRepoConfig(config, "repo")).toMatchObject({ ok: false, problems: [{ path, message: expect.stringMatching(message) }] });
  });

  test("the ticket pattern is case-sensitive, trailer patterns are not", () => {
    const policy = compiled({ delegation: { task: { ticket_pattern: "^SEC-\\d+$" } }, agents: { trailers: [{ name: "x", key: "Assisted-by", pattern: "acme" }] } });
    expect(policy.delegation.task.ticketPattern.test("SEC-1")).toBe(true);
    expect(policy.delegation.task.ticketPattern.test("sec-1")).toBe(false);
    expect(policy.trailerRules.at(-1)?.pattern.test("ACME agent")).toBe(true);
  });
});

describe("policyFromBlobs: the policy read with the pull request", () => {
  const repo = { owner: "acme", name: "widgets" };
  const blob = (oid: string, text: string) => ({ oid, text });

  test("is read once per version of the files (by blob oid), and again when a file changes", async () => {
    const first = await policyFromBlobs(repo, "main", { complete: true, repository: blob("a1", "approvals:\n  required: 2\n"), organization: null });
    const again = await policyFromBlobs(repo, "main", { complete: true, repository: blob("a1", "approvals:\n  required: 2\n"), organization: null });
    expect(first?.ok).toBe(true);
    expect(again).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);

    const changed = await policyFromBlobs(repo, "main", { complete: true, repository: blob("a2", "approvals:\n  required: 3\n"), organization: null });
    expect(changed).not.toBe(first);
    expect(changed?.ok && first?.ok && changed.policy.hash !== first.policy.hash).toBe(true);
    // The same file judging another branch names that branch as its source.
    const otherBranch = await policyFromBlobs(repo, "release", { complete: true, repository: blob("a1", "approvals:\n  required: 2\n"), organization: null });
    expect(otherBranch?.ok && otherBranch.policy.source).toBe("acme/widgets:.github/countersign.yml@release");
  });

  test("names each file by blob and by the commit its branch was at in the same query, and the same blobs at a later commit name that commit", async () => {
    const org = "approvals:\n  required: 2\n";
    const own = "_extends: .github\napprovals:\n  required: 3\n";
    const at = (repoCommit: string, orgCommit: string) => ({ complete: true, repository: { oid: "b1", text: own, commitSha: repoCommit }, organization: { oid: "b0", text: org, commitSha: orgCommit } });
    const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
    const first = await policyFromBlobs({ owner: "acme", name: "gadgets" }, "main", at("c1".repeat(20), "c0".repeat(20)));
    if (!first?.ok) throw new Error("expected a policy");
    expect(first.policy.files).toEqual([
      { repository: "acme/.github", path: ".github/countersign.yml", blobSha: "b0", commitSha: "c0".repeat(20), textHash: sha256(org) },
      { repository: "acme/gadgets", path: ".github/countersign.yml", blobSha: "b1", commitSha: "c1".repeat(20), textHash: sha256(own) },
    ]);
    expect(first.policy.texts).toEqual({ [sha256(org)]: org, [sha256(own)]: own, [first.policy.hash]: expect.any(String) });
    const later = await policyFromBlobs({ owner: "acme", name: "gadgets" }, "main", at("c2".repeat(20), "c0".repeat(20)));
    if (!later?.ok) throw new Error("expected a policy");
    expect(later.policy.files?.map((file) => file.commitSha)).toEqual(["c0".repeat(20), "c2".repeat(20)]);
    // Still compiled once: the same rules, by the same hash.
    expect(later.policy.tiers).toBe(first.policy.tiers);
  });

  test("an invalid file stays invalid from the cache; an unreadable one always goes to the loader", async () => {
    const invalid = { complete: true, repository: blob("bad", "approvals: [\n"), organization: null };
    expect(await policyFromBlobs(repo, "main", invalid)).toMatchObject({ ok: false });
    expect(await policyFromBlobs(repo, "main", invalid)).toMatchObject({ ok: false });
    expect(await policyFromBlobs(repo, "main", { complete: false, repository: null, organization: null })).toBeNull();
  });
});
