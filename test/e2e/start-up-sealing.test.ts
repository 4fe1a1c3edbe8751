import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, expect, test } from "@jest/globals";
import { openDatabase } from "../../src/db/client.js";
import { createTestDatabase, type TestDatabase } from "../helpers/test-database.js";
import { enterpriseEnv, freePort, root, startApp, stopApp, waitFor } from "./app-process.js";

// A database upgraded from before the audit log was hash-chained holds events with no hash. Sealing
// them is start-up work of the app (src/start.ts), not something opening a database does: the
// read-only tools open the same database and must never write to it. Here an "old" database is
// started as users start the app, and `countersign audit verify` is run on it as an operator would.

const run = promisify(execFile);
let database: TestDatabase | undefined;
let child: Awaited<ReturnType<typeof startApp>> | undefined;

afterEach(async () => {
  await stopApp(child);
  child = undefined;
  await database?.dispose();
  database = undefined;
});

function verify(databaseUrl: string) {
  return run(process.execPath, [path.join(root, "lib/bin.js"), "audit", "verify"], { cwd: root, env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl } }).then(
    (done) => ({ code: 0, out: done.stdout }),
    (failed: { code: number; stdout: string }) => ({ code: failed.code, out: failed.stdout }),
  );
}

test("events written before the chain existed are sealed when the app starts, and only then", async () => {
  database = await createTestDatabase();
  await (await openDatabase(database.url)).close();
  // What an older version left behind: rows with no hash (written before the guards existed).
  await database.dropAuditGuards();
  const now = database.provider === "postgres" ? "now()" : String(Date.now());
  await database.rawSql(
    `INSERT INTO "AuditEvent" ("seq", "type", "payload", "createdAt") VALUES (1, 'delegation.created', '{"owner":"octocat"}', ${now}); ` +
      `INSERT INTO "AuditEvent" ("seq", "type", "payload", "createdAt") VALUES (2, 'decision', '{"conclusion":"success"}', ${now})`,
  );

  // The read-only tool reports the unsealed rows and leaves them as they are.
  const before = await verify(database.url);
  expect(before.code).not.toBe(0);
  expect(before.out).toContain("Unsealed rows: 2 rows with no hash");
  expect(await database.rows(`SELECT "seq" FROM "AuditEvent" WHERE "hash" IS NOT NULL`)).toEqual([]);

  const output: string[] = [];
  child = await startApp(enterpriseEnv({ ghesPort: await freePort(), port: await freePort(), databaseUrl: database.url, webhookSecret: "sealing-secret" }), output);
  await waitFor(() => output.join("").includes("countersign: ready"));
  expect(output.join("")).toContain('"auditEventsSealedNow":2');
  await stopApp(child);
  child = undefined;

  const after = await verify(database.url);
  expect(after.code).toBe(0);
  expect(after.out).toMatch(/^Audit log verified: 2 events checked in \d+ ms .*every link intact\.$/m);
  expect(after.out).toContain("Unsealed rows: none.");
});
