import { describe, expect, test } from "@jest/globals";
import { signerKeyFromSeed } from "../../../src/audit/checkpoint.js";
import { checkpointSettings, credentialAppSettings, evidenceSettings, parseEnv } from "../../../src/config/env.schema.js";

describe("parseEnv", () => {
  test("defaults apply to an empty environment (setup mode)", () => {
    expect(parseEnv({ APP_ID: "" })).toEqual({ DATABASE_URL: "file:./data/countersign.db", COUNTERSIGN_PERMISSION_TTL_SECONDS: 60, COUNTERSIGN_SETUP_CHECK_TTL_SECONDS: 600, COUNTERSIGN_SUMMARY_CHECK_SECONDS: 600, COUNTERSIGN_EXPIRY_SWEEP_SECONDS: 60, COUNTERSIGN_EVIDENCE_LINK_DAYS: 30, COUNTERSIGN_MAX_DELIVERIES_IN_MEMORY: 1000, COUNTERSIGN_GITHUB_TIMEOUT_SECONDS: 10, COUNTERSIGN_RETRY_MIN_SECONDS: 5, COUNTERSIGN_CREDENTIALS_RATE_PER_MINUTE: 60, COUNTERSIGN_CREDENTIAL_SWEEP_SECONDS: 15, COUNTERSIGN_CHECKPOINT_SECONDS: 300, COUNTERSIGN_DELIVERY_LEASE_SECONDS: 60 });
  });

  test("the credential app needs its id, its private key and the token key, or none of them", () => {
    const key = "-----BEGIN RSA PRIVATE KEY-----\\nMIIB\\n-----END RSA PRIVATE KEY-----";
    const tokenKey = Buffer.alloc(32, 7).toString("base64");
    expect(credentialAppSettings(parseEnv({}))).toBeNull();
    expect(credentialAppSettings(parseEnv({ COUNTERSIGN_CREDENTIAL_APP_ID: "5", COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY: key, COUNTERSIGN_CREDENTIAL_TOKEN_KEY: tokenKey }))).toEqual({
      appId: 5,
      privateKey: "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----",
      tokenKey: Buffer.alloc(32, 7),
      ratePerMinute: 60,
      sweepMs: 15_000,
      slug: null,
    });
    expect(credentialAppSettings(parseEnv({ COUNTERSIGN_CREDENTIAL_APP_ID: "5", COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY: key, COUNTERSIGN_CREDENTIAL_TOKEN_KEY: tokenKey, COUNTERSIGN_CREDENTIAL_APP_SLUG: "acme-agents" }))?.slug).toBe("acme-agents");
    expect(() => parseEnv({ COUNTERSIGN_CREDENTIAL_APP_SLUG: "acme-agents[bot]" })).toThrow("COUNTERSIGN_CREDENTIAL_APP_SLUG: not a GitHub App slug");
    expect(() => credentialAppSettings(parseEnv({ COUNTERSIGN_CREDENTIAL_APP_ID: "5" }))).toThrow("COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY, COUNTERSIGN_CREDENTIAL_TOKEN_KEY are missing");
    expect(() => parseEnv({ COUNTERSIGN_CREDENTIAL_TOKEN_KEY: Buffer.alloc(16).toString("base64") })).toThrow("COUNTERSIGN_CREDENTIAL_TOKEN_KEY: must be 32 bytes");
    expect(() => parseEnv({ COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY: "not a key" })).toThrow("COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY: not a PEM private key");
  });

  test("the evidence page needs both its public URL and its secret, or neither", () => {
    expect(evidenceSettings(parseEnv({}))).toBeNull();
    expect(evidenceSettings(parseEnv({ COUNTERSIGN_PUBLIC_URL: "https://countersign.example.com", COUNTERSIGN_EVIDENCE_SECRET: "s".repeat(32) }))).toEqual({
      publicUrl: "https://countersign.example.com",
      secret: "s".repeat(32),
      ttlMs: 30 * 86_400_000,
    });
    expect(() => evidenceSettings(parseEnv({ COUNTERSIGN_PUBLIC_URL: "https://countersign.example.com" }))).toThrow(/COUNTERSIGN_EVIDENCE_SECRET is missing/);
    expect(() => parseEnv({ COUNTERSIGN_EVIDENCE_SECRET: "short" })).toThrow(/COUNTERSIGN_EVIDENCE_SECRET: must be at least 32 characters/);
    expect(() => parseEnv({ COUNTERSIGN_PUBLIC_URL: "ftp://x" })).toThrow(/COUNTERSIGN_PUBLIC_URL/);
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

describe("checkpointSettings", () => {
  const made = signerKeyFromSeed("countersign.acme.example", Buffer.alloc(32, 7));
  const old = signerKeyFromSeed("countersign.acme.example", Buffer.alloc(32, 9)).signer.verifier.encoded;

  test("no key: no checkpoints", () => {
    expect(checkpointSettings(parseEnv({}))).toBeNull();
  });

  test("a key, retired keys (spaces, commas or newlines) and the interval are read; the current key is not listed as retired", () => {
    const settings = checkpointSettings(parseEnv({ COUNTERSIGN_CHECKPOINT_KEY: made.privateText, COUNTERSIGN_CHECKPOINT_RETIRED_KEYS: `${old},\n${made.signer.verifier.encoded}`, COUNTERSIGN_CHECKPOINT_SECONDS: "60" }));
    expect(settings?.signer.verifier.encoded).toBe(made.signer.verifier.encoded);
    expect(settings?.retired.map((key) => key.encoded)).toEqual([old]);
    expect(settings?.everyMs).toBe(60_000);
  });

  test("a bad key stops the app naming the variable, never the key", () => {
    const altered = made.privateText.replace(/\+[0-9a-f]{8}\+/, "+00000000+");
    expect(() => checkpointSettings(parseEnv({ COUNTERSIGN_CHECKPOINT_KEY: altered }))).toThrow(/^Invalid Countersign environment: COUNTERSIGN_CHECKPOINT_KEY: .*altered/);
    let message = "";
    try {
      checkpointSettings(parseEnv({ COUNTERSIGN_CHECKPOINT_KEY: altered }));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain(made.privateText.split("+").slice(4).join("+"));
    expect(() => checkpointSettings(parseEnv({ COUNTERSIGN_CHECKPOINT_RETIRED_KEYS: "nope" }))).toThrow("COUNTERSIGN_CHECKPOINT_RETIRED_KEYS");
  });
});
