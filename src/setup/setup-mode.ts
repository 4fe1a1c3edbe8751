import { randomBytes } from "node:crypto";
import path from "node:path";
import { Probot, ProbotOctokit, Server } from "probot";
import type { Logger } from "pino";
import { githubApiUrl, githubWebUrl, isProduction, type ProbotEnv } from "../config/probot-env.schema.js";
import { operationsRoutes } from "../handlers/operations-routes.js";
import type { Metrics } from "../observability/metrics.js";
import { readAppYml } from "./app-manifest.js";
import { updateEnvFile } from "./env-file.js";
import { setupRoutes, type Conversion } from "./setup-routes.js";

// Setup mode: `npm start` before the app is registered. Probot has a setup mode of its own, but it
// writes app.yml's manifest into a single-quoted HTML attribute unescaped (an apostrophe in the
// description cut the manifest GitHub received), points the webhook at `/` where nothing listens,
// accepts any code at its callback, and serves nothing else, so probes and scrapers saw 404s.
// Countersign serves its own setup routes on Probot's own Server class, with /healthz, /readyz and
// /metrics beside them, and once the app is registered it carries on running without a restart.

export interface SetupModeOptions {
  env: ProbotEnv;
  /** COUNTERSIGN_PUBLIC_URL: where GitHub reaches this app, when it is deployed. */
  publicUrl: string | null;
  log: Logger;
  metrics: Metrics;
  /** The `.env` file the credentials are written to (Probot's: the working directory's). */
  envFile?: string;
  /** Creates a webhook proxy channel (smee.io); tests give their own. */
  createProxyChannel?: () => Promise<string>;
  /** Exchanges a manifest code for the app's credentials; defaults to GitHub's API (GHE_HOST aware). */
  convert?: (code: string) => Promise<unknown>;
}

export interface SetupMode {
  /** Resolves once the app is registered and its credentials are in `.env` and the environment. */
  registered: Promise<Conversion>;
  /** Stops listening (the last answer still reaches the browser), freeing the port for the app. */
  stop(): Promise<void>;
}

/** Where the webhook proxy client comes from: smee-client, installed with the app (Probot imports it too). */
async function createSmeeChannel(): Promise<string> {
  const { SmeeClient } = await import("smee-client");
  return SmeeClient.createChannel();
}

/** The proxy channel to register: the one configured, or a new one when the app runs on a workstation. */
async function proxyChannel(options: SetupModeOptions, envFile: string): Promise<string | null> {
  const { env, log } = options;
  if (env.WEBHOOK_PROXY_URL) return env.WEBHOOK_PROXY_URL;
  // A deployed app (production, or with a public address) receives webhooks directly.
  if (isProduction(env) || options.publicUrl || env.NO_SMEE_SETUP === "true") return null;
  try {
    const channel = await (options.createProxyChannel ?? createSmeeChannel)();
    updateEnvFile(envFile, { WEBHOOK_PROXY_URL: channel }, "Webhook proxy channel created by Countersign's setup page: GitHub sends deliveries here and npm start forwards them to this process");
    process.env.WEBHOOK_PROXY_URL = channel;
    log.info(`countersign: setup: webhooks will reach this process through the proxy channel ${channel} (saved in .env as WEBHOOK_PROXY_URL)`);
    return channel;
  } catch (error) {
    log.warn(
      { err: error },
      "countersign: setup: could not create a webhook proxy channel at smee.io; GitHub will send webhooks straight to this process, which it cannot reach on localhost. Set WEBHOOK_PROXY_URL to a channel you created, COUNTERSIGN_PUBLIC_URL to this app's public address, or NO_SMEE_SETUP=true to stop trying",
    );
    return null;
  }
}

/** Serves the setup page until the app is registered. */
export async function startSetupMode(options: SetupModeOptions): Promise<SetupMode> {
  const { env, log } = options;
  const envFile = options.envFile ?? path.join(process.cwd(), ".env");
  // A broken manifest would register a broken app: refuse to serve it.
  const appYml = readAppYml();
  const webhookProxyUrl = await proxyChannel(options, envFile);
  const convert =
    options.convert ??
    (async (code: string) => {
      const octokit = new ProbotOctokit({ baseUrl: githubApiUrl(env), log: log.child({ name: "setup" }), throttle: { enabled: false }, retry: { enabled: false } });
      return (await octokit.request("POST /app-manifests/{code}/conversions", { code })).data;
    });

  let announce: (app: Conversion) => void = () => undefined;
  const registered = new Promise<Conversion>((resolve) => (announce = resolve));
  let newApp: Conversion | null = null;
  const routes = setupRoutes({
    appYml,
    publicUrl: options.publicUrl,
    webhookPath: env.WEBHOOK_PATH,
    webhookProxyUrl: () => webhookProxyUrl,
    githubUrl: githubWebUrl(env),
    organization: env.GH_ORG ?? null,
    state: randomBytes(24).toString("base64url"),
    convert,
    onRegistered: async (app) => {
      // The OAuth client too: the organization dashboard signs people in with it (docs/dashboard.md).
      const credentials = {
        APP_ID: String(app.id),
        PRIVATE_KEY: app.pem,
        WEBHOOK_SECRET: app.webhook_secret,
        ...(app.client_id && app.client_secret ? { GITHUB_CLIENT_ID: app.client_id, GITHUB_CLIENT_SECRET: app.client_secret } : {}),
      };
      updateEnvFile(envFile, credentials, `GitHub App ${app.slug} (${app.html_url}), registered by Countersign's setup page on ${new Date().toISOString()}`);
      Object.assign(process.env, credentials);
      newApp = app;
    },
    log,
  });

  // Probot's Server needs a Probot; none is used before the app is registered (as in Probot's own setup mode).
  const server = new Server({
    host: env.HOST ?? "localhost",
    port: env.PORT,
    webhookPath: env.WEBHOOK_PATH,
    log,
    Probot: Probot.defaults({ appId: 1, privateKey: "unused in setup mode", log }),
  });
  const operations = operationsRoutes({
    metrics: options.metrics,
    readiness: async () => ({ ok: false, problems: ["setup: the GitHub App is not registered yet (APP_ID and PRIVATE_KEY are not set): open this app's address in a browser to register it"] }),
    log,
  });
  await server.load((_app, { addHandler }) => {
    addHandler(operations);
    addHandler(async (req, res) => {
      const answered = await routes(req, res);
      if (newApp) announce(newApp);
      return answered;
    });
  });
  const http = await server.start();
  log.info(`countersign: setup mode (APP_ID and PRIVATE_KEY are not set): open http://${env.HOST ?? "localhost"}:${server.port} to register the GitHub App`);
  return {
    registered,
    async stop() {
      // The port is free once the listener closes, without waiting for its connections: a kept-alive
      // browser connection would hold the old server for seconds, so idle ones end now and the last
      // (the redirect to GitHub) soon after.
      server.stop().catch((error: unknown) => log.warn({ err: error }, "countersign: setup: the setup server did not close cleanly"));
      http.closeIdleConnections();
      setTimeout(() => http.closeAllConnections(), 1_000).unref();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}
