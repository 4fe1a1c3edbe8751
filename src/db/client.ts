import { mkdirSync } from "node:fs";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/sqlite/client.js";
import { sealUnchainedEvents } from "./audit-log.js";
import { applyPendingMigrations } from "./migrate.js";

/** The Prisma client Countersign stores its records with. */
export type Database = InstanceType<typeof PrismaClient>;

/** Where an SQLite `DATABASE_URL` (`file:./data/countersign.db`, or a bare path) points. */
export function sqlitePath(databaseUrl: string, cwd: string = process.cwd()): string {
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    throw new Error("DATABASE_URL names PostgreSQL, which this version does not support yet: use file:./data/countersign.db (SQLite)");
  }
  const file = databaseUrl.replace(/^file:/, "").replace(/\?.*$/, "");
  if (file === ":memory:") throw new Error("DATABASE_URL=:memory: would lose every delegation and audit event on restart; name a file");
  return path.resolve(cwd, file);
}

/** An open database whose migrations have been applied. */
export interface OpenDatabase {
  db: Database;
  appliedMigrations: string[];
  location: string;
  close(): Promise<void>;
}

/**
 * Opens the database named by `databaseUrl`, applying any pending migrations first, so a new
 * install or an upgrade needs no separate migration step.
 */
export async function openDatabase(databaseUrl: string, options: { migrate?: boolean } = {}): Promise<OpenDatabase> {
  const file = sqlitePath(databaseUrl);
  mkdirSync(path.dirname(file), { recursive: true });
  // WAL lets readers proceed while a write is in progress; busy_timeout makes a writer wait for a
  // concurrent one instead of failing at once.
  const adapter = () => new PrismaBetterSqlite3({ url: file, timeout: 10_000 });
  const appliedMigrations = options.migrate === false ? [] : await applyPendingMigrations(adapter(), "sqlite");
  const db = new PrismaClient({ adapter: adapter() });
  await db.$executeRawUnsafe("PRAGMA journal_mode = WAL");
  // Events written before the audit log was hash-chained are sealed into the chain once.
  if (options.migrate !== false) await sealUnchainedEvents(db);
  return {
    db,
    appliedMigrations,
    location: file,
    async close() {
      await db.$disconnect();
    },
  };
}
