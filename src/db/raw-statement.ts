import type { z } from "zod";
import type { Store } from "./store.js";
import { Prisma } from "./generated/sqlite/client.js";

// Every statement goes through Prisma. Most are Prisma's query API; the few it cannot express (a
// ticket taken with one atomic increment that returns the new value, and on PostgreSQL the
// data-modifying `WITH` statements that claim and read in one snapshot) are raw SQL, sent through
// Prisma's raw queries here and nowhere else, with their rows validated by a zod schema, so a driver
// that returns a column as another type fails loudly instead of comparing wrongly.

/** A statement written with `Prisma.sql`: portable SQL, each value a parameter. */
export async function rawRows<Row>(db: Store, rows: z.ZodType<Row[]>, statement: Prisma.Sql): Promise<Row[]> {
  return rows.parse(await db.prisma.$queryRaw<unknown[]>(statement));
}

/**
 * A PostgreSQL statement with numbered placeholders (`$1`, `$2`, …), each usable more than once,
 * which `Prisma.sql` cannot write: a parameter used twice keeps one type, as the statement's first
 * use of it decides.
 */
export async function rawPostgresRows<Row>(db: Store, rows: z.ZodType<Row[]>, text: string, values: readonly unknown[]): Promise<Row[]> {
  return rows.parse(await db.prisma.$queryRawUnsafe<unknown[]>(text, ...values));
}

export { Prisma };
