// `npm run test:postgres`: the integration suite and the end-to-end suite (the built app as its own
// process) again, on PostgreSQL, when a server is configured.
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
const env = { ...process.env, COUNTERSIGN_TEST_DATABASE: "postgres", NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --experimental-vm-modules`.trim() };
const runs = [
  ["jest", "test/integration"],
  // The replica tests are PostgreSQL-only and already run in `npm run test:e2e`.
  ["jest", "--config", "jest.e2e.config.js", "--testPathIgnorePatterns", "replicas|replica-kill|shared-throttling"],
];
for (const args of runs) {
  console.log(`\n*** On PostgreSQL: ${args.join(" ")} ***\n`);
  const result = spawnSync("npx", [...args, ...process.argv.slice(2)], { stdio: "inherit", env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
