import { execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, request } from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";

// The processes under test, each a `node` of its own configured through Probot's environment, and
// what the benchmark reads from them: their JSON log lines (one per evaluation, with its timings),
// `/metrics`, and the kernel's accounting of their memory and CPU.

export const root = path.resolve(import.meta.dirname, "../..");
/**
 * The checkout whose build is measured (its lib/ and scripts/bench/*.mjs processes): this one, or
 * BENCH_APP_ROOT, so that an earlier commit's build (checked out and built elsewhere) runs against
 * the same fake GitHub, load and machine, for before-and-after figures from one harness.
 */
export const appRoot = process.env.BENCH_APP_ROOT ? path.resolve(process.env.BENCH_APP_ROOT) : root;

/** A port nothing is listening on. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A fresh RSA key in PEM, as a GitHub App's private key. */
export function appPrivateKey() {
  return generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } }).privateKey;
}

/** Probot's environment for a process pointed at the loopback GitHub. */
export function probotEnv({ appId, privateKey, secret, ghesPort, port, databaseUrl }) {
  return {
    APP_ID: String(appId),
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: secret,
    GHE_HOST: `127.0.0.1:${ghesPort}`,
    GHE_PROTOCOL: "http",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    NODE_ENV: "production",
    LOG_LEVEL: "info",
    LOG_FORMAT: "json",
  };
}

/**
 * Starts `node <script>` and resolves once Probot says it is listening. Every evaluation's log line
 * (`countersign: evaluated pull request`) is kept by delivery id, with the time it arrived.
 */
export function startProcess(script, env, { nodeArgs = [] } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, script], { cwd: appRoot, env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const handle = {
      child,
      pid: child.pid,
      /** Evaluations by delivery id: `{ ownMs, githubMs, networkMs, queuedMs, durationMs, result, conclusion, at }`. */
      evaluations: new Map(),
      /** Deliveries answered by an evaluation they joined (logged under another delivery's id), by id. */
      answeredBy: new Map(),
      /** Evaluations logged. */
      evaluationCount: 0,
      /** Log lines at warn level or above, and anything on stderr. */
      problems: [],
      waiters: new Map(),
      output: [],
    };
    let buffered = "";
    let listening = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not start:\n${handle.output.join("\n")}`));
    }, 60_000);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        onLine(line);
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => handle.problems.push(chunk.trim()));
    child.on("exit", (code) => {
      if (!listening) {
        clearTimeout(timer);
        reject(new Error(`${script} exited with ${code}:\n${handle.output.join("\n")}\n${handle.problems.join("\n")}`));
      }
    });

    function onLine(line) {
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        if (handle.output.length < 200) handle.output.push(line);
        return;
      }
      if (!listening) {
        if (handle.output.length < 200) handle.output.push(line);
        if (String(entry.msg).startsWith("Listening on")) {
          listening = true;
          clearTimeout(timer);
          resolve(handle);
        }
      }
      if (entry.msg === "countersign: evaluated pull request") {
        handle.evaluationCount += 1;
        const evaluation = {
          ownMs: entry.ownMs,
          githubMs: entry.githubMs,
          networkMs: entry.networkMs,
          queuedMs: entry.githubMs - entry.networkMs,
          durationMs: entry.durationMs,
          result: entry.result,
          conclusion: entry.conclusion,
          at: performance.now(),
        };
        handle.evaluations.set(entry.deliveryId, evaluation);
        // Deliveries that joined this evaluation while it waited for its turn are answered by it too;
        // they are not evaluations of their own (timings() counts the evaluations' delivery ids only).
        for (const id of entry.alsoFor ?? []) handle.answeredBy.set(id, evaluation);
        for (const id of [entry.deliveryId, ...(entry.alsoFor ?? [])]) {
          const waiter = handle.waiters.get(id);
          if (waiter) {
            handle.waiters.delete(id);
            waiter();
          }
        }
      } else if (entry.level >= 40 && handle.problems.length < 50) {
        handle.problems.push(line.slice(0, 2000));
      }
    }
  });
}

/** Resolves once the evaluation of `deliveryId` (its own, or one it joined) has been logged. */
export function evaluated(handle, deliveryId) {
  if (handle.evaluations.has(deliveryId) || handle.answeredBy.has(deliveryId)) return Promise.resolve();
  return new Promise((resolve) => handle.waiters.set(deliveryId, resolve));
}

/** Stops a process with SIGTERM (SIGKILL after 10 s) and waits for it to exit. */
export function stopProcess(handle) {
  const { child } = handle;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.removeAllListeners("exit");
    child.on("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** The process's peak resident set size (VmHWM), in MB. Linux only; null elsewhere. */
export function peakRssMb(pid) {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

// Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ; 100 on every common Linux).
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time the process has used so far (user + system), in ms. Linux only; null elsewhere. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/**
 * CPU time used so far by the local PostgreSQL server's processes (every process named `postgres`
 * this user can see), in ms; null for SQLite, which runs inside the app, or when there are none.
 */
export function databaseServerCpuMs(kind) {
  if (kind !== "postgres") return null;
  let total = 0;
  let found = false;
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() !== "postgres") continue;
        total += cpuMs(Number(entry)) ?? 0;
        found = true;
      } catch {
        // The process ended meanwhile.
      }
    }
  } catch {
    return null;
  }
  return found ? total : null;
}

/** GET a URL; resolves to the body. */
export function get(url) {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve(body));
    })
      .on("error", reject)
      .end();
  });
}

/** Deliveries the app has finished, by outcome, from its `/metrics`. */
export async function deliveryOutcomes(appUrl) {
  const text = await get(`${appUrl}/metrics`);
  const totals = { processed: 0, duplicate: 0, failed: 0, evaluationErrors: 0 };
  for (const match of text.matchAll(/^countersign_webhook_deliveries_total\{[^}]*outcome="(\w+)"[^}]*\} (\d+)/gm)) totals[match[1]] = (totals[match[1]] ?? 0) + Number(match[2]);
  const errors = /^countersign_errors_total\{kind="evaluation"\} (\d+)/m.exec(text);
  totals.evaluationErrors = errors ? Number(errors[1]) : 0;
  return totals;
}
