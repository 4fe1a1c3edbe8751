import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

// A scratch database per run: a SQLite file in a temporary directory, or a PostgreSQL database
// created (and dropped) through an admin connection to BENCH_POSTGRES_URL.

/** The PostgreSQL server to use: BENCH_POSTGRES_URL, else the test suite's, else a local default. */
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? process.env.COUNTERSIGN_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** The server's address without credentials, for the report. */
export function describePostgres(url = POSTGRES_URL) {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}`;
}

/** Resolves to the server's version string, or throws why it cannot be reached. */
export async function postgresVersion(url = POSTGRES_URL) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return (await client.query("SHOW server_version")).rows[0].server_version;
  } finally {
    await client.end();
  }
}

/** A fresh, empty database: `{ url, dispose() }`. The app applies its migrations at start-up. */
export async function scratchDatabase(kind) {
  if (kind === "sqlite") {
    const dir = mkdtempSync(path.join(tmpdir(), "countersign-bench-"));
    return { url: `file:${path.join(dir, "countersign.db")}`, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `countersign_bench_${randomBytes(6).toString("hex")}`;
  const admin = async (sql) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, dispose: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/**
 * Samples how many connections the server has open to database `name`, every 100 ms until `stop()`,
 * which resolves to the most seen (the sampler's own connection is to the admin database).
 */
export function connectionSampler(name) {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  let peak = 0;
  let stopped = false;
  const running = (async () => {
    await client.connect();
    try {
      while (!stopped) {
        const { rows } = await client.query("SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = $1", [name]);
        peak = Math.max(peak, rows[0].open);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await client.end();
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      return peak;
    },
  };
}
