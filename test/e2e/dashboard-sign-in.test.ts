import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { dashboardKeys, sealSession } from "../../src/services/dashboard-session.js";
import { deliverWebhook, httpRequest, launchEnterpriseApp, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";
import { fakeSignIn, type FakeSignIn } from "./fake-github-sign-in.js";

// The organization dashboard's sign-in and access control, through the running app as a browser
// meets it: the login link, GitHub's authorize page (the fake sends the browser straight back, as
// GitHub does once the person approves), the callback, the session cookie, the page. Signed out,
// outsiders, forged cookies and a callback with the wrong state all get the 404 of a page that does
// not exist.

const root = path.resolve(import.meta.dirname, "../..");
const SECRET = "e2e-webhook-secret";
const EVIDENCE_SECRET = "an-evidence-signing-secret-of-at-least-32-chars";
const CLIENT_ID = "Iv23liE2eDashboard01";
const CLIENT_SECRET = "e2e0client0secret0of0forty0hex0characters0";
const HEAD = "cd".repeat(20);
const HOSTILE = `<script>alert(1)</script><img src=x onerror=alert(2)>`;
const ORG = "Codertocat";
const PEOPLE = [
  { id: 101, login: "olivia", membership: { role: "admin", state: "active" } },
  { id: 102, login: "sam", membership: { role: "member", state: "active" }, teams: ["security"] },
  { id: 103, login: "mia", membership: { role: "member", state: "active" }, teams: ["platform"] },
  { id: 104, login: "paul", membership: { role: "admin", state: "pending" } },
  { id: 105, login: "mallory" },
] as const;

/** A browser's cookie jar: name → value, as Set-Cookie headers leave it (Max-Age=0 deletes). */
class Browser {
  readonly cookies = new Map<string, string>();

  take(setCookie: string | string[] | undefined): void {
    for (const header of [setCookie ?? []].flat()) {
      const [pair = ""] = header.split(";");
      const index = pair.indexOf("=");
      const name = pair.slice(0, index);
      if (/;\s*Max-Age=0(?:;|$)/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(index + 1));
    }
  }

  async get(url: string, method = "GET") {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await httpRequest(url, { method, headers: cookie ? { cookie } : {} });
    this.take(response.headers["set-cookie"]);
    return response;
  }
}

describe("the organization dashboard", () => {
  const state = fakeGhesState();
  let github: FakeSignIn;
  let running: EnterpriseApp | undefined;
  let appUrl = "";
  /** Every session cookie value issued: as good as a password for 8 hours, so never in the logs either. */
  const sessions: string[] = [];

  /** Signs `login` in through the whole flow; returns the browser and the callback's answer. */
  async function signIn(login: string): Promise<{ browser: Browser; callback: Awaited<ReturnType<Browser["get"]>> }> {
    const browser = new Browser();
    github.approver = login;
    const start = await browser.get(`${appUrl}/countersign/login?org=${ORG}`);
    expect(start.status).toBe(302);
    const authorize = await browser.get(String(start.headers.location));
    expect(authorize.status).toBe(302);
    const callback = await browser.get(String(authorize.headers.location));
    const session = browser.cookies.get("countersign_session");
    if (session) sessions.push(session);
    return { browser, callback };
  }

  beforeAll(async () => {
    github = fakeSignIn({ org: ORG, installationId: 1, people: PEOPLE.map((person) => ({ ...person })), clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    state.routes = github.routes;
    state.policies = { repository: null, organization: "dashboard:\n  teams: [security]\n" };
    state.pulls.set(8, { number: 8, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Add the export", author: claude }], reviews: [], files: ["src/export.ts"] });
    running = await launchEnterpriseApp(state, {
      webhookSecret: SECRET,
      extra: (url) => ({ COUNTERSIGN_PUBLIC_URL: url, COUNTERSIGN_EVIDENCE_SECRET: EVIDENCE_SECRET, GITHUB_CLIENT_ID: CLIENT_ID, GITHUB_CLIENT_SECRET: CLIENT_SECRET, COUNTERSIGN_SUMMARY_CHECK_SECONDS: "1" }),
    });
    appUrl = running.url;
    // One agent pull request decided through the app, and a stored decision under a hostile
    // repository name and title (copied from the real one, as a webhook could have named it).
    expect((await deliverWebhook(appUrl, SECRET, "pull_request", "dashboard-1", pullRequestEvent("opened", state.pulls.get(8)!))).status).toBe(200);
    await waitFor(() => state.checkRuns.size > 0);
    const deadline = Date.now() + 10_000;
    while ((await running.database.rows(`SELECT "id" FROM "Decision" WHERE "prNumber" = 8`)).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await running.database.rawSql(
      `INSERT INTO "Decision" ("id", "repoId", "repoFullName", "prNumber", "headSha", "conclusion", "title", "reasons", "evaluatedAt") ` +
        `SELECT 'dec_hostile', "repoId" + 1, '${ORG}/${HOSTILE}', 9, "headSha", 'failure', '${HOSTILE}', "reasons", "evaluatedAt" FROM "Decision" WHERE "prNumber" = 8 LIMIT 1`,
    );
    // Written behind the app's back (as a replica of an older version would): its summary is rebuilt at the app's next look (every second here).
    await waitFor(() => running!.output.join("").includes("countersign: dashboard summaries rebuilt"), 15_000);
    expect(running.output.join("")).toContain('"rebuilt":1,"msg":"countersign: dashboard summaries rebuilt"');
    expect(await running.database.rows(`SELECT "prNumber" FROM "PullRequestSummary" WHERE "prNumber" = 9`)).toHaveLength(1);
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
  });

  test("says at start-up that the dashboard is on, and which callback URL to register", () => {
    expect(running?.output.join("")).toContain(`on (${appUrl}/countersign/oauth/callback is the callback URL to register on the GitHub App)`);
  });

  test("signed out, the dashboard is the 404 of a page that does not exist", async () => {
    const dashboard = await httpRequest(`${appUrl}/countersign/org/${ORG}`);
    const nothing = await httpRequest(`${appUrl}/countersign/org-that-does-not-exist`);
    const headers = (response: typeof nothing) => Object.keys(response.headers).filter((name) => name !== "date").sort();
    expect(dashboard.status).toBe(404);
    expect({ body: dashboard.body, headers: headers(dashboard) }).toEqual({ body: nothing.body, headers: headers(nothing) });
  });

  test("an org owner signs in with GitHub and sees the dashboard", async () => {
    const { browser, callback } = await signIn("olivia");
    // Back to the organization's page, with a session cookie: signed, HttpOnly, SameSite=Lax, under /countersign.
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe(`/countersign/org/${ORG}`);
    const session = [callback.headers["set-cookie"] ?? []].flat().find((header) => header.startsWith("countersign_session="));
    expect(session).toMatch(/^countersign_session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}; Path=\/countersign; Max-Age=28800; HttpOnly; SameSite=Lax$/);
    // The authorize request named this app's client, its callback, and the state the browser's cookie binds.
    const authorization = github.authorizations.at(-1)!;
    expect(authorization.get("client_id")).toBe(CLIENT_ID);
    expect(authorization.get("redirect_uri")).toBe(`${appUrl}/countersign/oauth/callback`);
    expect(github.exchanges.at(-1)).toMatchObject({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: `${appUrl}/countersign/oauth/callback` });
    expect(browser.cookies.has("countersign_oauth_state")).toBe(false);

    const page = await browser.get(`${appUrl}${callback.headers.location}`);
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toBe("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    expect(page.headers["cache-control"]).toBe("private, no-store");
    expect(page.body).toContain("<title>Countersign: Codertocat</title>");
    expect(page.body).toContain("Signed in as <strong>@olivia</strong>");
    expect(page.body).toContain(`<a href="http://127.0.0.1:`);
    expect(page.body).toContain(`/Codertocat/Hello-World/pull/8" rel="noopener noreferrer">Codertocat/Hello-World#8</a>`);
    // Its evidence link is a signed link that opens the pull request's evidence page.
    const evidence = /<a href="([^"]+\/countersign\/evidence\/Codertocat\/Hello-World\/8\?[^"]+)"/.exec(page.body)?.[1];
    expect(evidence).toBeDefined();
    expect((await httpRequest((evidence as string).replace(/&amp;/g, "&"))).status).toBe(200);
  });

  test("a member of a dashboard team sees it; a member of another team, a pending owner and an outsider who sign in get the 404", async () => {
    const sam = await signIn("sam");
    expect((await sam.browser.get(`${appUrl}/countersign/org/${ORG}`)).status).toBe(200);
    for (const login of ["mia", "paul", "mallory"]) {
      const { browser, callback } = await signIn(login);
      expect(callback.status).toBe(303);
      expect(browser.cookies.has("countersign_session")).toBe(true);
      const page = await browser.get(`${appUrl}/countersign/org/${ORG}`);
      expect({ login, status: page.status, body: page.body }).toEqual({ login, status: 404, body: "" });
    }
  });

  test("an owner of one organization gets the 404 for another (no installation there)", async () => {
    const { browser } = await signIn("olivia");
    expect((await browser.get(`${appUrl}/countersign/org/someone-else`)).status).toBe(404);
  });

  test("a tampered or forged session cookie gets the 404", async () => {
    const { browser } = await signIn("olivia");
    const good = browser.cookies.get("countersign_session") as string;
    const [payload = "", mac = ""] = good.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, login: "olivia", id: 999 })).toString("base64url");
    const cookies = [
      `${forgedPayload}.${mac}`,
      `${payload}.${mac.slice(0, -2)}${mac.endsWith("AA") ? "BB" : "AA"}`,
      // Well-formed, but signed with a key derived from another secret.
      sealSession(dashboardKeys("not-this-servers-secret-but-32-characters"), { id: 101, login: "olivia" }, new Date()),
      // The right key is not enough without its own label: the evidence secret itself never signs sessions.
      `${payload}.${createHmac("sha256", EVIDENCE_SECRET).update(`session\n${payload}`).digest("base64url")}`,
    ];
    for (const value of cookies) {
      const response = await httpRequest(`${appUrl}/countersign/org/${ORG}`, { headers: { cookie: `countersign_session=${value}` } });
      expect({ value, status: response.status }).toEqual({ value, status: 404 });
    }
    expect((await httpRequest(`${appUrl}/countersign/org/${ORG}`, { headers: { cookie: `countersign_session=${good}` } })).status).toBe(200);
  });

  test("a callback whose state is not the browser's sets no session", async () => {
    const browser = new Browser();
    github.approver = "olivia";
    const start = await browser.get(`${appUrl}/countersign/login?org=${ORG}`);
    const authorize = await browser.get(String(start.headers.location));
    const back = new URL(String(authorize.headers.location));
    const code = back.searchParams.get("code") as string;
    // Another state, no state cookie, and the right state replayed after its use.
    const wrong = await browser.get(`${appUrl}/countersign/oauth/callback?code=${code}&state=${"x".repeat(43)}`);
    expect(wrong.status).toBe(400);
    expect(browser.cookies.has("countersign_session")).toBe(false);
    const stranger = await httpRequest(String(back));
    expect(stranger.status).toBe(400);
    expect(JSON.stringify(stranger.headers["set-cookie"] ?? [])).not.toContain("countersign_session=");
    // The wrong state used the browser's sign-in up: the right one no longer works either.
    const late = await browser.get(String(back));
    expect(late.status).toBe(400);
    expect(browser.cookies.has("countersign_session")).toBe(false);
    // And a sign-in that succeeded cannot be replayed with its cookie and state.
    const fresh = new Browser();
    const again = await fresh.get(`${appUrl}/countersign/login?org=${ORG}`);
    const approved = await fresh.get(String(again.headers.location));
    const stateCookie = fresh.cookies.get("countersign_oauth_state") as string;
    expect((await fresh.get(String(approved.headers.location))).status).toBe(303);
    const replay = await httpRequest(String(approved.headers.location), { headers: { cookie: `countersign_oauth_state=${stateCookie}` } });
    expect(replay.status).toBe(400);
  });

  test("the login link accepts only an organization's login, so the callback redirects nowhere else", async () => {
    for (const org of ["https://evil.example", "//evil.example", "a/../../x", ""]) {
      expect((await httpRequest(`${appUrl}/countersign/login?org=${encodeURIComponent(org)}`)).status).toBe(400);
    }
  });

  test("hostile repository names and titles are escaped in the page", async () => {
    const { browser } = await signIn("olivia");
    const page = await browser.get(`${appUrl}/countersign/org/${ORG}`);
    expect(page.status).toBe(200);
    // In the one list of pull requests, the one behind the figures.
    const behind = page.body.slice(page.body.indexOf('<section aria-labelledby="matching">'));
    expect(behind.slice(0, behind.indexOf("</section>"))).toContain("Codertocat/&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;#9");
    expect(page.body.match(/<table class="prs">/g)).toHaveLength(1);
    expect(page.body).not.toContain("<script>");
    expect(page.body).not.toContain("<img");
  });

  test("the figures are filtered by GET parameters; one that does not parse is noted, not an error", async () => {
    const { browser } = await signIn("olivia");
    const page = await browser.get(`${appUrl}/countersign/org/${ORG}?repo=Hello-World&from=not-a-date`);
    expect(page.status).toBe(200);
    expect(page.body).toContain("&quot;from&quot; was ignored: it is not a date (YYYY-MM-DD).");
    expect(page.body).toContain('<input type="text" name="repo" value="Codertocat/Hello-World"');
    expect(page.body).toContain("<title id=\"weekly-outcomes-title\">Agent pull requests per week, by outcome</title>");
    // The list behind the figures: the pull request decided through the app, not the other repository's.
    const behind = page.body.slice(page.body.indexOf('<h2 id="matching">'));
    expect(behind).toContain(`/Codertocat/Hello-World/pull/8" rel="noopener noreferrer">Codertocat/Hello-World#8</a>`);
    expect(behind.slice(0, behind.indexOf("</section>"))).not.toContain("#9</a>");
  });

  test("an owner downloads what the page shows, as JSON and CSV; the chain head it names verifies with audit verify --anchor; signed out, a download is the 404", async () => {
    const signedOut = await httpRequest(`${appUrl}/countersign/org/${ORG}/export.json`);
    const nothing = await httpRequest(`${appUrl}/countersign/org-that-does-not-exist`);
    expect(signedOut.status).toBe(404);
    expect(signedOut.body).toBe(nothing.body);
    const { browser } = await signIn("olivia");
    const page = await browser.get(`${appUrl}/countersign/org/${ORG}?repo=Hello-World`);
    const jsonLink = /<a href="([^"]+\/export\.json[^"]*)">JSON<\/a>/.exec(page.body)?.[1]?.replace(/&amp;/g, "&");
    expect(jsonLink).toMatch(/^\/countersign\/org\/Codertocat\/export\.json\?from=\d{4}-\d\d-\d\d&to=\d{4}-\d\d-\d\d&repo=Codertocat%2FHello-World$/);
    const json = await browser.get(`${appUrl}${jsonLink}`);
    expect(json.status).toBe(200);
    expect(json.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(json.headers["content-disposition"]).toMatch(/^attachment; filename="countersign-Codertocat-\d{4}-\d\d-\d\d\.json"$/);
    expect(json.headers["cache-control"]).toBe("private, no-store");
    const body = JSON.parse(json.body);
    expect(body.filters.repo).toBe("Codertocat/Hello-World");
    expect(body.matching.pullRequests.map((pr: { number: number }) => pr.number)).toEqual([8]);
    expect(body.chainHead.hash).toMatch(/^[0-9a-f]{64}$/);
    const verified = await promisify(execFile)(process.execPath, [path.join(root, "lib/bin.js"), "audit", "verify", "--anchor", body.chainHead.hash], { cwd: root, env: { PATH: process.env.PATH, DATABASE_URL: running!.database.url } });
    expect(verified.stdout).toContain(body.chainHead.hash.slice(0, 12));
    const csvLink = /<a href="([^"]+\/export\.csv[^"]*table=pull-requests[^"]*)">/.exec(page.body)?.[1]?.replace(/&amp;/g, "&");
    const csv = await browser.get(`${appUrl}${csvLink}`);
    expect(csv.status).toBe(200);
    expect(csv.headers["content-type"]).toBe("text/csv; charset=utf-8");
    const lines = csv.body.split("\r\n");
    expect(lines[0]).toContain(`audit chain head ${body.chainHead.hash}`);
    expect(lines[1]).toBe("repository,number,outcome,title,evaluated_at,pull_request_url,evidence_url");
    expect(lines[2]).toMatch(/^Codertocat\/Hello-World,8,/);
    // Another person who may not see the page may not download it either.
    const outsider = await signIn("mallory");
    expect((await outsider.browser.get(`${appUrl}${jsonLink}`)).status).toBe(404);
  });

  test("signing out clears the session cookie", async () => {
    const { browser } = await signIn("olivia");
    const out = await browser.get(`${appUrl}/countersign/logout`, "POST");
    expect(out.status).toBe(200);
    expect(browser.cookies.has("countersign_session")).toBe(false);
    expect((await browser.get(`${appUrl}/countersign/org/${ORG}`)).status).toBe(404);
  });

  test("each user token is used once, for GET /user, and appears nowhere in the logs; nor do the client secret and the session cookies", async () => {
    const { browser } = await signIn("olivia");
    expect((await browser.get(`${appUrl}/countersign/org/${ORG}`)).status).toBe(200);
    expect(github.tokens.size).toBeGreaterThanOrEqual(1);
    const logs = running?.output.join("") ?? "";
    for (const token of github.tokens.values()) {
      expect(logs).not.toContain(token);
      expect(github.authorizationHeaders.filter((header) => header.includes(token))).toHaveLength(1);
    }
    expect(logs).not.toContain(CLIENT_SECRET);
    expect(sessions.length).toBeGreaterThanOrEqual(1);
    for (const session of sessions) expect(logs).not.toContain(session.split(".")[1]);
    expect(logs).toContain("countersign: dashboard: signed in");
    // The access log records the callback's requests (its code and state redacted), headers included.
    expect(logs).toMatch(/\/countersign\/oauth\/callback\?code=\[REDACTED\]&state=\[REDACTED\]/);
  });
});

describe("the organization dashboard without an OAuth client", () => {
  let running: EnterpriseApp | undefined;
  afterAll(async () => {
    await running?.stop();
  });

  test("is not served, and the start-up log says why", async () => {
    running = await launchEnterpriseApp(fakeGhesState(), { webhookSecret: SECRET, extra: (url) => ({ COUNTERSIGN_PUBLIC_URL: url, COUNTERSIGN_EVIDENCE_SECRET: EVIDENCE_SECRET }) });
    expect(running.output.join("")).toContain("off (no GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET)");
    expect((await httpRequest(`${running.url}/countersign/login?org=${ORG}`)).status).toBe(404);
    expect((await httpRequest(`${running.url}/countersign/org/${ORG}`)).status).toBe(404);
  }, 30_000);
});
