import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { allFinished, evaluatedWithin, processedAt, requestsUsed, requestTotal, withCountersign } from "./harness.mjs";
import { sendDelivery } from "./load.mjs";
import { percentile } from "./report.mjs";
import { largePullRequestScript, remarkStep, smallPullRequestScript } from "./workloads.mjs";

// What a reviewer waits for: from GitHub sending a delivery to Countersign's check run showing its
// decision, as deployed (`node lib/main.js`, Probot's throttling on, GitHub answering after a fixed
// latency and holding the installation to its secondary limits), and what each delivery cost in
// GitHub requests, by what it changed.
//
// Deliveries go one at a time, in one installation: each is sent `gapMs` after the previous one was
// finished (its last request answered). With a gap of a second or more, each delivery's figure is its own: Probot's throttling
// lets an installation's GraphQL queries and writes start a second apart, so a delivery sent sooner
// than that after the previous one's check-run write first waits out the rest of that second (the
// back-to-back figure, gap 0, shows it; the busy installation measures deliveries arriving faster
// than the throttle lets through).

/** A delivery's class, by what its evaluation did: the figures the request targets are judged on. */
function classify(index, event, requests) {
  if (index === 0) return "cold";
  if (event === "issue_comment") return "command";
  if (requests["check-run-create"] > 0) return "new head";
  // A person's first review reads their permission (cached afterwards): not the steady state.
  if (requests.permission > 0 || requests.app > 0) return "first read";
  if (requests["check-run-update"] > 0) return "steady";
  return "unchanged";
}

/**
 * `pullRequests` pull requests of `workloadName` ("small": their whole life, and a remark; "large": opened,
 * delegated, then `steps` reviews and pushes), every delivery timed from sending to its check run.
 */
export async function runDeliveryLatency(workloadName, { latencyMs, gapMs, pullRequests, steps }) {
  return withCountersign({ kind: "sqlite", repositories: 1, script: "lib/main.js", latencyMs, concurrency: 1 }, async ({ repos, github, app, appUrl, target }) => {
    const repo = repos[0];
    let number = 0;
    // A small pull request's life ends with a remark by a reviewer it already knows: nothing changes.
    const script = () => (workloadName === "small" ? [...smallPullRequestScript(repo, ++number), remarkStep(repo, number)] : largePullRequestScript(repo, ++number, { timedSteps: steps }));
    let finished = 0;
    const deliveries = [];
    let previousAt = null;
    const sendOne = async (step) => {
      if (previousAt !== null) await sleep(Math.max(0, previousAt + gapMs - performance.now()));
      github.take();
      const delivery = step();
      const sentAt = performance.now();
      const answer = await sendDelivery(target, delivery);
      if (answer.status < 200 || answer.status > 299) throw new Error(`delivery refused: ${answer.status}`);
      await evaluatedWithin(app, answer.id, 120_000);
      const ms = processedAt(app, answer.id) - sentAt;
      // Every request of the delivery (a command's reply comes after its check run) is made by the
      // time its handler has returned; the next delivery's gap counts from then.
      await allFinished(appUrl, ++finished);
      previousAt = performance.now();
      return { event: delivery.event, ms, requests: github.take() };
    };
    // Warm-up (not measured): one small pull request opened (JIT, the installation token, the setup doctor's cache).
    await sendOne(smallPullRequestScript(repo, ++number)[0]);
    for (let pull = 0; pull < pullRequests; pull += 1) {
      for (const [index, step] of script().entries()) {
        const { event, ms, requests } = await sendOne(step);
        const total = requestTotal(requests);
        deliveries.push({ event, ms, requests: total, kind: classify(index, event, requests), byKind: requestsUsed(requests) });
      }
    }
    const times = deliveries.map((delivery) => delivery.ms);
    const byClass = {};
    for (const delivery of deliveries) {
      const entry = (byClass[delivery.kind] ??= { count: 0, max: 0, min: Infinity, example: null });
      entry.count += 1;
      entry.min = Math.min(entry.min, delivery.requests);
      if (delivery.requests >= entry.max) {
        entry.max = delivery.requests;
        entry.example = delivery.byKind;
      }
    }
    return {
      workload: workloadName,
      gapMs,
      latencyMs,
      deliveries: deliveries.length,
      ms: { p50: percentile(times, 50), p95: percentile(times, 95), max: Math.max(...times) },
      requestsPerDelivery: deliveries.reduce((sum, delivery) => sum + delivery.requests, 0) / deliveries.length,
      byClass,
      each: deliveries.map((delivery) => ({ event: delivery.event, kind: delivery.kind, ms: Math.round(delivery.ms), requests: delivery.requests })),
      secondaryLimited: [...github.secondaryLimited],
      unexpectedRequests: [...github.unexpected],
      failed: 0,
      evaluationErrors: 0,
      refused: 0,
      problems: app.problems.slice(0, 5),
    };
  });
}
