import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, test } from "@jest/globals";
import { CREDENTIAL_CEILING_KEYS } from "../../src/config/policy-floor.js";
import { RELAXABLE_KEYS } from "../../src/config/policy.schema.js";
import { POLICY_FILE_LIMITS } from "../../src/config/policy-yaml.js";
import { compilePolicyLayers } from "../../src/config/repo-policy-loader.js";
import { CONTROLS } from "../../src/evidence/controls.js";
import { SENSITIVE_PATHS } from "../../src/policy/repo-policy.js";

// app.yml is what GitHub registers; the README is what an installer reads. They must agree, every
// subscribed event must be handled, and the README's example policy must be one Countersign accepts.
const root = path.resolve(import.meta.dirname, "../..");
const manifest = parse(readFileSync(path.join(root, "app.yml"), "utf8")) as { default_events: string[]; default_permissions: Record<string, string> };
const readme = readFileSync(path.join(root, "README.md"), "utf8");
const section = readme.slice(readme.indexOf("## Permissions and events"), readme.indexOf("## Configuration"));

function tableRows(text: string): string[][] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| ---"))
    .map((line) => line.split("|").slice(1, -1).map((cell) => cell.trim()));
}

describe("app.yml and the README", () => {
  test("the permissions table lists exactly the manifest's permissions and access levels", () => {
    const rows = tableRows(section).filter((row) => ["read", "write"].includes(row[1] ?? ""));
    const documented = Object.fromEntries(rows.map((row) => [(row[0] ?? "").toLowerCase().replace(/ /g, "_"), row[1]]));
    expect(documented).toEqual(manifest.default_permissions);
  });

  test("the events table lists exactly the manifest's events", () => {
    const documented = tableRows(section)
      .map((row) => /^`([a-z_]+)`$/.exec(row[0] ?? "")?.[1])
      .filter((name): name is string => name !== undefined);
    expect(documented.sort()).toEqual([...manifest.default_events].sort());
  });

  test("every subscribed event has a handler in src/index.ts", () => {
    const wiring = readFileSync(path.join(root, "src/index.ts"), "utf8");
    for (const event of manifest.default_events) expect(wiring).toMatch(new RegExp(`["\`]${event}[."\`]`));
  });
});

describe("the README's configuration examples", () => {
  const blocks = [...readme.matchAll(/```yaml\n(# \.github\/countersign\.yml[^\n]*\n[\s\S]*?)```/g)].map((match) => match[1] ?? "");

  test("are a valid organization policy and a repository file that only tightens it", () => {
    expect(blocks).toHaveLength(2);
    const [org, repo] = blocks.map((block) => parse(block) as Record<string, unknown>);
    const { _extends: extendsValue, ...repoPolicy } = repo ?? {};
    expect(extendsValue).toBe(".github");
    const compiled = compilePolicyLayers(
      {
        organization: [{ source: "acme/.github:.github/countersign.yml", content: org }],
        repository: [{ source: "acme/payments-api:.github/countersign.yml", content: repoPolicy }],
      },
      "acme",
    );
    expect(compiled).toMatchObject({ ok: true, policy: { mode: "enforce", approvals: { required: 2 } } });
    if (!compiled.ok) return;
    expect(compiled.policy.identities.map((identity) => identity.name)).toContain("Acme release agent");
    expect(compiled.policy.tiers.map((tier) => tier.name)).toEqual(["sensitive", "payments-core", "hotfix", "migrations"]);
  });
});

describe("the README's policy reference and the code", () => {
  const configuration = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("### Trying a policy on a live pull request"));

  test("the built-in sensitive tier's list is exactly the patterns the tier matches", () => {
    const list = configuration.slice(configuration.indexOf("**Built-in tier `sensitive`**"), configuration.indexOf("**Built-in agent identities**"));
    const documented = [...list.matchAll(/^- [^:]+: ([\s\S]*?)(?=^- |^\n|^Replace)/gm)].flatMap((match) => [...(match[1] ?? "").matchAll(/`([^`]+)`/g)].map((code) => code[1]));
    expect([...documented].sort()).toEqual([...SENSITIVE_PATHS].sort());
  });

  test("the floor's table names every key the floor compares, and the lists that add up", () => {
    const table = configuration.slice(configuration.indexOf("**The organization's policy is a floor.**"), configuration.indexOf("Where the organization wants repositories"));
    const keys = tableRows(table).map((row) => /^`([^`]+)`$/.exec(row[0] ?? "")?.[1]).filter((key): key is string => key !== undefined);
    expect([...keys].sort()).toEqual([...RELAXABLE_KEYS, ...CREDENTIAL_CEILING_KEYS, "agents.identities", "agents.trailers", "tiers.<name>"].sort());
  });

  test("the policy file's limits are the ones the parser applies", () => {
    const validation = configuration.slice(configuration.indexOf("**Validation.**"), configuration.indexOf("**Versions.**"));
    expect(validation).toContain(`**${POLICY_FILE_LIMITS.bytes / 1024} KiB**`);
    expect(validation).toContain(`**${POLICY_FILE_LIMITS.values.toLocaleString("en-US")}** values`);
    expect(validation).toContain(`**${POLICY_FILE_LIMITS.depth}** levels`);
    expect(validation).toContain(`**${POLICY_FILE_LIMITS.aliases}** YAML aliases`);
    expect(validation).toContain(`**${POLICY_FILE_LIMITS.parseMs / 1000} s**`);
  });
});

describe("docs/controls-mapping.md", () => {
  test("lists exactly the controls the evidence page shows, with the same mappings", () => {
    const doc = readFileSync(path.join(root, "docs/controls-mapping.md"), "utf8");
    const documented = tableRows(doc).filter((row) => /^CS-\d+$/.test(row[0] ?? "") && row.length === 6);
    expect(documented).toEqual(CONTROLS.map((control) => [control.id, control.name, control.what, control.owaspAgentic.join("; "), control.maestro.join("; "), control.nistGovern.join(", ")]));
  });
});
