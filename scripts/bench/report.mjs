import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
// The benchmark's report: a plain-text table on stdout, and the sections of the documentation that
// quote it, each between markers (the rest of each page is written by hand): the results section of
// docs/benchmarks.md, the figures paragraph of the README and the sizing table of docs/deployment.md.
// The report itself is kept as docs/benchmarks.json, from which test/unit/bench-figures.test.ts
// renders every section again: a figure edited by hand, or a renderer changed without running the
// benchmark again, fails CI.
//
// This module imports nothing outside Node, so that the test can load it.

/** The sections the benchmark writes: where, and between which markers. */
export const SECTIONS = {
  results: { file: "docs/benchmarks.md", start: "<!-- bench:results:start (written by `npm run bench`; edit outside these markers) -->", end: "<!-- bench:results:end -->" },
  readme: { file: "README.md", start: "<!-- bench:figures:start (written by `npm run bench` from docs/benchmarks.json) -->", end: "<!-- bench:figures:end -->" },
  sizing: { file: "docs/deployment.md", start: "<!-- bench:sizing:start (written by `npm run bench` from docs/benchmarks.json) -->", end: "<!-- bench:sizing:end -->" },
};
const START = SECTIONS.results.start;
const END = SECTIONS.results.end;

/** The request kinds a run counted, in the fake GitHub's order (every run counts the same kinds). */
const requestKinds = (report) => Object.keys([...report.results, ...report.deployed][0]?.requests ?? {}).filter((kind) => kind !== "unexpected");

/** The `p`th percentile (nearest rank) of `values`. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The machine the benchmark ran on. */
export async function machine(postgres) {
  let cpu = cpus()[0]?.model ?? "unknown";
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpu;
  } catch {
    // Not Linux: os.cpus() it is.
  }
  return { cpu, cores: cpus().length, ramGb: totalmem() / 1024 ** 3, node: process.version, kernel: release(), postgres, date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC" };
}

const fixed = (value, digits = 1) => (value === null || value === undefined || Number.isNaN(value) ? "–" : value.toFixed(digits));
const triple = (stats) => (stats ? `${fixed(stats.p50)} / ${fixed(stats.p95)} / ${fixed(stats.p99)}` : "–");
const DATABASE = { sqlite: "SQLite", postgres: "PostgreSQL" };
const WORKLOAD = { small: "Small PRs", large: "Large PR" };
const workload = { small: "small PRs", large: "large PR" };

