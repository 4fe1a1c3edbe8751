import { existsSync, mkdirSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page, type Response } from "playwright-core";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { admin, claude } from "../fixtures/people.js";
import type { PayloadUser } from "../fixtures/payloads.js";
import { deliverWebhook, launchEnterpriseApp, root, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";
import { fakeSignIn, type FakeSignIn } from "./fake-github-sign-in.js";

// The organization dashboard as a person uses it, in a real headless browser (Debian's Chromium,
// driven by playwright-core; nothing is downloaded) against the built app and the fake GitHub
// Enterprise Server: the sign-in through GitHub's "Authorize" page, what the page shows and where its
// links go, the cookie the browser keeps, the 404 everyone else gets, signing out, the layout on a
// desktop and on a phone, and the Content-Security-Policy holding. With UPDATE_SCREENSHOTS=1 it also
// redraws docs/images/dashboard-desktop.png and dashboard-phone.png from the seeded organization.

const SECRET = "e2e-webhook-secret";
const EVIDENCE_SECRET = "an-evidence-signing-secret-of-at-least-32-chars";
const CLIENT_ID = "Iv23liE2eDashboard01";
const CLIENT_SECRET = "e2e0client0secret0of0forty0hex0characters0";
const ORG = "Codertocat";
// No slash: a repository's name never has one, and the page's link splits the full name at it.
const HOSTILE_REPO = `"><script>alert(1)`;
const HOSTILE_TITLE = `<script>alert("title")</script><img src=x onerror=alert(2)>`;
const copilot: PayloadUser = { id: 198982749, login: "copilot-swe-agent[bot]", type: "Bot" };
const PEOPLE = [
  { id: 101, login: "olivia", membership: { role: "admin", state: "active" } },
  { id: 105, login: "mallory", membership: { role: "member", state: "active" } },
] as const;
const SESSION_SECONDS = 8 * 60 * 60;

const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((candidate) => candidate && existsSync(candidate));
// Without Chromium (a developer machine that has not installed it) these checks are skipped, visibly;
// CI installs Debian's chromium in .ci/run, so they always run there.
const browserTest = CHROMIUM ? test : test.skip;
if (!CHROMIUM) console.warn("countersign e2e: Chromium not found (apt-get install chromium, or set CHROMIUM_PATH): dashboard browser checks skipped");
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === "1";

// Measured in the page (as source text: the tests are compiled without the DOM's types): whether the
// page itself scrolls sideways, and every piece of text laid out smaller than 12 px: for a chart's
// text, as drawn (its font size times the scale the SVG is drawn at).
const LAYOUT = `(() => {
  const small = [];
  const smallInCharts = [];
  for (const element of document.body.querySelectorAll("*")) {
    const text = [...element.childNodes].filter((node) => node.nodeType === 3).map((node) => node.textContent.trim()).join(" ").trim();
    if (!text || element.getClientRects().length === 0) continue;
    const svg = element.closest("svg");
    const box = svg?.viewBox?.baseVal;
    const scale = svg && box && box.width > 0 ? svg.getBoundingClientRect().width / box.width : 1;
    const size = Math.round(parseFloat(getComputedStyle(element).fontSize) * scale * 10) / 10;
    if (size < 12) (svg ? smallInCharts : small).push(element.tagName.toLowerCase() + " " + size + "px: " + text.slice(0, 40));
  }
  // Cells of the exceptions and the pull requests a reader cannot see without scrolling a table's box.
  const cut = [...document.querySelectorAll("table.exceptions td, table.prs td")].filter((cell) => cell.getBoundingClientRect().right > window.innerWidth + 0.5).map((cell) => cell.textContent.trim().slice(0, 40));
  return { innerWidth: window.innerWidth, scrollWidth: document.scrollingElement.scrollWidth, small, smallInCharts, cut };
})()`;

interface Layout {
  innerWidth: number;
  scrollWidth: number;
  small: string[];
  smallInCharts: string[];
  cut: string[];
}

/** GitHub's web page of a pull request, enough to show that the dashboard's link arrives there. */
function pullRequestWebPage(req: IncomingMessage, res: ServerResponse): boolean {
  const match = /^\/([^/]+)\/([^/]+)\/pull\/(\d+)$/.exec(new URL(req.url ?? "/", "http://fake-github").pathname);
  if (req.method !== "GET" || !match) return false;
  const [, owner = "", repo = "", number = ""] = match.map((part) => decodeURIComponent(part).replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`));
  const text = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pull request #${number}</title></head><body><h1 id="pull">${owner}/${repo} pull request #${number}</h1></body></html>`;
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
  return true;
}

describe("the organization dashboard in a browser", () => {
  const state = fakeGhesState();
  let github: FakeSignIn;
  let running: EnterpriseApp | undefined;
  let browser: Browser | undefined;
  let appUrl = "";

  /** A fresh browser profile; a step that does not happen fails in 10 s with what it waited for (before the test's own timeout). */
  async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
    const context = await browser!.newContext(options);
    context.setDefaultTimeout(10_000);
    return context;
  }

  /**
   * Signs `login` in the way a person does: the login link, GitHub's authorize page and its button;
   * leaves the page where the app sent it, the dashboard, and returns that page's status.
   */
  async function signIn(page: Page, login: string): Promise<number> {
    github.approver = login;
    await page.goto(`${appUrl}/countersign/login?org=${ORG}`);
    // On GitHub's side now: the authorize page, for the person signed in to GitHub in this browser.
    expect(new URL(page.url()).pathname).toBe("/login/oauth/authorize");
    expect(new URL(page.url()).origin).not.toBe(appUrl);
    await expect(page.locator("h1").innerText()).resolves.toBe("Authorize Countersign");
    await expect(page.locator("p strong").innerText()).resolves.toBe(`@${login}`);
    const [landing] = await Promise.all([page.waitForResponse(`${appUrl}/countersign/org/${ORG}`), page.getByRole("button", { name: "Authorize" }).click()]);
    await page.waitForLoadState();
    return landing.status();
  }

  /**
   * What a browser gets for `url`: the document's status and headers (but its date), how the
   * navigation ended and what the tab then shows (Chromium shows its own error page for an empty 404,
   * and the navigation fails), and the body the app sent (fetched again with the browser's cookies:
   * a failed navigation's body is the error page's).
   */
  async function visit(page: Page, url: string) {
    const documents: Response[] = [];
    const listener = (response: Response) => {
      if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) documents.push(response);
    };
    page.on("response", listener);
    const outcome = await page.goto(url).then(
      () => "loaded",
      (error: Error) => (error.message.split("\n")[0] ?? "").replace(url, "<url>"),
    );
    page.off("response", listener);
    const document = documents.at(-1);
    const headers = Object.entries((await document?.allHeaders()) ?? {}).filter(([name]) => name !== "date");
    const again = await page.context().request.get(url, { maxRedirects: 0 });
    const shown = (await page.locator("body").innerText()).replaceAll(url, "<url>");
    return { status: document?.status(), headers: Object.fromEntries(headers), outcome, shown, sent: { status: again.status(), body: await again.text() } };
  }

  beforeAll(async () => {
    github = fakeSignIn({ org: ORG, installationId: 1, people: PEOPLE.map((person) => ({ ...person })), clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    github.askToAuthorize = true;
    state.routes = (req, raw, res) => github.routes(req, raw, res) || pullRequestWebPage(req, res);
    state.policies = { repository: null, organization: null };
    // Two agent pull requests decided through the app, as GitHub would send them.
    const pulls = [
      { number: 8, author: claude, headSha: "cd".repeat(20), title: "Add the CSV export", file: "src/export.ts" },
      { number: 12, author: copilot, headSha: "ef".repeat(20), title: "Fix the flaky retry in the uploader", file: "src/upload/retry.ts" },
      { number: 15, author: claude, headSha: "ab".repeat(20), title: "Raise the upload size limit", file: "src/upload/limits.ts" },
    ];
    for (const pr of pulls) state.pulls.set(pr.number, { number: pr.number, author: pr.author, headSha: pr.headSha, title: pr.title, commits: [{ sha: pr.headSha, message: pr.title, author: pr.author }], reviews: [], files: [pr.file] });
    running = await launchEnterpriseApp(state, {
      webhookSecret: SECRET,
      extra: (url) => ({ COUNTERSIGN_PUBLIC_URL: url, COUNTERSIGN_EVIDENCE_SECRET: EVIDENCE_SECRET, GITHUB_CLIENT_ID: CLIENT_ID, GITHUB_CLIENT_SECRET: CLIENT_SECRET, COUNTERSIGN_SUMMARY_CHECK_SECONDS: "1" }),
    });
    appUrl = running.url;
    for (const pr of pulls) expect((await deliverWebhook(appUrl, SECRET, "pull_request", `dashboard-browser-${pr.number}`, pullRequestEvent("opened", state.pulls.get(pr.number)!))).status).toBe(200);
    await waitFor(() => state.checkRuns.size >= pulls.length);
    const deadline = Date.now() + 10_000;
    while ((await running.database.rows(`SELECT "id" FROM "Decision" WHERE "prNumber" IN (8, 12, 15)`)).length < pulls.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    // An administrator merges #15 while it still waits for a delegation: the exception the list leads with.
    const merged = pullRequestEvent("closed", { ...state.pulls.get(15)!, state: "closed" }, admin);
    const now = new Date().toISOString();
    Object.assign(merged.pull_request, { merged: true, merged_at: now, closed_at: now, merge_commit_sha: "9c".repeat(20), merged_by: { ...merged.sender } });
    expect((await deliverWebhook(appUrl, SECRET, "pull_request", "dashboard-browser-15-merged", merged)).status).toBe(200);
    await waitFor(() => state.comments.some((comment) => comment.issue === 15));
    // The rest of a working organization, stored as the app stores decisions: other repositories,
    // other outcomes, other weeks, and a repository and title a hostile agent could have named.
    // Each with the reasons the engine gives such a decision (src/policy/evaluate.ts), which the
    // figures classify outcomes by.
    const reasons = (...more: string[]) => JSON.stringify(["agent-authored", "policy:30a197b79f75", ...more]);
    const blocked = reasons("no-delegation", "approvals:0/1", "unmet:agents-allowed", "unmet:owner", "unmet:approvals");
    const others = [
      { id: "dec_billing", repoId: 2, repo: "billing-service", number: 41, conclusion: "success", title: "Countersigned: delegated by @alice, approved by @bob", reasons: reasons("delegated:del_billing41", "approvals:1/1"), daysAgo: 1 },
      { id: "dec_infra", repoId: 3, repo: "infra-terraform", number: 7, conclusion: "failure", title: "Agents may not change this: tier critical", reasons: blocked, daysAgo: 2 },
      { id: "dec_docs", repoId: 4, repo: "docs-site", number: 133, conclusion: "success", title: "Countersigned: delegated by @erin, approved by @alice", reasons: reasons("delegated:del_docs133", "approvals:1/1"), daysAgo: 8 },
      { id: "dec_mobile", repoId: 5, repo: "mobile-app", number: 560, conclusion: "action_required", title: "Needs approval by an independent reviewer", reasons: reasons("delegated:del_mobile560", "approvals:0/1", "unmet:approvals"), daysAgo: 10 },
      { id: "dec_hostile", repoId: 6, repo: HOSTILE_REPO, number: 9, conclusion: "failure", title: HOSTILE_TITLE, reasons: blocked, daysAgo: 16 },
    ];
    const sql = (text: string) => `'${text.replace(/'/g, "''")}'`;
    for (const other of others) {
      // As the SQLite adapter writes a DateTime (which PostgreSQL reads as the same instant).
      const evaluatedAt = new Date(Date.now() - other.daysAgo * 86_400_000 - 3_600_000 * other.repoId).toISOString().replace("Z", "+00:00");
      await running.database.rawSql(
        `INSERT INTO "Decision" ("id", "repoId", "repoFullName", "prNumber", "headSha", "conclusion", "title", "reasons", "evaluatedAt") ` +
          `VALUES (${sql(other.id)}, ${other.repoId}, ${sql(`${ORG}/${other.repo}`)}, ${other.number}, ${sql(`${other.repoId}`.padStart(40, "a"))}, ${sql(other.conclusion)}, ${sql(other.title)}, ${sql(other.reasons)}, ${sql(evaluatedAt)})`,
      );
    }
    // Written behind the app's back (as a replica of an older version would), they reach the
    // dashboard's summaries at the app's next look (every second here).
    const summarized = async () => (await running!.database.rows(`SELECT "prNumber" FROM "PullRequestSummary" WHERE "decisions" = 1 AND "prNumber" IN (${others.map((other) => other.number).join(", ")})`)).length;
    const until = Date.now() + 15_000;
    while ((await summarized()) < others.length && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await summarized()).toBe(others.length);
    if (CHROMIUM) {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      });
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
  });

  browserTest.each([true, false])("an owner signs in through GitHub's authorize page and sees the organization's agent pull requests (JavaScript on: %s)", async (javaScriptEnabled) => {
    const context = await newContext({ javaScriptEnabled, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    expect(await signIn(page, "olivia")).toBe(200);
    const signedInAt = Date.now() / 1000;

    await expect(page.locator("h1").innerText()).resolves.toBe(`Countersign: ${ORG}`);
    await expect(page.locator("header form").innerText()).resolves.toMatch(/^Signed in as @olivia\s+Sign out$/);
    const rows = await page.locator("section[aria-labelledby=matching] table.prs tbody tr").allInnerTexts();
    expect(rows).toHaveLength(8);
    expect(rows.some((row) => row.startsWith(`${ORG}/Hello-World#8\t`))).toBe(true);
    expect(rows.some((row) => row.startsWith(`${ORG}/Hello-World#12\t`))).toBe(true);
    // The hostile repository name and title are on the page as text, and nothing of them runs.
    expect(rows.find((row) => row.startsWith(`${ORG}/${HOSTILE_REPO}#9\t`))).toContain(HOSTILE_TITLE);
    expect(await page.locator("script, img").count()).toBe(0);
    // The exceptions come first: the administrator's merge of #15 without a countersign, linked to it.
    const exceptions = page.locator("section", { has: page.locator("h2#exceptions") });
    await expect(page.locator("main h2").first().innerText()).resolves.toBe("Exceptions to act on");
    await expect(exceptions.locator("#ex-merges").innerText()).resolves.toBe("Merged without a countersign: 1");
    await expect(exceptions.locator("table.exceptions tbody tr").first().innerText()).resolves.toContain("root-admin");

    // The session cookie as the browser keeps it.
    const cookies = await context.cookies();
    const session = cookies.find((cookie) => cookie.name === "countersign_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/countersign", secure: false });
    expect(Math.abs((session?.expires ?? 0) - (signedInAt + SESSION_SECONDS))).toBeLessThan(60);
    // The sign-in's state cookie is gone, and nothing else was set.
    expect(cookies.map((cookie) => cookie.name)).toEqual(["countersign_session"]);

    // The pull request's link opens it on GitHub; its evidence link opens its evidence page.
    const row = page.locator("section[aria-labelledby=matching] table.prs tbody tr", { hasText: `${ORG}/Hello-World#8` });
    await Promise.all([page.waitForURL(/\/Codertocat\/Hello-World\/pull\/8$/), row.getByRole("link", { name: `${ORG}/Hello-World#8` }).click()]);
    await expect(page.locator("#pull").innerText()).resolves.toBe(`${ORG}/Hello-World pull request #8`);
    await page.goBack();
    await Promise.all([page.waitForURL(/\/countersign\/evidence\/Codertocat\/Hello-World\/8\?/), row.getByRole("link", { name: "evidence" }).click()]);
    await expect(page.locator("h1").innerText()).resolves.toBe(`Countersign evidence: ${ORG}/Hello-World#8`);
    // The hostile repository's link is to that repository's pull request, its name encoded in the path.
    await page.goBack();
    await Promise.all([page.waitForURL(/\/Codertocat\/%22%3E%3Cscript%3Ealert\(1\)\/pull\/9$/), page.locator("section[aria-labelledby=matching]").getByRole("link", { name: `${ORG}/${HOSTILE_REPO}#9` }).click()]);
    await expect(page.locator("#pull").innerText()).resolves.toBe(`${ORG}/${HOSTILE_REPO} pull request #9`);
    await context.close();
  });

  browserTest("a signed-out visitor and a signed-in non-member get the same 404 as a page that does not exist", async () => {
    const context = await newContext();
    const page = await context.newPage();
    const nothing = await visit(page, `${appUrl}/countersign/org-that-does-not-exist`);
    expect(nothing.status).toBe(404);
    const signedOut = await visit(page, `${appUrl}/countersign/org/${ORG}`);
    expect(signedOut).toEqual(nothing);

    // A member who is not an owner, with no dashboard team in the policy: signed in, and still nothing.
    expect(await signIn(page, "mallory")).toBe(404);
    expect((await context.cookies()).map((cookie) => cookie.name)).toEqual(["countersign_session"]);
    const member = await visit(page, `${appUrl}/countersign/org/${ORG}`);
    expect(member).toEqual(nothing);
    expect(member.shown).not.toContain(ORG);
    await context.close();
  });

  browserTest("signing out with the page's button ends the session: the dashboard is the 404 again", async () => {
    const context = await newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page, "olivia");
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.locator("h1").innerText()).resolves.toBe("Signed out");
    expect(await context.cookies()).toEqual([]);
    const nothing = await visit(page, `${appUrl}/countersign/org-that-does-not-exist`);
    const after = await visit(page, `${appUrl}/countersign/org/${ORG}`);
    expect(after.status).toBe(404);
    expect(after).toEqual(nothing);
    // Going back to the page that was open shows nothing of it either (it was never cached).
    await page.goBack().catch(() => undefined);
    await expect(page.locator("body").innerText()).resolves.not.toContain("Signed in as");
    await context.close();
  });

  // What a person reads at a desk and on a phone: the page itself never scrolls sideways (a wide
  // table scrolls inside its own box), no text is smaller than 12 px, and every cell of the
  // exceptions and of the pull requests is in view (on a phone their rows are cards).
  browserTest.each([
    { screen: "a desktop", width: 1280, height: 800, mobile: false, file: "dashboard-desktop.png" },
    { screen: "a phone", width: 390, height: 844, mobile: true, file: "dashboard-phone.png" },
  ])("on $screen ($width × $height), the page does not scroll sideways, its text (outside the charts) is at least 12 px, and no exception or pull request is cut off", async ({ width, height, mobile, file }) => {
    const context = await newContext({ viewport: { width, height }, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: mobile ? 2 : 1 });
    const page = await context.newPage();
    await signIn(page, "olivia");
    // Taken first, so a layout that fails below can be seen.
    const screenshot = await page.screenshot({ fullPage: true });
    expect(screenshot.length).toBeGreaterThan(20_000);
    if (UPDATE_SCREENSHOTS) {
      mkdirSync(path.join(root, "docs/images"), { recursive: true });
      // The whole page at a desk; on a phone the first screen, what a person sees on opening it.
      await page.screenshot({ path: path.join(root, "docs/images", file), fullPage: !mobile });
    }
    const layout = (await page.evaluate(LAYOUT)) as Layout;
    expect({ innerWidth: layout.innerWidth, scrollsSideways: layout.scrollWidth > layout.innerWidth, small: layout.small, cut: layout.cut }).toEqual({ innerWidth: width, scrollsSideways: false, small: [], cut: [] });
    await context.close();
  });

  // The charts' labels, axis numbers and legends, as drawn (their SVG is scaled to its box): once
  // 11 px (src/evidence/bar-chart-svg.ts, wait-chart-svg.ts), under the 12 px the rest of the page keeps.
  browserTest.each([
    { screen: "a desktop", width: 1280, height: 800, mobile: false },
    { screen: "a phone", width: 390, height: 844, mobile: true },
  ])("on $screen, the charts' text is at least 12 px as drawn", async ({ width, height, mobile }) => {
    const context = await newContext({ viewport: { width, height }, isMobile: mobile, hasTouch: mobile });
    const page = await context.newPage();
    await signIn(page, "olivia");
    const layout = (await page.evaluate(LAYOUT)) as Layout;
    await context.close();
    expect(layout.smallInCharts).toEqual([]);
  });

  browserTest("the Content-Security-Policy holds: nothing loads from elsewhere and nothing is refused", async () => {
    const context = await newContext();
    const page = await context.newPage();
    await signIn(page, "olivia");
    const requests: string[] = [];
    const messages: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => messages.push(`${message.type()}: ${message.text()}`));
    page.on("pageerror", (error) => messages.push(`pageerror: ${error.message}`));
    page.on("dialog", (dialog) => {
      messages.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    // The browser's own report of a refusal, for anything the page tried to load or run.
    await page.addInitScript(`document.addEventListener("securitypolicyviolation", (event) => console.error("CSP violation: " + event.violatedDirective + " " + event.blockedURI));`);
    const response = await page.reload();
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("default-src 'none'");
    await page.waitForLoadState("networkidle");
    expect(requests.filter((url) => new URL(url).origin !== appUrl)).toEqual([]);
    expect(requests.filter((url) => !url.startsWith(`${appUrl}/countersign/org/${ORG}`) && !url.endsWith("/favicon.ico"))).toEqual([]);
    expect(messages).toEqual([]);
    // The listeners do hear a refusal: an image from elsewhere, added to the page, is refused and reported.
    await page.evaluate(`document.body.append(Object.assign(document.createElement("img"), { src: "http://elsewhere.invalid/pixel.png" }))`);
    await waitFor(() => messages.some((message) => /CSP violation: img-src http:\/\/elsewhere\.invalid/.test(message)), 5_000);
    await context.close();
  });
});
