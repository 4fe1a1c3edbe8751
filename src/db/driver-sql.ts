import { driverPoolOf, type Database } from "./database.js";
import { Prisma } from "./generated/sqlite/client.js";

// Every evaluation makes the same few statements (its ticket, the publish claim, the check-run record,
// the decision, the audit event), so they are written by hand: Prisma's query pipeline costs more than
// the statements. Measured on PostgreSQL, the ticket took 0.70 ms at the median and 1.44 ms at p95
// through Prisma's `$queryRaw`, 0.47 and 0.73 ms sent to the `pg` driver directly on the same pool; a
// decision's insert on SQLite took 0.33 / 0.88 ms with Prisma's `create`, 0.16 / 0.33 ms as raw SQL.
// On PostgreSQL they go to the driver; on SQLite through Prisma's raw SQL; everything else stays
// Prisma's.

/** A row as the driver returns it: int8 and numeric columns come back as strings, int4 as numbers. */
export type DriverRow = Record<string, unknown>;

/** A value for the driver: dates as UTC ISO strings (the columns are UTC `TIMESTAMP(3)`, as Prisma writes them), big integers as strings. */
function driverValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  return value;
}

/**
 * Runs one PostgreSQL-only statement (`$1`, `$2`, … placeholders, each usable more than once, which
 * `Prisma.sql` cannot do) on the driver under `db`, a PostgreSQL database opened by `openDatabase`.
 */
export async function postgresRows(db: Database, text: string, values: readonly unknown[]): Promise<DriverRow[]> {
  const pool = driverPoolOf(db);
  if (!pool) throw new Error("a PostgreSQL statement needs a database opened by openDatabase");
  return (await pool.query(text, values.map(driverValue))).rows as DriverRow[];
}

/**
 * Runs one statement written with `Prisma.sql` (portable SQL, each value a parameter): on PostgreSQL
 * on the driver, elsewhere through Prisma's `$queryRaw`. Rows as `DriverRow` describes (SQLite's
 * driver gives numbers, and bigints for BIGINT columns).
 */
export async function statementRows(db: Database, statement: Prisma.Sql): Promise<DriverRow[]> {
  if (!driverPoolOf(db)) return db.$queryRaw<DriverRow[]>(statement);
  return postgresRows(db, statement.text, statement.values);
}

export { Prisma };

/** A PostgreSQL unique-key violation, from the driver (`23505`) or through Prisma (`P2002`). */
export function isPostgresUniqueViolation(error: unknown): boolean {
  const err = error as { code?: string };
  return err.code === "23505" || err.code === "P2002";
}
