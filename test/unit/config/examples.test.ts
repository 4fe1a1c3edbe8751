import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "@jest/globals";
import { parse } from "yaml";
import { compileRepoConfig, policyFromBlobs, type PolicyLoadResult } from "../../../src/config/repo-policy-loader.js";
import { teamName, type RepoPolicy } from "../../../src/policy/repo-policy.js";
import { applicableTiers } from "../../../src/policy/tiers.js";

// The policies in examples/ are meant to be copied into `.github/countersign.yml` as they are, so each
// is read exactly as the app reads the policy files of a pull request (`policyFromBlobs`: the YAML
// parsed as Probot's loader parses it, `_extends: .github` resolved against the organization's file,
// every file validated on its own and again after merging). A typo in an example, or a schema change
// that breaks one, fails here. Files are discovered, so a new example is tested without being listed.
//
// An example with `_extends: .github` is a repository's file under an organization's: it is named
// `<organization example>.<repository>.yml` and judged with `<organization example>.yml` as the
// organization `.github` repository's file (the floor it may only tighten). An example another one
// extends is judged as that organization's file; every other example as a repository's own file.

const root = path.resolve(import.meta.dirname, "../../..");
const examplesDir = path.join(root, "examples");
const OWNER = "acme";
const BASE = "main";
const HOURS = 3_600_000;
const DAYS = 24 * HOURS;

interface Example {
  file: string;
  text: string;
  /** For a repository file with `_extends: .github`: the organization example it extends. */
  extendsFile: string | null;
  /** The repository whose `.github/countersign.yml` it is judged as. */
  repository: string;
}

/** The file's git blob id, as the pull-request query reports it (the policy cache is keyed by it). */
function blob(text: string): { oid: string; text: string } {
  return { oid: createHash("sha1").update(`blob ${Buffer.byteLength(text)}\0${text}`).digest("hex"), text };
}

function readExample(file: string): Example {
  const text = readFileSync(path.join(examplesDir, file), "utf8");
  const parsed: unknown = parse(text);
  const extendsValue = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>)._extends : undefined;
  if (extendsValue === undefined) return { file, text, extendsFile: null, repository: "widgets" };
  const [base, repository] = file.replace(/\.yml$/, "").split(".");
  if (extendsValue !== ".github" || !base || !repository) {
    throw new Error(`${file}: an example that extends another says \`_extends: .github\` and is named <organization example>.<repository>.yml`);
  }
  return { file, text, extendsFile: `${base}.yml`, repository };
}

const examples = readdirSync(examplesDir)
  .filter((name) => name.endsWith(".yml"))
  .sort()
  .map(readExample);
const byName = new Map(examples.map((example) => [example.file, example]));

/** Whether another example extends this one: it is then an organization's file. */
const isOrganizationFile = (example: Example) => examples.some((other) => other.extendsFile === example.file);

/** The example as the app reads it: the repository's file on `main`, with the organization's file under it. */
function load(example: Example): Promise<PolicyLoadResult | null> {
  if (isOrganizationFile(example)) return policyFromBlobs({ owner: OWNER, name: "no-policy-of-its-own" }, BASE, { complete: true, repository: null, organization: blob(example.text) });
  const organization = example.extendsFile ? byName.get(example.extendsFile) : undefined;
  if (example.extendsFile && !organization) throw new Error(`${example.file} extends ${example.extendsFile}, which is not in examples/`);
  return policyFromBlobs({ owner: OWNER, name: example.repository }, BASE, { complete: true, repository: blob(example.text), organization: organization ? blob(organization.text) : null });
}

/** Every example as the app reads it (parsing is asynchronous: it runs in a worker thread). */
const loaded = new Map<string, PolicyLoadResult | null>();
beforeAll(async () => {
  for (const example of examples) loaded.set(example.file, await load(example));
});

/** The compiled policy of an example, which must be valid. */
function policyOf(file: string): RepoPolicy {
  const example = byName.get(file);
  if (!example) throw new Error(`examples/${file} is missing`);
  const result = loaded.get(example.file);
  if (!result?.ok) throw new Error(`examples/${file} does not compile: ${JSON.stringify(result)}`);
  return result.policy;
}

/** The names of the tiers that apply to an agent pull request changing `files` into `baseRef`. */
function tiersFor(policy: RepoPolicy, files: string[], baseRef = BASE): string[] {
  return applicableTiers(policy, { files, baseRef, labels: [] }).map((tier) => tier.name);
}

