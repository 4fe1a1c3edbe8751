import { driverPoolOf, type Database } from "./client.js";

// Every evaluation makes the same few statements (its ticket, the publish claim, the check-run record,
// the decision, the audit event). Through Prisma each costs its query pipeline on top of the round
// trip: measured on PostgreSQL, 0.70 ms at the median and 1.44 ms at p95 for the ticket statement,
// against 0.47 and 0.73 ms sent to the `pg` driver directly, on the same pool. These statements are
// hand-written SQL already, so on PostgreSQL they go to the driver; everything else stays Prisma's.

/** A row as the driver returns it: int8 and numeric columns come back as strings, int4 as numbers. */
export type DriverRow = Record<string, unknown>;

/**
 * Runs one PostgreSQL statement (`$1`, `$2`, … placeholders) on the pool under `db`, or through Prisma
 * for a client not opened by `openDatabase`. Dates must be passed as ISO strings (the columns are UTC
 * `TIMESTAMP(3)`, as Prisma writes them), big integers as bigint or string.
 */
export async function postgresRows(db: Database, text: string, values: ReadonlyArray<string | number | bigint | boolean | null>): Promise<DriverRow[]> {
  const pool = driverPoolOf(db);
  if (!pool) return db.$queryRawUnsafe<DriverRow[]>(text, ...values);
  const result = await pool.query(text, values.map((value) => (typeof value === "bigint" ? value.toString() : value)));
  return result.rows as DriverRow[];
}

/** A PostgreSQL unique-key violation, from the driver (`23505`) or through Prisma (`P2002`). */
export function isPostgresUniqueViolation(error: unknown): boolean {
  const err = error as { code?: string };
  return err.code === "23505" || err.code === "P2002";
}
