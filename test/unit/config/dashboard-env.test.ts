import { describe, expect, test } from "@jest/globals";
import { dashboardSettings, parseEnv } from "../../../src/config/env.schema.js";

// The dashboard is on with the app's OAuth client and the evidence page's URL and secret; half an
// OAuth client is a mistake named at start-up, and without the rest it is off with the reason.

const evidence = { COUNTERSIGN_PUBLIC_URL: "https://cs.acme.dev", COUNTERSIGN_EVIDENCE_SECRET: "s".repeat(32) };
const client = { GITHUB_CLIENT_ID: "Iv23liAbc123", GITHUB_CLIENT_SECRET: "0123456789abcdef0123456789abcdef01234567" };

describe("dashboardSettings", () => {
  test("on with the OAuth client and the evidence settings", () => {
    expect(dashboardSettings(parseEnv({ ...evidence, ...client }))).toEqual({ on: true, settings: { clientId: "Iv23liAbc123", clientSecret: client.GITHUB_CLIENT_SECRET, publicUrl: "https://cs.acme.dev", secret: "s".repeat(32) } });
  });

  test("off, saying why, without the OAuth client or without the evidence settings", () => {
    expect(dashboardSettings(parseEnv({ ...evidence }))).toEqual({ on: false, reason: "off (no GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET)" });
    expect(dashboardSettings(parseEnv({ ...client, GITHUB_CLIENT_ID: client.GITHUB_CLIENT_ID }))).toMatchObject({ on: false, reason: expect.stringContaining("COUNTERSIGN_PUBLIC_URL and COUNTERSIGN_EVIDENCE_SECRET") });
  });

  test("half an OAuth client, or a malformed one, is an error naming the variable (never its value)", () => {
    expect(() => dashboardSettings(parseEnv({ ...evidence, GITHUB_CLIENT_ID: client.GITHUB_CLIENT_ID }))).toThrow("GITHUB_CLIENT_SECRET is missing");
    expect(() => dashboardSettings(parseEnv({ ...evidence, GITHUB_CLIENT_SECRET: client.GITHUB_CLIENT_SECRET }))).toThrow("GITHUB_CLIENT_ID is missing");
    expect(() => parseEnv({ GITHUB_CLIENT_ID: "Iv1 <script>" })).toThrow("GITHUB_CLIENT_ID: not a GitHub App client id");
    expect(() => parseEnv({ GITHUB_CLIENT_SECRET: "has spaces in it" })).toThrow(/GITHUB_CLIENT_SECRET: not a GitHub App client secret(?!.*has spaces)/);
  });
});
