import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { chromium, type Browser } from "playwright-core";
import { parse } from "yaml";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { appPrivateKey, deliverWebhook, freePort, httpRequest, listen, root, startApp, stopApp, waitFor } from "./app-process.js";
import { fakeGhes, fakeGhesState } from "./fake-ghes.js";

// The first hour of a new organisation, as it happens: `npm start` without credentials serves the
// setup page; the person clicks "Register GitHub App" in a browser; GitHub (here a fake Enterprise
// Server on loopback) receives the manifest the form posts, creates the app and sends the browser
// back with a code; the app exchanges it for its credentials, writes them to .env and starts
// receiving webhooks, without a restart. Debian's Chromium drives the page (playwright-core).

const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((candidate) => candidate && existsSync(candidate));
const browserTest = CHROMIUM ? test : test.skip;
if (!CHROMIUM) console.warn("countersign e2e: Chromium not found (apt-get install chromium, or set CHROMIUM_PATH): setup-page browser checks skipped");

const CODE = "e2e-manifest-code";
const WEBHOOK_SECRET = "e2e-secret-from-the-manifest-flow";
const HEAD = "5e".repeat(20);
const appYml = parse(readFileSync(path.join(root, "app.yml"), "utf8")) as Record<string, unknown>;

describe("registering the app through the setup page", () => {
  const state = fakeGhesState();
  const dir = mkdtempSync(path.join(tmpdir(), "countersign-setup-flow-"));
  const pem = appPrivateKey();
  const output: string[] = [];
  const posted: string[] = [];
  let ghesUrl = "";
  let appUrl = "";
  let app: ChildProcess | undefined;
  let browser: Browser | undefined;
  const ghes = fakeGhes(state);

  beforeAll(async () => {
    // GitHub's side of the manifest flow: the form post, the person's confirmation, the code's exchange.
    state.routes = (req, raw, res) => {
      const url = new URL(req.url ?? "/", ghesUrl);
      if (req.method === "POST" && url.pathname === "/settings/apps/new") {
        const manifest = new URLSearchParams(raw).get("manifest") ?? "";
        posted.push(manifest);
        const redirect = `${(JSON.parse(manifest) as { redirect_url: string }).redirect_url}?code=${CODE}&state=${encodeURIComponent(url.searchParams.get("state") ?? "")}`;
        res.writeHead(200, { "content-type": "text/html" });
        res.end(`<!doctype html><title>Create GitHub App</title><a id="create" href="${redirect}">Create GitHub App</a>`);
        return true;
      }
      if (req.method === "POST" && url.pathname === `/api/v3/app-manifests/${CODE}/conversions`) {
        res.writeHead(201, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: 4242, slug: "countersign-e2e", name: "Countersign", html_url: `${ghesUrl}/apps/countersign-e2e`, pem, webhook_secret: WEBHOOK_SECRET, client_id: "Iv1.e2e", client_secret: "e2e-client-secret" }));
        return true;
      }
      if (req.method === "GET" && url.pathname === "/apps/countersign-e2e/installations/new") {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<!doctype html><title>Install Countersign</title><h1>Install Countersign</h1>");
        return true;
      }
      return false;
    };
    ghesUrl = `http://127.0.0.1:${await listen(ghes)}`;
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    state.pulls.set(8, { number: 8, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Agent change", author: claude }], reviews: [], files: ["a.ts"] });
    app = await startApp(
      { HOST: "127.0.0.1", PORT: String(port), NO_SMEE_SETUP: "true", GHE_HOST: new URL(ghesUrl).host, GHE_PROTOCOL: "http", DATABASE_URL: "file:./data/countersign.db", LOG_LEVEL: "info" },
      output,
      { cwd: dir },
    );
    if (CHROMIUM) browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await stopApp(app);
    await new Promise((resolve) => ghes.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  test("before registration, the operations endpoints answer: alive, not ready (and why), metrics", async () => {
    expect(await httpRequest(`${appUrl}/healthz`)).toMatchObject({ status: 200 });
    const ready = await httpRequest(`${appUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body).problems[0]).toMatch(/not registered yet/);
    const metrics = await httpRequest(`${appUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain("countersign_webhook_deliveries_total");
  });

  browserTest("the form posts app.yml's manifest intact, with this app's webhook path and callback, and GitHub receives exactly that", async () => {
    const page = await browser!.newPage();
    await page.goto(`${appUrl}/`);
    expect(new URL(page.url()).pathname).toBe("/probot");
    const field = JSON.parse(await page.locator("form input[name=manifest]").inputValue()) as Record<string, unknown>;
    for (const key of ["name", "description", "url", "public", "default_permissions", "default_events"]) expect({ key, value: field[key] }).toEqual({ key, value: appYml[key] });
    expect(field.hook_attributes).toEqual({ url: `${appUrl}/api/github/webhooks`, active: true });
    expect(field.redirect_url).toBe(`${appUrl}/probot/setup`);
    // The organization dashboard's "Sign in with GitHub" comes back here; nothing is asked at install.
    expect(field.callback_urls).toEqual([`${appUrl}/countersign/oauth/callback`]);
    expect(field.request_oauth_on_install).toBe(false);
    // localhost without a proxy: the page says GitHub cannot deliver there, and what to do.
    await expect(page.locator("#webhooks").innerText()).resolves.toContain("GitHub cannot reach this address");

    await page.getByRole("button", { name: "Register GitHub App" }).click();
    await page.waitForURL(`${ghesUrl}/settings/apps/new?state=*`);
    expect(posted).toHaveLength(1);
    expect(JSON.parse(posted[0] as string)).toEqual(field);

    // The person confirms on GitHub; GitHub sends the browser back with the code, and the app sends
    // it on to the installation page of the new app.
    await page.locator("#create").click();
    await page.waitForURL(`${ghesUrl}/apps/countersign-e2e/installations/new`);
    await expect(page.locator("h1").innerText()).resolves.toBe("Install Countersign");
    await page.close();
  }, 30_000);

  browserTest("the credentials are saved to .env (owner-only), and the app receives webhooks with them at once", async () => {
    const envFile = path.join(dir, ".env");
    const saved = readFileSync(envFile, "utf8");
    expect(saved).toMatch(/^APP_ID=4242$/m);
    expect(saved).toMatch(new RegExp(`^WEBHOOK_SECRET=${WEBHOOK_SECRET}$`, "m"));
    expect(saved).toMatch(/^PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\\n/m);
    // The OAuth client, for the organization dashboard's sign-in (docs/dashboard.md).
    expect(saved).toMatch(/^GITHUB_CLIENT_ID=Iv1\.e2e$/m);
    expect(saved).toMatch(/^GITHUB_CLIENT_SECRET=e2e-client-secret$/m);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);

    await waitFor(() => output.join("").includes("countersign: ready"), 15_000);
    expect((await httpRequest(`${appUrl}/readyz`)).status).toBe(200);
    const delivered = await deliverWebhook(appUrl, WEBHOOK_SECRET, "pull_request", "setup-flow-1", pullRequestEvent("opened", state.pulls.get(8)!));
    expect(delivered.status).toBe(200);
    await waitFor(() => [...state.checkRuns.values()].some((run) => run.head_sha === HEAD));
    expect([...state.checkRuns.values()].find((run) => run.head_sha === HEAD)).toMatchObject({ conclusion: "action_required" });

    // Nothing secret reached the log: neither the key, the webhook secret, nor the one-time code.
    const log = output.join("");
    expect(log).toContain("registered the GitHub App countersign-e2e (id 4242)");
    expect(log).not.toContain("BEGIN PRIVATE KEY");
    expect(log).not.toContain(WEBHOOK_SECRET);
    expect(log).not.toContain(CODE);
  }, 30_000);
});

describe("the setup page's manifest survives any text in app.yml", () => {
  browserTest("quotes, apostrophes, ampersands and markup in every field reach the posted form intact", async () => {
    const { renderSetupPage } = await import("../../src/setup/setup-page.js");
    const { buildManifest, readAppYml } = await import("../../src/setup/app-manifest.js");
    const hostile = `Agent's "quoted" & <b>bold</b> &amp; &#39; ' \u2019 </textarea> \u{1F916}`;
    const manifest = buildManifest({ ...readAppYml(), description: hostile, name: `O'Brien & "Co"` }, { baseUrl: "http://localhost:3000", webhookPath: "/api/github/webhooks" });
    const html = renderSetupPage({ manifest, registerUrl: "https://github.com/settings/apps/new?state=s", githubUrl: "https://github.com", organization: "o'rg", webhookProxyUrl: null, webhookPath: "/api/github/webhooks", unreachableWebhook: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
    try {
      const page = await browser.newPage();
      await page.setContent(html);
      expect(JSON.parse(await page.locator("form input[name=manifest]").inputValue())).toEqual(manifest);
      await expect(page.locator("h1").innerText()).resolves.toBe(`Register O'Brien & "Co" on GitHub`);
    } finally {
      await browser.close();
    }
  }, 30_000);
});

describe("npm start with settings it cannot use", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "countersign-bad-url-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("an unknown scheme is refused at start, naming the supported ones, and no file is created", async () => {
    const output: string[] = [];
    const started = startApp({ HOST: "127.0.0.1", PORT: String(await freePort()), NO_SMEE_SETUP: "true", DATABASE_URL: "mysql://x" }, output, { cwd: dir });
    await expect(started).rejects.toThrow(/exited with 1/);
    const log = output.join("");
    expect(log).toContain("DATABASE_URL: the scheme mysql: is not supported; use file:<path> (SQLite");
    expect(log).toContain("postgres://");
    expect(existsSync(path.join(dir, "mysql:"))).toBe(false);
  });

  test("APP_ID without a private key stops the app, naming what is missing, instead of offering to register another app", async () => {
    const output: string[] = [];
    const started = startApp({ HOST: "127.0.0.1", PORT: String(await freePort()), NO_SMEE_SETUP: "true", APP_ID: "4242", DATABASE_URL: "file:./c.db" }, output, { cwd: dir });
    await expect(started).rejects.toThrow(/exited with 1/);
    expect(output.join("")).toContain("APP_ID is set, but no private key is: set PRIVATE_KEY (the PEM) or PRIVATE_KEY_PATH");
  });

  test("a bad Probot setting is named at start", async () => {
    const output: string[] = [];
    const env: Record<string, string> = { HOST: "127.0.0.1", PORT: String(await freePort()), LOG_LEVEL: "verbose", DATABASE_URL: "file:./c.db" };
    const started = startApp(env, output, { cwd: dir });
    await expect(started).rejects.toThrow(/exited with 1/);
    expect(output.join("")).toContain("Invalid Probot environment: LOG_LEVEL");
  });
});
