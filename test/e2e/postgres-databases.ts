import { randomBytes } from "node:crypto";
import pg from "pg";

// PostgreSQL for the end-to-end tests that need several app processes on one database (replicas):
// the admin connection the suite is given, whether it answers, and scratch databases made through it.

/** The admin connection (the suite's COUNTERSIGN_TEST_POSTGRES_URL, or this machine's default). */
export const ADMIN_URL = process.env.COUNTERSIGN_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Whether PostgreSQL answers at ADMIN_URL (within 2 s). */
export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** A fresh database's URL (named `<prefix>_<random>`), created only when `create()` is called, and how to drop it. */
export function scratchPostgres(prefix: string): { url: string; create(): Promise<void>; drop(): Promise<void> } {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return { url: url.toString(), create: () => admin(`CREATE DATABASE "${name}"`), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
