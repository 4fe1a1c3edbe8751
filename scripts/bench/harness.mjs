import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { connectionSampler, scratchDatabase } from "./databases.mjs";
import { addRepository, createWorld, REQUEST_KINDS, startFakeGitHub } from "../../build/fakes/test/fakes/bench-github.js";
import { keepAliveAgent } from "./load.mjs";
import { appPrivateKey, deliveryOutcomes, evaluated, freePort, probotEnv, startProcess, stopProcess } from "./processes.mjs";
import { AGENT_APP, benchRepository, grantPermissions, ORG_POLICY } from "./workloads.mjs";

// What every run of the benchmark shares: the app's identity, a fresh model of GitHub, and Countersign
// started as a process of its own on it, with the waits the runs use to know a delivery is processed.

export const APP_ID = 4242;
export const SECRET = "bench-webhook-secret";
export const PRIVATE_KEY = appPrivateKey();

/** Repositories of the benchmark in a fresh model of GitHub, each in an installation of its own. */
export function benchWorld(repositories) {
  const world = createWorld({ appId: APP_ID, orgPolicy: ORG_POLICY, agentApp: AGENT_APP });
  grantPermissions(world);
  const repos = Array.from({ length: repositories }, (_, index) => addRepository(world, benchRepository(index + 1, 5000 + index + 1)));
  return { world, repos };
}

/**
 * Countersign as its own process (`script`: `lib/main.js`, or the throttling-off wrapper) on a fresh
 * model of GitHub with `repositories`, faked on loopback and answering after `latencyMs` (holding
 * `lib/main.js` to GitHub's secondary rate limits), and a fresh
 * `kind` database; `run` gets `{ world, repos, github, app, appUrl, target }`, and everything is
 * stopped and removed afterwards. On PostgreSQL, the result gets `peakConnections`: the most
 * connections the app held open to its database at once.
 */
export async function withCountersign({ kind, repositories, script, latencyMs, concurrency, env = {}, nodeArgs = [] }, run) {
  const { world, repos } = benchWorld(repositories);
  // As deployed, the app must keep within GitHub's secondary limits; the fake holds it to them.
  const github = await startFakeGitHub(world, { latencyMs, secondaryLimits: script === "lib/main.js" });
  const database = await scratchDatabase(kind);
  const port = await freePort();
  const probot = probotEnv({ appId: APP_ID, privateKey: PRIVATE_KEY, secret: SECRET, ghesPort: github.port, port, databaseUrl: database.url });
  let app = null;
  const agent = keepAliveAgent(concurrency);
  const connections = kind === "postgres" ? connectionSampler(database.name) : null;
  try {
    app = await startProcess(script, { ...probot, ...env }, { nodeArgs });
    const appUrl = `http://127.0.0.1:${port}`;
    const result = await run({ world, repos, github, app, appUrl, target: { url: appUrl, secret: SECRET, agent } });
    if (connections) result.peakConnections = await connections.stop();
    return result;
  } finally {
    await connections?.stop();
    if (app) await stopProcess(app);
    agent.destroy();
    await github.close();
    await database.dispose();
  }
}

/** Waits until `/metrics` counts `expected` finished deliveries. */
export async function allFinished(appUrl, expected, { ms = 30_000 } = {}) {
  const deadline = performance.now() + ms;
  for (;;) {
    const outcomes = await deliveryOutcomes(appUrl);
    if (outcomes.processed + outcomes.failed + outcomes.duplicate >= expected) return outcomes;
    if (performance.now() > deadline) throw new Error(`only ${outcomes.processed + outcomes.failed} of ${expected} deliveries finished: ${JSON.stringify(outcomes)}`);
    await sleep(50);
  }
}

/** Resolves once `deliveryId`'s evaluation is logged; fails after `ms`, with the app's complaints. */
export function evaluatedWithin(app, deliveryId, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`delivery ${deliveryId} was not evaluated within ${ms / 1000} s:\n${app.problems.slice(-10).join("\n")}`)), ms);
  });
  return Promise.race([evaluated(app, deliveryId), timeout]).finally(() => clearTimeout(timer));
}

/** When `id` was processed: its evaluation, or the one it joined, was logged. */
export function processedAt(app, id) {
  return (app.evaluations.get(id) ?? app.answeredBy.get(id)).at;
}

/** All the requests of a count by kind (the fake GitHub's `take()`). */
export function requestTotal(requests) {
  return REQUEST_KINDS.reduce((sum, key) => sum + requests[key], 0);
}

/** The kinds a count by kind has any of, with their counts, in the fake's order. */
export function requestsUsed(requests) {
  return Object.fromEntries(REQUEST_KINDS.filter((key) => requests[key] > 0).map((key) => [key, requests[key]]));
}