/** The approvals needed once tiers apply: the highest of the policy's and every applying tier's. */
function approvalsFor(policy: RepoPolicy, files: string[], baseRef = BASE): number {
  return Math.max(policy.approvals.required, ...applicableTiers(policy, { files, baseRef, labels: [] }).map((tier) => tier.require.approvals ?? 0));
}

const teams = (refs: ReadonlyArray<{ org: string; slug: string }>) => refs.map(teamName);

describe("examples/", () => {
  test("holds at least the three documented situations", () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    expect(examples.map((example) => example.file)).toEqual(expect.arrayContaining(["small-team.yml", "platform-team.yml", "regulated-repository.yml"]));
  });

  test("examples/README.md mentions every example", () => {
    const readme = readFileSync(path.join(examplesDir, "README.md"), "utf8");
    const missing = examples.map((example) => example.file).filter((file) => !readme.includes(file));
    expect(missing).toEqual([]);
  });
});

describe.each(examples.map((example) => [example.file, example] as const))("examples/%s", (file, example) => {
  test("validates and compiles as the app reads it, with no problems", () => {
    const result = loaded.get(example.file);
    expect(result).toMatchObject({ ok: true });
    expect(result?.ok && result.policy.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test("says in its first line where it goes", () => {
    expect(example.text.split("\n")[0]).toMatch(/^# \.github\/countersign\.yml /);
  });

  test("is not the built-in defaults in disguise", () => {
    const defaults = compileRepoConfig({}, "built-in defaults", OWNER);
    if (!defaults.ok) throw new Error("the built-in defaults do not compile");
    expect(policyOf(file).hash).not.toBe(defaults.policy.hash);
  });

  test("asks no tier for a team whose approvals could not count", () => {
    // A tier's approver_teams are met by counted approvals, and when approvals.approvers.teams is set
    // only its members' approvals count: a team missing from it could never satisfy the tier.
    const policy = policyOf(file);
    const approvers = teams(policy.approvals.approvers.teams);
    const uncountable = policy.tiers.flatMap((tier) => teams(tier.require.approverTeams ?? [])).filter((team) => approvers.length > 0 && !approvers.includes(team));
    expect(uncountable).toEqual([]);
  });

  if (example.extendsFile === null) {
    test("means the same as the organization's file, inherited by a repository without its own", async () => {
      const asOrganization = await policyFromBlobs({ owner: OWNER, name: "no-policy-of-its-own" }, BASE, { complete: true, repository: null, organization: blob(example.text) });
      expect(asOrganization).toMatchObject({ ok: true, policy: { hash: policyOf(file).hash, source: `${OWNER}/.github:.github/countersign.yml` } });
    });
  }
});

describe("what each example promises", () => {
  test("small-team.yml: one approval, implicit owners, the built-in sensitive tier, and a dry-run hint", () => {
    const policy = policyOf("small-team.yml");
    expect(policy).toMatchObject({
      mode: "enforce",
      delegation: { required: true, implicitOwner: true, delegators: { minPermission: "write", teams: [], users: [] }, task: { required: true, forms: ["issue", "url"] }, defaultExpiryMs: 7 * DAYS, maxExpiryMs: 30 * DAYS },
      approvals: { required: 1, exclude: { delegator: true, prAuthor: true, commitAuthors: true } },
    });
    expect(policy.tiers.map((tier) => [tier.name, tier.builtIn])).toEqual([["sensitive", true]]);
    expect(approvalsFor(policy, ["src/app.ts"])).toBe(1);
    expect(approvalsFor(policy, [".github/workflows/ci.yml"])).toBe(2);
    expect(byName.get("small-team.yml")?.text).toMatch(/^#\s+mode: evaluate$/m);
  });

  test("platform-team.yml: teams delegate and approve, and infrastructure and CI need the platform team", () => {
    const policy = policyOf("platform-team.yml");
    expect(teams(policy.delegation.delegators.teams)).toEqual(["acme/engineering-leads", "acme/platform"]);
    expect(policy.delegation.task.forms).toEqual(["issue", "ticket"]);
    expect(policy.delegation.task.ticketPattern.test("PLAT-42")).toBe(true);
    expect(policy.delegation.task.ticketPattern.test("JIRA-42")).toBe(false);
    expect(policy.identities.map((identity) => identity.name)).toContain("Acme platform automation");
    expect(policy.tiers.map((tier) => tier.name)).toEqual(["sensitive", "infrastructure", "ci-pipelines", "release-branches"]);

    const platformTiers = policy.tiers.filter((tier) => teams(tier.require.approverTeams ?? []).includes("acme/platform")).map((tier) => tier.name);
    expect(platformTiers).toEqual(["infrastructure", "ci-pipelines"]);
    expect(tiersFor(policy, ["terraform/network/main.tf"])).toEqual(["sensitive", "infrastructure"]);
    expect(tiersFor(policy, ["services/api/k8s/deployment.yaml"])).toEqual(["sensitive", "infrastructure"]);
    expect(tiersFor(policy, [".github/workflows/deploy.yml"])).toEqual(["sensitive", "ci-pipelines"]);
    expect(tiersFor(policy, ["src/api/handler.ts"])).toEqual([]);
    expect(tiersFor(policy, ["src/api/handler.ts"], "release/2.4")).toEqual(["release-branches"]);
    expect(approvalsFor(policy, ["infra/dns.tf"])).toBe(2);
    expect(policy.scope).toEqual({ enforcePaths: true, baseBranches: ["main", "release/*"] });
    expect(policy.protectedBranches).toEqual(["main", "release/*"]);
  });

  test("platform-team.payments-api.yml: extends the organization's policy and tightens it", () => {
    const policy = policyOf("platform-team.payments-api.yml");
    expect(policy.source).toBe("acme/.github:.github/countersign.yml extended by acme/payments-api:.github/countersign.yml@main");
    expect(policy.approvals.required).toBe(2);
    expect(policy.delegation).toMatchObject({ defaultExpiryMs: 3 * DAYS, maxExpiryMs: 7 * DAYS });
    // Inherited from the organization: its delegators, task rules and agents.
    expect(teams(policy.delegation.delegators.teams)).toEqual(["acme/engineering-leads", "acme/platform"]);
    expect(policy.delegation.task.forms).toEqual(["issue", "ticket"]);
    expect(policy.identities.map((identity) => identity.name)).toContain("Acme platform automation");
    // Tiers merge by name: the organization's stay, the repository's own is added, a same-named one replaces.
    expect(policy.tiers.map((tier) => tier.name)).toEqual(["sensitive", "infrastructure", "ci-pipelines", "release-branches", "database-migrations"]);
    expect(teams(policy.tiers.find((tier) => tier.name === "release-branches")?.require.approverTeams ?? [])).toEqual(["acme/release-managers", "acme/payments-leads"]);
    expect(tiersFor(policy, ["db/migrations/0042_add_index.sql"])).toEqual(["database-migrations"]);
  });

  test("regulated-repository.yml: tickets, short delegations, two approvals, forbidden paths, enforced scope", () => {
    const policy = policyOf("regulated-repository.yml");
    expect(policy).toMatchObject({
      mode: "enforce",
      allAppsAreAgents: true,
      delegation: { required: true, implicitOwner: false, delegators: { minPermission: "maintain" }, task: { required: true, forms: ["ticket"] }, defaultExpiryMs: 24 * HOURS, maxExpiryMs: 3 * DAYS },
      approvals: { required: 2, exclude: { delegator: true, prAuthor: true, commitAuthors: true } },
      scope: { enforcePaths: true, baseBranches: ["main", "release/*"] },
      protectedBranches: ["main", "release/*", "hotfix/*"],
    });
    expect(teams(policy.delegation.delegators.teams)).toEqual(["acme/change-approvers"]);
    expect(policy.delegation.task.ticketPattern.test("CHG-1234")).toBe(true);
    expect(policy.delegation.task.ticketPattern.test("SEC-1234")).toBe(false);

    const forbidden = policy.tiers.filter((tier) => tier.require.agentsForbidden === true).map((tier) => tier.name);
    expect(forbidden).toEqual(["cardholder-data"]);
    expect(tiersFor(policy, ["src/payments/card/tokenize.ts"])).toContain("cardholder-data");
    expect(tiersFor(policy, ["src/audit/trail.ts"])).toContain("cardholder-data");
    expect(tiersFor(policy, ["src/reports/monthly.ts"])).toEqual([]);

    const security = policy.tiers.find((tier) => tier.name === "security-controls");
    expect(security?.require).toEqual({ approvals: 2, approverTeams: [{ org: "acme", slug: "security" }], maxDelegationExpiryMs: 12 * HOURS });
    expect(tiersFor(policy, ["src/auth/session.ts"])).toEqual(["security-controls"]);
    expect(approvalsFor(policy, ["src/auth/session.ts"], "release/3.1")).toBe(3);
  });
});
