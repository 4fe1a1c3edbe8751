// The direction of imports in src/, checked by `npm run lint:layers` (part of `npm test`) and by
// test/unit/layers.test.ts, which also proves on a fixture tree that each rule still catches what it
// guards. The house direction (STYLE.md): handlers → services → (policy, github, db, evidence), and
// policy imports nothing that does I/O; deliveries sit above services (the wiring runs each handler
// through the delivery inbox), and the concurrency primitives below them. Type-only imports count everywhere: a type that crosses a
// layer upwards ties the two layers together as surely as a value does, and cycles made only of
// types are still cycles (issue 12 names one).

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
      name: "concurrency-imports-only-concurrency",
      comment:
        "src/concurrency holds plain concurrency primitives (a semaphore, keyed and coalescing " +
        "serializers) that services and deliveries build on: they know nothing of the app.",
      severity: "error",
      from: { path: "^src/concurrency/" },
      to: { path: "^src/", pathNot: "^src/concurrency/" },
    },
    {
      name: "audit-chain-imports-only-audit",
      comment:
        "src/audit is the audit log's hash chain: how an event is hashed and how a chain is checked, " +
        "pure code below the database that stores it and the tools that verify it. It imports nothing " +
        "else in src/.",
      severity: "error",
      from: { path: "^src/audit/" },
      to: { path: "^src/", pathNot: "^src/audit/" },
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
        "audit, observability, command parsing and the concurrency primitives never reach back up into them.",
      severity: "error",
      from: { path: "^src/(policy|github|db|evidence|config|audit|observability|commands|concurrency)/" },
      to: { path: "^src/services/" },
    },
    {
      name: "nothing-below-imports-deliveries",
      comment:
        "src/deliveries (the inbox that claims each webhook delivery once, its queue, and the sweeps " +
        "that take up stored deliveries) sits between the wiring and the handlers it runs: services, " +
        "policy, GitHub, database and the layers beside them never reach up into it.",
      severity: "error",
      from: { path: "^src/(services|policy|github|db|evidence|config|audit|observability|commands|concurrency)/" },
      to: { path: "^src/deliveries/" },
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
    {
      name: "no-circular",
      comment: "No import cycles anywhere in src/, type-only imports included.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
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
