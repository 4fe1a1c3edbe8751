import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { pullRequestGraphqlResponse, type FakePullRequest } from "../mocks/graphql-responses.js";

// Countersign as users run it: the built app (`npm start` runs `node lib/main.js`) in its own process,
// configured only through Probot's standard environment, pointed at a GitHub Enterprise Server
// (GHE_HOST/GHE_PROTOCOL) that is faked on loopback, and receiving signed webhooks over HTTP.

const root = path.resolve(import.meta.dirname, "../..");
const SECRET = "e2e-webhook-secret";
const HEAD = "9a".repeat(20);

interface FakeRequest {
  method: string;
  url: string;
  body: any;
}

/** A loopback GitHub Enterprise Server: REST under /api/v3, GraphQL at /api/graphql. */
function fakeEnterpriseServer(pr: FakePullRequest, requests: FakeRequest[]): Server {
  return createServer((req: IncomingMessage, res) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      const body = raw ? JSON.parse(raw) : null;
      requests.push({ method: req.method ?? "", url: req.url ?? "", body });
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify(payload));
      };
      if (req.method === "POST" && /^\/api\/v3\/app\/installations\/\d+\/access_tokens$/.test(req.url ?? "")) {
        return send(201, { token: "ghs_e2e", expires_at: "2099-01-01T00:00:00Z", permissions: {} });
      }
      if (req.method === "POST" && req.url === "/api/graphql") return send(200, pullRequestGraphqlResponse(pr));
      if (req.method === "GET" && (req.url ?? "").includes("/contents/")) return send(404, { message: "Not Found" });
      if (req.method === "POST" && /\/check-runs$/.test(req.url ?? "")) return send(201, { id: 77 });
      // The setup doctor: a ruleset requires Countersign on the base branch.
      if (req.method === "GET" && (req.url ?? "").includes("/rules/branches/")) {
        return send(200, [{ type: "required_status_checks", parameters: { required_status_checks: [{ context: "Countersign", integration_id: 4242 }] } }]);
      }
      if (req.method === "GET" && /\/branches\/[^/]+$/.test(req.url ?? "")) return send(200, { name: "main", protected: false });
      return send(404, { message: `fake GHES has no ${req.method} ${req.url}` });
    });
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `node lib/main.js` with `env` and resolves once Probot says it is listening. */
function startApp(env: NodeJS.ProcessEnv, output: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["lib/main.js"], { cwd: root, env: { PATH: process.env.PATH, ...env } });
    const timer = setTimeout(() => reject(new Error(`app did not start:\n${output.join("")}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.join("").includes("Listening on")) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => reject(new Error(`app exited with ${code}:\n${output.join("")}`)));
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.on("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

describe("npm start, as deployed against GitHub Enterprise Server", () => {
  const requests: FakeRequest[] = [];
  const output: string[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), "countersign-e2e-"));
  const databaseFile = path.join(dir, "countersign.db");
  const pr: FakePullRequest = { number: 3, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Agent change", author: claude }], reviews: [], files: ["a.ts"] };
  let ghes: Server;
  let app: ChildProcess | undefined;
  let appUrl = "";

  beforeAll(async () => {
    ghes = fakeEnterpriseServer(pr, requests);
    const ghesPort = await listen(ghes);
    const port = await freePort();
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    app = await startApp(
      {
        APP_ID: "4242",
        PRIVATE_KEY: privateKey,
        WEBHOOK_SECRET: SECRET,
        GHE_HOST: `127.0.0.1:${ghesPort}`,
        GHE_PROTOCOL: "http",
        HOST: "127.0.0.1",
        PORT: String(port),
        DATABASE_URL: `file:${databaseFile}`,
        NODE_ENV: "production",
        LOG_LEVEL: "info",
      },
      output,
    );
    appUrl = `http://127.0.0.1:${port}`;
  }, 30_000);

  afterAll(async () => {
    await stop(app);
    await new Promise((resolve) => ghes.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** POSTs a webhook as GitHub does: JSON body, event and delivery headers, HMAC-SHA256 signature. */
  function deliver(payload: unknown, signatureSecret = SECRET): Promise<{ status: number }> {
    const body = JSON.stringify(payload);
    const signature = `sha256=${createHmac("sha256", signatureSecret).update(body).digest("hex")}`;
    return new Promise((resolve, reject) => {
      const req = request(`${appUrl}/api/github/webhooks`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": "e2e-delivery-1", "x-hub-signature-256": signature },
      });
      req.on("response", (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
      });
      req.on("error", reject);
      req.end(body);
    });
  }

  test("applies its migrations at start-up", () => {
    const db = new Database(databaseFile, { readonly: true });
    const migrations = db.prepare("SELECT migration_name, finished_at FROM _prisma_migrations").all() as Array<{ migration_name: string; finished_at: string | null }>;
    db.close();
    const onDisk = readdirSync(path.join(root, "prisma/migrations/sqlite"), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
    expect(migrations.map((migration) => migration.migration_name).sort()).toEqual(onDisk);
    expect(migrations.every((migration) => migration.finished_at !== null)).toBe(true);
    expect(output.join("")).toContain("countersign: ready");
  });

  test("a webhook with a bad signature is rejected and does nothing", async () => {
    const response = await deliver(pullRequestEvent("opened", pr), "wrong-secret");
    expect(response.status).toBe(400);
    expect(requests).toEqual([]);
  });

  test("a signed pull_request webhook produces the blocking check run on the Enterprise server", async () => {
    const response = await deliver(pullRequestEvent("opened", pr));
    expect(response.status).toBe(200);

    // The webhook is answered before the work finishes: wait for the check run to be written.
    const deadline = Date.now() + 10_000;
    while (!requests.some((request) => request.url.endsWith("/check-runs")) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

    expect(requests.map((request) => `${request.method} ${request.url.replace(/\?.*$/, "")}`)).toEqual([
      "POST /api/v3/app/installations/1001/access_tokens",
      "POST /api/graphql",
      "GET /api/v3/repos/Codertocat/Hello-World/contents/.github%2Fcountersign.yml",
      "GET /api/v3/repos/Codertocat/.github/contents/.github%2Fcountersign.yml",
      "GET /api/v3/repos/Codertocat/Hello-World/rules/branches/main",
      "GET /api/v3/repos/Codertocat/Hello-World/branches/main",
      "POST /api/v3/repos/Codertocat/Hello-World/check-runs",
    ]);
    const checkRun = requests.at(-1)?.body;
    expect(checkRun).toMatchObject({ name: "Countersign", head_sha: HEAD, status: "completed", conclusion: "action_required", output: { title: "Needs a delegation" } });
    expect(checkRun.output.summary).toContain("delivery `e2e-delivery-1`");
    expect(checkRun.output.summary).not.toContain("Merge is not blocked by this check");
  });
});

describe("npm start without credentials", () => {
  let app: ChildProcess | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), "countersign-setup-"));

  afterAll(async () => {
    await stop(app);
    rmSync(dir, { recursive: true, force: true });
  });

  test("serves Probot's setup page, which registers the app from app.yml", async () => {
    const port = await freePort();
    app = await startApp({ HOST: "127.0.0.1", PORT: String(port), NO_SMEE_SETUP: "true", DATABASE_URL: `file:${path.join(dir, "c.db")}` }, []);

    const root = await fetch(`http://127.0.0.1:${port}/`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toMatch(/\/probot$/);
    const page = await (await fetch(`http://127.0.0.1:${port}/probot`)).text();
    expect(page).toContain("Register GitHub App");
    expect(page).toContain("Countersign");
  }, 30_000);
});
