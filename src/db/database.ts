import type pg from "pg";
import type { PrismaClient } from "./generated/sqlite/client.js";
import type { DatabaseProvider } from "./migrate.js";

// Below client.ts, so the repositories that openDatabase itself calls (the audit log's sealing) and
// the driver statements can name the client and its pool without importing the module that opens it.

/**
 * The Prisma client Countersign stores its records with. The SQLite and PostgreSQL clients are
 * generated from one schema and differ only in their transaction isolation levels, which Countersign
 * does not use, so the repositories are written once against this type.
 */
export type Database = InstanceType<typeof PrismaClient>;

const providers = new WeakMap<Database, DatabaseProvider>();
const driverPools = new WeakMap<Database, pg.Pool>();

/** Records what `openDatabase` opened: the provider, and on PostgreSQL the pool Prisma's adapter runs on. */
export function rememberOpenedDatabase(db: Database, provider: DatabaseProvider, pool?: pg.Pool): void {
  providers.set(db, provider);
  if (pool) driverPools.set(db, pool);
}

/**
 * The database behind a client opened by `openDatabase`: where one statement can do the work of two
 * (PostgreSQL's data-modifying `WITH`), the repositories use it; other clients get the portable path.
 */
export function providerOf(db: Database): DatabaseProvider | null {
  return providers.get(db) ?? null;
}

/**
 * The PostgreSQL connection pool under a client opened by `openDatabase` (Prisma's adapter runs on it):
 * the few statements every evaluation makes are sent on it directly (see driver-sql.ts).
 */
export function driverPoolOf(db: Database): pg.Pool | null {
  return driverPools.get(db) ?? null;
}
