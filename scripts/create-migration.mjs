// Creates a new migration, for SQLite and for PostgreSQL, from the changes made to prisma/schema.prisma.
//
//   npm run migration:create -- <name>
//
// `prisma migrate dev` needs a downloaded engine binary; this uses the same schema engine compiled to
// WebAssembly (see src/db/schema-engine.ts). The engine cannot diff from a migrations folder with a
// driver adapter, so every migration keeps a snapshot of the schema it was made from
// (`schema.prisma` beside `migration.sql`), and the new migration is the diff snapshot → schema.
// PostgreSQL diffs need a reachable server (any database: nothing is written to it):
// MIGRATION_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres.
// Hand-written SQL (triggers, for example) may be appended to the generated migration.sql before it
// is committed, for each provider; never edit a migration that has been released.
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { openSchemaEngine } from "../lib/db/schema-engine.js";
import { migrationsDir, schemaFile } from "../lib/db/migrate.js";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run migration:create -- <name>   (lower-case letters, digits and _)");
  process.exit(2);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const providers = {
  sqlite: { adapter: () => new PrismaBetterSqlite3({ url: ":memory:" }), lock: "sqlite" },
  postgres: { adapter: () => new PrismaPg({ connectionString: process.env.MIGRATION_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres" }), lock: "postgresql" },
};

for (const [provider, { adapter, lock }] of Object.entries(providers)) {
  const baseDir = migrationsDir(provider);
  await mkdir(baseDir, { recursive: true });
  const schemaText = await readFile(schemaFile(provider), "utf8");
  const previous = (await readdir(baseDir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .at(-1);
  const from = previous
    ? { tag: "schemaDatamodel", files: [{ path: "schema.prisma", content: await readFile(path.join(baseDir, previous, "schema.prisma"), "utf8") }] }
    : { tag: "empty" };
  const session = await openSchemaEngine(adapter(), { name: "schema.prisma", text: schemaText });
  try {
    const result = await session.engine.diff({
      from,
      to: { tag: "schemaDatamodel", files: [{ path: "schema.prisma", content: schemaText }] },
      script: true,
      exitCode: true,
      filters: { externalTables: [], externalEnums: [] },
    });
    if (result.exitCode !== 2) {
      console.log(`${provider}: no schema changes since the last migration.`);
      continue;
    }
    const dir = path.join(baseDir, `${stamp}_${name}`);
    await mkdir(dir);
    await writeFile(path.join(dir, "migration.sql"), result.stdout ?? "");
    await writeFile(path.join(dir, "schema.prisma"), schemaText);
    await writeFile(path.join(baseDir, "migration_lock.toml"), `# Managed by Countersign's migration script.\nprovider = "${lock}"\n`);
    console.log(`${provider}: created ${path.relative(process.cwd(), dir)}/migration.sql`);
  } finally {
    await session.close();
  }
}
