import { describe, expect, test } from "@jest/globals";
import { ProbotOctokit } from "probot";
import { bottleneckYieldPatched, patchBottleneckYield } from "../../../src/github/octokit-scheduling.js";

// Octokit's retry and throttling plugins must behave exactly as before the patch of their scheduler's
// step wait (src/github/octokit-scheduling.ts): a server error is retried, and writes stay a second
// apart per installation. The speed-up itself is measured by `npm run bench`.

type Answer = { status: number; body: unknown };

function fakeFetch(answers: Answer[], calls: Array<{ method: string; at: number }>) {
  return async (_url: string, init: { method?: string }) => {
    calls.push({ method: init.method ?? "GET", at: performance.now() });
    const answer = answers.shift() ?? { status: 200, body: {} };
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { "content-type": "application/json" } });
  };
}

describe("Octokit's scheduler, patched", () => {
  test("the patch reaches the copies of Bottleneck that the retry and throttling plugins load, once", () => {
    patchBottleneckYield();
    patchBottleneckYield();
    expect(bottleneckYieldPatched()).toBe(true);
  });

  test("the retry plugin still retries a server error", async () => {
    patchBottleneckYield();
    const calls: Array<{ method: string; at: number }> = [];
    const octokit = new ProbotOctokit({
      auth: { token: "t" },
      retry: { retryAfterBaseValue: 1 },
      request: { fetch: fakeFetch([{ status: 502, body: { message: "Bad Gateway" } }, { status: 200, body: { ok: true } }], calls) },
    });
    const response = await octokit.request("GET /repos/{owner}/{repo}", { owner: "o", repo: "r" });
    expect(response.data).toEqual({ ok: true });
    expect(calls).toHaveLength(2);
  });

  test("the throttling plugin still spaces an installation's writes a second apart", async () => {
    patchBottleneckYield();
    const calls: Array<{ method: string; at: number }> = [];
    const octokit = new ProbotOctokit({ auth: { token: "t" }, request: { fetch: fakeFetch([], calls) } });
    await Promise.all([octokit.request("POST /repos/o/r/check-runs", { name: "a", head_sha: "x" }), octokit.request("POST /repos/o/r/check-runs", { name: "b", head_sha: "x" })]);
    expect(calls.map((call) => call.method)).toEqual(["POST", "POST"]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(900);
  });
});
