// `npm run bench`: Countersign's throughput and own processing time, measured over real HTTP.
//
//   npm run bench                          # builds, then runs everything (about 3 minutes on 2 cores)
//   BENCH_DATABASES=sqlite npm run bench   # one database only
//
// The built app runs as a process of its own; signed webhook deliveries are sent to its server;
// GitHub is a loopback fake that answers every request after a fixed latency, from a model that the
// deliveries change (the tests' fake GitHub, test/fakes/bench-github.ts, compiled into build/fakes/ by
// `npm run bench`; see also workloads.mjs). Per database (SQLite, PostgreSQL) and
// workload (small pull requests, a large one), it reports the deliveries processed per second, the
// app's own time per evaluation (from its log: the evaluation's time minus the time it waited on
// GitHub), GitHub requests per evaluation, CPU per delivery and peak RSS; beside them, a bare Probot
// app that only verifies signatures, fed the same deliveries by the same load generator.
//
// Countersign runs twice over: with Octokit's throttling off (countersign-throttle-off.mjs: the
// app's own capacity), and as deployed (`node lib/main.js`), where Probot's throttling spaces an
// installation's GraphQL queries and writes a second apart. docs/benchmarks.md explains both.
// Results go to stdout and to docs/benchmarks.md. Settings (environment):
//
//   BENCH_DATABASES       sqlite,postgres            which databases
//   BENCH_POSTGRES_URL    COUNTERSIGN_TEST_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/test
//                         (an admin connection: a scratch database is created and dropped per run)
//   BENCH_LATENCY_MS      10                         the fake GitHub's latency per request
//   BENCH_CONCURRENCY     32                         deliveries in flight during the throughput phases
//   BENCH_SCALE           1                          multiplies the number of measured deliveries
//   BENCH_AS_DEPLOYED     1                          0 skips the runs with Octokit's throttling on
//   BENCH_WRITE_DOCS      1                          0 leaves docs/benchmarks.md alone
//   BENCH_CPU_PROF        (unset)                    a directory: the app runs with --cpu-prof there
//                                                    (summarise with profile-summary.mjs)
//   BENCH_WORKLOADS       small,large                which workloads (empty: none, e.g. the busy
//                                                    installation only)
//   BENCH_BUSY            1                          0 skips the busy installation (as deployed)
//   BENCH_BUSY_PULLS      6                          its pull requests
//   BENCH_BUSY_INTERVAL_MS 250                       the time between its deliveries
//   BENCH_JSON            (unset)                    a file: the whole report (every percentile) as JSON
//   BENCH_TARGETS         1                          0 skips the delivery-to-check-run runs (as deployed,
//                                                    one delivery at a time; delivery-latency.mjs)
//   BENCH_TARGET_LATENCY_MS 50                       the fake GitHub's latency in those runs and the
//                                                    policy change (the targets are set at 50 ms)
//   BENCH_TARGET_PULLS    4,2                        small, large pull requests in those runs
//   BENCH_POLICY_CHANGE   1                          0 skips the organization policy change (as
//                                                    deployed; policy-change.mjs; about 17 minutes)
//   BENCH_POLICY_PULLS    500                        its open agent pull requests…
//   BENCH_POLICY_REPOS    50                         …across this many repositories of one installation
//   BENCH_DASHBOARD       1                          0 skips the dashboard page on a large history
//                                                    (dashboard-page.mjs; per database)
//   BENCH_DASHBOARD_PULLS 10000                      its pull requests (ten audit events each)
//   BENCH_APP_ROOT        (this checkout)            another checkout, built: its app is measured with
//                                                    this harness (before/after figures; see processes.mjs)
//   BENCH_OCTOKIT_RETRY   on                         off: Octokit's retry plugin off too, in the
//                                                    throttling-off runs (a diagnostic)
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { describePostgres, postgresVersion } from "./databases.mjs";
import { startFakeGitHub } from "../../build/fakes/test/fakes/bench-github.js";
import { allFinished, APP_ID, benchWorld, evaluatedWithin, PRIVATE_KEY, processedAt, requestTotal, SECRET, withCountersign } from "./harness.mjs";
import { runDashboardPage } from "./dashboard-page.mjs";
import { runDeliveryLatency } from "./delivery-latency.mjs";
import { burst, drive, encodeDelivery, keepAliveAgent, paced } from "./load.mjs";
import { runPolicyChange } from "./policy-change.mjs";
import { appRoot, cpuMs, databaseServerCpuMs, deliveryOutcomes, freePort, peakRssMb, probotEnv, root, startProcess, stopProcess } from "./processes.mjs";
import { machine, percentile, renderMarkdown, renderReadmeFigures, renderSizing, renderText, SECTIONS, writeSection } from "./report.mjs";
import { largePullRequestScript, smallPullRequestScript } from "./workloads.mjs";

