import { readdir } from "node:fs/promises";
import type { Logger } from "probot";
import type { Store } from "../db/client.js";
import { migrationsDir, type DatabaseProvider } from "../db/migrate.js";

/** Whether this process can serve webhooks now, and if not, what is wrong (in words safe to publish). */
export interface Readiness {
  ok: boolean;
  problems: string[];
}

/** Answers whether the app is ready; what `/readyz` calls, with the logger for the errors behind a problem. */
export type ReadinessCheck = (log: Pick<Logger, "warn">) => Promise<Readiness>;

export interface ReadinessOptions {
  /** Where the migrations this build ships live; defaults to the package's `prisma/migrations/<provider>`. */
  migrationsDir?: string;
  /** How long the database may take to answer before the app counts as not ready. */
  timeoutMs?: number;
}

/** The migrations shipped with this build: one folder each, as Prisma lays them out. */
async function migrationsOnDisk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Runs `work`, or rejects once `ms` have passed; the timer never keeps the process alive. */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The readiness check for a database: it answers `SELECT 1`, and every migration this build ships is
 * recorded as finished (and not rolled back) in `_prisma_migrations`. A replica whose database is
 * behind, or was migrated by a failed deploy, reports which migrations are missing. Problems never
 * quote a driver's error message, which can carry host names or connection strings.
 */
export function databaseReadiness(database: { db: Store; provider: DatabaseProvider }, options: ReadinessOptions = {}): ReadinessCheck {
  const dir = options.migrationsDir ?? migrationsDir(database.provider);
  const timeoutMs = options.timeoutMs ?? 2_000;
  // The probe's answer names the problem, never the error text: that goes to the log.
  return async (log) => {
    try {
      await within(timeoutMs, database.db.prisma.$queryRawUnsafe("SELECT 1"));
    } catch (error) {
      log.warn({ err: error }, "countersign: readiness: the database did not answer");
      return { ok: false, problems: [`database: did not answer SELECT 1 within ${timeoutMs} ms`] };
    }
    let expected: string[];
    try {
      expected = await migrationsOnDisk(dir);
    } catch (error) {
      log.warn({ err: error }, "countersign: readiness: could not list the migrations shipped with this build");
      return { ok: false, problems: ["migrations: the migrations shipped with this build could not be read"] };
    }
    let applied: Set<string>;
    try {
      const rows = await within(
        timeoutMs,
        database.db.prisma.$queryRawUnsafe<{ migration_name: string }[]>("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL"),
      );
      applied = new Set(rows.map((row) => row.migration_name));
    } catch (error) {
      log.warn({ err: error }, "countersign: readiness: could not read _prisma_migrations");
      return { ok: false, problems: ["migrations: _prisma_migrations could not be read (has the database been migrated?)"] };
    }
    const pending = expected.filter((name) => !applied.has(name));
    if (pending.length > 0) return { ok: false, problems: [`migrations: not applied: ${pending.join(", ")}`] };
    return { ok: true, problems: [] };
  };
}
