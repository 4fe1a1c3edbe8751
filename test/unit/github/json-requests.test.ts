import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import nock from "nock";
import { ProbotOctokit } from "probot";
import { GraphqlErrors, queryGraphql, sendJson } from "../../../src/github/json-requests.js";
import { GitHubWaitTimer, instrumentGitHubRequests } from "../../../src/observability/github-requests.js";
import { createMetrics } from "../../../src/observability/metrics.js";
import { rateLimitDelayMs } from "../../../src/services/retry-scheduler.js";

// The pull-request reads and check-run writes are sent as JSON text and read with Node's JSON, but
// otherwise go through Octokit as before: same endpoints (GitHub Enterprise Server's GraphQL path
// included), same errors, same instrumentation.

const API = "https://api.github.com";

function octokit(baseUrl?: string): ProbotOctokit {
  return new ProbotOctokit({ auth: { token: "test-token" }, throttle: { enabled: false }, retry: { enabled: false }, ...(baseUrl ? { baseUrl } : {}) });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("queryGraphql", () => {
  test("posts the query and variables as JSON to /graphql and gives the data back", async () => {
    let sent: unknown = null;
    nock(API)
      .matchHeader("content-type", /^application\/json/)
      .post("/graphql", (body: unknown) => ((sent = body), true))
      .reply(200, { data: { repository: { databaseId: 9_007_199_254_740, name: "api" } } });
    const data = await queryGraphql(octokit(), "query Q($owner: String!) { repository { databaseId name } }", { owner: "acme" });
    expect(nock.isDone()).toBe(true);
    expect(sent).toEqual({ query: "query Q($owner: String!) { repository { databaseId name } }", variables: { owner: "acme" } });
    expect(data).toEqual({ repository: { databaseId: 9_007_199_254_740, name: "api" } });
  });

  test("on GitHub Enterprise Server, posts to /api/graphql, as octokit.graphql does", async () => {
    nock("https://ghe.example").post("/api/graphql").reply(200, { data: { ok: true } });
    await expect(queryGraphql(octokit("https://ghe.example/api/v3"), "query { ok }", {})).resolves.toEqual({ ok: true });
    expect(nock.isDone()).toBe(true);
  });

  test("an answer with errors throws them, with the data that came with them", async () => {
    nock(API)
      .post("/graphql")
      .reply(200, { data: { repository: { name: "api" }, orgPolicyRepository: null }, errors: [{ type: "NOT_FOUND", path: ["orgPolicyRepository"], message: "Could not resolve" }] });
    const error = await queryGraphql(octokit(), "query { x }", {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GraphqlErrors);
    expect(error).toMatchObject({ name: "GraphqlResponseError", errors: [{ type: "NOT_FOUND", path: ["orgPolicyRepository"] }], data: { repository: { name: "api" } } });
    expect((error as Error).message).toContain("Could not resolve");
  });

  test("a GraphQL rate limit (RATE_LIMITED in a 200 answer) is retried when the limit resets", async () => {
    const now = new Date("2026-11-26T03:00:00Z");
    const reset = Math.floor(now.getTime() / 1000) + 120;
    nock(API)
      .post("/graphql")
      .reply(200, { errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded" }] }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) });
    const error = await queryGraphql(octokit(), "query { x }", {}).catch((caught: unknown) => caught);
    expect(rateLimitDelayMs(error, now)).toBe(120_000);
    // Without a reset header: a minute.
    expect(rateLimitDelayMs(new GraphqlErrors([{ type: "RATE_LIMITED" }], null, { status: 200, headers: {} }), now)).toBe(60_000);
    // Other GraphQL errors are not rate limits.
    expect(rateLimitDelayMs(new GraphqlErrors([{ type: "NOT_FOUND" }], null, { status: 200, headers: {} }), now)).toBeNull();
  });

  test("an HTTP error is Octokit's RequestError, with its status (a 403 rate limit is recognised)", async () => {
    nock(API).post("/graphql").reply(403, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "30" });
    const error = await queryGraphql(octokit(), "query { x }", {}).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 403 });
    expect(rateLimitDelayMs(error, new Date())).toBe(30_000);
  });

  test("reading the answer counts as waiting on GitHub, not as the caller's own time", async () => {
    const client = instrumentGitHubRequests(octokit(), createMetrics({ processMetrics: false }));
    const timer = new GitHubWaitTimer();
    nock(API).post("/graphql").delay(100).reply(200, { data: { big: "x".repeat(200_000) } });
    const data = await timer.run(() => queryGraphql(client, "query { big }", {}));
    expect((data as { big: string }).big).toHaveLength(200_000);
    expect(timer.githubMs).toBeGreaterThanOrEqual(95);
    expect(timer.networkMs).toBeGreaterThanOrEqual(95);
  });
});

describe("sendJson", () => {
  test("PATCHes a check run with its URL parameters expanded and the body as JSON", async () => {
    let sent: unknown = null;
    nock(API)
      .patch("/repos/acme/api/check-runs/77", (body: unknown) => ((sent = body), true))
      .reply(200, { id: 77, output: { summary: "echoed" } });
    const body = { name: "Countersign", status: "completed", output: { title: "T", summary: "S ".repeat(10_000) } };
    const answer = await sendJson(octokit(), { method: "PATCH", url: "/repos/{owner}/{repo}/check-runs/{check_run_id}" }, { owner: "acme", repo: "api", check_run_id: 77 }, body);
    expect(nock.isDone()).toBe(true);
    expect(sent).toEqual(body);
    expect(answer).toMatchObject({ status: 200, data: { id: 77 } });
  });

  test("a 404 is Octokit's RequestError with status 404 (a deleted check run is created again)", async () => {
    nock(API).patch("/repos/acme/api/check-runs/78").reply(404, { message: "Not Found" });
    await expect(sendJson(octokit(), { method: "PATCH", url: "/repos/{owner}/{repo}/check-runs/{check_run_id}" }, { owner: "acme", repo: "api", check_run_id: 78 }, {})).rejects.toMatchObject({ status: 404 });
  });
});
