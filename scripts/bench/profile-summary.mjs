// Summarises a V8 CPU profile of the app taken during the benchmark (BENCH_CPU_PROF=<dir> npm run
// bench): where the CPU went once deliveries started arriving (start-up and migrations are left out).
//
//   node scripts/bench/profile-summary.mjs <file.cpuprofile> [top]
//
// With the throughput phase's window that run.mjs writes beside the profile, only that phase.
// Prints self time by package (node_modules/<name>, the app's own lib/<dir>, Node's internals, GC)
// and inclusive time of the app's functions and of the busiest library functions.
import { existsSync, readFileSync } from "node:fs";

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node scripts/bench/profile-summary.mjs <file.cpuprofile> [top]");
  process.exit(2);
}
const top = Number(topArg ?? 40);
const profile = JSON.parse(readFileSync(file, "utf8"));

const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

/** Where a frame's code lives: a package, a directory of the app, Node itself, or V8's pseudo-frames. */
function owner(frame) {
  const url = frame.url ?? "";
  if (!url) return frame.functionName.startsWith("(") ? frame.functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const app = /\/lib\/([^/]+)\//.exec(url);
  if (app && !url.includes("node_modules")) return `countersign lib/${app[1]}`;
  if (url.startsWith("node:")) return "node internals";
  return url.replace(/^file:\/\/.*\//, "");
}

const label = (frame) => `${frame.functionName || "(anonymous)"} ${owner(frame)}:${(frame.url ?? "").replace(/^.*\/(lib|node_modules)\//, "$1/")}:${frame.lineNumber + 1}`;

// Each node's stack (frames from the root), memoised.
const stacks = new Map();
function stack(id) {
  if (stacks.has(id)) return stacks.get(id);
  const up = parent.has(id) ? stack(parent.get(id)) : [];
  const own = [...up, nodes.get(id).callFrame];
  stacks.set(id, own);
  return own;
}

// Sample times. run.mjs writes the throughput phase's window next to the profile: keep the samples
// in it; without one, keep those from the first sample inside a webhook handler on.
let time = profile.startTime;
const samples = profile.samples.map((id, index) => {
  time += profile.timeDeltas[index] ?? 0;
  return { id, time, delta: profile.timeDeltas[index + 1] ?? 0 };
});
const windowFile = file.replace(/\.cpuprofile$/, ".window.json");
const phase = existsSync(windowFile) ? JSON.parse(readFileSync(windowFile, "utf8")) : null;
const first = samples.find((sample) => stack(sample.id).some((frame) => /\/lib\/handlers\//.test(frame.url ?? "")));
const window = phase ? samples.filter((sample) => sample.time >= phase.start && sample.time <= phase.end) : first ? samples.filter((sample) => sample.time >= first.time) : samples;
const total = window.reduce((sum, sample) => sum + sample.delta, 0);

const selfByOwner = new Map();
const selfByFunction = new Map();
const inclusive = new Map();
for (const sample of window) {
  const frames = stack(sample.id);
  const leaf = frames.at(-1);
  selfByOwner.set(owner(leaf), (selfByOwner.get(owner(leaf)) ?? 0) + sample.delta);
  selfByFunction.set(label(leaf), (selfByFunction.get(label(leaf)) ?? 0) + sample.delta);
  for (const key of new Set(frames.map(label))) inclusive.set(key, (inclusive.get(key) ?? 0) + sample.delta);
}

const ms = (us) => (us / 1000).toFixed(0).padStart(7);
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const idle = (selfByOwner.get("(idle)") ?? 0) + (selfByOwner.get("(program)") ?? 0);
console.log(`${file}: ${(total / 1e6).toFixed(2)} s profiled ${phase ? "in the throughput phase" : "after the first delivery"}; (idle)+(program) ${pct(idle)}\n`);
console.log("Self time by where the code lives:");
for (const [key, value] of [...selfByOwner].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(value)} ms ${pct(value)}  ${key}`);
console.log("\nSelf time by function:");
for (const [key, value] of [...selfByFunction].filter(([key]) => !key.startsWith("(idle)") && !key.startsWith("(program)")).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(value)} ms ${pct(value)}  ${key}`);
console.log("\nInclusive time, the app's functions:");
for (const [key, value] of [...inclusive].filter(([key]) => key.includes("countersign lib/")).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(value)} ms ${pct(value)}  ${key}`);
console.log("\nInclusive time, library functions:");
for (const [key, value] of [...inclusive].filter(([key]) => !key.includes("countersign lib/") && !key.startsWith("(")).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(value)} ms ${pct(value)}  ${key}`);
