import { afterEach, describe, expect, test } from "@jest/globals";
import { createWorld, startFakeGitHub, type RunningFakeGitHub } from "../../fakes/bench-github.js";

// The benchmark's fake GitHub holds as-deployed runs to GitHub's secondary rate limits, so that a run
// reporting "no secondary-limit response" means the app kept within them: each limit must answer 403
// once it is exceeded, per installation, and never before.

let github: RunningFakeGitHub | null = null;
afterEach(async () => {
  await github?.close();
  github = null;
});

async function fake(latencyMs: number) {
  const world = createWorld({ appId: 1, orgPolicy: "approvals:\n  required: 1\n", agentApp: { id: 2, name: "Agent", permissions: {}, events: [] } });
  github = await startFakeGitHub(world, { latencyMs, secondaryLimits: true });
  const base = `http://127.0.0.1:${github.port}/api/v3`;
  return (method: string, path: string, token = "ghs_one") => fetch(`${base}${path}`, { method, headers: { authorization: `token ${token}`, "content-type": "application/json" }, body: method === "GET" ? undefined : JSON.stringify({ head_sha: "a".repeat(40), conclusion: "success", output: { title: "t", summary: "s" } }) });
}

describe("the bench's fake GitHub and the secondary rate limits", () => {
  test("more than 100 requests at once from one installation: the 101st is refused; another installation's are not", async () => {
    const send = await fake(300);
    const answers = await Promise.all([...Array.from({ length: 101 }, () => send("GET", "/repos/o/r/branches/main")), send("GET", "/repos/o/r/branches/main", "ghs_two")]);
    const refused = answers.filter((answer) => answer.status === 403);
    expect(refused).toHaveLength(1);
    expect(answers.at(-1)!.status).toBe(200);
    expect(((await refused[0]!.json()) as { message: string }).message).toMatch(/secondary rate limit/);
    expect(refused[0]!.headers.get("retry-after")).toBe("60");
    expect(github!.secondaryLimited).toEqual(["GET /api/v3/repos/o/r/branches/main: concurrent requests"]);
    expect(github!.peakConcurrent).toBe(100);
  });

  test("80 check runs created in a minute are allowed, the 81st is not", async () => {
    const send = await fake(0);
    const statuses: number[] = [];
    for (let index = 0; index < 81; index += 1) statuses.push((await send("POST", "/repos/o/r/check-runs")).status);
    expect(statuses.slice(0, 80).every((status) => status === 201)).toBe(true);
    expect(statuses[80]).toBe(403);
    expect(github!.secondaryLimited).toEqual(["POST /api/v3/repos/o/r/check-runs: content-creating requests per minute"]);
  });

  test("REST points: 180 writes (5 points each) in a minute are allowed, the 181st is not, nor a GET after it", async () => {
    const send = await fake(0);
    const statuses: number[] = [];
    for (let index = 0; index < 182; index += 1) statuses.push((await send(index === 181 ? "GET" : "PATCH", "/repos/o/r/check-runs/1")).status);
    expect(statuses.slice(0, 180).every((status) => status !== 403)).toBe(true);
    expect(statuses.slice(180)).toEqual([403, 403]);
    expect(github!.secondaryLimited.map((entry) => entry.split(": ")[1])).toEqual(["REST points per minute", "REST points per minute"]);
  });

  test("off, nothing is refused (the runs' unmeasured set-up)", async () => {
    const send = await fake(0);
    github!.holdToSecondaryLimits(false);
    for (let index = 0; index < 100; index += 1) expect((await send("POST", "/repos/o/r/check-runs")).status).toBe(201);
    expect(github!.secondaryLimited).toEqual([]);
  });
});
