import { describe, expect, test } from "@jest/globals";
import { parseEnv } from "../../../src/config/env.schema.js";
import { databaseUrlProblem } from "../../../src/config/database-url.js";
import { databaseProvider } from "../../../src/db/client.js";
import { explainPostgresFailure } from "../../../src/db/postgres-preflight.js";

describe("DATABASE_URL", () => {
  test.each([["file:./data/countersign.db"], ["file:/var/lib/countersign/c.db"], ["data/c.db"], ["postgres://u:p@db:5432/countersign"], ["postgresql://db/countersign?sslmode=require"], ["POSTGRES://db/c"]])("%s is accepted", (url) => {
    expect(databaseUrlProblem(url)).toBeNull();
  });

  test.each([
    ["mysql://x", /the scheme mysql: is not supported; use file:<path> \(SQLite.*postgres:\/\//],
    ["sqlserver://db;database=c", /the scheme sqlserver: is not supported/],
    ["postgres:db/c", /a PostgreSQL URL starts with postgres:\/\//],
    ["https://example.com/db", /the scheme https: is not supported/],
  ])("%s is refused, naming the supported forms", (url, message) => {
    expect(databaseUrlProblem(url)).toMatch(message);
    expect(() => databaseProvider(url)).toThrow(message);
  });

  test("the start-up validation names the variable", () => {
    expect(() => parseEnv({ DATABASE_URL: "mysql://x" })).toThrow(/Invalid Countersign environment: DATABASE_URL: the scheme mysql: is not supported/);
  });

  test("a PostgreSQL password is never quoted back", () => {
    expect(databaseUrlProblem("postgres:user:hunter2@db/c")).not.toContain("hunter2");
  });
});

describe("PostgreSQL connection failures say what is wrong with DATABASE_URL", () => {
  const url = "postgres://app:secret@db.internal:6432/countersign";
  test.each([
    ["3D000", /the PostgreSQL database "countersign" does not exist on db\.internal:6432\. Create it/],
    ["28P01", /refused the user/],
    ["ECONNREFUSED", /nothing is listening for PostgreSQL on db\.internal:6432/],
    ["ENOTFOUND", /could not be found/],
  ])("%s", (code, message) => {
    const explained = explainPostgresFailure(url, Object.assign(new Error("driver text"), { code }));
    expect(explained).toMatch(message);
    expect(explained).not.toContain("secret");
  });

  test("an unknown failure is left to the driver's own error", () => {
    expect(explainPostgresFailure(url, new Error("something else"))).toBeNull();
  });
});