const settings = {
  databases: (process.env.BENCH_DATABASES ?? "sqlite,postgres").split(",").map((name) => name.trim()),
  latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 10),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 32),
  scale: Number(process.env.BENCH_SCALE ?? 1),
  asDeployed: process.env.BENCH_AS_DEPLOYED !== "0",
  busy: process.env.BENCH_BUSY !== "0",
  // A diagnostic run (retry plugin off) never replaces the published results.
  writeDocs: process.env.BENCH_WRITE_DOCS !== "0" && process.env.BENCH_OCTOKIT_RETRY !== "off",
  cpuProfileDir: process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : null,
  octokitRetry: process.env.BENCH_OCTOKIT_RETRY === "off" ? "off" : "on",
  targets: process.env.BENCH_TARGETS !== "0",
  targetLatencyMs: Number(process.env.BENCH_TARGET_LATENCY_MS ?? 50),
  targetPulls: (process.env.BENCH_TARGET_PULLS ?? "4,2").split(",").map(Number),
  policyChange: process.env.BENCH_POLICY_CHANGE !== "0",
  policyPulls: Number(process.env.BENCH_POLICY_PULLS ?? 500),
  policyRepos: Number(process.env.BENCH_POLICY_REPOS ?? 50),
  dashboard: process.env.BENCH_DASHBOARD !== "0",
  dashboardPulls: Number(process.env.BENCH_DASHBOARD_PULLS ?? 10_000),
  workloads: (process.env.BENCH_WORKLOADS ?? "small,large")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== ""),
};

const scaled = (count) => Math.max(1, Math.round(count * settings.scale));

/**
 * The workloads. Each run has three phases on a fresh app and database: warm-up (JIT, installation
 * tokens, the permission and setup caches: not measured), one at a time (each delivery sent once the
 * previous one is processed: own time without queueing), and throughput (`concurrency` deliveries in
 * flight, i.e. sent and not yet processed). A pull request's deliveries are sent in order, each once
 * the previous one is processed, as pull requests move at people's pace. Pull requests are spread
 * over repositories, each in an installation of its own.
 *
 * Small PRs are measured over their whole life (opened, /delegate, reviews, a push). The large PRs
 * are opened and delegated during the warm-up; their reviews and pushes are measured.
 */
const WORKLOADS = {
  small: {
    repositories: 8,
    lanes: (repos, count) => scripts(repos, count, (repo, number) => smallPullRequestScript(repo, number)),
    setupSteps: 0,
    phases: () => ({ warmup: { count: 8 }, sequential: { count: scaled(24) }, throughput: { count: scaled(96) } }),
    asDeployed: { repositories: 1, count: 2 },
    bareRounds: 16,
    // After the throughput phase: a burst of new pull requests opened at once (a rebase of many agent
    // PRs), sent as fast as the app answers; then the time until all are processed.
    burst: () => scaled(1000),
  },
  large: {
    repositories: 4,
    lanes: (repos, count, steps) => scripts(repos, count, (repo, number) => largePullRequestScript(repo, number, { timedSteps: steps })),
    // Opened and delegated (the first two steps) during the warm-up.
    setupSteps: 2,
    phases: () => ({ warmup: { count: 2, steps: 5 }, sequential: { count: 4, steps: scaled(25) }, throughput: { count: 32, steps: scaled(6) } }),
    asDeployed: { repositories: 1, count: 1, steps: 2 },
    bareRounds: 24,
  },
};

