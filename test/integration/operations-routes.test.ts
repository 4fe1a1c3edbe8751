import { once } from "node:events";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "@jest/globals";
import nock from "nock";
import { Probot, type ApplicationFunctionOptions } from "probot";
import { openDatabase } from "../../src/db/client.js";
import { migrationsDir } from "../../src/db/migrate.js";
import { countersignApp } from "../../src/index.js";
import { databaseReadiness, type ReadinessCheck } from "../../src/observability/readiness.js";
import { FakeGitHub } from "../mocks/github.js";
import { pushEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { createTestApp, type TestApp } from "../helpers/test-app.js";

type Handler = Parameters<ApplicationFunctionOptions["addHandler"]>[0];

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Loads Countersign into a Probot with an `addHandler`, as Probot's server does, and serves the HTTP
 * handlers it registered on a loopback port: the routes are reached through the app's own wiring.
 */
async function serveApp(app: TestApp, readiness?: ReadinessCheck): Promise<{ server: Server; url: string }> {
  const handlers: Handler[] = [];
  const probot = new Probot({ githubToken: "test-token", logLevel: "fatal" });
  await probot.load(countersignApp(app.services, app.inbox, { expirySweepMs: 0, ...(readiness ? { readiness } : {}) }), { cwd: process.cwd(), addHandler: (handler: Handler) => void handlers.push(handler) });
  const server = createServer((req, res) => {
    void (async () => {
      for (const handler of handlers) if (await handler(req, res)) return;
      res.writeHead(404).end("no handler");
    })();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * One request over a plain TCP socket. Not node:http's client: nock patches that process-wide, and a
 * test file that ran earlier in this worker can leave its (torn-down) interceptor in the way. HTTP/1.0
 * keeps the answer unchunked, ending when the server closes the connection.
 */
async function call(url: string, path: string, method = "GET"): Promise<Answer> {
  const { port } = new URL(url);
  const socket = connect(Number(port), "127.0.0.1");
  // write, not end: a half-closed connection makes Node's server drop an answer that is still coming.
  socket.write(`${method} ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`);
  let raw = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (raw += chunk));
  await once(socket, "close");
  const split = raw.indexOf("\r\n\r\n");
  const [statusLine = "", ...headerLines] = raw.slice(0, split).split("\r\n");
  const headers = Object.fromEntries(
    headerLines.map((line) => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return { status: Number(statusLine.split(" ")[1]), headers, body: raw.slice(split + 4) };
}

let app: TestApp;
let served: { server: Server; url: string } | undefined;

beforeEach(async () => {
  nock.disableNetConnect();
  app = await createTestApp();
});

afterEach(async () => {
  if (served) {
    served.server.close();
    await once(served.server, "close");
    served = undefined;
  }
  await app.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

async function serve(readiness?: ReadinessCheck): Promise<string> {
  served = await serveApp(app, readiness);
  return served.url;
}

describe("GET /healthz", () => {
  test("answers 200 while the process is up, whatever the database", async () => {
    const url = await serve(async () => ({ ok: false, problems: ["database: down"] }));
    const answer = await call(url, "/healthz");
    expect(answer).toMatchObject({ status: 200, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });
    expect(JSON.parse(answer.body)).toEqual({ status: "ok" });
  });

  test("answers HEAD without a body, refuses other methods, and leaves other paths to other handlers", async () => {
    const url = await serve();
    expect(await call(url, "/healthz", "HEAD")).toMatchObject({ status: 200, body: "" });
    expect(await call(url, "/healthz", "POST")).toMatchObject({ status: 405, headers: { allow: "GET, HEAD" } });
    expect(await call(url, "/metrics", "DELETE")).toMatchObject({ status: 405 });
    expect(await call(url, "/healthz/extra")).toMatchObject({ status: 404, body: "no handler" });
  });
});

describe("GET /readyz", () => {
  test("is 200 on a reachable database with every shipped migration applied", async () => {
    const url = await serve(databaseReadiness({ db: app.db, provider: app.database.provider }));
    const answer = await call(url, "/readyz?verbose=1");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: "ready" });
  });

  test("is 503 naming a migration that did not finish", async () => {
    const latest = (await app.db.prisma.$queryRawUnsafe<{ migration_name: string }[]>("SELECT migration_name FROM _prisma_migrations ORDER BY migration_name DESC")).at(0)?.migration_name;
    expect(latest).toMatch(/^\d{14}_/);
    await app.database.rawSql(`UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = '${latest}'`);
    const url = await serve(databaseReadiness({ db: app.db, provider: app.database.provider }));
    const answer = await call(url, "/readyz");
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({ status: "not ready", problems: [`migrations: not applied: ${latest}`] });
  });

  test("is 503 when this build ships a migration the database does not have", async () => {
    const shipped = migrationsDir(app.database.provider);
    const dir = mkdtempSync(path.join(tmpdir(), "countersign-migrations-"));
    try {
      cpSync(shipped, dir, { recursive: true });
      mkdirSync(path.join(dir, "29991231000000_from_a_newer_build"));
      const url = await serve(databaseReadiness({ db: app.db, provider: app.database.provider }, { migrationsDir: dir }));
      const answer = await call(url, "/readyz");
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.body)).toEqual({ status: "not ready", problems: ["migrations: not applied: 29991231000000_from_a_newer_build"] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("is 503 when the database cannot be reached, without revealing its address or password", async () => {
    // Nothing listens on port 1: the connection is refused, as with a database that is down.
    const unreachable = await openDatabase("postgres://countersign:s3cret-password@127.0.0.1:1/countersign", { migrate: false });
    try {
      const url = await serve(databaseReadiness(unreachable, { timeoutMs: 5_000 }));
      const answer = await call(url, "/readyz");
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.body)).toEqual({ status: "not ready", problems: ["database: did not answer SELECT 1 within 5000 ms"] });
      expect(answer.body).not.toMatch(/s3cret|127\.0\.0\.1|postgres:/);
    } finally {
      await unreachable.close();
    }
  });

  test("reports an injected failing readiness check as 503 with its problems", async () => {
    const url = await serve(async () => ({ ok: false, problems: ["database: did not answer SELECT 1 within 2000 ms"] }));
    const answer = await call(url, "/readyz");
    expect(answer).toMatchObject({ status: 503, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });
    expect(JSON.parse(answer.body)).toEqual({ status: "not ready", problems: ["database: did not answer SELECT 1 within 2000 ms"] });
  });

  test("a readiness check that throws is 503, and its message stays out of the answer", async () => {
    const url = await serve(async () => {
      throw new Error("connect ECONNREFUSED postgres://countersign:hunter2@db.internal:5432/countersign");
    });
    const answer = await call(url, "/readyz");
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({ status: "not ready", problems: ["readiness: the check itself failed; see the app's logs"] });
    expect(answer.body).not.toContain("hunter2");
  });

  test("without a readiness check, the app never claims to be ready", async () => {
    const url = await serve();
    const answer = await call(url, "/readyz");
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({ status: "not ready", problems: ["readiness: no readiness check is configured"] });
  });
});

describe("GET /metrics", () => {
  /** The sample lines of the scrape that start with `prefix`. */
  function lines(body: string, prefix: string): string[] {
    return body.split("\n").filter((line) => line.startsWith(prefix));
  }

  test("serves the Prometheus text format with every Countersign metric declared", async () => {
    const url = await serve();
    const answer = await call(url, "/metrics");
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    for (const [name, type] of [
      ["countersign_webhook_deliveries_total", "counter"],
      ["countersign_decisions_total", "counter"],
      ["countersign_evaluation_duration_seconds", "histogram"],
      ["countersign_github_requests_total", "counter"],
      ["countersign_github_rate_limit_remaining", "gauge"],
      ["countersign_errors_total", "counter"],
    ]) {
      expect(answer.body).toContain(`# TYPE ${name} ${type}\n`);
    }
    expect(lines(answer.body, "countersign_errors_total{")).toEqual([
      'countersign_errors_total{kind="evaluation"} 0',
      'countersign_errors_total{kind="handler"} 0',
      'countersign_errors_total{kind="delivery_record"} 0',
      'countersign_errors_total{kind="expiry_sweep"} 0',
      'countersign_errors_total{kind="evidence_page"} 0',
      'countersign_errors_total{kind="resume"} 0',
      'countersign_errors_total{kind="credential_revoke"} 0',
      'countersign_errors_total{kind="credential_sweep"} 0',
      'countersign_errors_total{kind="delegator_access"} 0',
      'countersign_errors_total{kind="audit_checkpoint"} 0',
    ]);
  });

  test("counts a webhook delivery, its redelivery as a duplicate, and the GitHub requests it made", async () => {
    const github = new FakeGitHub();
    try {
      const sha = "f1".repeat(20);
      github.expectPolicyRead();
      github.expectCheckRunWrite(sha);
      const payload = pushEvent({ ref: "refs/heads/main", after: sha, sender: claude });
      const delivery = await app.receive("push", payload);
      await app.receive("push", payload, delivery);
      expect(nock.pendingMocks()).toEqual([]);
      expect(github.checkRunOn(sha)).toMatchObject({ conclusion: "failure" });

      const url = await serve();
      const body = (await call(url, "/metrics")).body;
      expect(lines(body, "countersign_webhook_deliveries_total{")).toEqual([
        'countersign_webhook_deliveries_total{event="push",outcome="processed"} 1',
        'countersign_webhook_deliveries_total{event="push",outcome="duplicate"} 1',
      ]);
      // Two POSTs: the installation token (the app's first request) and the check run, created once.
      // The policy files it looked for do not exist (404).
      expect(lines(body, 'countersign_github_requests_total{method="POST"')).toEqual(['countersign_github_requests_total{method="POST",status_class="2xx"} 2']);
      expect(lines(body, 'countersign_github_requests_total{method="GET"')).toEqual([expect.stringMatching(/^countersign_github_requests_total\{method="GET",status_class="4xx"\} [1-9]\d*$/)]);
      expect(lines(body, "countersign_errors_total{").filter((line) => !line.endsWith(" 0"))).toEqual([]);
    } finally {
      github.dispose();
    }
  });

  test("shows the decisions and evaluation time reported through AppServices.onEvaluated", async () => {
    app.services.onEvaluated?.({ status: "decided", conclusion: "action_required", checkRunId: 1, decision: {} as never }, 120);
    app.services.onEvaluated?.({ status: "failed", errorId: "cs-0123456789" }, 40);
    const url = await serve();
    const body = (await call(url, "/metrics")).body;
    expect(lines(body, "countersign_decisions_total{")).toEqual(['countersign_decisions_total{conclusion="action_required"} 1', 'countersign_decisions_total{conclusion="failure"} 1']);
    expect(lines(body, "countersign_evaluation_duration_seconds_count")).toEqual(["countersign_evaluation_duration_seconds_count 2"]);
    expect(lines(body, "countersign_evaluation_duration_seconds_sum")).toEqual(["countersign_evaluation_duration_seconds_sum 0.16"]);
  });
});
