import { describe, expect, test } from "@jest/globals";
import { parseEnv } from "../../../src/config/env.schema.js";

describe("parseEnv", () => {
  test("defaults apply to an empty environment (setup mode)", () => {
    expect(parseEnv({ APP_ID: "" })).toEqual({ DATABASE_URL: "file:./data/countersign.db", COUNTERSIGN_PERMISSION_TTL_SECONDS: 60, COUNTERSIGN_SETUP_CHECK_TTL_SECONDS: 600, COUNTERSIGN_EXPIRY_SWEEP_SECONDS: 60 });
  });

  test("values are parsed", () => {
    expect(parseEnv({ APP_ID: "4242", DATABASE_URL: "file:/var/lib/countersign.db", COUNTERSIGN_PERMISSION_TTL_SECONDS: "0" })).toMatchObject({ APP_ID: 4242, DATABASE_URL: "file:/var/lib/countersign.db", COUNTERSIGN_PERMISSION_TTL_SECONDS: 0 });
  });

  test.each([
    [{ COUNTERSIGN_EXPIRY_SWEEP_SECONDS: "1" }, "COUNTERSIGN_EXPIRY_SWEEP_SECONDS"],
    [{ COUNTERSIGN_PERMISSION_TTL_SECONDS: "soon" }, "COUNTERSIGN_PERMISSION_TTL_SECONDS"],
    [{ APP_ID: "abc" }, "APP_ID"],
  ])("a bad value is named: %j", (env, name) => {
    expect(() => parseEnv(env)).toThrow(new RegExp(`Invalid Countersign environment: ${name}`));
  });
});
