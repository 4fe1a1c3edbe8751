import { describe, expect, test } from "@jest/globals";
import {
  dashboardKeys,
  dashboardPath,
  finishSignIn,
  isOrganizationLogin,
  openSession,
  readCookie,
  sealSession,
  SESSION_TTL_MS,
  setCookie,
  SpentStates,
  startSignIn,
  STATE_TTL_MS,
} from "../../../src/services/dashboard-session.js";

// The dashboard's cookies are the only thing between a browser and an organization's data: each
// test changes one thing about a good cookie and expects it refused.

const SECRET = "a-server-secret-of-at-least-32-characters!";
const keys = dashboardKeys(SECRET);
const NOW = new Date("2026-12-07T12:00:00Z");
const later = (ms: number) => new Date(NOW.getTime() + ms);
const octocat = { id: 583231, login: "octocat" };

/** Flips one character of the payload part, keeping it valid base64url. */
function tamperPayload(value: string): string {
  const [payload = "", mac = ""] = value.split(".");
  const index = Math.floor(payload.length / 2);
  const flipped = payload[index] === "A" ? "B" : "A";
  return `${payload.slice(0, index)}${flipped}${payload.slice(index + 1)}.${mac}`;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

describe("the session cookie", () => {
  const good = sealSession(keys, octocat, NOW);

  test("opens to the user id, login and expiry, and nothing else", () => {
    expect(openSession(keys, good, later(1000))).toEqual({ userId: 583231, login: "octocat", expiresAt: NOW.getTime() + SESSION_TTL_MS });
    expect(Buffer.from(good.split(".")[0] ?? "", "base64url").toString()).toBe(`{"v":1,"id":583231,"login":"octocat","exp":${NOW.getTime() + SESSION_TTL_MS}}`);
  });

  test("is refused once expired", () => {
    expect(openSession(keys, good, later(SESSION_TTL_MS - 1))).not.toBeNull();
    expect(openSession(keys, good, later(SESSION_TTL_MS))).toBeNull();
  });

  test("is refused when the payload is changed (a tampered login or expiry)", () => {
    expect(openSession(keys, tamperPayload(good), NOW)).toBeNull();
    const mac = good.split(".")[1];
    const forged = `${encode({ v: 1, id: 1, login: "admin", exp: NOW.getTime() + 1000 })}.${mac}`;
    expect(openSession(keys, forged, NOW)).toBeNull();
  });

  test("is refused when signed with another server's secret", () => {
    const other = sealSession(dashboardKeys("another-server-secret-of-32-characters!!"), octocat, NOW);
    expect(openSession(keys, other, NOW)).toBeNull();
  });

  test("is refused when it is the OAuth state cookie's value (same secret, other key and purpose)", () => {
    const state = startSignIn(keys, "acme", NOW).cookie;
    expect(openSession(keys, state, NOW)).toBeNull();
    // And the other way round.
    expect(finishSignIn(keys, new SpentStates(), good, "x".repeat(43), NOW)).toBeNull();
  });

  test("is refused when it expires further ahead than this server's sessions do (a forged long session)", () => {
    const long = sealSession(keys, octocat, later(SESSION_TTL_MS));
    expect(openSession(keys, long, NOW)).toBeNull();
  });

  test("is refused when missing, empty, or not two base64url parts", () => {
    for (const value of [undefined, "", "abc", `${good}.x`, good.replace(".", "!"), ` ${good}`, 42]) expect(openSession(keys, value, NOW)).toBeNull();
  });
});

describe("the OAuth state", () => {
  test("comes back to the organization the sign-in was for, once", () => {
    const spent = new SpentStates();
    const started = startSignIn(keys, "acme", NOW);
    expect(started.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(finishSignIn(keys, spent, started.cookie, started.state, later(1000))).toEqual({ org: "acme" });
    expect(finishSignIn(keys, spent, started.cookie, started.state, later(2000))).toBeNull();
  });

  test("is refused when the callback's state is not the browser's", () => {
    const mine = startSignIn(keys, "acme", NOW);
    const theirs = startSignIn(keys, "acme", NOW);
    expect(finishSignIn(keys, new SpentStates(), mine.cookie, theirs.state, NOW)).toBeNull();
    expect(finishSignIn(keys, new SpentStates(), undefined, mine.state, NOW)).toBeNull();
    expect(finishSignIn(keys, new SpentStates(), mine.cookie, null, NOW)).toBeNull();
  });

  test("is refused after ten minutes, or tampered", () => {
    const started = startSignIn(keys, "acme", NOW);
    expect(finishSignIn(keys, new SpentStates(), started.cookie, started.state, later(STATE_TTL_MS))).toBeNull();
    expect(finishSignIn(keys, new SpentStates(), tamperPayload(started.cookie), started.state, NOW)).toBeNull();
  });
});

describe("where a sign-in returns to", () => {
  test("only an organization's dashboard path, from a valid login", () => {
    expect(dashboardPath("acme-corp")).toBe("/countersign/org/acme-corp");
    for (const hostile of ["//evil.example", "https://evil.example", "acme/../../x", "-acme", "acme-", "a--b", "a".repeat(40), "acme?x", "", "%2F%2Fevil"]) {
      expect(isOrganizationLogin(hostile)).toBe(false);
      expect(() => dashboardPath(hostile)).toThrow();
      expect(() => startSignIn(keys, hostile, NOW)).toThrow();
    }
    expect(isOrganizationLogin(undefined)).toBe(false);
  });
});

describe("cookie headers", () => {
  test("Set-Cookie is HttpOnly and SameSite=Lax, Secure on https", () => {
    expect(setCookie("s", "v", { path: "/countersign", maxAgeSeconds: 60, secure: true })).toBe("s=v; Path=/countersign; Max-Age=60; HttpOnly; SameSite=Lax; Secure");
    expect(setCookie("s", "v", { path: "/countersign", maxAgeSeconds: 60, secure: false })).not.toContain("Secure");
  });

  test("reads one cookie by its exact name", () => {
    expect(readCookie("a=1; countersign_session=xyz; b=2", "countersign_session")).toBe("xyz");
    expect(readCookie("xcountersign_session=evil", "countersign_session")).toBeUndefined();
    expect(readCookie(undefined, "countersign_session")).toBeUndefined();
  });
});
