import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { SignJWT } from "jose";
import { verifyWorkloadToken, WorkloadKeySets, type VerifyOptions } from "../../../src/credentials/verify-workload-token.js";
import type { TrustedIssuer } from "../../../src/policy/credential-policy.js";
import { startTestIssuer, unsignedToken, type TestIssuer } from "../../helpers/oidc-issuer.js";

// Offline: the issuer's key set is served on a loopback port, tokens are signed with jose's local keys.

const ISSUER = "https://token.actions.githubusercontent.com";
const AUDIENCE = "https://countersign.acme.dev";
const NOW_S = Math.floor(Date.parse("2026-12-03T12:00:00Z") / 1000);

let issuer: TestIssuer;
let trusted: TrustedIssuer;
let keySets: WorkloadKeySets;
let jti = 0;

beforeAll(async () => {
  issuer = await startTestIssuer();
  trusted = { issuer: ISSUER, jwksUrl: issuer.jwksUrl, audience: AUDIENCE, algorithms: ["RS256"], githubActions: true };
  keySets = new WorkloadKeySets();
});
afterAll(async () => {
  await issuer.close();
});

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  jti += 1;
  return { iss: ISSUER, aud: AUDIENCE, sub: "repo:acme/widgets:ref:refs/heads/main", repository_id: "42", iat: NOW_S - 30, nbf: NOW_S - 30, exp: NOW_S + 270, jti: `jti-${jti}`, ...overrides };
}

function options(seen = new Set<string>()): VerifyOptions {
  return {
    skewSeconds: 60,
    maxAgeSeconds: 600,
    now: () => new Date(NOW_S * 1000),
    claimJti: async ({ issuer: iss, jti: id }) => {
      const key = `${iss} ${id}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    },
  };
}

const verify = (token: string, opts = options(), issuers: TrustedIssuer[] = [trusted]) => verifyWorkloadToken(token, issuers, keySets, opts);

describe("verifyWorkloadToken", () => {
  test("a token signed by the trusted issuer's key, for the exact audience, is accepted with its claims", async () => {
    const result = await verify(await issuer.sign(claims()));
    expect(result).toMatchObject({ ok: true, issuer: { issuer: ISSUER }, claims: { repository_id: "42", aud: AUDIENCE } });
  });

  test("the same token presented twice is a replay; the jti is kept until exp plus the skew", async () => {
    const seen = new Set<string>();
    const kept: Date[] = [];
    const opts = { ...options(seen), claimJti: async (claim: { issuer: string; jti: string; expiresAt: Date }) => (kept.push(claim.expiresAt), options(seen).claimJti(claim)) };
    const token = await issuer.sign(claims());
    expect(await verify(token, opts)).toMatchObject({ ok: true });
    expect(await verify(token, opts)).toMatchObject({ ok: false, reason: "replayed" });
    expect(kept[0]?.getTime()).toBe((NOW_S + 270 + 60) * 1000);
  });

  test.each<[string, () => Promise<string>, string, RegExp]>([
    ["a forged signature (another key, the same kid)", async () => issuer.sign(claims(), { key: await issuer.forgerKey() }), "invalid_token", /signature/],
    ["alg none", async () => unsignedToken(claims()), "invalid_token", /algorithm/],
    ["HS256 signed with a shared secret", async () => new SignJWT(claims()).setProtectedHeader({ alg: "HS256", kid: "test-key-1" }).sign(new TextEncoder().encode("a-shared-secret-nobody-configured")), "invalid_token", /algorithm/],
    ["an unknown issuer", async () => issuer.sign(claims({ iss: "https://issuer.attacker.example" })), "unknown_issuer", /not one the policy trusts/],
    ["another audience", async () => issuer.sign(claims({ aud: "https://other.example" })), "wrong_audience", /audience/],
    ["the audience among others", async () => issuer.sign(claims({ aud: [AUDIENCE, "https://other.example"] })), "wrong_audience", /audience/],
    ["an expired token", async () => issuer.sign(claims({ exp: NOW_S - 61, iat: NOW_S - 400 })), "invalid_token", /expired/],
    ["a token not yet valid", async () => issuer.sign(claims({ nbf: NOW_S + 120 })), "invalid_token", /nbf/],
    ["a token issued in the future", async () => issuer.sign(claims({ iat: NOW_S + 120 })), "invalid_token", /iat/],
    ["a token older than the maximum age", async () => issuer.sign(claims({ iat: NOW_S - 3600, exp: NOW_S + 300 })), "invalid_token", /iat/],
    ["a token without jti", async () => issuer.sign(claims({ jti: undefined })), "invalid_token", /jti/],
    ["a token without exp", async () => issuer.sign(claims({ exp: undefined })), "invalid_token", /exp/],
    ["a token naming its own key set (jku)", async () => issuer.sign(claims(), { header: { jku: "https://keys.attacker.example/jwks" }, key: await issuer.forgerKey() }), "invalid_token", /signature/],
    ["not a JWT", async () => "not-a-token", "invalid_token", /not a signed JWT/],
  ])("%s is refused", async (_what, make, reason, detail) => {
    const result = await verify(await make());
    expect(result).toMatchObject({ ok: false, reason, detail: expect.stringMatching(detail) });
  });

  test("a jti is claimed only for an otherwise valid token", async () => {
    const seen = new Set<string>();
    await verify(await issuer.sign(claims({ aud: "https://other.example" })), options(seen));
    await verify(await issuer.sign(claims(), { key: await issuer.forgerKey() }), options(seen));
    expect(seen.size).toBe(0);
  });

  test("an algorithm the policy does not list is refused before any key is fetched", async () => {
    const fetched = issuer.fetches();
    const result = await verify(await issuer.sign(claims()), options(), [{ ...trusted, algorithms: ["ES256"] }]);
    expect(result).toMatchObject({ ok: false, reason: "invalid_token", detail: expect.stringMatching(/algorithm/) });
    expect(issuer.fetches()).toBe(fetched);
  });

  test("an unreachable key set refuses the token", async () => {
    const result = await verify(await issuer.sign(claims()), options(), [{ ...trusted, jwksUrl: "http://127.0.0.1:1/jwks" }]);
    expect(result).toMatchObject({ ok: false, reason: "invalid_token" });
  });

  test("the refusal's detail never quotes the token", async () => {
    const token = await issuer.sign(claims({ aud: "https://other.example" }));
    expect(JSON.stringify(await verify(token))).not.toContain(token.split(".")[1]);
  });
});
