import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import type { MigrationList } from "@prisma/schema-engine-wasm";
import { openSchemaEngine } from "./schema-engine.js";

/** The `prisma/` folder of the package, whether running from `src/` (tests) or `lib/` (built). */
export const prismaDir = fileURLToPath(new URL("../../prisma/", import.meta.url));

/** The supported providers; each has its own migrations folder (one schema cannot serve two). */
export type DatabaseProvider = "sqlite" | "postgres";

/** The schema file of a provider: the source (SQLite), or the PostgreSQL schema derived from it. */
export function schemaFile(provider: DatabaseProvider): string {
  return path.join(prismaDir, provider === "sqlite" ? "schema.prisma" : "schema.postgres.prisma");
}

/** Where the migrations for `provider` live. */
export function migrationsDir(provider: DatabaseProvider): string {
  return path.join(prismaDir, "migrations", provider);
}

/** Reads a migrations folder in the shape the schema engine expects (as the Prisma CLI does). */
export async function readMigrationList(baseDir: string): Promise<MigrationList> {
  const entries = await readdir(baseDir, { withFileTypes: true });
  const dirs = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  let lockfile: string | null = null;
  try {
    lockfile = await readFile(path.join(baseDir, "migration_lock.toml"), "utf8");
  } catch {
    lockfile = null;
  }
  return {
    baseDir,
    lockfile: { path: "migration_lock.toml", content: lockfile },
    shadowDbInitScript: "",
    migrationDirectories: await Promise.all(
      dirs.map(async (dir) => {
        let content: { tag: "ok"; value: string } | { tag: "error"; value: string };
        try {
          content = { tag: "ok", value: await readFile(path.join(baseDir, dir, "migration.sql"), "utf8") };
        } catch (error) {
          content = { tag: "error", value: String(error) };
        }
        return { path: dir, migrationFile: { path: "migration.sql", content } };
      }),
    ),
  };
}

/**
 * Applies every pending migration to the database behind `adapterFactory` and records it in
 * `_prisma_migrations`, as `prisma migrate deploy` does. Returns the names applied now.
 */
export async function applyPendingMigrations(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  provider: DatabaseProvider,
): Promise<string[]> {
  const schemaText = await readFile(schemaFile(provider), "utf8");
  const session = await openSchemaEngine(adapterFactory, { name: "schema.prisma", text: schemaText });
  try {
    const result = await session.engine.applyMigrations({
      migrationsList: await readMigrationList(migrationsDir(provider)),
      filters: { externalTables: [], externalEnums: [] },
    });
    return result.appliedMigrationNames;
  } finally {
    await session.close();
  }
}
