import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

// GitHub's side of "Sign in with GitHub" and the organization reads the dashboard makes, for the
// fake GitHub Enterprise Server (fake-ghes.ts, through its `routes`): the authorize page (which, as
// GitHub does once the person has approved the app, sends the browser back to the callback with a
// code and the same state; or, with `askToAuthorize`, first shows the page GitHub shows a person who
// has not, whose "Authorize" button posts the form that sends them back), the code exchange, `GET /user` with the person's token, the organization's
// installation, and organization and team memberships. Every user token issued is remembered, so a
// test can look for it in the app's logs and in its later requests to GitHub.

/** A person GitHub knows: their id, and their standing in the one organization modelled. */
export interface FakePerson {
  id: number;
  login: string;
  /** Organization membership; none: not a member (404). */
  membership?: { role: "admin" | "member"; state: "active" | "pending" };
  /** Team slugs they are an active member of. */
  teams?: readonly string[];
}

export interface FakeSignIn {
  /** The person who approves the next authorization (as if they were signed in to GitHub in that browser). */
  approver: string;
  /**
   * Whether the authorize page asks before sending the browser back (an HTML page with an "Authorize"
   * button, as GitHub's the first time a person authorizes an app); off, it redirects at once.
   */
  askToAuthorize: boolean;
  /** The client id and secret GitHub knows the app by. */
  clientId: string;
  clientSecret: string;
  /** Every user token issued, by login. */
  tokens: Map<string, string>;
  /** Authorize requests seen, as their query. */
  authorizations: URLSearchParams[];
  /** Code exchanges seen, as their body. */
  exchanges: Array<Record<string, unknown>>;
  /** `Authorization` headers of every API request, in order: which token each used. */
  authorizationHeaders: string[];
  routes(req: IncomingMessage, raw: string, res: ServerResponse): boolean;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** GitHub's "Authorize <app>" page for `approver`: a form posting the request's own parameters back to the authorize endpoint. */
function authorizePage(res: ServerResponse, approver: string, query: URLSearchParams): true {
  const fields = ["client_id", "redirect_uri", "state"].map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(query.get(name) ?? "")}">`).join("");
  const text = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorize application</title></head><body>
<h1>Authorize Countersign</h1><p>Signed in as <strong>@${escapeHtml(approver)}</strong>. Countersign would like to know who you are.</p>
<form method="post" action="/login/oauth/authorize">${fields}<input type="hidden" name="authorize" value="1"><button type="submit" name="authorize_button">Authorize</button></form>
</body></html>`;
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
  return true;
}

function json(res: ServerResponse, status: number, body: unknown): true {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
  return true;
}

/** GitHub's sign-in and organization endpoints for `org` (installed as installation `installationId`) and `people`. */
export function fakeSignIn(options: { org: string; installationId: number; people: FakePerson[]; clientId: string; clientSecret: string }): FakeSignIn {
  const codes = new Map<string, string>();
  const byToken = new Map<string, FakePerson>();
  const person = (login: string) => options.people.find((candidate) => candidate.login.toLowerCase() === login.toLowerCase());
  const fake: FakeSignIn = {
    approver: options.people[0]?.login ?? "",
    askToAuthorize: false,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    tokens: new Map(),
    authorizations: [],
    exchanges: [],
    authorizationHeaders: [],
    routes: (req, raw, res) => {
      const url = new URL(req.url ?? "/", "http://fake-github");
      const path = url.pathname;
      if (path.startsWith("/api/v3/")) fake.authorizationHeaders.push(String(req.headers.authorization ?? ""));
      if (path === "/login/oauth/authorize" && (req.method === "GET" || req.method === "POST")) {
        // The GET carries the app's request in its query; the consent form posts the same fields.
        const query = req.method === "GET" ? url.searchParams : new URLSearchParams(raw);
        fake.authorizations.push(query);
        const redirect = query.get("redirect_uri");
        if (query.get("client_id") !== options.clientId || !redirect) return json(res, 404, { message: "Not Found" });
        if (req.method === "GET" && fake.askToAuthorize) return authorizePage(res, fake.approver, query);
        const code = `code_${randomBytes(8).toString("hex")}`;
        codes.set(code, fake.approver);
        const back = new URL(redirect);
        back.searchParams.set("code", code);
        back.searchParams.set("state", query.get("state") ?? "");
        res.writeHead(302, { location: back.toString() });
        res.end();
        return true;
      }
      if (req.method === "POST" && path === "/login/oauth/access_token") {
        const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
        fake.exchanges.push(body);
        const login = typeof body.code === "string" ? codes.get(body.code) : undefined;
        if (typeof body.code === "string") codes.delete(body.code);
        if (body.client_id !== options.clientId || body.client_secret !== options.clientSecret) return json(res, 200, { error: "incorrect_client_credentials" });
        if (!login) return json(res, 200, { error: "bad_verification_code" });
        // Not in GitHub's token formats, so the logs' redaction of those formats cannot hide a leak.
        const token = `usertoken-${login}-${randomBytes(12).toString("hex")}`;
        fake.tokens.set(login, token);
        byToken.set(token, person(login) as FakePerson);
        return json(res, 200, { access_token: token, token_type: "bearer", scope: "" });
      }
      if (req.method === "GET" && path === "/api/v3/user") {
        const found = byToken.get(String(req.headers.authorization ?? "").replace(/^(?:Bearer|token) /i, ""));
        return found ? json(res, 200, { id: found.id, login: found.login, type: "User" }) : json(res, 401, { message: "Bad credentials" });
      }
      if (req.method === "GET" && path.toLowerCase() === `/api/v3/orgs/${options.org.toLowerCase()}/installation`) {
        return json(res, 200, { id: options.installationId, account: { login: options.org, type: "Organization" } });
      }
      if (req.method === "GET" && /^\/api\/v3\/orgs\/[^/]+\/installation$/.test(path)) return json(res, 404, { message: "Not Found" });
      const membership = /^\/api\/v3\/orgs\/([^/]+)\/memberships\/([^/]+)$/.exec(path);
      if (req.method === "GET" && membership) {
        const found = membership[1]?.toLowerCase() === options.org.toLowerCase() ? person(decodeURIComponent(membership[2] as string)) : undefined;
        return found?.membership ? json(res, 200, { role: found.membership.role, state: found.membership.state, user: { login: found.login } }) : json(res, 404, { message: "Not Found" });
      }
      const team = /^\/api\/v3\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(path);
      if (req.method === "GET" && team) {
        const found = team[1]?.toLowerCase() === options.org.toLowerCase() ? person(decodeURIComponent(team[3] as string)) : undefined;
        return found?.teams?.includes(decodeURIComponent(team[2] as string)) ? json(res, 200, { role: "member", state: "active" }) : json(res, 404, { message: "Not Found" });
      }
      return false;
    },
  };
  return fake;
}
