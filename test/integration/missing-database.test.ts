import { describe, expect, test } from "@jest/globals";
import { openAuditDatabase } from "../../src/cli/audit/audit-reads.js";
import { openDatabase } from "../../src/db/client.js";

// A PostgreSQL DATABASE_URL naming a database that does not exist, against this machine's real
// server: the app and the operator tools both say so, and how to fix it, instead of "Database does
// not exist" from deep in the schema engine or "not Countersign's database" from the tools.

const ADMIN_URL = process.env.COUNTERSIGN_TEST_POSTGRES_URL;
const withPostgres = ADMIN_URL ? test : test.skip;

function missingDatabaseUrl(): string {
  const url = new URL(ADMIN_URL as string);
  url.pathname = `/countersign_missing_${process.pid}`;
  return url.toString();
}

describe("a PostgreSQL database that does not exist", () => {
  withPostgres("is named at start-up, with what to do", async () => {
    await expect(openDatabase(missingDatabaseUrl())).rejects.toThrow(new RegExp(`DATABASE_URL: the PostgreSQL database "countersign_missing_${process.pid}" does not exist on .*Create it`));
  });

  withPostgres("is named by the audit tools too, not reported as someone else's database", async () => {
    const opened = openAuditDatabase(missingDatabaseUrl());
    await expect(opened).rejects.toThrow(/does not exist/);
    await expect(opened).rejects.not.toThrow(/not Countersign's database/);
  });
});
