// Generates the Prisma clients without network access: one for SQLite (the embedded default) and one
// for PostgreSQL, from the one source schema.
//
// One schema cannot serve two providers (`provider = env(...)` is rejected), so prisma/schema.prisma
// (SQLite) is the source and prisma/schema.postgres.prisma is derived from it here, changing only the
// provider and the client's output folder. The derived file is not committed: edit the source.
//
// `prisma generate` insists on locating a schema-engine binary even though generation never runs it,
// and its download is unreachable from machines that only see the npm registry. Pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing executable (this Node binary) satisfies that check; the
// real schema engine used for migrations is @prisma/schema-engine-wasm (see src/db/schema-engine.ts).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
let prismaCli;
try {
  prismaCli = path.join(path.dirname(require.resolve("prisma/package.json")), "build", "index.js");
} catch {
  // The Prisma CLI is a development dependency: an install without them (`npm ci --omit=dev`) cannot
  // generate, and needs clients generated (and compiled into lib/) by a full install beforehand.
  if (existsSync("src/db/generated/sqlite") && existsSync("src/db/generated/postgres")) {
    console.log("generate-prisma: the Prisma CLI is not installed (a production install); using the clients already generated");
    process.exit(0);
  }
  console.error("generate-prisma: the Prisma CLI is not installed, so the Prisma clients cannot be generated. Run `npm install` with development dependencies (the Docker image builds that way, then prunes them).");
  process.exit(1);
}

const source = readFileSync("prisma/schema.prisma", "utf8");
const derived = source
  .replace('provider = "sqlite"', 'provider = "postgresql"')
  .replace('output              = "../src/db/generated/sqlite"', 'output              = "../src/db/generated/postgres"');
if (derived === source || !derived.includes('provider = "postgresql"') || !derived.includes("generated/postgres")) {
  console.error("generate-prisma: could not derive the PostgreSQL schema from prisma/schema.prisma");
  process.exit(1);
}
writeFileSync(
  "prisma/schema.postgres.prisma",
  `// GENERATED from prisma/schema.prisma by scripts/generate-prisma.mjs: do not edit, edit the source.\n${derived}`,
);

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;

for (const schema of ["prisma/schema.prisma", "prisma/schema.postgres.prisma"]) {
  const result = spawnSync(process.execPath, [prismaCli, "generate", "--schema", schema], { stdio: "inherit", env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
