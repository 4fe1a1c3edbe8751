import type { IncomingMessage, ServerResponse } from "node:http";
import type { GitHubUser } from "../github/user-sign-in.js";
import type { DashboardAccess } from "../services/dashboard-access.js";
import { dashboardPageHtml, type DashboardPageDeps } from "../services/dashboard-page.js";
import {
  dashboardPath,
  finishSignIn,
  isOrganizationLogin,
  openSession,
  readCookie,
  sealSession,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  setCookie,
  SpentStates,
  startSignIn,
  STATE_COOKIE,
  STATE_TTL_MS,
  type DashboardKeys,
} from "../services/dashboard-session.js";
import { renderSignedOutPage } from "../evidence/dashboard-page.js";
import type { Log } from "../services/event-context.js";

// The organization dashboard's routes (docs/dashboard.md):
//   GET  /countersign/login?org=<org>        starts "Sign in with GitHub" (always exists, reveals nothing)
//   GET  /countersign/oauth/callback          where GitHub sends the person back with a code and the state
//   GET  /countersign/org/<org>               the dashboard, for owners and the policy's dashboard teams
//   POST /countersign/logout                  ends the session in this browser
// A dashboard that may not be shown (signed out, not allowed, no such organization, any error) is
// left to Probot's own "not found" handler, so it is byte for byte the 404 of a page that does not exist.

/** Everything the routes need, wired in src/index.ts. */
export interface DashboardRouteDeps {
  keys: DashboardKeys;
  access: DashboardAccess;
  page: DashboardPageDeps;
  /** GitHub's authorize page for a sign-in carrying `state`. */
  authorizeUrl(state: string): string;
  /** Exchanges GitHub's code for who signed in (the person's token is used once and dropped inside). */
  userFromCode(code: string): Promise<GitHubUser>;
  /** Whether cookies are marked Secure (the app's public URL is https). */
  secureCookies: boolean;
  clock: () => Date;
  log: Log;
}

const ORG_PATH = /^\/countersign\/org\/([^/]+)$/;

// As the evidence page's: out of caches, referrers and frames, loading nothing; its one form posts here.
const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "private, no-store",
  vary: "Cookie",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string | string[]> = {}): true {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff", ...headers });
  res.end(text);
  return true;
}

/** The dashboard's request handler for Probot's HTTP server; false for any request that is not its own to answer. */
export function dashboardRoutes(deps: DashboardRouteDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const spent = new SpentStates();
  const cookie = (name: string, value: string, path: string, maxAgeSeconds: number) => setCookie(name, value, { path, maxAgeSeconds, secure: deps.secureCookies });
  const clearState = cookie(STATE_COOKIE, "", "/countersign/oauth", 0);

  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://countersign.invalid");
    const method = req.method ?? "GET";

    if (url.pathname === "/countersign/login" && method === "GET") {
      const org = url.searchParams.get("org");
      if (!isOrganizationLogin(org)) return plain(res, 400, "Sign in from an organization's dashboard address: /countersign/login?org=<organization>.");
      const started = startSignIn(deps.keys, org, deps.clock());
      res.writeHead(302, { location: deps.authorizeUrl(started.state), "cache-control": "no-store", "set-cookie": cookie(STATE_COOKIE, started.cookie, "/countersign/oauth", STATE_TTL_MS / 1000) });
      res.end();
      return true;
    }

    if (url.pathname === "/countersign/oauth/callback" && method === "GET") {
      // Whatever happens next, this sign-in's state is used up in this browser.
      const signIn = finishSignIn(deps.keys, spent, readCookie(req.headers.cookie, STATE_COOKIE), url.searchParams.get("state"), deps.clock());
      if (!signIn) return plain(res, 400, "This sign-in did not start in this browser, or took too long, or was used already. Start again from the dashboard's address.", { "set-cookie": clearState });
      const code = url.searchParams.get("code");
      if (code === null || !/^[A-Za-z0-9_-]{1,200}$/.test(code)) return plain(res, 400, "GitHub sent no sign-in code (was the sign-in cancelled?). Start again from the dashboard's address.", { "set-cookie": clearState });
      let user: GitHubUser;
      try {
        user = await deps.userFromCode(code);
      } catch (error) {
        deps.log.warn({ err: error instanceof Error ? { message: error.message } : String(error) }, "countersign: dashboard: GitHub did not complete a sign-in");
        return plain(res, 502, "GitHub did not complete the sign-in. Try again in a moment.", { "set-cookie": clearState });
      }
      deps.log.info({ user: user.login, userId: user.id, org: signIn.org }, "countersign: dashboard: signed in");
      res.writeHead(303, {
        location: dashboardPath(signIn.org),
        "cache-control": "no-store",
        "set-cookie": [clearState, cookie(SESSION_COOKIE, sealSession(deps.keys, user, deps.clock()), "/countersign", SESSION_TTL_MS / 1000)],
      });
      res.end();
      return true;
    }

    if (url.pathname === "/countersign/logout" && method === "POST") {
      res.writeHead(200, { ...PAGE_HEADERS, "set-cookie": cookie(SESSION_COOKIE, "", "/countersign", 0) });
      res.end(renderSignedOutPage());
      return true;
    }

    const match = ORG_PATH.exec(url.pathname);
    if (!match || (method !== "GET" && method !== "HEAD")) return false;
    const org = match[1] as string;
    if (!isOrganizationLogin(org)) return false;
    const session = openSession(deps.keys, readCookie(req.headers.cookie, SESSION_COOKIE), deps.clock());
    if (!session) return false;
    const decision = await deps.access.decide(org, session);
    if (!decision.allowed) {
      deps.log.info({ org, user: session.login, reason: decision.reason }, "countersign: dashboard: access denied");
      return false;
    }
    let page: string;
    try {
      page = await dashboardPageHtml(deps.page, decision.org, session.login, url.searchParams);
    } catch (error) {
      deps.log.error({ err: error, org: decision.org }, "countersign: dashboard: could not render the page");
      return plain(res, 500, "Countersign could not load this dashboard; see the app's logs.");
    }
    res.writeHead(200, PAGE_HEADERS);
    res.end(method === "HEAD" ? undefined : page);
    return true;
  };
}