/**
 * A busy installation, as deployed: small pull requests of one installation, their deliveries arriving
 * at a steady pace (GitHub sends them as things happen, not when the app is ready) faster than Probot's
 * throttling lets an installation's evaluations reach GitHub (about one every two seconds).
 */
const BUSY = { pullRequests: Number(process.env.BENCH_BUSY_PULLS ?? 6), intervalMs: Number(process.env.BENCH_BUSY_INTERVAL_MS ?? 250) };

/** Pull requests' scripts (one lane each), spread over `repos` round-robin, numbered per repository. */
function scripts(repos, count, script) {
  return Array.from({ length: count }, (_, index) => {
    const repo = repos[index % repos.length];
    repo.nextNumber = (repo.nextNumber ?? 0) + 1;
    return script(repo, repo.nextNumber);
  });
}

/** The own, GitHub (network, Octokit's queues) and total times of the evaluations of `ids`, and their conclusions. */
function timings(app, ids) {
  const entries = ids.map((id) => app.evaluations.get(id)).filter(Boolean);
  const stats = (key) => {
    const values = entries.map((entry) => entry[key]);
    return { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), max: Math.max(...values) };
  };
  const conclusions = {};
  for (const entry of entries) conclusions[entry.conclusion ?? entry.result] = (conclusions[entry.conclusion ?? entry.result] ?? 0) + 1;
  return { count: entries.length, own: stats("ownMs"), github: stats("githubMs"), network: stats("networkMs"), queued: stats("queuedMs"), duration: stats("durationMs"), conclusions };
}

/**
 * One database × workload run of Countersign on a fresh database and process. `throttle-off` runs
 * the three phases; `as-deployed` runs `node lib/main.js` itself, and measures a few pull requests
 * in one installation (Octokit's throttling makes each evaluation take seconds).
 */
