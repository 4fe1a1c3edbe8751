// Generates the Prisma client without network access.
//
// `prisma generate` insists on locating a schema-engine binary even though generation never runs it,
// and its download is unreachable from machines that only see the npm registry. Pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing executable (this Node binary) satisfies that check; the
// real schema engine used for migrations is @prisma/schema-engine-wasm (see src/db/migrate.ts).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const prismaCli = path.join(path.dirname(require.resolve("prisma/package.json")), "build", "index.js");

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;

const result = spawnSync(process.execPath, [prismaCli, "generate", "--schema", "prisma/schema.prisma"], {
  stdio: "inherit",
  env,
});
process.exit(result.status ?? 1);
