// `npm run test:postgres`: the integration suite again, on PostgreSQL, when a server is configured.
//
//   COUNTERSIGN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test npm run test:postgres
//
// Each test creates (and drops) its own database through that admin connection. Without the variable
// the PostgreSQL run is skipped, loudly, so a new user's `npm test` still passes on SQLite alone.
import { spawnSync } from "node:child_process";

if (!process.env.COUNTERSIGN_TEST_POSTGRES_URL) {
  console.log("\n*** PostgreSQL tests SKIPPED: set COUNTERSIGN_TEST_POSTGRES_URL=postgres://user@host:5432/db to run the suite on PostgreSQL too. ***\n");
  process.exit(0);
}
const result = spawnSync("npx", ["jest", "test/integration", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, COUNTERSIGN_TEST_DATABASE: "postgres", NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --experimental-vm-modules`.trim() },
});
process.exit(result.status ?? 1);
