import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, test } from "@jest/globals";
import { readAppYml } from "../../../src/setup/app-manifest.js";
import { setupRoutes, type Conversion, type SetupRoutesOptions } from "../../../src/setup/setup-routes.js";

const STATE = "state-made-at-start";
const APP = { id: 4242, slug: "countersign-acme", html_url: "https://github.com/apps/countersign-acme", pem: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n", webhook_secret: "whsec" };

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function routes(overrides: Partial<SetupRoutesOptions> = {}) {
  const registered: Conversion[] = [];
  const errors: string[] = [];
  const handler = setupRoutes({
    appYml: readAppYml(),
    publicUrl: null,
    webhookPath: "/api/github/webhooks",
    webhookProxyUrl: () => null,
    githubUrl: "https://github.com",
    organization: null,
    state: STATE,
    convert: async () => APP,
    onRegistered: async (app) => {
      registered.push(app);
    },
    log: { info: () => undefined, error: (_details, message) => errors.push(message) },
    ...overrides,
  });
  const request = async (url: string, headers: Record<string, string> = { host: "localhost:3000" }): Promise<Answer | null> => {
    const answer: Answer = { status: 0, headers: {}, body: "" };
    const res = {
      writeHead(status: number, head: Record<string, string>) {
        answer.status = status;
        answer.headers = head;
        return this;
      },
      end(body?: string) {
        answer.body = body ?? "";
      },
    } as unknown as ServerResponse;
    const handled = await handler({ method: "GET", url, headers } as IncomingMessage, res);
    return handled ? answer : null;
  };
  return { request, registered, errors };
}

function manifestOf(page: string): Record<string, any> {
  const value = /name="manifest" id="manifest" value="([^"]*)"/.exec(page)?.[1] ?? "";
  return JSON.parse(value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&"));
}

describe("the setup page", () => {
  test("/ leads to it, and other paths are left to the app's other routes", async () => {
    const { request } = routes();
    expect(await request("/")).toMatchObject({ status: 302, headers: { location: "/probot" } });
    expect(await request("/healthz")).toBeNull();
  });

  test("the form posts to GitHub's new-app page with this process's state, and the CSP lets it post only there", async () => {
    const page = (await routes().request("/probot")) as Answer;
    expect(page.body).toContain('action="https://github.com/settings/apps/new?state=state-made-at-start"');
    expect(page.headers["content-security-policy"]).toContain("form-action https://github.com");
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(page.body).not.toMatch(/<script/i);
  });

  test("the webhook goes to this app's webhook path, or to the proxy channel when there is one", async () => {
    expect(manifestOf(((await routes().request("/probot")) as Answer).body).hook_attributes).toEqual({ url: "http://localhost:3000/api/github/webhooks", active: true });
    const proxied = manifestOf(((await routes({ webhookProxyUrl: () => "https://smee.io/abc" }).request("/probot")) as Answer).body);
    expect(proxied.hook_attributes).toEqual({ url: "https://smee.io/abc", active: true });
    expect(proxied.redirect_url).toBe("http://localhost:3000/probot/setup");
  });

  test("behind a proxy or with a public address, the addresses GitHub is given are the public ones", async () => {
    const forwarded = manifestOf(((await routes().request("/probot", { host: "10.0.0.5:3000", "x-forwarded-host": "countersign.acme.dev", "x-forwarded-proto": "https" })) as Answer).body);
    expect(forwarded.redirect_url).toBe("https://countersign.acme.dev/probot/setup");
    const configured = manifestOf(((await routes({ publicUrl: "https://cs.acme.dev/" }).request("/probot")) as Answer).body);
    expect(configured.hook_attributes.url).toBe("https://cs.acme.dev/api/github/webhooks");
  });

  test("a Host header that is not a host name is not echoed into the manifest", async () => {
    const manifest = manifestOf(((await routes().request("/probot", { host: 'evil"><script>' })) as Answer).body);
    expect(manifest.redirect_url).toBe("http://localhost/probot/setup");
  });

  test("GH_ORG registers the app under the organization; GitHub Enterprise Server gets its own address", async () => {
    const page = (await routes({ organization: "acme", githubUrl: "https://ghe.acme.dev" }).request("/probot")) as Answer;
    expect(page.body).toContain('action="https://ghe.acme.dev/organizations/acme/settings/apps/new?state=');
    expect(page.headers["content-security-policy"]).toContain("form-action https://ghe.acme.dev");
  });

  test("localhost without a proxy is flagged as unreachable by GitHub", async () => {
    expect(((await routes().request("/probot")) as Answer).body).toContain("GitHub cannot reach this address");
    expect(((await routes({ webhookProxyUrl: () => "https://smee.io/abc" }).request("/probot")) as Answer).body).not.toContain("GitHub cannot reach this address");
  });
});

describe("GitHub's callback", () => {
  test("a code with this process's state registers the app and sends the person on to install it", async () => {
    const converted: string[] = [];
    const { request, registered } = routes({ convert: async (code) => (converted.push(code), APP) });
    expect(await request(`/probot/setup?code=abc_123&state=${STATE}`)).toMatchObject({ status: 302, headers: { location: "https://github.com/apps/countersign-acme/installations/new" } });
    expect(converted).toEqual(["abc_123"]);
    expect(registered).toEqual([APP]);
    // Once registered, the callback does nothing more.
    expect(await request(`/probot/setup?code=again&state=${STATE}`)).toMatchObject({ status: 409 });
    expect(converted).toEqual(["abc_123"]);
  });

  test.each([
    ["no code", `/probot/setup?state=${STATE}`, 400, "No registration code"],
    ["another state (a link made elsewhere)", "/probot/setup?code=abc&state=someone-elses", 400, "This registration did not start here"],
    ["no state", "/probot/setup?code=abc", 400, "This registration did not start here"],
  ])("%s: refused, and no code is exchanged", async (_description, url, status, title) => {
    const converted: string[] = [];
    const { request, registered } = routes({ convert: async (code) => (converted.push(code), APP) });
    const answer = (await request(url)) as Answer;
    expect(answer.status).toBe(status);
    expect(answer.body).toContain(title);
    expect(converted).toEqual([]);
    expect(registered).toEqual([]);
  });

  test("a code GitHub refuses ends in a page saying why and what to do; nothing is registered", async () => {
    const { request, registered, errors } = routes({ convert: async () => Promise.reject(Object.assign(new Error("Not Found"), { status: 404 })) });
    const answer = (await request(`/probot/setup?code=stale&state=${STATE}`)) as Answer;
    expect(answer.status).toBe(502);
    expect(answer.body).toContain("GitHub did not accept the registration code (HTTP 404)");
    expect(registered).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  test("an answer without a webhook secret is not accepted: the app would take unsigned deliveries", async () => {
    const { request, registered } = routes({ convert: async () => ({ ...APP, webhook_secret: null }) });
    expect(await request(`/probot/setup?code=x&state=${STATE}`)).toMatchObject({ status: 502 });
    expect(registered).toEqual([]);
  });
});
