import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import nock from "nock";
import { ProbotOctokit } from "probot";
import { writeCheckRun } from "../../../src/github/check-runs.js";
import { fileChangedBetween } from "../../../src/github/file-versions.js";
import { GitHubWaitTimer, instrumentGitHubRequests } from "../../../src/observability/github-requests.js";
import { createMetrics } from "../../../src/observability/metrics.js";
import { describeFailure } from "../../../src/services/fail-closed.js";
import { rateLimitDelayMs } from "../../../src/services/retry-scheduler.js";

// Countersign's GitHub reads and writes go through Octokit as it ships (`octokit.graphql`,
// `octokit.request`). What Countersign reads from Octokit's answers and errors is pinned here: the
// GraphQL endpoint on GitHub Enterprise Server, GraphqlResponseError's errors, data and headers (a
// rate limit's reset), RequestError's status, and the time an answer takes to arrive.

const API = "https://api.github.com";
const REPO = { owner: "acme", name: "api" };
const SHA = "a".repeat(40);

function octokit(baseUrl?: string): ProbotOctokit {
  return new ProbotOctokit({ auth: { token: "test-token" }, throttle: { enabled: false }, retry: { enabled: false }, ...(baseUrl ? { baseUrl } : {}) });
}

/** The error `octokit.graphql` throws for a 200 answer carrying `errors`. */
async function graphqlError(answer: Record<string, unknown>, headers: Record<string, string> = {}): Promise<unknown> {
  nock(API).post("/graphql").reply(200, answer, headers);
  return octokit().graphql("query { x }", {}).catch((caught: unknown) => caught);
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("GraphQL through octokit.graphql", () => {
  test("queries post the query and variables to /graphql", async () => {
    let sent: unknown = null;
    nock(API)
      .post("/graphql", (body: unknown) => ((sent = body), true))
      .reply(200, { data: { repository: { after: { file: { oid: "1" } }, before: { file: { oid: "1" } } } } });
    await expect(fileChangedBetween(octokit(), REPO, "countersign.yml", SHA, SHA)).resolves.toBe(false);
    expect(sent).toMatchObject({ query: expect.stringContaining("query CountersignFileVersions("), variables: { owner: "acme", name: "api", path: "countersign.yml", hasBefore: true } });
  });

  test("on GitHub Enterprise Server, queries go to /api/graphql", async () => {
    nock("https://ghe.example").post("/api/graphql").reply(200, { data: { repository: { after: { file: { oid: "1" } }, before: { file: { oid: "2" } } } } });
    await expect(fileChangedBetween(octokit("https://ghe.example/api/v3"), REPO, "countersign.yml", SHA, SHA)).resolves.toBe(true);
    expect(nock.isDone()).toBe(true);
  });

  test("an answer with errors throws them, with the data that came with them (a missing org .github repository)", async () => {
    const error = await graphqlError({
      data: { repository: { name: "api" }, orgPolicyRepository: null },
      errors: [{ type: "NOT_FOUND", path: ["orgPolicyRepository"], message: "Could not resolve" }],
    });
    expect(error).toMatchObject({ name: "GraphqlResponseError", errors: [{ type: "NOT_FOUND", path: ["orgPolicyRepository"] }], data: { repository: { name: "api" } } });
    expect((error as Error).message).toContain("Could not resolve");
    expect(describeFailure(error)).toBe("GitHub GraphQL query returned errors");
    expect(rateLimitDelayMs(error, new Date())).toBeNull();
  });

  test("a GraphQL rate limit (RATE_LIMITED in a 200 answer) is retried when the limit resets, else after a minute", async () => {
    const now = new Date("2026-11-26T03:00:00Z");
    const reset = Math.floor(now.getTime() / 1000) + 120;
    const limited = { errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded" }] };
    expect(rateLimitDelayMs(await graphqlError(limited, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) }), now)).toBe(120_000);
    expect(rateLimitDelayMs(await graphqlError(limited), now)).toBe(60_000);
  });

  test("an HTTP error is Octokit's RequestError, with its status (a 403 rate limit is recognised)", async () => {
    nock(API).post("/graphql").reply(403, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "30" });
    const error = await octokit()
      .graphql("query { x }", {})
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 403 });
    expect(rateLimitDelayMs(error, new Date())).toBe(30_000);
  });

  test("receiving a large answer counts as waiting on GitHub", async () => {
    const client = instrumentGitHubRequests(octokit(), createMetrics({ processMetrics: false }));
    const timer = new GitHubWaitTimer();
    nock(API).post("/graphql").delay(100).reply(200, { data: { big: "x".repeat(200_000) } });
    const data = await timer.run(() => client.graphql<{ big: string }>("query { big }", {}));
    expect(data.big).toHaveLength(200_000);
    expect(timer.githubMs).toBeGreaterThanOrEqual(95);
    expect(timer.networkMs).toBeGreaterThanOrEqual(95);
  });
});

describe("check-run writes through octokit.request", () => {
  const content = { headSha: SHA, conclusion: "success" as const, title: "T", summary: "S ".repeat(10_000) };

  test("an update PATCHes the check run with the output as its body", async () => {
    let sent: Record<string, unknown> | null = null;
    nock(API)
      .patch("/repos/acme/api/check-runs/77", (body: Record<string, unknown>) => ((sent = body), true))
      .reply(200, { id: 77, output: { summary: "echoed" } });
    await expect(writeCheckRun(octokit(), REPO, 77, content)).resolves.toBe(77);
    expect(sent).toMatchObject({ name: "Countersign", status: "completed", conclusion: "success", output: { title: "T", summary: content.summary } });
    expect(sent).not.toHaveProperty("owner");
    expect(sent).not.toHaveProperty("check_run_id");
  });

  test("an update of a check run that is gone (404) creates one on the head commit", async () => {
    let created: Record<string, unknown> | null = null;
    nock(API).patch("/repos/acme/api/check-runs/78").reply(404, { message: "Not Found" });
    nock(API)
      .post("/repos/acme/api/check-runs", (body: Record<string, unknown>) => ((created = body), true))
      .reply(201, { id: 79 });
    await expect(writeCheckRun(octokit(), REPO, 78, content)).resolves.toBe(79);
    expect(created).toMatchObject({ name: "Countersign", head_sha: SHA });
  });

  test("any other refusal is the caller's to handle", async () => {
    nock(API).patch("/repos/acme/api/check-runs/80").reply(403, { message: "Resource not accessible by integration" });
    await expect(writeCheckRun(octokit(), REPO, 80, content)).rejects.toMatchObject({ status: 403 });
  });
});
