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

/** A write refused by a unique key: Prisma's code for it, or SQLite's message as its adapter passes it on. */
export function isUniqueViolation(error: unknown): boolean {
  const err = error as { code?: string; message?: string };
  return err.code === "P2002" || /UNIQUE constraint failed/i.test(err.message ?? "");
}

const providers = new WeakMap<Database, DatabaseProvider>();

/** Records which database `openDatabase` opened. */
export function rememberOpenedDatabase(db: Database, provider: DatabaseProvider): void {
  providers.set(db, provider);
}

/**
 * The database behind a client opened by `openDatabase`: where one statement can do the work of two
 * (PostgreSQL's data-modifying `WITH`), the repositories use it; other clients get the portable path.
 */
export function providerOf(db: Database): DatabaseProvider | null {
  return providers.get(db) ?? null;
}
