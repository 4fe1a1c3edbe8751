import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeJwt } from "jose";
import { appendAuditEvent } from "../db/audit-log.js";
import type { Store } from "../db/store.js";
import { exchangeCredential, exchangeRequestSchema, type CredentialGrant, type ExchangeContext, type ExchangeReads } from "../credentials/credential-exchange.js";
import type { CredentialMint } from "../credentials/mint-credential.js";
import { RateLimit } from "../credentials/rate-limit.js";
import { REFUSAL_STATUS, refusalBody, type Refusal } from "../credentials/refusals.js";
import type { Log } from "../services/event-context.js";

const PATH = "/countersign/credentials";
/** Larger than any honest request body (a repository, a delegation, a few permissions). */
export const MAX_BODY_BYTES = 4096;
const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{1,16384})$/;

export interface CredentialsRouteSettings {
  db: Store;
  log: Log;
  clock: () => Date;
  /** Requests accepted per issuer per minute (ten times as many from all issuers together). */
  ratePerMinute: number;
  /**
   * Null when the credential app is not configured: every request is answered `not_configured`.
   * `botKnown` says whether this process recognises the credential app's bot as an agent: until it
   * does, nothing is minted, since a push made with the token would pass for a person's.
   */
  exchange: { reads: ExchangeReads; mint: CredentialMint; botKnown: () => Promise<boolean> } | null;
}

const HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" };

function sendJson(res: ServerResponse, status: number, body: Record<string, unknown>): true {
  res.writeHead(status, HEADERS);
  res.end(JSON.stringify(body));
  return true;
}

/** The request's body, or null when it is larger than the limit (reading stops there). */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > MAX_BODY_BYTES) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The token's issuer as it claims, unverified: only a rate-limit key. */
function claimedIssuer(token: string): string {
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === "string" && iss.length <= 200 ? iss : "(other)";
  } catch {
    return "(not a JWT)";
  }
}

/**
 * Serves `POST /countersign/credentials`: a workload presents its OIDC token (`Authorization:
 * Bearer …`) and names a delegation; the answer is a short-lived GitHub token, or a JSON refusal with
 * a stable reason code. Every refusal after the request is read is recorded as `credential.denied`.
 * Returns false for any other path.
 */
export function credentialsRoute(settings: CredentialsRouteSettings): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const limit = new RateLimit(settings.ratePerMinute, settings.ratePerMinute * 10);
  const refuse = async (res: ServerResponse, refusal: Refusal, context: ExchangeContext | null) => {
    try {
      await appendAuditEvent(settings.db, {
        type: "credential.denied",
        repo: context?.repoId !== undefined ? { id: context.repoId, fullName: context.repository } : null,
        subjectNumber: context?.subjectNumber ?? null,
        sha: null,
        actor: null,
        deliveryId: null,
        payload: { reason: refusal.reason, detail: refusal.detail, repository: context?.repository ?? null, delegationId: context?.delegationId ?? null, claims: context?.claims ?? null },
        at: settings.clock(),
      });
    } catch (error) {
      settings.log.error({ err: error, reason: refusal.reason }, "countersign: could not record a refused credential request");
    }
    return sendJson(res, REFUSAL_STATUS[refusal.reason], refusalBody(refusal));
  };

  return async (req, res) => {
    const path = new URL(req.url ?? "/", "http://countersign.invalid").pathname;
    if (path !== PATH) return false;
    if (req.method !== "POST") {
      res.writeHead(405, { ...HEADERS, allow: "POST" });
      res.end(JSON.stringify(refusalBody({ reason: "bad_request", detail: "use POST" })));
      return true;
    }
    const bearer = BEARER.exec(req.headers.authorization ?? "");
    const token = bearer?.[1];
    if (!token) return sendJson(res, 401, refusalBody({ reason: "invalid_token", detail: "send the workload's OIDC token as Authorization: Bearer <token>" }));
    if (!limit.take(claimedIssuer(token))) return sendJson(res, 429, refusalBody({ reason: "rate_limited", detail: "too many credential requests from this issuer; try again in a minute" }));
    if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) return sendJson(res, 415, refusalBody({ reason: "bad_request", detail: "send a JSON body (Content-Type: application/json)" }));
    const text = await readBody(req);
    if (text === null) return sendJson(res, 413, refusalBody({ reason: "bad_request", detail: `the body is larger than ${MAX_BODY_BYTES} bytes` }));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return sendJson(res, 400, refusalBody({ reason: "bad_request", detail: "the body is not JSON" }));
    }
    const parsed = exchangeRequestSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`).join("; ");
      return sendJson(res, 400, refusalBody({ reason: "bad_request", detail: problems }));
    }
    const context: ExchangeContext = { repository: parsed.data.repository };
    if (!settings.exchange) return refuse(res, { reason: "not_configured", detail: "this Countersign has no credential app configured (see docs/credentials.md)" }, context);
    try {
      // Checked first, so a refusal here spends nothing: no read, no token's jti.
      if (!(await settings.exchange.botKnown())) {
        return await refuse(res, { reason: "unavailable", detail: "the credential app's bot is not known yet (GET /app failed and COUNTERSIGN_CREDENTIAL_APP_SLUG is unset), so pushes made with a token could not be told from a person's; nothing was issued, try again later" }, context);
      }
      const outcome = await exchangeCredential(token, parsed.data, settings.exchange.reads);
      if (!outcome.ok) return await refuse(res, outcome.refusal, outcome.context);
      const minted = await settings.exchange.mint(outcome.grant, outcome.context);
      if (!minted.ok) return await refuse(res, minted.refusal, outcome.context);
      const { credential } = minted;
      return sendJson(res, 201, {
        token: credential.token,
        expires_at: credential.expiresAt.toISOString(),
        github_expires_at: credential.githubExpiresAt.toISOString(),
        permissions: credential.permissions,
        repository: outcome.grant.repository.fullName,
        delegation: outcome.grant.delegation.record.id,
        credential: credential.id,
      });
    } catch (error) {
      // Never the error's request details: they may hold the token. Its message and code are enough.
      const err = error as { name?: string; message?: string; status?: number };
      settings.log.error({ error: { name: err.name, message: err.message, status: err.status } }, "countersign: a credential request failed");
      return refuse(res, { reason: "unavailable", detail: "Countersign could not complete the request (database or GitHub unavailable); nothing was issued" }, context);
    }
  };
}
