import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { buildManifest, type AppYml } from "./app-manifest.js";
import { renderSetupMessage, renderSetupPage } from "./setup-page.js";

// The manifest flow's two steps on Countersign's side: GET /probot shows the page whose form posts
// the manifest to GitHub; GitHub sends the person back to GET /probot/setup?code=…&state=…, and the
// code is exchanged for the new app's credentials. The paths are Probot's, so guides written for
// Probot apps still apply.
//
// The `state` is a random value made when this process started and required back: without it, anyone
// who could make the person's browser open /probot/setup with a code of their own would have this
// process write the credentials of an app they control into .env.

/** What GitHub returns for a manifest code (POST /app-manifests/{code}/conversions). */
export const conversionSchema = z.object({
  id: z.number().int().positive(),
  slug: z.string().min(1),
  html_url: z.url(),
  pem: z.string().includes("PRIVATE KEY"),
  webhook_secret: z.string().min(1, "GitHub returned no webhook secret"),
  /** The app's OAuth client, for the dashboard's "Sign in with GitHub". */
  client_id: z.string().min(1).optional(),
  client_secret: z.string().min(1).optional(),
});

export type Conversion = z.infer<typeof conversionSchema>;

export interface SetupRoutesOptions {
  appYml: AppYml;
  /** The app's public address when it has one (COUNTERSIGN_PUBLIC_URL); else taken from the request. */
  publicUrl: string | null;
  webhookPath: string;
  /** The proxy channel in use, if any; read per request, as it may be created after start-up. */
  webhookProxyUrl: () => string | null;
  githubUrl: string;
  organization: string | null;
  state: string;
  /** Exchanges a manifest code for the new app's credentials (GitHub's conversions endpoint). */
  convert: (code: string) => Promise<unknown>;
  /** Called with the new app once its credentials are saved; the setup routes are done then. */
  onRegistered: (app: Conversion) => Promise<void>;
  log: { info(message: string): void; error(details: object, message: string): void };
}

const PAGE_HEADERS = { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY" };

/** Only the host names a browser would send; anything else falls back to the listening address. */
const HOST_HEADER = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function baseUrlOf(req: IncomingMessage, options: SetupRoutesOptions): string {
  if (options.publicUrl) return options.publicUrl.replace(/\/+$/, "");
  const forwardedProto = String(req.headers["x-forwarded-proto"] ?? "").split(",")[0]?.trim();
  const protocol = forwardedProto === "https" || forwardedProto === "http" ? forwardedProto : "http";
  const host = String(req.headers["x-forwarded-host"] ?? req.headers.host ?? "");
  return `${protocol}://${HOST_HEADER.test(host) ? host : "localhost"}`;
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || host === "0.0.0.0" || /^127\./.test(host);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): true {
  res.writeHead(status, { ...PAGE_HEADERS, ...headers });
  res.end(body);
  return true;
}

/** Why a conversion failed, in words for the person at the browser (never a response body). */
function conversionFailure(error: unknown): string {
  const status = (error as { status?: unknown }).status;
  if (typeof status === "number" && status !== 500) return `GitHub did not accept the registration code (HTTP ${status}). A code works once and expires an hour after it was issued: start again from the setup page.`;
  return "Countersign could not reach GitHub to finish the registration; see the app's log, then start again from the setup page.";
}

/** The setup routes, as a Probot HTTP handler: true when the request was answered. */
export function setupRoutes(options: SetupRoutesOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  let registered = false;
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://countersign.invalid");
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    if (url.pathname === "/") return send(res, 302, "", { location: "/probot" });
    if (url.pathname === "/probot") {
      const baseUrl = baseUrlOf(req, options);
      const webhookProxyUrl = options.webhookProxyUrl();
      const manifest = buildManifest(options.appYml, { baseUrl, webhookPath: options.webhookPath, webhookProxyUrl: webhookProxyUrl ?? undefined });
      const registerUrl = `${options.githubUrl}${options.organization ? `/organizations/${encodeURIComponent(options.organization)}` : ""}/settings/apps/new?state=${options.state}`;
      const page = renderSetupPage({
        manifest,
        registerUrl,
        githubUrl: options.githubUrl,
        organization: options.organization,
        webhookProxyUrl,
        webhookPath: options.webhookPath,
        unreachableWebhook: webhookProxyUrl === null && isLoopback(baseUrl),
      });
      return send(res, 200, page, {
        "content-security-policy": `default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action ${new URL(options.githubUrl).origin}`,
      });
    }
    if (url.pathname !== "/probot/setup") return false;
    if (registered) return send(res, 409, renderSetupMessage("Already registered", ["This process has registered its GitHub App already; its credentials are in .env."]));
    const code = url.searchParams.get("code") ?? "";
    const state = url.searchParams.get("state") ?? "";
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(code)) return send(res, 400, renderSetupMessage("No registration code", ["GitHub sends a code back here after you register the app. Start from the setup page."]));
    if (!sameSecret(state, options.state)) {
      return send(res, 400, renderSetupMessage("This registration did not start here", ["The link's state does not match the setup page this process served, so its code was not used. Start again from the setup page (a restart of the app makes earlier pages invalid)."]));
    }
    let app: Conversion;
    try {
      app = conversionSchema.parse(await options.convert(code));
    } catch (error) {
      options.log.error({ err: error }, "countersign: setup: GitHub did not convert the manifest code into an app");
      return send(res, 502, renderSetupMessage("Registration not finished", [conversionFailure(error)]));
    }
    registered = true;
    await options.onRegistered(app);
    options.log.info(`countersign: setup: registered the GitHub App ${app.slug} (id ${app.id}); its credentials are in .env`);
    // GitHub's next step: install the new app on the organization or repositories it should guard.
    return send(res, 302, "", { location: `${app.html_url}/installations/new` });
  };
}
