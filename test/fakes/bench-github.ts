import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FakePullRequest } from "./graphql-responses.js";
import { REQUEST_KINDS, serveFakeGitHub, type FakeGitHubWorld, type FakeRepositoryState, type RequestKind } from "./github-server.js";
import { installationToken, type FakeApp } from "./rest-responses.js";

// The fake GitHub of `npm run bench` (scripts/bench/run.mjs, which imports this file compiled by
// tsconfig.fakes.json): the shared model and server (github-server.ts) over many repositories, each in
// an installation of its own, answering after a fixed latency and counting every request by kind.
// The load generator changes the model as it sends deliveries (a push changes the head, a review is
// added, each `touch`ed), so each evaluation reads what GitHub would show at that moment.

export { REQUEST_KINDS } from "./github-server.js";
export { touch } from "./graphql-responses.js";

/** A repository of the benchmark, in an installation of its own. */
export interface BenchRepository extends FakeRepositoryState {
  installationId: number;
  /** The number the next pull request opened in it gets, less one (kept by the workloads). */
  nextNumber?: number;
}

/** The model: repositories by full name; one permission map and one set of check runs for all. */
export interface BenchWorld extends FakeGitHubWorld {
  repos: Map<string, BenchRepository>;
}

/** A model with no repositories yet: the organization policy `orgPolicy` for all, every agent app answered as `agentApp`. */
export function createWorld(options: { appId: number; orgPolicy: string; agentApp: FakeApp }): BenchWorld {
  const repos = new Map<string, BenchRepository>();
  return {
    appId: options.appId,
    requiredCheck: "ruleset",
    policies: { repository: null, organization: options.orgPolicy },
    permissions: new Map(),
    checkRuns: new Map(),
    checkRunWrites: [],
    comments: [],
    nextCheckRunId: 1,
    repos,
    token: (installationId) => installationToken(`ghs_bench_${installationId}`, new Date(Date.now() + 3_600_000).toISOString()),
    repository: (owner, name) => repos.get(`${owner}/${name}`),
    installation: () => ({ owner: "", repositories: [] }),
    app: () => options.agentApp,
  };
}

/** Adds a repository with no pull requests yet. */
export function addRepository(world: BenchWorld, repo: Omit<BenchRepository, "pulls">): BenchRepository {
  const added: BenchRepository = { ...repo, pulls: new Map<number, FakePullRequest>() };
  world.repos.set(repo.fullName, added);
  return added;
}

/** A running fake GitHub: its port, the requests counted by kind, the requests it could not answer. */
export interface RunningFakeGitHub {
  port: number;
  counts: Record<RequestKind, number>;
  unexpected: string[];
  /** Requests answered with a secondary rate limit (403), each with the limit it exceeded. */
  secondaryLimited: string[];
  /** The most requests one installation had in flight at once (counted while the limits hold). */
  peakConcurrent: number;
  /** Holds installations to the secondary limits from now on, or stops (a run's unmeasured set-up). */
  holdToSecondaryLimits(on: boolean): void;
  /** The counts so far, as a plain object; then starts counting from zero. */
  take(): Record<RequestKind, number>;
  close(): Promise<void>;
}

/**
 * GitHub's documented secondary rate limits, per installation (its token): at most 100 requests at
 * once; at most 900 points a minute on REST (a GET or HEAD 1 point, any other method 5) and 2,000 on
 * GraphQL (a query 1 point, a mutation 5); at most 80 content-creating requests a minute and 500 an
 * hour (counted here: check runs created and comments posted, a conservative reading). A request over
 * a limit is answered 403 with GitHub's message and a `retry-after`, as GitHub does.
 */
const SECONDARY = { concurrent: 100, restPointsPerMinute: 900, graphqlPointsPerMinute: 2000, contentPerMinute: 80, contentPerHour: 500 };

/** An installation's recent requests, as the secondary limits count them. */
interface LimitState {
  inFlight: number;
  rest: Array<{ at: number; points: number }>;
  graphql: Array<{ at: number; points: number }>;
  content: number[];
}

