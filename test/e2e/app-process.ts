import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "../helpers/test-database.js";
import { fakeGhes, type FakeGhesState } from "./fake-ghes.js";

// Running Countersign as users run it: `node lib/main.js` (what `npm start` runs after building) in
// its own process, configured only through the environment, talking HTTP.

export const root = path.resolve(import.meta.dirname, "../..");

/** Listens on a free loopback port; resolves to the port. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

/** A port nothing is listening on. */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A fresh RSA key in PEM, as a GitHub App's private key. */
export function appPrivateKey(): string {
  return generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } }).privateKey;
}

/**
 * Starts the built app with `env` and resolves once Probot says it is listening. `cwd` is where it
 * runs (its `.env`, and a relative SQLite path, are there); the repository root by default.
 */
export function startApp(env: NodeJS.ProcessEnv, output: string[], options: { cwd?: string } = {}): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "lib/main.js")], { cwd: options.cwd ?? root, env: { PATH: process.env.PATH, ...env } });
    // Probot logs "Listening on" at info level: the wait needs LOG_LEVEL info or lower.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`app did not start:\n${output.join("")}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.join("").includes("Listening on")) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code}:\n${output.join("")}`));
    });
  });
}

/** Stops the app with SIGTERM and waits for it to exit. */
export function stopApp(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.on("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** A plain HTTP request (node:http: no interception, the exact bytes given). */
export function httpRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers ?? {} });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** POSTs a webhook as GitHub does: JSON body, event and delivery headers, HMAC-SHA256 signature. */
export function deliverWebhook(appUrl: string, secret: string, event: string, deliveryId: string, payload: unknown): Promise<{ status: number }> {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  return httpRequest(`${appUrl}/api/github/webhooks`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": deliveryId, "x-hub-signature-256": signature },
    body,
  });
}

/** Waits until `condition` holds (polling), or fails after `ms`. */
export async function waitFor(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Probot's standard environment for an app process pointed at a loopback GitHub Enterprise Server,
 * plus Countersign's own settings in `extra`.
 */
export function enterpriseEnv(options: { ghesPort: number; port: number; databaseUrl: string; webhookSecret: string; extra?: NodeJS.ProcessEnv }): NodeJS.ProcessEnv {
  return {
    APP_ID: "4242",
    PRIVATE_KEY: appPrivateKey(),
    WEBHOOK_SECRET: options.webhookSecret,
    GHE_HOST: `127.0.0.1:${options.ghesPort}`,
    GHE_PROTOCOL: "http",
    HOST: "127.0.0.1",
    PORT: String(options.port),
    DATABASE_URL: options.databaseUrl,
    NODE_ENV: "production",
    // Probot logs "Listening on", which startApp waits for, at info level.
    LOG_LEVEL: "info",
    ...options.extra,
  };
}

/** The built app running against a fake GitHub Enterprise Server, on a fresh test database. */
export interface EnterpriseApp {
  url: string;
  database: TestDatabase;
  /** Everything the app has written to stdout and stderr. */
  output: string[];
  /** Stops the app and the fake server, and drops the database. */
  stop(): Promise<void>;
}

/**
 * Starts a fake GHES serving `state` and the built app pointed at it, on a fresh database (SQLite, or
 * PostgreSQL under `npm run test:postgres`). `extra` adds Countersign settings that may need the
 * app's own URL.
 */
export async function launchEnterpriseApp(state: FakeGhesState, options: { webhookSecret: string; extra?: (appUrl: string) => NodeJS.ProcessEnv }): Promise<EnterpriseApp> {
  const ghes = fakeGhes(state);
  const ghesPort = await listen(ghes);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const database = await createTestDatabase();
  const output: string[] = [];
  let child: ChildProcess | undefined;
  const stop = async () => {
    await stopApp(child);
    await new Promise((resolve) => ghes.close(resolve));
    await database.dispose();
  };
  try {
    child = await startApp(enterpriseEnv({ ghesPort, port, databaseUrl: database.url, webhookSecret: options.webhookSecret, extra: options.extra?.(url) }), output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, database, output, stop };
}
