import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { scratchDatabase } from "./databases.mjs";
import { addRepository, createWorld, startFakeGitHub, touch } from "../../build/fakes/test/fakes/bench-github.js";
import { allFinished, APP_ID, evaluatedWithin, PRIVATE_KEY, requestsUsed, requestTotal, SECRET } from "./harness.mjs";
import { drive, keepAliveAgent, sendDelivery } from "./load.mjs";
import { freePort, peakRssMb, probotEnv, startProcess, stopProcess } from "./processes.mjs";
import { AGENT_APP, approvedPullRequestScript, grantPermissions, ORG_POLICY, organizationRepository, policyPushDelivery } from "./workloads.mjs";

// A policy change in the organization's `.github` repository, as deployed: the organization policy is
// the fallback of every repository, so its change re-judges every open pull request of the
// installation at once (src/services/reevaluate-after-policy-change.ts), not at each one's next event.
//
// One organization, one installation, `repositories` repositories with `pullRequests` open agent pull
// requests between them, each delegated and approved once, so countersigned under a policy asking
// for one approval. The pull requests are brought there by the app with Octokit's throttling off (a
// fast way to the starting state, not measured); then `node lib/main.js` itself, on the same database
// and fake GitHub, receives the push that raises the approvals required to two. Measured: from that
// delivery to the last pull request's check run, the requests it took, whether the fake GitHub (which
// holds the installation to GitHub's secondary rate limits) ever refused one, and where every check
// run ended (blocked: one approval is no longer enough).

const ORG = "bench-org";
const INSTALLATION_ID = 9001;
/** The organization policy after the change: everything as before, but two approvals. */
export const TIGHTENED_POLICY = ORG_POLICY.replace("approvals:\n  required: 1\n", "approvals:\n  required: 2\n");
if (TIGHTENED_POLICY === ORG_POLICY) throw new Error("the tightened policy must differ from ORG_POLICY");
/** An installation's primary rate limit: requests an hour (the smallest GitHub grants). */
const PRIMARY_PER_HOUR = 5000;

/** The organization: its `.github` repository and `repositories` others, all in one installation. */
function organizationWorld(repositories) {
  const world = createWorld({ appId: APP_ID, orgPolicy: ORG_POLICY, agentApp: AGENT_APP });
  grantPermissions(world);
  const policyRepo = addRepository(world, organizationRepository(ORG, 0, INSTALLATION_ID));
  const repos = Array.from({ length: repositories }, (_, index) => addRepository(world, organizationRepository(ORG, index + 1, INSTALLATION_ID)));
  world.installation = () => ({ owner: ORG, repositories: [policyRepo, ...repos].map((repo) => ({ id: repo.id, name: repo.name })) });
  return { world, policyRepo, repos };
}

/** Runs the policy change; `latencyMs` is the fake GitHub's latency per request. */
export async function runPolicyChange({ repositories, pullRequests, latencyMs, log }) {
  const { world, policyRepo, repos } = organizationWorld(repositories);
  const github = await startFakeGitHub(world, { latencyMs });
  const database = await scratchDatabase("sqlite");
  const port = await freePort();
  const env = probotEnv({ appId: APP_ID, privateKey: PRIVATE_KEY, secret: SECRET, ghesPort: github.port, port, databaseUrl: database.url });
  const appUrl = `http://127.0.0.1:${port}`;
  const agent = keepAliveAgent(8);
  const target = { url: appUrl, secret: SECRET, agent };
  let app = null;
  try {
    // The starting state: every pull request opened, delegated and approved, throttling off.
    const lanes = Array.from({ length: pullRequests }, (_, index) => {
      const repo = repos[index % repos.length];
      repo.nextNumber = (repo.nextNumber ?? 0) + 1;
      return approvedPullRequestScript(repo, repo.nextNumber);
    });
    app = await startProcess("scripts/bench/countersign-throttle-off.mjs", env);
    const seeded = await drive(target, lanes, { concurrency: 8, untilDone: (id) => evaluatedWithin(app, id, 120_000) });
    await allFinished(appUrl, seeded.ids.length);
    await stopProcess(app);
    app = null;
    const pulls = repos.flatMap((repo) => [...repo.pulls.values()].map((pr) => ({ repo, pr })));
    const countersigned = pulls.filter(({ pr }) => latestRun(world, pr)?.conclusion === "success").length;
    log(`policy change: ${pulls.length} pull requests in ${repos.length} repositories set up (${countersigned} countersigned); now as deployed…`);

    // The change: the organization policy asks for two approvals from now on.
    world.policies.organization = TIGHTENED_POLICY;
    for (const { pr } of pulls) touch(pr);
    const writesBefore = world.checkRunWrites.length;
    app = await startProcess("lib/main.js", env);
    github.take();
    github.holdToSecondaryLimits(true);
    const before = createHash("sha1").update("policy-before").digest("hex");
    const after = createHash("sha1").update("policy-after").digest("hex");
    const evaluationsBefore = app.evaluationCount;
    const sentAt = performance.now();
    const answer = await sendDelivery(target, policyPushDelivery(policyRepo, { before, after }));
    // The push's handler returns once every re-evaluation it started is done.
    const outcomes = await allFinished(appUrl, 1, { ms: 3_600_000 });
    const finishedAt = performance.now();
    await sleep(100);
    const requests = github.take();
    const total = requestTotal(requests);
    const seconds = (finishedAt - sentAt) / 1000;
    const blocked = pulls.filter(({ pr }) => latestRun(world, pr)?.conclusion !== "success").length;
    return {
      repositories: repos.length,
      pullRequests: pulls.length,
      countersignedBefore: countersigned,
      blockedAfter: blocked,
      evaluations: app.evaluationCount - evaluationsBefore,
      checkRunWrites: world.checkRunWrites.length - writesBefore,
      seconds,
      requests: total,
      requestsByKind: requestsUsed(requests),
      requestsPerPullRequest: total / pulls.length,
      // At this pace for an hour, against the installation's primary limit.
      requestsPerHour: (total / seconds) * 3600,
      primaryPerHour: PRIMARY_PER_HOUR,
      secondaryLimited: [...github.secondaryLimited],
      peakConcurrent: github.peakConcurrent,
      refused: answer.status < 200 || answer.status > 299 ? 1 : 0,
      failed: outcomes.failed,
      evaluationErrors: outcomes.evaluationErrors,
      unexpectedRequests: [...github.unexpected],
      peakRssMb: peakRssMb(app.pid),
      problems: app.problems.slice(0, 5),
    };
  } finally {
    if (app) await stopProcess(app);
    agent.destroy();
    await github.close();
    await database.dispose();
  }
}

/** The newest check run written on the pull request's head. */
function latestRun(world, pr) {
  return [...world.checkRuns.values()].filter((run) => run.head_sha === pr.headSha).at(-1);
}
