import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";

// The organization dashboard's two cookies, and what may be asked for through them.
//
// A cookie's value is `<payload>.<mac>`: the payload is base64url JSON, the MAC an HMAC-SHA256 over a
// purpose label and the payload. Each cookie has its own key, derived with HKDF from the server secret
// under its own label, and its own purpose in the MAC, so a value made for one (the OAuth state) is
// never accepted as the other (the session), and neither is worth anything for the evidence links the
// same secret signs. The payload is parsed strictly after its MAC is checked: nothing unsigned, and
// nothing signed but malformed, is believed. Expiries are inside the signed payload, so a browser that
// keeps a cookie past its Max-Age gains nothing.

/** The session cookie: signed, HttpOnly, SameSite=Lax, under /countersign. */
export const SESSION_COOKIE = "countersign_session";
/** The OAuth state cookie: binds a sign-in to the browser that started it, for ten minutes. */
export const STATE_COOKIE = "countersign_oauth_state";
/** How long a session lasts: a working day. Access is checked again on every page (dashboard-access.ts). */
export const SESSION_TTL_MS = 8 * 3_600_000;
/** How long a sign-in may take, from the login link to GitHub's callback. */
export const STATE_TTL_MS = 10 * 60_000;

/** Who is signed in: GitHub's user id and login, and when the session ends. Nothing else (no token). */
export interface DashboardSession {
  userId: number;
  login: string;
  expiresAt: number;
}

/** The keys the cookies are signed with; derived once from the server secret. */
export interface DashboardKeys {
  session: Buffer;
  state: Buffer;
}

/** Derives the dashboard's keys from the server secret, each under its own HKDF label. */
export function dashboardKeys(secret: string): DashboardKeys {
  const derive = (label: string) => Buffer.from(hkdfSync("sha256", secret, "countersign-dashboard", label, 32));
  return { session: derive("countersign-dashboard-session/1"), state: derive("countersign-oauth-state/1") };
}

/** GitHub's rule for user and organization logins: letters, digits, single inner hyphens, at most 39. */
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

/** Whether `text` can be an organization's login (and so a dashboard's path segment). */
export function isOrganizationLogin(text: unknown): text is string {
  return typeof text === "string" && LOGIN.test(text);
}

/**
 * Where a sign-in may return to: only `/countersign/org/<login>`, built here from a validated login,
 * never a URL the request supplied, so the callback is no open redirect.
 */
export function dashboardPath(org: string): string {
  if (!isOrganizationLogin(org)) throw new Error("not an organization login");
  return `/countersign/org/${org}`;
}

function mac(key: Buffer, purpose: string, payload: string): Buffer {
  return createHmac("sha256", key).update(`${purpose}\n${payload}`).digest();
}

function seal(key: Buffer, purpose: string, value: unknown): string {
  const payload = Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${payload}.${mac(key, purpose, payload).toString("base64url")}`;
}

/** The payload of a sealed value whose MAC is right, parsed as JSON; null for anything else. Constant-time. */
function open(key: Buffer, purpose: string, sealed: unknown): unknown {
  if (typeof sealed !== "string" || sealed.length > 4096) return null;
  const match = /^([A-Za-z0-9_-]{1,4000})\.([A-Za-z0-9_-]{43})$/.exec(sealed);
  if (!match) return null;
  const given = Buffer.from(match[2] as string, "base64url");
  const expected = mac(key, purpose, match[1] as string);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    return JSON.parse(Buffer.from(match[1] as string, "base64url").toString("utf8"));
  } catch {
    return null;
  }
}

const sessionSchema = z.strictObject({ v: z.literal(1), id: z.number().int().positive(), login: z.string().regex(LOGIN), exp: z.number().int().positive() });
const stateSchema = z.strictObject({ v: z.literal(1), state: z.string().regex(/^[A-Za-z0-9_-]{43}$/), org: z.string().regex(LOGIN), exp: z.number().int().positive() });

/** The session cookie's value for `user`, ending `SESSION_TTL_MS` from `now`. */
export function sealSession(keys: DashboardKeys, user: { id: number; login: string }, now: Date): string {
  return seal(keys.session, "session", { v: 1, id: user.id, login: user.login, exp: now.getTime() + SESSION_TTL_MS });
}

/** The session a cookie value holds, when it is this server's, well-formed and unexpired; else null. */
export function openSession(keys: DashboardKeys, value: unknown, now: Date): DashboardSession | null {
  const parsed = sessionSchema.safeParse(open(keys.session, "session", value));
  if (!parsed.success) return null;
  // Expired, or ending further ahead than any session this server issues.
  if (parsed.data.exp <= now.getTime() || parsed.data.exp > now.getTime() + SESSION_TTL_MS) return null;
  return { userId: parsed.data.id, login: parsed.data.login, expiresAt: parsed.data.exp };
}

/** A sign-in started: the random `state` GitHub carries back, and the cookie value that binds it to this browser. */
export function startSignIn(keys: DashboardKeys, org: string, now: Date): { state: string; cookie: string } {
  if (!isOrganizationLogin(org)) throw new Error("not an organization login");
  const state = randomBytes(32).toString("base64url");
  return { state, cookie: seal(keys.state, "oauth-state", { v: 1, state, org, exp: now.getTime() + STATE_TTL_MS }) };
}

/**
 * Remembers the states already used, until they would have expired anyway: a state (and its cookie)
 * counts once, so a callback replayed from a log or a browser's history starts no second session.
 * Per process; GitHub's code is single-use too, which covers a replay to another replica.
 */
export class SpentStates {
  private readonly spent = new Map<string, number>();

  /** Marks `state` used; false when it was used before. */
  spend(state: string, expiresAt: number, now: number): boolean {
    for (const [known, until] of this.spent) if (until <= now) this.spent.delete(known);
    if (this.spent.has(state)) return false;
    this.spent.set(state, expiresAt);
    return true;
  }
}

/**
 * Checks a callback's `state` against the state cookie of the browser it came to: both present, the
 * cookie this server's and unexpired, the two equal, and the state not used before. Returns the
 * organization the sign-in was for, or null.
 */
export function finishSignIn(keys: DashboardKeys, spent: SpentStates, cookie: unknown, state: unknown, now: Date): { org: string } | null {
  if (typeof state !== "string") return null;
  const parsed = stateSchema.safeParse(open(keys.state, "oauth-state", cookie));
  if (!parsed.success) return null;
  const { exp, org } = parsed.data;
  if (exp <= now.getTime() || exp > now.getTime() + STATE_TTL_MS) return null;
  const expected = Buffer.from(parsed.data.state);
  const given = Buffer.from(state);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  if (!spent.spend(parsed.data.state, exp, now.getTime())) return null;
  return { org };
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const index = part.indexOf("=");
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/** A Set-Cookie header: HttpOnly and SameSite=Lax always (Lax lets GitHub's redirect back carry it), Secure on https. */
export function setCookie(name: string, value: string, options: { path: string; maxAgeSeconds: number; secure: boolean }): string {
  return `${name}=${value}; Path=${options.path}; Max-Age=${options.maxAgeSeconds}; HttpOnly; SameSite=Lax${options.secure ? "; Secure" : ""}`;
}
