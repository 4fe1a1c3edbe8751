import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import type { TrustedIssuer } from "../policy/credential-policy.js";

// Verifies a workload's OIDC token (a JWT) against the issuers a policy trusts. Nothing in the
// unverified token chooses how it is verified: its `iss` only selects one of the configured issuers,
// whose key set is fetched from the configured URL (never discovered from the token or the issuer's
// metadata), with the configured algorithms only (never `none` or a shared-secret HMAC), the exact
// audience, bounded clock skew and age, and each `jti` accepted once.

/** Why a token is refused; the route turns each into a stable reason code. */
export type TokenRefusalReason = "invalid_token" | "unknown_issuer" | "wrong_audience" | "replayed";

export type TokenVerification =
  | { ok: true; issuer: TrustedIssuer; claims: VerifiedClaims }
  | { ok: false; reason: TokenRefusalReason; detail: string; issuer?: string };

/** A verified token's claims: `iss`, `aud`, `exp`, `iat` and `jti` are present and checked. */
export type VerifiedClaims = JWTPayload & { iss: string; exp: number; iat: number; jti: string; [claim: string]: unknown };

/** The verifier's limits. */
export interface VerifyOptions {
  /** Tolerated clock difference between the issuer and this server. */
  skewSeconds: number;
  /** The oldest token accepted (from its `iat`): a workload exchanges its token as soon as it has it. */
  maxAgeSeconds: number;
  now: () => Date;
  /**
   * Records the token's `jti` until `expiresAt`: false when it was recorded before (a replay).
   * Called only for a token that is otherwise valid.
   */
  claimJti: (claim: { issuer: string; jti: string; expiresAt: Date }) => Promise<boolean>;
}

/** Longer than any OIDC token a workload presents; beyond it a token is refused unread. */
export const MAX_TOKEN_LENGTH = 16_384;
const MAX_JTI_LENGTH = 256;

/**
 * The key sets of the trusted issuers, one remote set per configured URL, reused across requests so
 * keys are fetched once and refreshed when an unknown key id appears (jose's cool-down bounds that).
 */
export class WorkloadKeySets {
  private readonly sets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  private static readonly MAX_SETS = 100;

  constructor(private readonly options: { timeoutMs: number } = { timeoutMs: 5000 }) {}

  /** The key set at `url` (the pinned JWKS URL of a configured issuer). */
  forUrl(url: string): ReturnType<typeof createRemoteJWKSet> {
    let set = this.sets.get(url);
    if (!set) {
      if (this.sets.size >= WorkloadKeySets.MAX_SETS) this.sets.clear();
      set = createRemoteJWKSet(new URL(url), { timeoutDuration: this.options.timeoutMs });
      this.sets.set(url, set);
    }
    return set;
  }
}

/** Whether `aud` is exactly the configured audience (a token for several audiences is refused). */
function exactAudience(aud: JWTPayload["aud"], audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.length === 1 && aud[0] === audience);
}

/** Verifies `token` against `issuers`; never throws for a bad token (a key-set outage refuses it too). */
export async function verifyWorkloadToken(token: string, issuers: readonly TrustedIssuer[], keySets: WorkloadKeySets, options: VerifyOptions): Promise<TokenVerification> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: "invalid_token", detail: "the token is empty or too long" };
  let unverifiedIssuer: unknown;
  let algorithm: unknown;
  try {
    algorithm = decodeProtectedHeader(token).alg;
    unverifiedIssuer = decodeJwt(token).iss;
  } catch {
    return { ok: false, reason: "invalid_token", detail: "not a signed JWT" };
  }
  const issuer = issuers.find((candidate) => candidate.issuer === unverifiedIssuer);
  if (!issuer) return { ok: false, reason: "unknown_issuer", detail: "the token's issuer is not one the policy trusts" };
  if (typeof algorithm !== "string" || !issuer.algorithms.includes(algorithm)) {
    return { ok: false, reason: "invalid_token", detail: `the token's algorithm is not one the policy accepts for this issuer (${issuer.algorithms.join(", ")})`, issuer: issuer.issuer };
  }

  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, keySets.forUrl(issuer.jwksUrl), {
      issuer: issuer.issuer,
      algorithms: [...issuer.algorithms],
      clockTolerance: options.skewSeconds,
      maxTokenAge: options.maxAgeSeconds,
      requiredClaims: ["exp", "iat", "jti", "aud"],
      currentDate: options.now(),
    }));
  } catch (error) {
    return { ok: false, reason: "invalid_token", detail: refusalDetail(error), issuer: issuer.issuer };
  }
  if (!exactAudience(claims.aud, issuer.audience)) return { ok: false, reason: "wrong_audience", detail: "the token's audience is not exactly the one the policy names", issuer: issuer.issuer };
  if (typeof claims.jti !== "string" || claims.jti.length === 0 || claims.jti.length > MAX_JTI_LENGTH) return { ok: false, reason: "invalid_token", detail: "the token's jti is not a short string", issuer: issuer.issuer };
  const verified = claims as VerifiedClaims;
  if (verified.iat > verified.exp) return { ok: false, reason: "invalid_token", detail: "the token was issued after it expires", issuer: issuer.issuer };

  // Kept past `exp` by the skew, for as long as verification would still accept the token.
  const first = await options.claimJti({ issuer: issuer.issuer, jti: verified.jti, expiresAt: new Date((verified.exp + options.skewSeconds) * 1000) });
  if (!first) return { ok: false, reason: "replayed", detail: "this token was exchanged before", issuer: issuer.issuer };
  return { ok: true, issuer, claims: verified };
}

/** What was wrong, in words that never quote the token. */
function refusalDetail(error: unknown): string {
  if (error instanceof errors.JWTExpired) return error.claim === "iat" ? "the token is older than the maximum age (its iat)" : "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not acceptable (${error.reason})`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify with the issuer's keys";
  if (error instanceof errors.JWKSNoMatchingKey) return "no key of the issuer's key set matches the token";
  if (error instanceof errors.JOSEAlgNotAllowed) return "the token's algorithm is not allowed";
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JOSEError) return `the token could not be verified (${error.code})`;
  return "the issuer's key set could not be read";
}
