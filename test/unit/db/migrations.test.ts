import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { describe, expect, test } from "@jest/globals";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { migrationsDir, schemaFile, type DatabaseProvider } from "../../../src/db/migrate.js";
import { openSchemaEngine } from "../../../src/db/schema-engine.js";
import { sqlitePath } from "../../../src/db/client.js";

// The schema and its migrations must not drift: a change to prisma/schema.prisma without a migration
// (`npm run migration:create -- <name>`) would deploy code against tables that do not exist.
const postgresUrl = process.env.COUNTERSIGN_TEST_POSTGRES_URL;
const providers: Array<[DatabaseProvider, (() => SqlMigrationAwareDriverAdapterFactory) | null]> = [
  ["sqlite", () => new PrismaBetterSqlite3({ url: ":memory:" })],
  // A PostgreSQL diff needs a reachable server (nothing is written to it).
  ["postgres", postgresUrl ? () => new PrismaPg({ connectionString: postgresUrl }) : null],
];

describe.each(providers)("%s migrations", (provider, adapter) => {
  const maybe = adapter ? test : test.skip;
  maybe("the latest migration was made from the current schema", async () => {
    const schema = readFileSync(schemaFile(provider), "utf8");
    const latest = readdirSync(migrationsDir(provider), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort()
      .at(-1);
    expect(latest).toBeDefined();
    const snapshot = readFileSync(path.join(migrationsDir(provider), latest ?? "", "schema.prisma"), "utf8");

    const session = await openSchemaEngine((adapter as () => SqlMigrationAwareDriverAdapterFactory)(), { name: "schema.prisma", text: schema });
    try {
      const result = await session.engine.diff({
        from: { tag: "schemaDatamodel", files: [{ path: "schema.prisma", content: snapshot }] },
        to: { tag: "schemaDatamodel", files: [{ path: "schema.prisma", content: schema }] },
        script: true,
        exitCode: true,
        filters: { externalTables: [], externalEnums: [] },
      });
      expect({ exitCode: result.exitCode, sql: result.exitCode === 0 ? "" : result.stdout }).toEqual({ exitCode: 0, sql: "" });
    } finally {
      await session.close();
    }
  });
});

describe("sqlitePath", () => {
  test.each([
    ["file:./data/countersign.db", "/srv/app/data/countersign.db"],
    ["file:/var/lib/countersign/c.db", "/var/lib/countersign/c.db"],
    ["data/c.db", "/srv/app/data/c.db"],
    ["file:./c.db?connection_limit=1", "/srv/app/c.db"],
  ])("%s → %s", (url, file) => {
    expect(sqlitePath(url, "/srv/app")).toBe(file);
  });

  test.each([
    ["postgres://localhost/countersign", /names PostgreSQL, not an SQLite file/],
    ["file::memory:", /would lose every delegation/],
  ])("%s is refused with a reason", (url, message) => {
    expect(() => sqlitePath(url, "/srv/app")).toThrow(message);
  });
});
