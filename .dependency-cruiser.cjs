// The direction of imports in src/, checked by `npm run lint:layers` (part of `npm test`) and by
// test/unit/layers.test.ts, which also proves on a fixture tree that each rule still catches what it
// guards. The house direction (STYLE.md): handlers → services → (policy, github, db, evidence), and
// policy imports nothing that does I/O. Type-only imports count everywhere: a type that crosses a
// layer upwards ties the two layers together as surely as a value does, and cycles made only of
// types are still cycles (issue 12 names one).

/**
 * TEMPORARY ALLOWANCE: known import edges that are part of a cycle, in files other work is rewriting.
 * Each is one exact from → to pair with the issue 12 item whose change removes it; an edge not listed
 * here that closes a cycle is an error, so a cycle made of these edges alone is the only one allowed.
 * Nothing else in src/ is excepted from any rule. test/unit/layers.test.ts fails when an entry is no
 * longer needed: when the item lands, its entries go.
 */
const temporaryCycleAllowance = [
  // Items 1 and 2 (publisher split, the Services bag): deps.ts imports the types EvaluationResult and
  // QueuedEvaluation from evaluate-pull-request.ts, while every service that takes the bag imports
  // deps.ts. That one type-only edge closes the loop; the other eight edges are in it only because of it.
  ["src/services/deps.ts", "src/services/evaluate-pull-request.ts"],
  ["src/services/evaluate-pull-request.ts", "src/services/deps.ts"], // item 1/2, as above
  ["src/services/evaluate-pull-request.ts", "src/services/fail-closed.ts"], // item 1/2, as above
  ["src/services/evaluate-pull-request.ts", "src/services/publish-check-run.ts"], // item 1/2, as above
  ["src/services/evaluate-pull-request.ts", "src/services/record-agent-push.ts"], // item 1/2, as above
  ["src/services/fail-closed.ts", "src/services/deps.ts"], // item 1/2, as above
  ["src/services/fail-closed.ts", "src/services/publish-check-run.ts"], // item 1/2, as above
  ["src/services/publish-check-run.ts", "src/services/deps.ts"], // item 1/2, as above
  ["src/services/record-agent-push.ts", "src/services/deps.ts"], // item 1/2, as above
];

/** A pattern matching exactly one file (a path relative to the repository, as dependency-cruiser reports it). */
const file = (path) => `^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;

const cycleComment = "No import cycles anywhere in src/, type-only imports included.";

/**
 * The cycle rule, as one rule for every module outside the allowance and one per allowed module whose
 * own allowed targets alone are excepted (dependency-cruiser's rules restrict from and to separately,
 * so an exact pair needs a rule of its own source).
 */
function cycleRules() {
  const allowedTargets = new Map();
  for (const [from, to] of temporaryCycleAllowance) allowedTargets.set(from, [...(allowedTargets.get(from) ?? []), to]);
  const rules = [
    {
      name: "no-circular",
      comment: cycleComment,
      severity: "error",
      from: { path: "^src/", pathNot: [...allowedTargets.keys()].map(file) },
      to: { circular: true },
    },
  ];
  for (const [from, targets] of allowedTargets) {
    rules.push({
      name: "no-circular",
      comment: `${cycleComment} (${from}: its temporarily allowed edges excepted)`,
      severity: "error",
      from: { path: file(from) },
      to: { circular: true, pathNot: targets.map(file) },
    });
  }
  return rules;
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "policy-imports-only-policy",
      comment:
        "src/policy is the pure decision engine: inputs in, decision and reasons out. It imports " +
        "nothing else in src/ (no GitHub, database, services, handlers, config, evidence).",
      severity: "error",
      from: { path: "^src/policy/" },
      to: { path: "^src/", pathNot: "^src/policy/" },
    },
    {
      name: "policy-no-io-modules",
      comment:
        "src/policy does no I/O: no Node.js built-in modules, and only packages that compute " +
        "(adding one here is a decision that it does no I/O).",
      severity: "error",
      from: { path: "^src/policy/" },
      to: {
        dependencyTypesNot: ["local"],
        pathNot: "^node_modules/(picomatch|re2js|zod)/",
      },
    },
    {
      name: "db-not-above",
      comment:
        "src/db is below services: repositories are called by services and never call back up " +
        "(no services, handlers, commands, setup, CLI or entry points).",
      severity: "error",
      from: { path: "^src/db/" },
      to: { path: "^src/(services|handlers|commands|setup|cli)/|^src/[^/]+\\.ts$" },
    },
    {
      name: "nothing-below-imports-services",
      comment:
        "Services orchestrate the layers below them; policy, GitHub, database, evidence, config, " +
        "audit, observability and command parsing never reach back up into them.",
      severity: "error",
      from: { path: "^src/(policy|github|db|evidence|config|audit|observability|commands)/" },
      to: { path: "^src/services/" },
    },
    {
      name: "handlers-on-top",
      comment:
        "Handlers are the top of the app: only the wiring (src/index.ts, src/start.ts, src/setup) " +
        "and other handlers import them.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(handlers|setup)/|^src/(index|start)\\.ts$" },
      to: { path: "^src/handlers/" },
    },
    {
      name: "src-not-test-or-scripts",
      comment: "The app never imports test code or the repository's scripts.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|scripts)/" },
    },
    ...cycleRules(),
    {
      name: "not-to-unresolvable",
      comment:
        "Every import resolves: an import the checker cannot follow is one no rule above can see " +
        "(this is what fails if the .js → .ts mapping ever stops working).",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "not-to-dev-dependency",
      comment: "src/ runs without devDependencies (the image prunes them); type-only imports are erased.",
      severity: "error",
      from: { path: "^src/" },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: "(^|/)node_modules/" },
    // Prisma's generated client is not ours to arrange.
    exclude: { path: "^src/db/generated/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // Packages resolve as Node's ESM loader resolves them (their exports, the import condition);
    // relative `.js` specifiers find their `.ts` sources through the tsconfig.
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "node", "default"],
      mainFields: ["module", "main", "types", "typings"],
    },
  },
};
