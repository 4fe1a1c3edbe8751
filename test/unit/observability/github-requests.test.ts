import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import nock from "nock";
import { ProbotOctokit } from "probot";
import { instrumentGitHubRequests } from "../../../src/observability/github-requests.js";
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
