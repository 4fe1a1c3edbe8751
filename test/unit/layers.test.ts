import path from "node:path";
import { beforeAll, describe, expect, test } from "@jest/globals";
import { cruise, type ICruiseOptions, type ICruiseResult } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";

// `npm run lint:layers` checks src/ against .dependency-cruiser.cjs. A rule that silently matches
// nothing (a mistyped path, imports that stop resolving) would pass there for ever, so here the same
// configuration cruises test/fixtures/layers, a tree that breaks every rule once, and must report
// exactly those breaks; then the real src/ must report none, with no rule excepting any of it.
const root = path.resolve(import.meta.dirname, "../..");
const configFile = path.join(root, ".dependency-cruiser.cjs");
const tsconfigFile = path.join(root, "tsconfig.json");

let options: ICruiseOptions;

/** Cruises `src` under `baseDir` as `npm run lint:layers` does, paths reported relative to `baseDir`. */
async function cruiseSrc(baseDir: string): Promise<ICruiseResult> {
  const result = await cruise(
    ["src"],
    { ...options, baseDir, tsConfig: { fileName: tsconfigFile } },
    {},
    { tsConfig: extractTSConfig(tsconfigFile) },
  );
  return result.output as ICruiseResult;
}

/** `rule: from -> to`, a package named as `npm:name` (where it resolves to depends on its exports). */
function violations(result: ICruiseResult): string[] {
  return result.summary.violations
    .map((v) => `${v.rule.name}: ${v.from} -> ${v.to.replace(/^(\.\.\/)*node_modules\/((@[^/]+\/)?[^/]+)\/.*$/, "npm:$2")}`)
    .sort();
}

type Rule = { name?: string; from?: { path?: string }; to?: { circular?: boolean; pathNot?: string | string[] } };

function rules(): Rule[] {
  return (options.ruleSet?.forbidden ?? []) as Rule[];
}

beforeAll(async () => {
  options = await extractDepcruiseOptions(configFile);
});

describe("the layer rules", () => {
  let fixture: ICruiseResult;
  beforeAll(async () => {
    fixture = await cruiseSrc(path.join(root, "test/fixtures/layers"));
  }, 60_000);

  test("report each break in the fixture tree, and nothing in the files that break none", () => {
    expect(violations(fixture)).toEqual([
      "audit-chain-imports-only-audit: src/audit/reads-store.ts -> src/db/store.ts",
      "concurrency-imports-only-concurrency: src/concurrency/knows-the-app.ts -> src/db/store.ts",
      "db-not-above: src/db/store.ts -> src/services/service-a.ts",
      "handlers-on-top: src/services/calls-handler.ts -> src/handlers/event.ts",
      "no-circular: src/services/service-a.ts -> src/services/service-b.ts",
      "not-to-dev-dependency: src/services/imports-dev-dependency.ts -> npm:fast-check",
      "not-to-unresolvable: src/services/imports-missing.ts -> ./missing-module.js",
      "nothing-below-imports-deliveries: src/services/queues-delivery.ts -> src/deliveries/inbox.ts",
      "nothing-below-imports-services: src/db/store.ts -> src/services/service-a.ts",
      "nothing-below-imports-services: src/github/calls-service.ts -> src/services/service-a.ts",
      "policy-imports-only-policy: src/policy/reads-database.ts -> src/db/store.ts",
      "policy-no-io-modules: src/policy/reads-file.ts -> fs",
      "src-not-test-or-scripts: src/services/imports-test.ts -> test/helper.ts",
    ]);
  });

  test("count a cycle whose one side is a type-only import", () => {
    const cycle = fixture.summary.violations.find((v) => v.rule.name === "no-circular");
    expect(cycle?.dependencyTypes).toContain("type-only");
    expect(cycle?.cycle?.map((step) => step.name).sort()).toEqual(["src/services/service-a.ts", "src/services/service-b.ts"]);
  });

  test("every rule in the configuration is broken somewhere in the fixture tree", () => {
    const broken = new Set(fixture.summary.violations.map((v) => v.rule.name));
    expect(rules().map((rule) => rule.name).filter((name) => !broken.has(name ?? ""))).toEqual([]);
  });
});

describe("src/", () => {
  let real: ICruiseResult;
  beforeAll(async () => {
    real = await cruiseSrc(root);
  }, 60_000);

  test("has no violations", () => {
    expect(real.summary.totalCruised).toBeGreaterThan(100);
    expect(violations(real)).toEqual([]);
  });

  test("Prisma's generated client is left out and every import resolves", () => {
    const sources = real.modules.map((module) => module.source);
    expect(sources.filter((source) => source.startsWith("src/db/generated/"))).toEqual([]);
    expect(sources).toContain("src/policy/evaluate.ts");
    const unresolved = real.modules.flatMap((module) => module.dependencies.filter((d) => d.couldNotResolve).map((d) => `${module.source} -> ${d.module}`));
    expect(unresolved).toEqual([]);
  });

});
