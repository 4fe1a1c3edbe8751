import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { performance } from "node:perf_hooks";
import nock from "nock";
import { ProbotOctokit } from "probot";
import { GitHubWaitTimer, instrumentGitHubRequests } from "../../../src/observability/github-requests.js";
import { createMetrics, type Metrics } from "../../../src/observability/metrics.js";

const API = "https://api.github.com";

function octokit(): ProbotOctokit {
  return new ProbotOctokit({ auth: { token: "test-token" }, throttle: { enabled: false }, retry: { enabled: false } });
}

/** The sample lines (not HELP or TYPE) of one metric, in the text format `/metrics` serves. */
async function samples(metrics: Metrics, name: string): Promise<string[]> {
  return (await metrics.registry.getSingleMetricAsString(name)).split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("instrumentGitHubRequests", () => {
  test("counts a successful request and keeps the rate-limit budget GitHub reported", async () => {
    const metrics = createMetrics({ processMetrics: false });
    nock(API).get("/repos/acme/api").reply(200, { id: 1 }, { "x-ratelimit-remaining": "4321", "x-ratelimit-resource": "core" });
    const { data } = await instrumentGitHubRequests(octokit(), metrics).rest.repos.get({ owner: "acme", repo: "api" });
    expect(data).toEqual({ id: 1 });
    expect(nock.isDone()).toBe(true);
    expect(await samples(metrics, "countersign_github_requests_total")).toEqual(['countersign_github_requests_total{method="GET",status_class="2xx"} 1']);
    expect(await samples(metrics, "countersign_github_rate_limit_remaining")).toEqual(['countersign_github_rate_limit_remaining{resource="core"} 4321']);
  });

  test("counts a refused request and still hands the error to the caller", async () => {
    const metrics = createMetrics({ processMetrics: false });
    nock(API).patch("/repos/acme/api/check-runs/7").reply(403, { message: "Resource not accessible by integration" }, { "x-ratelimit-remaining": "12" });
    const request = instrumentGitHubRequests(octokit(), metrics).rest.checks.update({ owner: "acme", repo: "api", check_run_id: 7, status: "completed" });
    await expect(request).rejects.toMatchObject({ status: 403 });
    expect(await samples(metrics, "countersign_github_requests_total")).toEqual(['countersign_github_requests_total{method="PATCH",status_class="4xx"} 1']);
    expect(await samples(metrics, "countersign_github_rate_limit_remaining")).toEqual(['countersign_github_rate_limit_remaining{resource="core"} 12']);
  });

  test("counts a request that got no response as an error", async () => {
    const metrics = createMetrics({ processMetrics: false });
    nock(API).get("/repos/acme/api").replyWithError("socket hang up");
    await expect(instrumentGitHubRequests(octokit(), metrics).rest.repos.get({ owner: "acme", repo: "api" })).rejects.toThrow();
    expect(await samples(metrics, "countersign_github_requests_total")).toEqual(['countersign_github_requests_total{method="GET",status_class="error"} 1']);
  });

  test("counts GraphQL queries, which are POSTs to /graphql", async () => {
    const metrics = createMetrics({ processMetrics: false });
    nock(API).post("/graphql").reply(200, { data: { viewer: { login: "countersign" } } }, { "x-ratelimit-remaining": "4990", "x-ratelimit-resource": "graphql" });
    const result = await instrumentGitHubRequests(octokit(), metrics).graphql<{ viewer: { login: string } }>("query { viewer { login } }");
    expect(result.viewer.login).toBe("countersign");
    expect(await samples(metrics, "countersign_github_requests_total")).toEqual(['countersign_github_requests_total{method="POST",status_class="2xx"} 1']);
    expect(await samples(metrics, "countersign_github_rate_limit_remaining")).toEqual(['countersign_github_rate_limit_remaining{resource="graphql"} 4990']);
  });

  test("instrumenting the same Octokit twice counts each request once", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const client = octokit();
    expect(instrumentGitHubRequests(client, metrics)).toBe(client);
    instrumentGitHubRequests(client, metrics);
    nock(API).get("/repos/acme/api").reply(200, { id: 1 });
    await client.rest.repos.get({ owner: "acme", repo: "api" });
    expect(await samples(metrics, "countersign_github_requests_total")).toEqual(['countersign_github_requests_total{method="GET",status_class="2xx"} 1']);
    // No rate-limit header (GitHub Enterprise Server with rate limiting off): the gauge stays empty.
    expect(await samples(metrics, "countersign_github_rate_limit_remaining")).toEqual([]);
  });
});

