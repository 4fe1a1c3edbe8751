// How long a hostile policy file holds up the event loop (docs/benchmarks.md, finding 7).
//
//   node scripts/build.mjs && npx tsc -p tsconfig.fakes.json && node scripts/bench/policy-files.mjs   # about 10 s
//   BENCH_POLICY_OLD=1 node scripts/bench/policy-files.mjs                 # also the old way: +35 s
//
// Uses the built app (lib/) and the tests' event-loop watch (test/helpers/loop-watch.ts, compiled into
// build/fakes/). For each file: how long until the app has its answer, and the longest
// time the event loop went without turning meanwhile (sampled every millisecond, the last stretch up
// to the answer included), over several rounds; the first round includes starting the worker thread.
import { parse } from "yaml";
import { parsePolicyText, POLICY_FILE_LIMITS } from "../../lib/config/policy-yaml.js";
import { compilePolicyLayers, policyFromBlobs } from "../../lib/config/repo-policy-loader.js";
import { withLoopWatch } from "../../build/fakes/test/helpers/loop-watch.js";

const ROUNDS = 5;
const manyKeys = (count) => Array.from({ length: count }, (_, index) => `k${index}: ${index}`).join("\n");

/** The most globs the limits allow, new ones each round (a stream of variants defeats every cache). */
function globs(round) {
  let text = "tiers:\n";
  for (let tier = 0; tier < 14; tier += 1) {
    text += `  - name: t${tier}\n    when:\n      paths: [${Array.from({ length: 195 }, (_, path) => `r${round}/${tier}/${path}/**`).join(",")}]\n    require: {approvals: 2}\n`;
  }
  return text;
}

/** `work`'s result, how long it took, and the longest the event loop went without turning meanwhile. */
async function watched(work) {
  const started = performance.now();
  const { result, longestStallMs } = await withLoopWatch(work);
  return { result, ms: performance.now() - started, stall: longestStallMs };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const show = (label, runs) =>
  console.log(`${label.padEnd(64)} answer ${median(runs.map((run) => run.ms)).toFixed(1).padStart(7)} ms (max ${Math.max(...runs.map((run) => run.ms)).toFixed(1)}), longest stall ${median(runs.map((run) => run.stall)).toFixed(1).padStart(6)} ms (max ${Math.max(...runs.map((run) => run.stall)).toFixed(1)})`);

const huge = manyKeys(60_000).padEnd(1024 * 1024, "#");
const atLimit = manyKeys(POLICY_FILE_LIMITS.values - 1);
const longScalar = `mode: enforce\n# ${"x".repeat(POLICY_FILE_LIMITS.bytes - 20)}\n`;

console.log(`limits: ${POLICY_FILE_LIMITS.bytes} bytes, ${POLICY_FILE_LIMITS.values} values, depth ${POLICY_FILE_LIMITS.depth}, ${POLICY_FILE_LIMITS.aliases} aliases\n`);
const rows = [
  ["1 MB, 60,000 keys: refused by size", (round) => () => policyFromBlobs({ owner: "bench", name: "huge" }, "main", { complete: true, repository: { oid: `huge-${round}`, text: huge }, organization: null })],
  [`${atLimit.length} bytes, ${POLICY_FILE_LIMITS.values - 1} keys in one mapping: parsed in the worker`, (round) => () => parsePolicyText(`${atLimit}\n# ${round}`)],
  [`${longScalar.length} bytes, one long comment: parsed in the worker`, (round) => () => parsePolicyText(`${longScalar.slice(0, -3)}${round}\n`)],
  ["~2,700 new globs (33 KB): parsed, then validated and compiled", (round) => () => policyFromBlobs({ owner: "bench", name: "globs" }, "main", { complete: true, repository: { oid: `globs-${round}`, text: globs(round) }, organization: null })],
];
for (const [label, make] of rows) {
  const runs = [];
  for (let round = 0; round < ROUNDS; round += 1) runs.push(await watched(make(round)));
  show(label, runs);
}

// For comparison: validating and compiling the same kind of file in one go, without the loader's
// preparing its globs a batch at a time first (what the app did before).
const compileRuns = [];
for (let round = 0; round < ROUNDS; round += 1) {
  const parsed = await parsePolicyText(globs(100 + round));
  compileRuns.push(await watched(async () => compilePolicyLayers({ organization: [], repository: [{ source: "bench", content: parsed.content }] }, "bench")));
}
show("  the same compiled in one go, globs not prepared ahead", compileRuns);

if (process.env.BENCH_POLICY_OLD === "1") {
  console.log("\nthe old way: the yaml package's parse on the event loop, default options");
  for (const [label, text] of [["1 MB, 60,000 keys", huge], [`${POLICY_FILE_LIMITS.values - 1} keys`, atLimit]]) {
    const started = performance.now();
    parse(text);
    console.log(`${label.padEnd(64)} ${(performance.now() - started).toFixed(0)} ms with the loop stopped`);
  }
}