async function runCountersign(kind, workloadName, { mode }) {
  const workload = WORKLOADS[workloadName];
  const deployed = mode === "as-deployed";
  const profileName = settings.cpuProfileDir ? `countersign-${kind}-${workloadName}-${mode}` : null;
  const launch = {
    kind,
    repositories: deployed ? workload.asDeployed.repositories : workload.repositories,
    script: deployed ? "lib/main.js" : "scripts/bench/countersign-throttle-off.mjs",
    latencyMs: settings.latencyMs,
    concurrency: settings.concurrency,
    env: deployed ? {} : { BENCH_OCTOKIT_RETRY: settings.octokitRetry },
    nodeArgs: profileName ? ["--cpu-prof", `--cpu-prof-dir=${settings.cpuProfileDir}`, `--cpu-prof-name=${profileName}.cpuprofile`] : [],
  };
  return withCountersign(launch, async ({ repos, github, app, appUrl, target }) => {
    let finished = 0;
    // Sends lanes, each delivery done once evaluated, then waits until `/metrics` counts them finished.
    const send = async (lanes, concurrency) => {
      const sent = await drive(target, lanes, { concurrency, untilDone: (id) => evaluatedWithin(app, id, deployed ? 600_000 : 120_000) });
      finished += sent.ids.length;
      return { sent, outcomes: await allFinished(appUrl, finished) };
    };
    let sequential = null;
    let throughput;
    let burstResult = null;
    if (deployed) {
      const { count, steps } = workload.asDeployed;
      // Warm-up: one small pull request opened (JIT, the installation token, the setup doctor's cache).
      await send(WORKLOADS.small.lanes(repos, 1).map((lane) => lane.slice(0, 1)), 1);
      github.take();
      const cpuBefore = cpuMs(app.pid);
      const { sent } = await send(workload.lanes(repos, count, steps), settings.concurrency);
      throughput = { sent, cpuMs: cpuBefore === null ? null : cpuMs(app.pid) - cpuBefore };
    } else {
      const counts = workload.phases();
      const setup = workload.setupSteps;
      const warmLanes = workload.lanes(repos, counts.warmup.count, counts.warmup.steps);
      const sequentialLanes = workload.lanes(repos, counts.sequential.count, counts.sequential.steps);
      const throughputLanes = workload.lanes(repos, counts.throughput.count, counts.throughput.steps);
      // Warm-up: its own pull requests, and the measured ones' setup steps.
      await send([...warmLanes, ...[...sequentialLanes, ...throughputLanes].map((lane) => lane.slice(0, setup))], 8);
      github.take();
      sequential = { sent: (await send(sequentialLanes.map((lane) => lane.slice(setup)), 1)).sent, requests: github.take() };
      const cpuBefore = cpuMs(app.pid);
      const databaseCpuBefore = databaseServerCpuMs(kind);
      const windowStart = process.hrtime.bigint() / 1000n;
      const { sent } = await send(throughputLanes.map((lane) => lane.slice(setup)), settings.concurrency);
      throughput = { sent, cpuMs: cpuBefore === null ? null : cpuMs(app.pid) - cpuBefore, databaseCpuMs: databaseCpuBefore === null ? null : databaseServerCpuMs(kind) - databaseCpuBefore };
      // The throughput phase's window on the monotonic clock, which the CPU profile's timestamps use.
      if (profileName) writeFileSync(path.join(settings.cpuProfileDir, `${profileName}.window.json`), JSON.stringify({ start: Number(windowStart), end: Number(process.hrtime.bigint() / 1000n) }));
      // The throughput phase's requests, before the burst adds its own.
      throughput.requests = github.take();
      if (workload.burst) burstResult = await runBurst(app, target, repos, workload, () => (finished += workload.burst()));
    }
    const requests = throughput.requests ?? github.take();
    const { sent } = throughput;
    if (burstResult) await allFinished(appUrl, finished);
    // From the first delivery sent to the last one processed (its evaluation logged).
    const seconds = (Math.max(...sent.ids.map((id) => processedAt(app, id))) - sent.firstSentAt) / 1000;
    const underLoad = timings(app, sent.ids);
    const outcomes = await deliveryOutcomes(appUrl);
    return {
      database: kind,
      workload: workloadName,
      mode,
      deliveries: sent.ids.length,
      seconds,
      perSecond: sent.ids.length / seconds,
      refused: sent.refused,
      underLoad,
      sequential: sequential ? timings(app, sequential.sent.ids) : null,
      requestsPerEvaluation: requestTotal(requests) / underLoad.count,
      requests,
      cpuMsPerDelivery: throughput.cpuMs === null ? null : throughput.cpuMs / sent.ids.length,
      databaseCpuMsPerDelivery: throughput.databaseCpuMs === null || throughput.databaseCpuMs === undefined ? null : throughput.databaseCpuMs / sent.ids.length,
      peakRssMb: peakRssMb(app.pid),
      burst: burstResult,
      failed: outcomes.failed,
      evaluationErrors: outcomes.evaluationErrors,
      unexpectedRequests: [...github.unexpected],
      secondaryLimited: [...github.secondaryLimited],
      problems: app.problems.slice(0, 5),
    };
  });
}

/**
 * A burst: `workload.burst()` new pull requests opened at once, their deliveries encoded beforehand and
 * sent as fast as the app answers them (GitHub's side of a burst), then waited for until each has been
 * processed. `count()` adds them to the deliveries expected finished.
 */
async function runBurst(app, target, repos, workload, count) {
  const lanes = workload.lanes(repos, workload.burst(), 1);
  const deliveries = lanes.map((lane) => encodeDelivery(SECRET, lane[0]()));
  const sent = await burst(target, deliveries, { concurrency: settings.concurrency });
  await Promise.all(sent.ids.map((id) => evaluatedWithin(app, id, 300_000)));
  count();
  const drainedAt = Math.max(...sent.ids.map((id) => processedAt(app, id)));
  const answeredSeconds = (sent.lastAnsweredAt - sent.firstSentAt) / 1000;
  return {
    deliveries: sent.ids.length,
    refused: sent.refused,
    answeredPerSecond: sent.ids.length / answeredSeconds,
    answerMs: { p50: percentile(sent.answerMs, 50), p99: percentile(sent.answerMs, 99), max: Math.max(...sent.answerMs) },
    drainedSeconds: (drainedAt - sent.firstSentAt) / 1000,
    processedPerSecond: sent.ids.length / ((drainedAt - sent.firstSentAt) / 1000),
  };
}

