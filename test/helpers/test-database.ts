import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";

// The database a test runs on. By default a fresh SQLite file; with COUNTERSIGN_TEST_DATABASE=postgres
// (set by `npm run test:postgres`), a fresh PostgreSQL database per test, created and dropped around it
// through the admin connection COUNTERSIGN_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test).

export const TEST_POSTGRES_URL = process.env.COUNTERSIGN_TEST_DATABASE === "postgres" ? (process.env.COUNTERSIGN_TEST_POSTGRES_URL ?? null) : null;
if (process.env.COUNTERSIGN_TEST_DATABASE === "postgres" && !TEST_POSTGRES_URL) throw new Error("COUNTERSIGN_TEST_DATABASE=postgres needs COUNTERSIGN_TEST_POSTGRES_URL");

/** A scratch database for one test. */
export interface TestDatabase {
  provider: "sqlite" | "postgres";
  url: string;
  /**
   * Runs SQL on its own connection, around the app and Prisma (as someone with direct database
   * access would): for tests that tamper with the audit log.
   */
  rawSql(sql: string): Promise<void>;
  /** Reads rows on its own connection: what an operator would see with psql or sqlite3. */
  rows(sql: string): Promise<Array<Record<string, unknown>>>;
  /** Drops the audit log's guards (triggers), as a deliberate attacker would first. */
  dropAuditGuards(): Promise<void>;
  dispose(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (TEST_POSTGRES_URL) {
    const name = `countersign_test_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const url = withDatabase(TEST_POSTGRES_URL, name);
    const query = async (sql: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql)).rows as Array<Record<string, unknown>>;
      } finally {
        await client.end();
      }
    };
    const run = async (sql: string) => void (await query(sql));
    return {
      provider: "postgres",
      url,
      rawSql: run,
      rows: query,
      dropAuditGuards: () =>
        run(['"AuditEvent_no_update"', '"AuditEvent_no_delete"', '"AuditEvent_insert_sealed"', '"AuditEvent_no_truncate"'].map((trigger) => `DROP TRIGGER IF EXISTS ${trigger} ON "AuditEvent"`).join("; ")),
      async dispose() {
        const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await client.end();
      },
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), "countersign-test-"));
  const file = path.join(dir, "countersign.db");
  const run = async (sql: string) => {
    const sqlite = new Sqlite(file, { timeout: 10_000 });
    try {
      sqlite.exec(sql);
    } finally {
      sqlite.close();
    }
  };
  return {
    provider: "sqlite",
    url: `file:${file}`,
    rawSql: run,
    async rows(sql) {
      const sqlite = new Sqlite(file, { readonly: true, timeout: 10_000 });
      try {
        return sqlite.prepare(sql).all() as Array<Record<string, unknown>>;
      } finally {
        sqlite.close();
      }
    },
    dropAuditGuards: () => run(['"AuditEvent_no_update"', '"AuditEvent_no_delete"', '"AuditEvent_insert_sealed"'].map((trigger) => `DROP TRIGGER IF EXISTS ${trigger}`).join("; ")),
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
