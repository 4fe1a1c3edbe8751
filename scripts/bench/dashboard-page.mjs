import { performance } from "node:perf_hooks";
import { createWorld, startFakeGitHub } from "../../build/fakes/test/fakes/bench-github.js";
import { scratchDatabase } from "./databases.mjs";
import { APP_ID, PRIVATE_KEY, requestTotal, SECRET } from "./harness.mjs";
import { appRoot, freePort, peakRssMb, probotEnv, startProcess, stopProcess } from "./processes.mjs";
import { percentile } from "./report.mjs";
import { AGENT_APP, ORG_POLICY } from "./workloads.mjs";

// The organization dashboard's page on a large history (issue 16: under 300 ms with 100,000 audit
// events and 10,000 pull requests): a database filled through the built app's own functions (each
// decision recorded with its audit event, as evaluations record them; delegations as /delegate
// records them), spread over 12 weeks and 20 repositories of one organization; then `node
// lib/main.js` serves the page to a signed-in owner over HTTP, and each request is timed from
// sending to the last byte. Figures come from the database only: GitHub is asked once, for the
// access check, whose answer is kept.

const ORG = "bench-org";
const REPOSITORIES = 20;
const EVIDENCE_SECRET = "bench-evidence-secret-of-at-least-32-characters";
const WEEK_MS = 7 * 86_400_000;
const AGENTS = [
  { login: "claude[bot]", kind: "bot", id: 209825114 },
  { login: "copilot-swe-agent[bot]", kind: "bot", id: 198982749 },
];
const OWNERS = ["alice", "bob", "carol", "dave"];

/** One pull request's history: ten decisions (opened, delegated, reviews, a push, approved), a delegation. */
async function seedPullRequest(lib, db, index, count, now) {
  const repoIndex = index % REPOSITORIES;
  const repo = { id: 900_000 + repoIndex, fullName: `${ORG}/service-${repoIndex + 1}` };
  const number = Math.floor(index / REPOSITORIES) + 1;
  const agent = AGENTS[index % AGENTS.length];
  const owner = OWNERS[index % OWNERS.length];
  const start = now.getTime() - 12 * WEEK_MS + Math.floor((index / count) * 12 * WEEK_MS);
  const at = (hours) => new Date(Math.min(now.getTime() - 1000, start + hours * 3_600_000));
  const decide = (hours, conclusion, reasons, delegationId = null) =>
    lib.recordDecisionWithEvent(
      { db },
      { repo, prNumber: number, headSha: (index.toString(16) + "a".repeat(40)).slice(0, 40), conclusion, title: `Countersign: ${conclusion}`, reasons, deliveryId: null, delegationId, checkRunId: null, errorId: null, policy: null, evaluatedAt: at(hours) },
      { type: "decision", actor: null, payload: { conclusion, reasons, delegationId, agents: [agent], signals: [{ kind: "pr-author" }] } },
    );
  await decide(0, "action_required", ["agent-authored", "no-delegation", "approvals:0/1", "unmet:owner", "unmet:approvals"]);
  await decide(0.5, "action_required", ["agent-authored", "no-delegation", "approvals:0/1", "unmet:owner", "unmet:approvals"]);
  const delegation = await lib.createDelegation(
    db,
    {
      subjectType: "pull_request",
      subjectNumber: number,
      owner: { id: 1000 + OWNERS.indexOf(owner), login: owner },
      agent: null,
      task: { kind: "ticket", ref: `SEC-${index}`, url: null },
      scopePaths: [],
      scopeBranches: [],
      expiresAt: null,
      installationId: 9100,
      agentInventory: [],
      repo,
      comment: { id: 10_000_000 + index, url: `https://ghes.example/${repo.fullName}/pull/${number}#issuecomment-${index}` },
    },
    at(2),
  );
  const delegated = ["agent-authored", `delegated:${delegation.id}`];
  await decide(2, "action_required", [...delegated, "approvals:0/1", "unmet:approvals"], delegation.id);
  for (const hours of [3, 4, 5]) await decide(hours, "action_required", [...delegated, "approvals:0/1", "unmet:approvals"], delegation.id);
  await decide(6, "action_required", [...delegated, "approvals:0/1", "unmet:approvals"], delegation.id);
  if (index % 10 === 9) {
    // One in ten is still blocked: changes requested, nothing approved.
    for (const hours of [7, 8, 9]) await decide(hours, "failure", [...delegated, "approvals:0/1", "unmet:approvals", "unmet:changes-requested"], delegation.id);
    return;
  }
  await decide(8, "action_required", [...delegated, "approvals:0/1", "unmet:approvals"], delegation.id);
  await decide(20, "success", [...delegated, "approvals:1/1"], delegation.id);
  await decide(21, "success", [...delegated, "approvals:1/1"], delegation.id);
}

