import { describe, expect, test } from "@jest/globals";
import { openDatabase } from "../../src/db/client.js";
import { claimWorkloadToken } from "../../src/db/workload-token-uses.js";
import { useScratchDatabase } from "../helpers/scratch-database.js";

// The replay guard lives in the database so that replicas share it: a token's jti is claimed once,
// on SQLite and on PostgreSQL alike, and only the issuer and jti are stored.

const ISSUER = "https://token.actions.githubusercontent.com";
const NOW = new Date("2026-12-03T12:00:00Z");
const { opened, scratch } = useScratchDatabase();

describe("claimWorkloadToken", () => {
  test("a jti is claimed once; a second claim, by the same or another client, is a replay", async () => {
    const claim = { issuer: ISSUER, jti: "run-1-attempt-1", expiresAt: new Date(NOW.getTime() + 300_000) };
    expect(await claimWorkloadToken(opened().db, claim, NOW)).toBe(true);
    expect(await claimWorkloadToken(opened().db, claim, NOW)).toBe(false);
    const replica = await openDatabase(scratch().url, { migrate: false });
    try {
      expect(await claimWorkloadToken(replica.db, claim, NOW)).toBe(false);
    } finally {
      await replica.close();
    }
    // The same jti from another issuer is another token.
    expect(await claimWorkloadToken(opened().db, { ...claim, issuer: "https://issuer.acme.dev" }, NOW)).toBe(true);
  });

  test("claims of expired tokens are forgotten; live ones are kept", async () => {
    await claimWorkloadToken(opened().db, { issuer: ISSUER, jti: "old", expiresAt: new Date(NOW.getTime() + 60_000) }, NOW);
    await claimWorkloadToken(opened().db, { issuer: ISSUER, jti: "live", expiresAt: new Date(NOW.getTime() + 600_000) }, NOW);
    const later = new Date(NOW.getTime() + 120_000);
    await claimWorkloadToken(opened().db, { issuer: ISSUER, jti: "new", expiresAt: new Date(later.getTime() + 300_000) }, later);
    const rows = await scratch().rows(`SELECT "jti" FROM "WorkloadTokenUse" ORDER BY "jti"`);
    expect(rows.map((row) => row.jti)).toEqual(["live", "new"]);
    expect(Object.keys(rows[0] ?? {})).toEqual(["jti"]);
  });
});
