import { mkdirSync } from "node:fs";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PostgresClient } from "./generated/postgres/client.js";
import { PrismaClient } from "./generated/sqlite/client.js";
import { Store, type DatabaseClient } from "./store.js";
import { applyPendingMigrations, type DatabaseProvider } from "./migrate.js";
import { checkPostgresReachable } from "./postgres-preflight.js";
import { databaseUrlProblem, redactDatabaseUrl } from "../config/database-url.js";

export { redactDatabaseUrl };
export { Store } from "./store.js";

/** Which provider a `DATABASE_URL` names; an unsupported one is an error that names the supported forms. */
export function databaseProvider(databaseUrl: string): DatabaseProvider {
  const problem = databaseUrlProblem(databaseUrl);
  if (problem) throw new Error(`DATABASE_URL: ${problem}`);
  return /^postgres(ql)?:\/\//i.test(databaseUrl) ? "postgres" : "sqlite";
}

/** Where an SQLite `DATABASE_URL` (`file:./data/countersign.db`, or a bare path) points. */
export function sqlitePath(databaseUrl: string, cwd: string = process.cwd()): string {
  if (databaseProvider(databaseUrl) === "postgres") throw new Error("DATABASE_URL names PostgreSQL, not an SQLite file");
  const file = databaseUrl.replace(/^file:/, "").replace(/\?.*$/, "");
  if (file === ":memory:") throw new Error("DATABASE_URL=:memory: would lose every delegation and audit event on restart; name a file");
  return path.resolve(cwd, file);
}

function withPgOption(url: string, option: string): string {
  const parsed = new URL(url);
  const existing = parsed.searchParams.get("options");
  parsed.searchParams.set("options", existing ? `${existing} ${option}` : option);
  return parsed.toString();
}


/** An open database whose migrations have been applied. */
export interface OpenDatabase {
  db: Store;
  provider: DatabaseProvider;
  appliedMigrations: string[];
  /** The SQLite file, or the PostgreSQL URL without its password. */
  location: string;
  close(): Promise<void>;
}

/**
 * Opens the database named by `databaseUrl` (`file:…` for SQLite, `postgres://…` for PostgreSQL),
 * applying any pending migrations first, so a new install or an upgrade needs no separate step.
 * `migrate: false` opens it as it is (the read-only CLI tools).
 */
export async function openDatabase(databaseUrl: string, options: { migrate?: boolean; readOnly?: boolean } = {}): Promise<OpenDatabase> {
  const provider = databaseProvider(databaseUrl);
  if (options.readOnly && options.migrate !== false) throw new Error("a read-only database cannot be migrated");
  let client: DatabaseClient;
  let appliedMigrations: string[] = [];
  let location: string;
  if (provider === "postgres") {
    // Read-only sessions are enforced by the server, for every connection of the pool.
    const connectionString = options.readOnly ? withPgOption(databaseUrl, "-c default_transaction_read_only=on") : databaseUrl;
    // Migrating, or reading for the operator tools, needs the database now: say plainly if it cannot be
    // had. A plain `migrate: false` open stays lazy (the readiness probe reports a database that is down).
    if (options.migrate !== false || options.readOnly) await checkPostgresReachable(databaseUrl);
    if (options.migrate !== false) appliedMigrations = await applyPendingMigrations(new PrismaPg({ connectionString }), "postgres");
    // The one cast between the two generated clients: TypeScript cannot relate their conditional
    // types (each client has its own copies), though both come from the same schema (store.ts).
    client = new PostgresClient({ adapter: new PrismaPg({ connectionString }) }) as unknown as DatabaseClient;
    location = redactDatabaseUrl(databaseUrl);
  } else {
    const file = sqlitePath(databaseUrl);
    mkdirSync(path.dirname(file), { recursive: true });
    // busy_timeout makes a writer wait for a concurrent one instead of failing at once.
    const adapter = () => new PrismaBetterSqlite3({ url: file, timeout: 10_000 });
    if (options.migrate !== false) appliedMigrations = await applyPendingMigrations(adapter(), "sqlite");
    client = new PrismaClient({ adapter: adapter() });
    // WAL lets readers proceed while a write is in progress; a read-only session refuses any write.
    await client.$queryRawUnsafe(options.readOnly ? "PRAGMA query_only = ON" : "PRAGMA journal_mode = WAL");
    location = file;
  }
  const db = new Store(client, provider);
  return {
    db,
    provider,
    appliedMigrations,
    location,
    close: () => db.close(),
  };
}