/** A Markdown table; the first `left` columns are text, the others figures (right-aligned). */
function table(header, rows, left = 2) {
  return [`| ${header.join(" | ")} |`, `| ${header.map((_, index) => (index < left ? "---" : "---:")).join(" | ")} |`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
}

/** The as-deployed delivery-latency run of `workload` with deliveries `gapMs` apart, if it ran. */
const latencyRun = (report, workloadName, gapMs) => (report.latency ?? []).find((run) => run.workload === workloadName && run.gapMs === gapMs);
const seconds = (ms) => `${fixed(ms / 1000, 2)} s`;
/** A request class's figures in a latency run: `min–max` (or the one figure), and its count. */
const classFigure = (entry) => (entry ? `${entry.min === entry.max ? entry.max : `${entry.min}–${entry.max}`} (${entry.count} deliveries)` : "–");

/**
 * The targets, each with the figures it is judged on and whether they meet it. The throughput target
 * of the scale issue (≥ 50% of a bare Probot app's delivery rate) was withdrawn by issue 15 as the
 * wrong measure (docs/benchmarks.md, finding 5); the tables still show the ratio.
 */
export function targets(report) {
  const out = [];
  for (const result of report.results.filter((entry) => entry.workload === "large")) {
    out.push({ target: `Own processing p95 ≤ 20 ms, large PR, ${DATABASE[result.database]}`, measured: `${fixed(result.sequential.own.p95)} ms one at a time; ${fixed(result.underLoad.own.p95)} ms with ${report.settings.concurrency} in flight`, met: result.sequential.own.p95 <= 20 });
  }
  const latencyMs = report.settings.targetLatencyMs;
  for (const [workloadName, limitMs, label] of [["small", 1500, "small PR"], ["large", 3000, "250-commit / 1,000-file / 40-review PR"]]) {
    const paced = latencyRun(report, workloadName, 1000);
    if (!paced) continue;
    const backToBack = latencyRun(report, workloadName, 0);
    out.push({
      target: `Delivery → check run p95 ≤ ${fixed(limitMs / 1000, 1)} s, ${label} (as deployed, GitHub at ${latencyMs} ms, deliveries 1 s apart)`,
      measured: `${seconds(paced.ms.p95)} (p50 ${seconds(paced.ms.p50)}, max ${seconds(paced.ms.max)}, ${paced.deliveries} deliveries)${backToBack ? `; back to back p95 ${seconds(backToBack.ms.p95)}` : ""}`,
      met: paced.ms.p95 <= limitMs,
    });
  }
  const small = latencyRun(report, "small", 1000);
  if (small) {
    for (const [kind, limit, label] of [["steady", 2, "a delivery that changes the check run"], ["unchanged", 1, "a delivery that leaves it as it is"], ["cold", 5, "a pull request's first delivery"]]) {
      const entry = small.byClass[kind];
      out.push({ target: `Requests per evaluation ≤ ${limit}, small PR, ${label}`, measured: classFigure(entry), met: entry !== undefined && entry.max <= limit });
    }
  }
  const large = latencyRun(report, "large", 1000);
  if (large) {
    const evaluations = Object.entries(large.byClass).filter(([kind]) => kind !== "command");
    const most = Math.max(...evaluations.map(([, entry]) => entry.max));
    const command = large.byClass.command;
    out.push({ target: "Requests per evaluation ≤ 13, large PR", measured: `at most ${most} (${evaluations.map(([kind, entry]) => `${kind} ${entry.min === entry.max ? entry.max : `${entry.min}–${entry.max}`}`).join(", ")})${command ? `; a /delegate command ${command.max}, its reply and the agent's tool inventory included` : ""}`, met: most <= 13 });
  }
  for (const run of report.dashboard ?? []) {
    out.push({
      target: `The organization dashboard renders in under 300 ms with ${thousands(run.events)} audit events and ${thousands(run.pullRequests)} pull requests, ${DATABASE[run.database]}`,
      measured: `p95 ${fixed(run.page.p95, 0)} ms (p50 ${fixed(run.page.p50, 0)}); one repository's ${fixed(run.repository.p95, 0)} ms; the JSON download ${fixed(run.download.p95, 0)} ms`,
      met: run.page.p95 < 300,
    });
  }
  const change = report.policyChange;
  if (change) {
    out.push({
      target: `A policy change in the organization's .github re-evaluates ${change.pullRequests} open agent PRs in ${change.repositories} repositories within one installation's rate limit, without a secondary-rate-limit response`,
      measured: `${fixed(change.seconds / 60, 1)} min, ${change.requests} requests (${fixed(change.requestsPerPullRequest, 2)} a PR), ${fixed(hourShare(change), 0)} of the installation's ${change.primaryPerHour} an hour; ${change.secondaryLimited.length} secondary-limit responses; ${change.blockedAfter} of ${change.pullRequests} check runs blocked by the new policy`,
      met: change.secondaryLimited.length === 0 && hourShare(change) <= change.primaryPerHour && change.blockedAfter === change.pullRequests,
    });
  }
  return out;
}

/** The most requests the policy change spent in any hour: all of them when it took less than one, else its hourly pace. */
const hourShare = (change) => (change.seconds <= 3600 ? change.requests : change.requestsPerHour);

const LATENCY_HEADER = ["Workload", "Sent after the previous finished", "Deliveries", "Delivery → check run p50 s", "p95 s", "max s", "GitHub requests / delivery"];

function latencyRows(report) {
  return (report.latency ?? []).map((run) => [WORKLOAD[run.workload], run.gapMs === 0 ? "at once" : `${fixed(run.gapMs / 1000, 0)} s`, String(run.deliveries), fixed(run.ms.p50 / 1000, 2), fixed(run.ms.p95 / 1000, 2), fixed(run.ms.max / 1000, 2), fixed(run.requestsPerDelivery, 2)]);
}

const CLASS_HEADER = ["Workload", "Delivery", "Deliveries", "Requests (min–max)", "The most, by kind"];

const CLASS_NAMES = { cold: "first of the PR (creates the check run)", command: "/delegate (with its reply)", "new head": "a push (new check run)", steady: "changes the check run", unchanged: "leaves the check run as it is", "first read": "changes it, a person's permission read first" };

function classRows(report) {
  return (report.latency ?? [])
    .filter((run) => run.gapMs === 1000)
    .flatMap((run) =>
      Object.entries(run.byClass).map(([kind, entry]) => [WORKLOAD[run.workload], CLASS_NAMES[kind] ?? kind, String(entry.count), entry.min === entry.max ? String(entry.max) : `${entry.min}–${entry.max}`, Object.entries(entry.example ?? {}).map(([name, count]) => `${name} ${count}`).join(", ")]),
    );
}

const POLICY_HEADER = ["Pull requests", "Repositories", "Re-evaluated after min", "Check runs written", "Blocked by the new policy", "GitHub requests", "Requests / PR", "Requests in its hour (limit)", "Secondary-limit responses", "Most requests in flight", "Peak RSS MB"];

function policyRows(report) {
  const c = report.policyChange;
  if (!c) return [];
  return [[String(c.pullRequests), String(c.repositories), fixed(c.seconds / 60, 1), String(c.checkRunWrites), `${c.blockedAfter} of ${c.pullRequests}`, String(c.requests), fixed(c.requestsPerPullRequest, 2), `${fixed(hourShare(c), 0)} (${c.primaryPerHour})`, String(c.secondaryLimited.length), String(c.peakConcurrent), fixed(c.peakRssMb, 0)]];
}

const DASHBOARD_HEADER = ["Database", "Pull requests", "Audit events", "Page ms p50 / p95", "One repository ms p50 / p95", "JSON download ms p50 / p95", "Page kB", "GitHub requests while timed", "Peak RSS MB"];

function dashboardRows(report) {
  return (report.dashboard ?? []).map((run) => [DATABASE[run.database], thousands(run.pullRequests), thousands(run.events), `${fixed(run.page.p50, 0)} / ${fixed(run.page.p95, 0)}`, `${fixed(run.repository.p50, 0)} / ${fixed(run.repository.p95, 0)}`, `${fixed(run.download.p50, 0)} / ${fixed(run.download.p95, 0)}`, fixed(run.page.bytes / 1024, 0), String(run.githubRequestsWhileTimed), fixed(run.peakRssMb, 0)]);
}

const byKind = (requests) => Object.entries(requests).map(([name, count]) => `${name} ${count}`).join(", ");

function resultsRows(report) {
  return report.results.map((result) => [
    DATABASE[result.database],
    WORKLOAD[result.workload],
    fixed(result.perSecond),
    `${fixed(100 * (result.perSecond / report.bare[result.workload].perSecond))}%`,
    triple(result.sequential.own),
    triple(result.underLoad.own),
    fixed(result.requestsPerEvaluation, 2),
    result.databaseCpuMsPerDelivery === null || result.databaseCpuMsPerDelivery === undefined ? fixed(result.cpuMsPerDelivery) : `${fixed(result.cpuMsPerDelivery)} (+${fixed(result.databaseCpuMsPerDelivery)} server)`,
    fixed(result.peakRssMb, 0),
    result.peakConnections === undefined ? "–" : String(result.peakConnections),
  ]);
}

const RESULT_HEADER = ["Database", "Workload", "Deliveries/s", "× bare", "Own ms p50 / p95 / p99, one at a time", "Own ms p50 / p95 / p99, under load", "GitHub requests / evaluation", "CPU ms / delivery", "Peak RSS MB", "Database connections, most at once"];

function bareRows(report) {
  return Object.values(report.bare).map((bare) => [WORKLOAD[bare.workload], fixed(bare.perSecond), fixed(bare.cpuMsPerDelivery, 2), fixed(bare.peakRssMb, 0)]);
}

function deployedRows(report) {
  return report.deployed.map((result) => [
    WORKLOAD[result.workload],
    String(result.deliveries),
    fixed(result.perSecond, 2),
    `${fixed(100 * (result.perSecond / report.bare[result.workload].perSecond), 2)}%`,
    triple(result.underLoad.own),
    fixed(result.underLoad.github.p50 / 1000, 1),
    fixed(result.requestsPerEvaluation, 2),
    fixed(result.peakRssMb, 0),
  ]);
}

/** A burst of new pull requests: how fast it is answered (taken in), and how long until all are processed. */
function burstRows(report) {
  return report.results
    .filter((result) => result.burst)
    .map((result) => {
      const b = result.burst;
      return [
        DATABASE[result.database],
        WORKLOAD[result.workload],
        String(b.deliveries),
        fixed(b.answeredPerSecond),
        `${fixed(100 * (b.answeredPerSecond / report.bare[result.workload].perSecond))}%`,
        `${fixed(b.answerMs.p50)} / ${fixed(b.answerMs.p99)} / ${fixed(b.answerMs.max)}`,
        fixed(b.drainedSeconds),
        fixed(b.processedPerSecond),
      ];
    });
}

const BURST_HEADER = ["Database", "Workload", "Deliveries", "Answered/s", "× bare", "Answer ms p50 / p99 / max", "All processed after s", "Processed/s"];

const DEPLOYED_HEADER = ["Workload", "Deliveries", "Deliveries/s", "× bare", "Own ms p50 / p95 / p99", "Waiting on GitHub s, p50", "GitHub requests / evaluation", "Peak RSS MB"];

const BUSY_HEADER = ["Pull requests", "Deliveries", "Arrived over s", "All processed after s", "Processed/s", "Evaluations", "Deliveries / evaluation", "Joined a waiting evaluation", "GitHub requests", "Check runs end as one at a time"];

/** The busy installation: deliveries arriving faster than the throttle lets evaluations through. */
function busyRows(report) {
  const b = report.busy;
  if (!b) return [];
  return [[String(b.pullRequests), String(b.deliveries), fixed(b.arrivalSeconds), fixed(b.seconds), fixed(b.perSecond, 2), String(b.evaluations), fixed(b.deliveries / b.evaluations, 2), String(b.coalesced), String(b.requests), b.correct ? `yes (${b.checks.length} of ${b.checks.length})` : `**no**: ${b.checks.filter((check) => check.actual !== check.expected).map((check) => `#${check.number} ${check.actual} (expected ${check.expected})`).join(", ")}`]];
}

const BREAKDOWN_HEADER = ["Run", "Evaluations", "Evaluation ms", "Network ms", "Octokit queue ms", "Own ms"];

/** Where an evaluation's time goes (medians): one at a time, or all of an as-deployed run. */
function breakdownRows(report) {
  return [...report.results, ...report.deployed].map((result) => {
    const times = result.sequential ?? result.underLoad;
    return [
      `${DATABASE[result.database]}, ${workload[result.workload]}, ${result.sequential ? "one at a time" : "as deployed"}`,
      String(times.count),
      fixed(times.duration.p50),
      fixed(times.network.p50),
      fixed(times.queued.p50),
      fixed(times.own.p50),
    ];
  });
}

function requestRows(report) {
  return [...report.results, ...report.deployed].map((result) => [
    `${DATABASE[result.database]}, ${workload[result.workload]}${result.mode === "as-deployed" ? ", as deployed" : ""}`,
    ...requestKinds(report).map((kind) => fixed(result.requests[kind] / result.underLoad.count, 2)),
  ]);
}

function machineLine(report) {
  const m = report.machine;
  return `${m.cpu}, ${m.cores} cores, ${fixed(m.ramGb, 0)} GB RAM; Linux ${m.kernel}; Node.js ${m.node}${m.postgres ? `; PostgreSQL ${m.postgres} on the same machine` : ""}; ${m.date}`;
}

/** The report as plain text, for stdout. */
export function renderText(report) {
  const lines = [
    "",
    `Countersign benchmark — fake GitHub latency ${report.settings.latencyMs} ms/request, ${report.settings.concurrency} deliveries in flight`,
    `Machine: ${machineLine(report)}`,
    `App measured: ${report.app.commit} (${report.app.root})`,
    ...report.skipped.map((why) => `*** ${why} ***`),
    "",
  ];
  if (report.results.length > 0) lines.push(`Countersign (throttling off: the app's own capacity${report.settings.octokitRetry === "off" ? "; Octokit's retry plugin OFF too, a diagnostic" : ""}):`, table(RESULT_HEADER, resultsRows(report)), "");
  if (bareRows(report).length > 0) lines.push("Bare Probot app (verifies signatures, nothing else):", table(["Workload", "Deliveries/s", "CPU ms / delivery", "Peak RSS MB"], bareRows(report), 1), "");
  if (burstRows(report).length > 0) lines.push("A burst of new pull requests (throttling off), answered as fast as the app takes them in, then processed:", table(BURST_HEADER, burstRows(report)), "");
  if (report.deployed.length > 0) lines.push("Countersign as deployed (node lib/main.js, Octokit throttling on, one installation, SQLite):", table(DEPLOYED_HEADER, deployedRows(report), 1), "");
  if (report.busy) lines.push(`A busy installation, as deployed (one installation, a delivery every ${report.busy.intervalMs} ms, SQLite):`, table(BUSY_HEADER, busyRows(report), 0), "");
  if (latencyRows(report).length > 0) {
    lines.push(`Delivery to check run, as deployed (node lib/main.js, throttling on, GitHub at ${report.settings.targetLatencyMs} ms, one delivery at a time, SQLite):`, table(LATENCY_HEADER, latencyRows(report), 2), "");
    lines.push("GitHub requests per delivery, by what it did (deliveries 1 s apart):", table(CLASS_HEADER, classRows(report), 2), "");
  }
  if (dashboardRows(report).length > 0) lines.push("The organization dashboard on a large history (node lib/main.js, a signed-in owner, over HTTP):", table(DASHBOARD_HEADER, dashboardRows(report), 1), "");
  if (report.policyChange) lines.push(`An organization policy change, as deployed (one installation, GitHub at ${report.settings.targetLatencyMs} ms, SQLite); requests: ${byKind(report.policyChange.requestsByKind)}:`, table(POLICY_HEADER, policyRows(report), 0), "");
  if (breakdownRows(report).length > 0) lines.push("Where an evaluation's time goes (medians; the queue is Octokit's throttling and retry scheduling before sending):", table(BREAKDOWN_HEADER, breakdownRows(report), 1), "");
  lines.push("Targets:", ...targets(report).map((entry) => `  ${entry.met ? "MET   " : "MISSED"} ${entry.target}: ${entry.measured}`), "");
  for (const result of [...(report.latency ?? []), ...(report.policyChange ? [report.policyChange] : [])]) {
    const problems = [...result.unexpectedRequests.map((request) => `unexpected ${request}`), ...result.secondaryLimited.map((request) => `secondary limit: ${request}`)];
    if (problems.length > 0) lines.push(`${result.workload ?? "policy change"}: ${problems.slice(0, 5).join("; ")}`);
  }
  for (const result of [...report.results, ...report.deployed]) {
    const notes = [];
    if (result.failed || result.evaluationErrors || result.refused) notes.push(`failed ${result.failed}, evaluation errors ${result.evaluationErrors}, refused ${result.refused}`);
    if (result.unexpectedRequests.length) notes.push(`unexpected requests: ${result.unexpectedRequests.slice(0, 3).join(", ")}`);
    if (result.problems.length) notes.push(`log: ${result.problems.join(" | ").slice(0, 600)}`);
    lines.push(`${result.database}/${result.workload}/${result.mode}: ${result.deliveries} deliveries in ${fixed(result.seconds, 2)} s; conclusions ${JSON.stringify(result.underLoad.conclusions)}; GitHub wait p50 ${fixed(result.underLoad.github.p50)} ms; evaluation p50 ${fixed(result.underLoad.duration.p50)} ms${notes.length ? `; ${notes.join("; ")}` : ""}`);
  }
  for (const bare of Object.values(report.bare)) lines.push(`bare/${bare.workload}: ${bare.deliveries} deliveries in ${fixed(bare.seconds, 2)} s; load generator at ${fixed(bare.generatorCpuPercent, 0)}% of a core`);
  lines.push(`(${fixed(report.minutes, 1)} minutes)`, "");
  return `${lines.join("\n")}\n`;
}

/** The results section of docs/benchmarks.md. */
export function renderMarkdown(report) {
  const s = report.settings;
  const parts = [
    `Measured on ${machineLine(report)}. Fake GitHub latency ${s.latencyMs} ms per request; ${s.concurrency} deliveries in flight in the throughput phases; scale ${s.scale}.`,
    "",
    ...report.skipped.map((why) => `**${why}**\n`),
    `**Countersign with Octokit's throttling off**${s.octokitRetry === "off" ? " **and its retry plugin off (a diagnostic)**" : ""} (the app's own capacity; see *Two ways of running it* above):`,
    "",
    table(RESULT_HEADER, resultsRows(report)),
    "",
    "**Bare Probot app** (verifies the signature, no-op handler), same deliveries, same load generator:",
    "",
    table(["Workload", "Deliveries/s", "CPU ms / delivery", "Peak RSS MB"], bareRows(report), 1),
    "",
  ];
  if (burstRows(report).length > 0) {
    parts.push(
      `**A burst**: ${report.results.find((result) => result.burst)?.burst.deliveries ?? 0} new small pull requests opened at once (throttling off), their deliveries sent as fast as the app answers them (${s.concurrency} connections), then waited for until all were processed. *Answered/s* is the rate at which GitHub's deliveries are verified, stored and answered; *× bare* compares it with the bare app's rate above; the answer times are what GitHub waits (it gives up after 10 s):`,
      "",
      table(BURST_HEADER, burstRows(report)),
      "",
    );
  }
  if (report.deployed.length > 0) {
    parts.push("**Countersign as deployed** (`node lib/main.js`, Octokit's throttling on), all deliveries in one installation, SQLite:", "", table(DEPLOYED_HEADER, deployedRows(report), 1), "");
  }
  if (report.busy) {
    parts.push(
      `**A busy installation**, as deployed (\`node lib/main.js\`, SQLite): ${report.busy.pullRequests} small pull requests in one installation go through their lives at once, a delivery arriving every ${report.busy.intervalMs} ms whatever the app is doing, faster than Probot's throttling lets evaluations reach GitHub. Deliveries for a pull request that arrive while an evaluation of it waits for its turn join that evaluation. *Check runs end as one at a time*: each pull request's check run on its final head has the conclusion that evaluating every delivery on its own reaches:`,
      "",
      table(BUSY_HEADER, busyRows(report), 0),
      "",
    );
  }
  if (latencyRows(report).length > 0) {
    parts.push(
      `**Delivery to check run, as deployed** (\`node lib/main.js\`, Probot's throttling on, the fake GitHub answering after ${s.targetLatencyMs} ms and holding the installation to GitHub's secondary rate limits; one installation, SQLite): from sending a delivery to its check run written, one delivery at a time, each sent 1 s after the previous one finished (an installation's events at people's pace), or at once (the next delivery's first query then waits out the throttle's second after the previous write). Small PRs: ${s.targetPulls[0]} whole lives; large PRs: ${s.targetPulls[1]}, each opened, delegated, then 8 reviews and pushes:`,
      "",
      table(LATENCY_HEADER, latencyRows(report), 2),
      "",
      "**GitHub requests per delivery**, by what the delivery did (deliveries 1 s apart; a person's first review adds the read of their permission, cached afterwards):",
      "",
      table(CLASS_HEADER, classRows(report), 2),
      "",
    );
  }
  if (report.policyChange) {
    parts.push(
      `**An organization policy change, as deployed**: ${report.policyChange.pullRequests} open agent pull requests in ${report.policyChange.repositories} repositories of one installation, each delegated and approved once (countersigned), then a push to the organization's \`.github\` repository raises the approvals required to two; from that delivery to the last check run rewritten, the fake GitHub answering after ${s.targetLatencyMs} ms and answering 403 to any request over GitHub's secondary limits. Requests: ${byKind(report.policyChange.requestsByKind)}.`,
      "",
      table(POLICY_HEADER, policyRows(report), 0),
      "",
    );
  }
  if (dashboardRows(report).length > 0) {
    parts.push("**The organization dashboard on a large history** (`scripts/bench/dashboard-page.mjs`): a database filled through the app's own functions with each pull request's ten decisions and their audit events and its delegation, over 12 weeks and 20 repositories; `node lib/main.js` serves the page to a signed-in owner, each request timed over HTTP to its last byte (the default view, one repository's, and the JSON download):", "", table(DASHBOARD_HEADER, dashboardRows(report), 1), "");
  }
  parts.push(
    "**Where an evaluation's time goes** (medians, in ms): on the network with GitHub, in Octokit's queues before sending (throttling, retry scheduling), and the app's own time:",
    "",
    table(BREAKDOWN_HEADER, breakdownRows(report), 1),
    "",
    "**GitHub requests per evaluation**, by kind (throughput phase):",
    "",
    table(["Run", ...requestKinds(report)], requestRows(report), 1),
    "",
    "**Targets:**",
    "",
    table(["Target", "Measured", "Met"], targets(report).map((entry) => [entry.target, entry.measured, entry.met ? "yes" : "**no**"]), 3),
  );
  return parts.join("\n");
}

const thousands = (value) => Math.round(value).toLocaleString("en-US");
/** `low–high` of `values` rounded to `digits`, or the one figure when they agree. */
function span(values, digits = 0) {
  const present = values.filter((value) => value !== null && value !== undefined && !Number.isNaN(value));
  if (present.length === 0) return "–";
  const low = fixed(Math.min(...present), digits);
  const high = fixed(Math.max(...present), digits);
  return low === high ? low : `${low}–${high}`;
}
const shortMachine = (report) => `${report.machine.cores} cores of an ${report.machine.cpu.split(" ").slice(0, 2).join(" ")}, Node.js ${report.machine.node}, ${report.machine.date.slice(0, 10)}`;

/** The README's figures: what a user feels and what GitHub allows, from the report. */
export function renderReadmeFigures(report) {
  const lines = [`Measured by \`npm run bench\` (${shortMachine(report)}; every table, and how to reproduce it, in [docs/benchmarks.md](docs/benchmarks.md)):`, ""];
  const small = latencyRun(report, "small", 1000);
  const large = latencyRun(report, "large", 1000);
  if (small && large) {
    const smallAtOnce = latencyRun(report, "small", 0);
    const largeAtOnce = latencyRun(report, "large", 0);
    lines.push(
      `- **Delivery to check run, as deployed** (Probot's throttling on, GitHub answering after ${report.settings.targetLatencyMs} ms): a small agent PR's check run is written ${seconds(small.ms.p50)} after its delivery (${seconds(small.ms.p95)} at p95); a 250-commit, 1,000-file, 40-review PR's ${seconds(large.ms.p50)} (${seconds(large.ms.p95)} at p95). The throttle starts an installation's GraphQL queries and writes a second apart, and each evaluation has a query and a write (the large PR a follow-up query too), so most of that is the throttle's second${smallAtOnce && largeAtOnce ? `; a delivery that arrives right behind another waits out one more (p95 ${seconds(smallAtOnce.ms.p95)} and ${seconds(largeAtOnce.ms.p95)})` : ""}.`,
    );
    const steady = small.byClass.steady;
    const unchanged = small.byClass.unchanged;
    const cold = small.byClass.cold;
    const largeEvaluations = Object.entries(large.byClass).filter(([kind]) => kind !== "command").map(([, entry]) => entry);
    lines.push(
      `- **GitHub requests per delivery**: ${steady ? span([steady.min, steady.max]) : "–"} when the check run changes, ${unchanged ? span([unchanged.min, unchanged.max]) : "–"} when it does not, ${cold ? span([cold.min, cold.max]) : "–"} for a pull request's first delivery (a person's first review adds the read of their permission); the large PR ${span(largeEvaluations.flatMap((entry) => [entry.min, entry.max]))}, its files past the first 100 read through REST GETs at once.`,
    );
  }
  const change = report.policyChange;
  if (change) {
    lines.push(
      `- **A policy change** in the organization's \`.github\` repository re-evaluates ${change.pullRequests} open agent PRs in ${change.repositories} repositories in ${fixed(change.seconds / 60, 1)} minutes, with ${thousands(change.requests)} GitHub requests (${fixed(change.requestsPerPullRequest, 1)} a PR, of the installation's ${thousands(change.primaryPerHour)} an hour) and ${change.secondaryLimited.length === 0 ? "no" : change.secondaryLimited.length} secondary-rate-limit response${change.secondaryLimited.length === 1 ? "" : "s"}; ${change.blockedAfter} of ${change.pullRequests} check runs then block under the new policy.`,
    );
  }
  if (report.busy) {
    const b = report.busy;
    lines.push(`- **A busy installation** (${b.pullRequests} pull requests, a delivery every ${b.intervalMs} ms): ${b.deliveries} deliveries need ${b.evaluations} evaluations, since deliveries for a pull request that arrive while an evaluation of it waits join it, and ${b.correct ? "every check run ends where evaluating one delivery at a time ends" : "**some check runs do not end where evaluating one delivery at a time ends**"}.`);
  }
  const smallRuns = report.results.filter((result) => result.workload === "small");
  const largeRuns = report.results.filter((result) => result.workload === "large");
  if (smallRuns.length > 0) {
    const bursts = smallRuns.filter((result) => result.burst);
    lines.push(
      `- **The app's own capacity** (throttling off, ${report.settings.concurrency} deliveries in flight): one process evaluates ${span(smallRuns.map((result) => result.perSecond))} small-PR deliveries a second (${smallRuns.map((result) => DATABASE[result.database]).join(", ")}), spending ${span(smallRuns.map((result) => result.sequential.own.p50), 1)} ms of its own per evaluation at p50${largeRuns.length > 0 ? `; the large PR ${span(largeRuns.map((result) => result.sequential.own.p50), 1)} ms at p50 and ${span(largeRuns.map((result) => result.sequential.own.p95), 1)} ms at p95` : ""}${bursts.length > 0 ? `; a burst of ${thousands(bursts[0].burst.deliveries)} deliveries is answered at ${span(bursts.map((result) => result.burst.answeredPerSecond))} a second, each within ${span(bursts.map((result) => result.burst.answerMs.max))} ms` : ""}. Peak memory ${span([...report.results, ...report.deployed].map((result) => result.peakRssMb))} MB.`,
    );
  }
  return lines.join("\n");
}

/** The sizing table of docs/deployment.md: what one replica did in the benchmark. */
export function renderSizing(report) {
  const rows = [];
  const bursts = report.results.filter((result) => result.burst);
  for (const result of bursts) rows.push([`Deliveries taken in (verified, stored, answered), ${DATABASE[result.database]}`, `${fixed(result.burst.answeredPerSecond, 0)} a second, each answered within ${fixed(result.burst.answerMs.max, 0)} ms`, `a burst of ${thousands(result.burst.deliveries)} new pull requests`]);
  for (const result of report.results) rows.push([`Evaluations, ${workload[result.workload]}, ${DATABASE[result.database]}, throttling aside`, `${fixed(result.perSecond, result.perSecond < 10 ? 1 : 0)} a second; ${fixed(result.cpuMsPerDelivery, 1)} ms CPU each`, `${report.settings.concurrency} deliveries in flight`]);
  if (report.busy) rows.push(["Evaluations per installation, as deployed", `${fixed(report.busy.evaluations / report.busy.seconds, 2)} a second (${fixed(report.busy.perSecond, 2)} deliveries a second, joined)`, "the busy installation: Probot's throttling sets this pace, whatever the replica count"]);
  const small = latencyRun(report, "small", 1000);
  const large = latencyRun(report, "large", 1000);
  if (small && large) rows.push(["Delivery to check run, as deployed", `${seconds(small.ms.p95)} small PR, ${seconds(large.ms.p95)} large PR (p95)`, `GitHub at ${report.settings.targetLatencyMs} ms`]);
  const memory = [...report.results, ...report.deployed].map((result) => result.peakRssMb).filter((value) => value !== null && value !== undefined);
  if (memory.length > 0) rows.push(["Memory (peak RSS)", `${fixed(Math.max(...memory), 0)} MB at most`, "every run above"]);
  const connections = report.results.map((result) => result.peakConnections).filter((value) => value !== undefined);
  if (connections.length > 0) rows.push(["PostgreSQL connections", `${Math.max(...connections)} at most`, "node-postgres's pool (10) and the migration engine's at start"]);
  if (report.policyChange) rows.push(["An organization policy change", `${report.policyChange.pullRequests} PRs in ${fixed(report.policyChange.seconds / 60, 1)} minutes, ${thousands(report.policyChange.requests)} requests`, `${report.policyChange.repositories} repositories, one installation`]);
  return [`From \`npm run bench\` (${shortMachine(report)}):`, "", table(["One replica", "Measured", "Under"], rows, 3)].join("\n");
}

/** Replaces the section between `start` and `end` in `file`; false when the file has no such markers. */
export function writeSection(file, { start, end }, section) {
  if (!existsSync(file)) return false;
  const text = readFileSync(file, "utf8");
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to < from) return false;
  writeFileSync(file, `${text.slice(0, from)}${start}\n${section}\n${end}${text.slice(to + end.length)}`);
  return true;
}

/** The text between `start` and `end` in `text`, as writeSection leaves it; null without the markers. */
export function sectionOf(text, { start, end }) {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to < from) return null;
  return text.slice(from + start.length + 1, to - 1);
}