/** The limit `req` exceeds, recording it against its installation if it does not; null when within every limit. */
function secondaryLimit(states: Map<string, LimitState>, req: IncomingMessage, raw: string, now: number): { state: LimitState; exceeded: string | null } {
  const key = String(req.headers.authorization ?? "app");
  let state = states.get(key);
  if (!state) states.set(key, (state = { inFlight: 0, rest: [], graphql: [], content: [] }));
  const minuteAgo = now - 60_000;
  state.rest = state.rest.filter((entry) => entry.at > minuteAgo);
  state.graphql = state.graphql.filter((entry) => entry.at > minuteAgo);
  state.content = state.content.filter((at) => at > now - 3_600_000);
  const sum = (entries: Array<{ points: number }>) => entries.reduce((total, entry) => total + entry.points, 0);
  const method = req.method ?? "GET";
  const url = req.url ?? "";
  const graphql = url.startsWith("/api/graphql");
  const points = graphql ? (/^\s*mutation\b/.test(JSON.parse(raw || "{}").query ?? "") ? 5 : 1) : method === "GET" || method === "HEAD" ? 1 : 5;
  const creates = method === "POST" && (/\/check-runs$/.test(url) || /\/issues\/\d+\/comments$/.test(url));
  let exceeded: string | null = null;
  if (state.inFlight + 1 > SECONDARY.concurrent) exceeded = "concurrent requests";
  else if (graphql && sum(state.graphql) + points > SECONDARY.graphqlPointsPerMinute) exceeded = "GraphQL points per minute";
  else if (!graphql && sum(state.rest) + points > SECONDARY.restPointsPerMinute) exceeded = "REST points per minute";
  else if (creates && state.content.filter((at) => at > minuteAgo).length + 1 > SECONDARY.contentPerMinute) exceeded = "content-creating requests per minute";
  else if (creates && state.content.length + 1 > SECONDARY.contentPerHour) exceeded = "content-creating requests per hour";
  if (exceeded === null) {
    (graphql ? state.graphql : state.rest).push({ at: now, points });
    if (creates) state.content.push(now);
  }
  return { state, exceeded };
}

/** Starts the fake GitHub on a loopback port, answering every request after `latencyMs`, as a GitHub Enterprise Server at a fixed distance; with `secondaryLimits`, holding every installation to GitHub's secondary rate limits (see SECONDARY), as the runs with Probot's throttling on must stay within them. */
export async function startFakeGitHub(world: BenchWorld, options: { latencyMs: number; secondaryLimits?: boolean }): Promise<RunningFakeGitHub> {
  const zero = () => Object.fromEntries(REQUEST_KINDS.map((kind) => [kind, 0])) as Record<RequestKind, number>;
  const counts = zero();
  const unexpected: string[] = [];
  const secondaryLimited: string[] = [];
  const limits = new Map<string, LimitState>();
  let peakConcurrent = 0;
  let holding = options.secondaryLimits === true;
  const server = serveFakeGitHub(world, {
    latencyMs: () => options.latencyMs,
    routes: (req: IncomingMessage, raw: string, res: ServerResponse) => {
      if (!holding) return false;
      const { state, exceeded } = secondaryLimit(limits, req, raw, Date.now());
      if (exceeded !== null) {
        secondaryLimited.push(`${req.method} ${req.url}: ${exceeded}`);
        const text = JSON.stringify({ message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits" });
        setTimeout(() => {
          res.writeHead(403, { "content-type": "application/json; charset=utf-8", "retry-after": "60", "content-length": Buffer.byteLength(text) });
          res.end(text);
        }, options.latencyMs);
        return true;
      }
      state.inFlight += 1;
      peakConcurrent = Math.max(peakConcurrent, state.inFlight);
      res.on("close", () => (state.inFlight -= 1));
      return false;
    },
    onRequest: (request, answer) => {
      counts[answer.kind] += 1;
      if (answer.kind === "unexpected") unexpected.push(`${request.method} ${request.url}`);
    },
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    counts,
    unexpected,
    secondaryLimited,
    get peakConcurrent() {
      return peakConcurrent;
    },
    holdToSecondaryLimits(on) {
      holding = on;
    },
    take() {
      const snapshot = { ...counts };
      Object.assign(counts, zero());
      return snapshot;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