describe("GitHubWaitTimer", () => {
  test("adds up the time at least one request was outstanding: overlapping requests count once", () => {
    const timer = new GitHubWaitTimer();
    // 0–10 ms one request; 20–50 ms two overlapping requests (20–40 and 30–50); 60–65 ms one more.
    timer.requestFinished(timer.requestStarted(0), 10);
    const first = timer.requestStarted(20);
    const second = timer.requestStarted(30);
    timer.requestFinished(first, 40);
    timer.requestFinished(second, 50);
    timer.requestFinished(timer.requestStarted(60), 65);
    expect(timer.githubMs).toBe(10 + 30 + 5);
  });

  test("a request waits until its answer was received, not until the caller got it; the exchange is part of it", () => {
    const timer = new GitHubWaitTimer();
    const wait = timer.requestStarted(0);
    // 0–4 ms in Octokit's queue, 4–12 ms on the network; parsing the answer took until 20.
    timer.exchangeReceived(wait, timer.exchangeStarted(wait, 4), 12);
    timer.requestFinished(wait, 20);
    expect(timer.githubMs).toBe(12);
    expect(timer.networkMs).toBe(8);
  });

  test("a retried request's exchanges are each on the network; the delay between them is not", () => {
    const timer = new GitHubWaitTimer();
    const wait = timer.requestStarted(0);
    timer.exchangeReceived(wait, timer.exchangeStarted(wait, 1), 6); // a 502
    timer.exchangeReceived(wait, timer.exchangeStarted(wait, 30), 40); // the retry, answered
    timer.requestFinished(wait, 41);
    expect(timer.githubMs).toBe(40);
    expect(timer.networkMs).toBe(5 + 10);
  });

  test("times the requests an instrumented Octokit makes inside run(), and only those", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const client = instrumentGitHubRequests(octokit(), metrics);
    const timer = new GitHubWaitTimer();
    nock(API).get("/repos/acme/api").delay(120).reply(200, { id: 1 });
    nock(API).get("/repos/acme/web").delay(120).reply(200, { id: 2 });
    nock(API).get("/repos/acme/cli").delay(120).reply(200, { id: 3 });
    nock(API).get("/repos/acme/docs").delay(150).reply(200, { id: 4 });

    await timer.run(async () => {
      // Two requests in parallel, then one alone: about 120 + 120 ms of waiting, not 360.
      await Promise.all([client.rest.repos.get({ owner: "acme", repo: "api" }), client.rest.repos.get({ owner: "acme", repo: "web" })]);
      await client.rest.repos.get({ owner: "acme", repo: "cli" });
    });
    // Outside run(): not this work's request.
    await client.rest.repos.get({ owner: "acme", repo: "docs" });

    expect(nock.isDone()).toBe(true);
    expect(timer.githubMs).toBeGreaterThanOrEqual(235);
    expect(timer.githubMs).toBeLessThan(340);
    expect(timer.networkMs).toBeGreaterThanOrEqual(235);
    expect(timer.networkMs).toBeLessThanOrEqual(timer.githubMs);
  });

  test("what Octokit does with an answer after receiving it is the caller's own time", async () => {
    const client = octokit();
    // An inner hook (added before the instrumentation) that takes 80 ms with the response in hand,
    // as parsing a large answer does.
    client.hook.after("request", () => {
      const until = performance.now() + 80;
      while (performance.now() < until) {
        // busy, on purpose
      }
    });
    instrumentGitHubRequests(client, createMetrics({ processMetrics: false }));
    const timer = new GitHubWaitTimer();
    nock(API).get("/repos/acme/api").delay(50).reply(200, { id: 1 });
    const started = performance.now();
    await timer.run(() => client.rest.repos.get({ owner: "acme", repo: "api" }));
    const elapsed = performance.now() - started;

    expect(nock.isDone()).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(125);
    expect(timer.githubMs).toBeGreaterThanOrEqual(45);
    expect(timer.githubMs).toBeLessThan(elapsed - 70);
  });

  test("a request that fails still ends its wait, and the caller sees the failure", async () => {
    const timer = new GitHubWaitTimer();
    const client = instrumentGitHubRequests(octokit(), createMetrics({ processMetrics: false }));
    nock(API).get("/repos/acme/api").delay(50).reply(404, { message: "Not Found" });
    await expect(timer.run(() => client.rest.repos.get({ owner: "acme", repo: "api" }))).rejects.toMatchObject({ status: 404 });
    const waited = timer.githubMs;
    expect(waited).toBeGreaterThanOrEqual(45);
    // Nothing is outstanding any more: the total no longer grows.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(timer.githubMs).toBe(waited);
  });
});