/** Fills `url` with `pullRequests` pull requests' histories, `workers` at a time; returns the counts. */
async function seed(url, pullRequests, workers, now) {
  const lib = {
    ...(await import(`${appRoot}/lib/services/record-decision.js`)),
    ...(await import(`${appRoot}/lib/db/delegations.js`)),
  };
  const { openDatabase } = await import(`${appRoot}/lib/db/client.js`);
  const opened = await openDatabase(url);
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let index = next++; index < pullRequests; index = next++) await seedPullRequest(lib, opened.db, index, pullRequests, now);
      }),
    );
    return { events: await opened.db.prisma.auditEvent.count(), decisions: await opened.db.prisma.decision.count() };
  } finally {
    await opened.close();
  }
}

/** `n` GETs of `url` one after the other with `cookie`: each one's time to the last byte, and the last body's size. */
async function timeGets(url, cookie, n) {
  const times = [];
  let bytes = 0;
  for (let round = 0; round < n; round += 1) {
    const started = performance.now();
    const response = await fetch(url, { headers: { cookie } });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${body.slice(0, 200)}`);
    times.push(performance.now() - started);
    bytes = Buffer.byteLength(body);
  }
  return { p50: percentile(times, 50), p95: percentile(times, 95), max: Math.max(...times), bytes };
}

/** Seeds a `kind` database, starts the app on it, and times the page (default view, a repository's) and the JSON download. */
export async function runDashboardPage({ kind, pullRequests, requests, log }) {
  const database = await scratchDatabase(kind);
  let app = null;
  const world = createWorld({ appId: APP_ID, orgPolicy: ORG_POLICY, agentApp: AGENT_APP });
  world.orgInstallation = { org: ORG, id: 9100 };
  world.orgMembers = new Map([["olivia", { role: "admin", state: "active" }]]);
  const github = await startFakeGitHub(world, { latencyMs: 10 });
  try {
    const now = new Date();
    const seedStarted = performance.now();
    const counts = await seed(database.url, pullRequests, kind === "postgres" ? 6 : 1, now);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    log(`dashboard: ${counts.events} audit events, ${counts.decisions} decisions for ${pullRequests} pull requests on ${kind} in ${seedSeconds.toFixed(0)} s; timing the page…`);
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    app = await startProcess("lib/main.js", {
      ...probotEnv({ appId: APP_ID, privateKey: PRIVATE_KEY, secret: SECRET, ghesPort: github.port, port, databaseUrl: database.url }),
      COUNTERSIGN_PUBLIC_URL: appUrl,
      COUNTERSIGN_EVIDENCE_SECRET: EVIDENCE_SECRET,
      GITHUB_CLIENT_ID: "Iv23liBenchDashboard",
      GITHUB_CLIENT_SECRET: "bench0client0secret0of0forty0hex0chars00",
    });
    // A signed-in owner's session, sealed as the app seals it (the sign-in itself is the e2e tests').
    const { dashboardKeys, sealSession } = await import(`${appRoot}/lib/services/dashboard-session.js`);
    const cookie = `countersign_session=${sealSession(dashboardKeys(EVIDENCE_SECRET), { id: 101, login: "olivia" }, new Date())}`;
    const page = `${appUrl}/countersign/org/${ORG}`;
    // Warm-up: JIT, the access check's one GitHub read. A failure says what the app logged.
    await timeGets(page, cookie, 2).catch((error) => {
      throw new Error(`${error.message}\n${app.problems.slice(-5).join("\n")}`);
    });
    github.take();
    const result = {
      database: kind,
      pullRequests,
      events: counts.events,
      decisions: counts.decisions,
      seedSeconds,
      page: await timeGets(page, cookie, requests),
      repository: await timeGets(`${page}?repo=${ORG}/service-3`, cookie, requests),
      download: await timeGets(`${page}/export.json`, cookie, Math.max(3, Math.round(requests / 4))),
      githubRequestsWhileTimed: requestTotal(github.take()),
      peakRssMb: peakRssMb(app.pid),
      problems: app.problems.filter((line) => !line.includes("COUNTERSIGN_CHECKPOINT_KEY is not set")).slice(0, 5),
    };
    return result;
  } finally {
    if (app) await stopProcess(app);
    await github.close();
    await database.dispose();
  }
}
