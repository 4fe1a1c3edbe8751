// The answers the credential exchange refuses with: a stable reason code a workflow can branch on,
// an HTTP status that fits it, and a sentence for the person reading the workflow's log.

/** Every reason the exchange refuses a request, as issue 13 names them (plus the transport's own). */
export const REFUSAL_STATUS = {
  bad_request: 400,
  invalid_token: 401,
  replayed: 401,
  unknown_issuer: 401,
  wrong_audience: 401,
  no_delegation: 404,
  ambiguous_delegation: 409,
  delegation_inactive: 403,
  claims_mismatch: 403,
  permissions_exceed_policy: 403,
  rate_limited: 429,
  not_configured: 503,
  unavailable: 503,
  github_refused: 502,
} as const;

export type RefusalReason = keyof typeof REFUSAL_STATUS;

/** A refused exchange: the code, and what was wrong (never a token, never the JWT). */
export interface Refusal {
  reason: RefusalReason;
  detail: string;
}

/** The JSON body of a refusal. */
export function refusalBody(refusal: Refusal): { error: RefusalReason; message: string } {
  return { error: refusal.reason, message: refusal.detail };
}
