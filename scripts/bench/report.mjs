import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { REQUEST_KINDS } from "../../build/fakes/test/fakes/bench-github.js";

// The benchmark's report: a plain-text table on stdout, and the results section of
// docs/benchmarks.md (between the markers below; the rest of that page is written by hand).

const START = "<!-- bench:results:start (written by `npm run bench`; edit outside these markers) -->";
const END = "<!-- bench:results:end -->";

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

/** The targets, each with the figures it is judged on and whether they meet it. */
export function targets(report) {
  const out = [];
  for (const result of report.results.filter((entry) => entry.workload === "large")) {
    out.push({ target: `Own processing p95 ≤ 20 ms, large PR, ${DATABASE[result.database]}`, measured: `${fixed(result.sequential.own.p95)} ms one at a time; ${fixed(result.underLoad.own.p95)} ms with ${report.settings.concurrency} in flight`, met: result.sequential.own.p95 <= 20 });
  }
  for (const result of report.results) {
    const ratio = result.perSecond / report.bare[result.workload].perSecond;
    out.push({ target: `Throughput ≥ 50% of the bare app, ${workload[result.workload]}, ${DATABASE[result.database]} (throttling off)`, measured: `${fixed(100 * ratio)}%`, met: ratio >= 0.5 });
  }
  for (const result of report.results.filter((entry) => entry.burst)) {
    const ratio = result.burst.answeredPerSecond / report.bare[result.workload].perSecond;
    out.push({ target: `Throughput ≥ 50% of the bare app, deliveries answered in a burst of ${workload[result.workload]}, ${DATABASE[result.database]} (processed afterwards)`, measured: `${fixed(100 * ratio)}%`, met: ratio >= 0.5 });
  }
  for (const result of report.deployed) {
    const ratio = result.perSecond / report.bare[result.workload].perSecond;
    out.push({ target: `Throughput ≥ 50% of the bare app, ${workload[result.workload]}, as deployed (one installation)`, measured: `${fixed(100 * ratio, 2)}%`, met: ratio >= 0.5 });
  }
  return out;
}

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
  ]);
}

const RESULT_HEADER = ["Database", "Workload", "Deliveries/s", "× bare", "Own ms p50 / p95 / p99, one at a time", "Own ms p50 / p95 / p99, under load", "GitHub requests / evaluation", "CPU ms / delivery", "Peak RSS MB"];

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
    ...REQUEST_KINDS.filter((kind) => kind !== "unexpected").map((kind) => fixed(result.requests[kind] / result.underLoad.count, 2)),
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
    `Countersign (throttling off: the app's own capacity${report.settings.octokitRetry === "off" ? "; Octokit's retry plugin OFF too, a diagnostic" : ""}):`,
    table(RESULT_HEADER, resultsRows(report)),
    "",
    "Bare Probot app (verifies signatures, nothing else):",
    table(["Workload", "Deliveries/s", "CPU ms / delivery", "Peak RSS MB"], bareRows(report), 1),
    "",
  ];
  if (burstRows(report).length > 0) lines.push("A burst of new pull requests (throttling off), answered as fast as the app takes them in, then processed:", table(BURST_HEADER, burstRows(report)), "");
  if (report.deployed.length > 0) lines.push("Countersign as deployed (node lib/main.js, Octokit throttling on, one installation, SQLite):", table(DEPLOYED_HEADER, deployedRows(report), 1), "");
  if (report.busy) lines.push(`A busy installation, as deployed (one installation, a delivery every ${report.busy.intervalMs} ms, SQLite):`, table(BUSY_HEADER, busyRows(report), 0), "");
  lines.push("Where an evaluation's time goes (medians; the queue is Octokit's throttling and retry scheduling before sending):", table(BREAKDOWN_HEADER, breakdownRows(report), 1), "");
  lines.push("Targets:", ...targets(report).map((entry) => `  ${entry.met ? "MET   " : "MISSED"} ${entry.target}: ${entry.measured}`), "");
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
    START,
    "",
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
  parts.push(
    "**Where an evaluation's time goes** (medians, in ms): on the network with GitHub, in Octokit's queues before sending (throttling, retry scheduling), and the app's own time:",
    "",
    table(BREAKDOWN_HEADER, breakdownRows(report), 1),
    "",
    "**GitHub requests per evaluation**, by kind (throughput phase):",
    "",
    table(["Run", ...REQUEST_KINDS.filter((kind) => kind !== "unexpected")], requestRows(report), 1),
    "",
    "**Targets:**",
    "",
    table(["Target", "Measured", "Met"], targets(report).map((entry) => [entry.target, entry.measured, entry.met ? "yes" : "**no**"]), 3),
    "",
    END,
  );
  return parts.join("\n");
}

/** Replaces the results section of `file`, or creates the page around it. */
export function writeDocs(file, section) {
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8");
    const start = text.indexOf(START);
    const end = text.indexOf(END);
    if (start !== -1 && end > start) {
      writeFileSync(file, `${text.slice(0, start)}${section}${text.slice(end + END.length)}`);
      return;
    }
    writeFileSync(file, `${text.trimEnd()}\n\n## Results\n\n${section}\n`);
    return;
  }
  writeFileSync(file, `# Benchmarks\n\n\`npm run bench\` (see scripts/bench/run.mjs).\n\n## Results\n\n${section}\n`);
}
