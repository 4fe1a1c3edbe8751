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
  /** The counts so far, as a plain object; then starts counting from zero. */
  take(): Record<RequestKind, number>;
  close(): Promise<void>;
}

/** Starts the fake GitHub on a loopback port, answering every request after `latencyMs`, as a GitHub Enterprise Server at a fixed distance. */
export async function startFakeGitHub(world: BenchWorld, options: { latencyMs: number }): Promise<RunningFakeGitHub> {
  const zero = () => Object.fromEntries(REQUEST_KINDS.map((kind) => [kind, 0])) as Record<RequestKind, number>;
  const counts = zero();
  const unexpected: string[] = [];
  const server = serveFakeGitHub(world, {
    latencyMs: () => options.latencyMs,
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