/** Steps of several lanes in one sequence, taking turns: each lane's steps stay in order. */
function interleave(lanes) {
  const out = [];
  for (let index = 0; out.length < lanes.reduce((sum, lane) => sum + lane.length, 0); index += 1) {
    for (const lane of lanes) if (index < lane.length) out.push(lane[index]);
  }
  return out;
}

/** A counter from the app's `/metrics`, summed over its labels. */
async function metricTotal(appUrl, name) {
  const text = await (await fetch(`${appUrl}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))].reduce((sum, match) => sum + Number(match[1]), 0);
}

/**
 * The busy installation (see BUSY), as deployed (`node lib/main.js`, SQLite): every pull request's
 * life (opened, /delegate, reviews, a push) sent at a fixed pace, all pull requests taking turns. Reports
 * how long until every delivery was processed, how many evaluations that took, and whether each pull
 * request's check run ended where evaluating every delivery one at a time ends: countersigned, or still
 * blocked for the one that changes a workflow (two approvals, one of them stale).
 */
async function runBusyInstallation() {
  return withCountersign({ kind: "sqlite", repositories: 1, script: "lib/main.js", latencyMs: settings.latencyMs, concurrency: settings.concurrency }, async ({ world, repos, github, app, appUrl, target }) => {
    // Warm-up: one pull request opened (JIT, the installation token, the setup doctor's cache).
    const warm = await drive(target, WORKLOADS.small.lanes(repos, 1).map((lane) => lane.slice(0, 1)), { concurrency: 1, untilDone: (id) => evaluatedWithin(app, id, 600_000) });
    await allFinished(appUrl, warm.ids.length);
    github.take();
    const evaluationsBefore = app.evaluationCount;
    const coalescedBefore = await metricTotal(appUrl, "countersign_evaluations_coalesced_total");
    const warmed = new Set(repos[0].pulls.keys());
    const lanes = WORKLOADS.small.lanes(repos, BUSY.pullRequests);
    const sent = await paced(target, interleave(lanes), { intervalMs: BUSY.intervalMs });
    // The measured pull requests (a lane creates its pull request when its first delivery is sent).
    const numbers = [...repos[0].pulls.keys()].filter((number) => !warmed.has(number));
    await Promise.all(sent.ids.map((id) => evaluatedWithin(app, id, 900_000)));
    const outcomes = await allFinished(appUrl, warm.ids.length + sent.ids.length);
    const lastProcessed = Math.max(...sent.ids.map((id) => processedAt(app, id)));
    const requests = github.take();
    const evaluations = app.evaluationCount - evaluationsBefore;
    // Each pull request's check run on its final head, against where one-at-a-time evaluation ends.
    const checks = numbers.map((number) => {
      const pr = repos[0].pulls.get(number);
      const expected = pr.files.includes(".github/workflows/ci.yml") ? "action_required" : "success";
      const runs = [...world.checkRuns.values()].filter((run) => run.head_sha === pr.headSha);
      return { number, expected, actual: runs.at(-1)?.conclusion ?? null };
    });
    const seconds = (lastProcessed - sent.firstSentAt) / 1000;
    return {
      pullRequests: BUSY.pullRequests,
      intervalMs: BUSY.intervalMs,
      deliveries: sent.ids.length,
      arrivalSeconds: (sent.lastAnsweredAt - sent.firstSentAt) / 1000,
      seconds,
      perSecond: sent.ids.length / seconds,
      evaluations,
      coalesced: (await metricTotal(appUrl, "countersign_evaluations_coalesced_total")) - coalescedBefore,
      requests: requestTotal(requests),
      checks,
      correct: checks.every((check) => check.actual === check.expected),
      failed: outcomes.failed,
      evaluationErrors: outcomes.evaluationErrors,
      refused: sent.refused,
      unexpectedRequests: [...github.unexpected],
      secondaryLimited: [...github.secondaryLimited],
      problems: app.problems.slice(0, 5),
    };
  });
}

/**
 * The bare Probot app, fed the deliveries of the workload's throughput phase (same events, same
 * payloads) several times over, with the same load generator and concurrency. It does nothing, so a
 * delivery answered is a delivery processed.
 */
async function runBare(workloadName) {
  const workload = WORKLOADS[workloadName];
  const { world, repos } = benchWorld(workload.repositories);
  const github = await startFakeGitHub(world, { latencyMs: settings.latencyMs });
  const port = await freePort();
  const app = await startProcess("scripts/bench/bare-app.mjs", probotEnv({ appId: APP_ID, privateKey: PRIVATE_KEY, secret: SECRET, ghesPort: github.port, port, databaseUrl: "" }));
  const target = { url: `http://127.0.0.1:${port}`, secret: SECRET, agent: keepAliveAgent(settings.concurrency) };
  const { count, steps } = workload.phases().throughput;
  // One round of the throughput phase's deliveries, encoded before the clock starts (so that the load
  // generator, on the other core, outpaces the app), sent `rounds` times over with fresh delivery ids.
  const round = workload.lanes(repos, count, steps).map((lane) => lane.map((step) => encodeDelivery(SECRET, step())));
  const lanes = (rounds) => Array.from({ length: rounds }, () => round.map((lane) => lane.map((delivery) => () => delivery))).flat();
  try {
    const warm = await drive(target, lanes(2), { concurrency: settings.concurrency });
    const measured = lanes(workload.bareRounds);
    const cpuBefore = cpuMs(app.pid);
    const generatorBefore = process.cpuUsage();
    const sent = await drive(target, measured, { concurrency: settings.concurrency });
    const cpuAfter = cpuMs(app.pid);
    const generator = process.cpuUsage(generatorBefore);
    const seconds = (sent.lastAnsweredAt - sent.firstSentAt) / 1000;
    return {
      workload: workloadName,
      deliveries: sent.ids.length,
      seconds,
      perSecond: sent.ids.length / seconds,
      refused: sent.refused + warm.refused,
      cpuMsPerDelivery: cpuBefore === null ? null : (cpuAfter - cpuBefore) / sent.ids.length,
      // The load generator's share of a core: near 100% would mean it, not the app, set the pace.
      generatorCpuPercent: ((generator.user + generator.system) / 1000 / (seconds * 1000)) * 100,
      peakRssMb: peakRssMb(app.pid),
    };
  } finally {
    await stopProcess(app);
    target.agent.destroy();
    await github.close();
  }
}

async function main() {
  const started = performance.now();
  const log = (line) => process.stderr.write(`bench: ${line}\n`);
  const databases = [];
  const skipped = [];
  for (const kind of settings.databases) {
    if (kind !== "postgres") {
      databases.push(kind);
      continue;
    }
    try {
      log(`PostgreSQL ${await postgresVersion()} at ${describePostgres()}`);
      databases.push(kind);
    } catch (error) {
      const why = `PostgreSQL SKIPPED: ${describePostgres()} is unreachable (${error.message}); set BENCH_POSTGRES_URL=postgres://user@host:5432/db`;
      log(`*** ${why} ***`);
      skipped.push(why);
    }
  }
  const bare = {};
  for (const workload of settings.workloads) {
    log(`bare Probot app, ${workload} deliveries…`);
    bare[workload] = await runBare(workload);
  }
  const results = [];
  for (const kind of databases) {
    for (const workload of settings.workloads) {
      log(`Countersign on ${kind}, ${workload}…`);
      results.push(await runCountersign(kind, workload, { mode: "throttle-off" }));
    }
  }
  const deployed = [];
  if (settings.asDeployed) {
    for (const workload of settings.workloads) {
      log(`Countersign as deployed (node lib/main.js, Octokit throttling on), sqlite, ${workload}…`);
      deployed.push(await runCountersign("sqlite", workload, { mode: "as-deployed" }));
    }
  }
  let busy = null;
  if (settings.busy) {
    log(`Countersign as deployed, a busy installation: ${BUSY.pullRequests} small pull requests, a delivery every ${BUSY.intervalMs} ms, sqlite…`);
    busy = await runBusyInstallation();
  }
  const latency = [];
  if (settings.targets) {
    const [smallPulls, largePulls] = settings.targetPulls;
    for (const [workload, pullRequests] of [["small", smallPulls], ["large", largePulls]]) {
      for (const gapMs of [1000, 0]) {
        log(`Countersign as deployed, ${workload} PR deliveries one at a time, ${gapMs} ms after the previous one finished, GitHub at ${settings.targetLatencyMs} ms…`);
        latency.push(await runDeliveryLatency(workload, { latencyMs: settings.targetLatencyMs, gapMs, pullRequests, steps: 8 }));
      }
    }
  }
  let policyChange = null;
  if (settings.policyChange) {
    log(`Countersign as deployed, an organization policy change: ${settings.policyPulls} open agent pull requests in ${settings.policyRepos} repositories of one installation, GitHub at ${settings.targetLatencyMs} ms…`);
    policyChange = await runPolicyChange({ repositories: settings.policyRepos, pullRequests: settings.policyPulls, latencyMs: settings.targetLatencyMs, log });
  }
  const dashboard = [];
  if (settings.dashboard) {
    for (const kind of databases) {
      log(`the organization dashboard on ${kind}: ${settings.dashboardPulls} pull requests' history, then the page timed over HTTP…`);
      dashboard.push(await runDashboardPage({ kind, pullRequests: settings.dashboardPulls, requests: 10, log }));
    }
  }
  const app = { root: appRoot, commit: execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: appRoot, encoding: "utf8" }).trim() };
  const report = { settings, app, machine: await machine(databases.includes("postgres") ? await postgresVersion() : null), bare, results, deployed, busy, latency, policyChange, dashboard, skipped, minutes: (performance.now() - started) / 60_000 };
  process.stdout.write(renderText(report));
  if (process.env.BENCH_JSON) writeFileSync(path.resolve(process.env.BENCH_JSON), JSON.stringify(report, null, 2));
  if (settings.writeDocs) {
    // The report without each delivery's own line, which no page quotes.
    const kept = { ...report, latency: report.latency.map(({ each, ...run }) => run) };
    writeFileSync(path.join(root, "docs/benchmarks.json"), `${JSON.stringify(kept, null, 2)}\n`);
    for (const [name, render] of [["results", renderMarkdown], ["readme", renderReadmeFigures], ["sizing", renderSizing]]) {
      const section = SECTIONS[name];
      if (!writeSection(path.join(root, section.file), section, render(kept))) log(`${section.file} has no ${name} markers: not written`);
    }
    log("results written to docs/benchmarks.json, docs/benchmarks.md, README.md and docs/deployment.md");
  }
  const broken = [...results, ...deployed, ...latency, ...(busy ? [busy] : []), ...(policyChange ? [policyChange] : [])].filter((result) => result.failed > 0 || result.evaluationErrors > 0 || result.refused > 0 || (result.burst?.refused ?? 0) > 0 || result.unexpectedRequests.length > 0 || (result.secondaryLimited?.length ?? 0) > 0);
  if (policyChange && policyChange.blockedAfter !== policyChange.pullRequests) {
    log(`after the policy change, ${policyChange.pullRequests - policyChange.blockedAfter} of ${policyChange.pullRequests} pull requests were still countersigned under one approval`);
    process.exitCode = 1;
  }
  if (busy && !busy.correct) {
    log(`the busy installation's check runs did not all end where evaluating one delivery at a time ends: ${JSON.stringify(busy.checks)}`);
    process.exitCode = 1;
  }
  if (broken.length > 0 || Object.values(bare).some((result) => result.refused > 0)) {
    log("some deliveries failed or were refused, or the app made requests the fake GitHub does not know or over GitHub's secondary rate limits: the figures are not valid");
    process.exitCode = 1;
  }
}

await main();
