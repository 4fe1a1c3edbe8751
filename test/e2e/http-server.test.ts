import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { deliverWebhook, launchEnterpriseApp, root, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// Countersign as users run it: the built app (`npm start` runs `node lib/main.js`) in its own process,
// configured only through Probot's standard environment, pointed at a GitHub Enterprise Server
// (GHE_HOST/GHE_PROTOCOL) that is faked on loopback, and receiving signed webhooks over HTTP.

const SECRET = "e2e-webhook-secret";
const HEAD = "9a".repeat(20);

describe("npm start, as deployed against GitHub Enterprise Server", () => {
  const state = fakeGhesState();
  let running: EnterpriseApp | undefined;
  let appUrl = "";

  beforeAll(async () => {
    state.pulls.set(3, { number: 3, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Agent change", author: claude }], reviews: [], files: ["a.ts"] });
    running = await launchEnterpriseApp(state, { webhookSecret: SECRET });
    appUrl = running.url;
  }, 30_000);

  afterAll(() => running?.stop());

  test("applies its migrations at start-up", async () => {
    const database = running!.database;
    const migrations = (await database.rows("SELECT migration_name, finished_at FROM _prisma_migrations")) as Array<{ migration_name: string; finished_at: unknown }>;
    const onDisk = readdirSync(path.join(root, "prisma/migrations", database.provider), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
    expect(migrations.map((migration) => migration.migration_name).sort()).toEqual(onDisk);
    expect(migrations.every((migration) => migration.finished_at !== null)).toBe(true);
    expect(running!.output.join("")).toContain("countersign: ready");
  });

  test("a webhook with a bad signature is rejected and does nothing", async () => {
    const response = await deliverWebhook(appUrl, "wrong-secret", "pull_request", "e2e-bad", pullRequestEvent("opened", state.pulls.get(3)!));
    expect(response.status).toBe(400);
    expect(state.requests).toEqual([]);
  });

  test("a signed pull_request webhook produces the blocking check run on the Enterprise server", async () => {
    const response = await deliverWebhook(appUrl, SECRET, "pull_request", "e2e-delivery-1", pullRequestEvent("opened", state.pulls.get(3)!));
    expect(response.status).toBe(200);

    // The webhook is answered before the work finishes: wait for the check run to be written.
    await waitFor(() => state.requests.some((request) => request.url.endsWith("/check-runs")));

    expect(state.requests.map((request) => `${request.method} ${request.url.replace(/\?.*$/, "")}`)).toEqual([
      "POST /api/v3/app/installations/1001/access_tokens",
      "POST /api/graphql", // the pull request and its policy files, in one request
      "GET /api/v3/repos/Codertocat/Hello-World/activity", // opened: who pushed its branch before Countersign saw it
      "GET /api/v3/repos/Codertocat/Hello-World/rules/branches/main",
      "GET /api/v3/repos/Codertocat/Hello-World/branches/main",
      "POST /api/v3/repos/Codertocat/Hello-World/check-runs",
    ]);
    const checkRun = state.requests.at(-1)?.body;
    expect(checkRun).toMatchObject({ name: "Countersign", head_sha: HEAD, status: "completed", conclusion: "action_required", output: { title: "Needs a delegation" } });
    expect(checkRun.output.summary).toContain("delivery `e2e-delivery-1`");
    expect(checkRun.output.summary).not.toContain("Merge is not blocked by this check");
  });

  test("a redelivery of the same delivery id changes nothing", async () => {
    const before = state.requests.length;
    const response = await deliverWebhook(appUrl, SECRET, "pull_request", "e2e-delivery-1", pullRequestEvent("opened", state.pulls.get(3)!));
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(state.requests.length).toBe(before);
  });
});

describe("npm start, with more deliveries at once than it holds in memory", () => {
  const state = fakeGhesState();
  let running: EnterpriseApp | undefined;

  beforeAll(async () => {
    // GitHub answers slowly, so the first delivery is still being processed when the others arrive.
    state.latencyMs = () => 150;
    for (const number of [21, 22, 23, 24]) {
      const head = `${number}`.repeat(20);
      state.pulls.set(number, { number, author: claude, headSha: head, commits: [{ sha: head, message: "Agent change", author: claude }], reviews: [], files: ["a.ts"] });
    }
    running = await launchEnterpriseApp(state, { webhookSecret: SECRET, extra: () => ({ COUNTERSIGN_MAX_DELIVERIES_IN_MEMORY: "1" }) });
  }, 30_000);

  afterAll(() => running?.stop());

  test("answers every delivery at once, stores the rest, and processes each exactly once as room appears", async () => {
    const numbers = [21, 22, 23, 24];
    const answers = await Promise.all(numbers.map((number) => deliverWebhook(running!.url, SECRET, "pull_request", `e2e-burst-${number}`, pullRequestEvent("opened", state.pulls.get(number)!))));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    const queued = (await running!.database.rows(`SELECT id FROM "Delivery" WHERE status = 'queued'`)) as unknown[];
    expect(queued.length).toBeGreaterThan(0);

    // Taken up from the database within a second of there being room, one at a time.
    await waitFor(() => numbers.every((number) => [...state.checkRuns.values()].some((run) => run.head_sha === `${number}`.repeat(20))), 20_000);
    const deliveries = async () => ((await running!.database.rows(`SELECT id, status, attempts FROM "Delivery" ORDER BY id`)) as Array<{ id: string; status: string; attempts: number | bigint }>).map((row) => [row.id, row.status, Number(row.attempts)]);
    const expected = numbers.map((number) => [`e2e-burst-${number}`, "done", 1]);
    for (let tries = 0; tries < 100 && JSON.stringify(await deliveries()) !== JSON.stringify(expected); tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await deliveries()).toEqual(expected);
    expect(state.checkRuns.size).toBe(4);
    expect(running!.output.join("")).toContain("countersign: delivery stored, to be processed when there is room");
  }, 30_000);
});

describe("npm start, with deliveries for one pull request arriving while it is evaluated", () => {
  const state = fakeGhesState();
  let running: EnterpriseApp | undefined;
  const FIRST = "3a".repeat(20);
  const PUSHED = "3b".repeat(20);

  beforeAll(async () => {
    // GitHub answers slowly, so the first evaluation is still running when the others arrive.
    state.latencyMs = () => 200;
    state.pulls.set(31, { number: 31, author: claude, headSha: FIRST, commits: [{ sha: FIRST, message: "Agent change", author: claude }], reviews: [], files: ["a.ts"] });
    running = await launchEnterpriseApp(state, { webhookSecret: SECRET });
  }, 30_000);

  afterAll(() => running?.stop());

  test("those that arrive while an evaluation waits join it: one read after the last of them, each delivery processed once", async () => {
    const pr = state.pulls.get(31)!;
    expect((await deliverWebhook(running!.url, SECRET, "pull_request", "e2e-join-1", pullRequestEvent("opened", pr))).status).toBe(200);
    await waitFor(() => state.requests.some((request) => request.url === "/api/graphql"));
    // The agent pushes, and edits the description twice, while the first evaluation waits on GitHub.
    pr.headSha = PUSHED;
    pr.commits.push({ sha: PUSHED, message: "More", author: claude });
    for (const [id, action] of [["e2e-join-2", "synchronize"], ["e2e-join-3", "edited"], ["e2e-join-4", "edited"]] as const) {
      expect((await deliverWebhook(running!.url, SECRET, "pull_request", id, pullRequestEvent(action, pr))).status).toBe(200);
    }

    const done = async () => ((await running!.database.rows(`SELECT id, status, attempts FROM "Delivery" ORDER BY id`)) as Array<{ id: string; status: string; attempts: number | bigint }>).map((row) => [row.id, row.status, Number(row.attempts)]);
    const expected = ["e2e-join-1", "e2e-join-2", "e2e-join-3", "e2e-join-4"].map((id) => [id, "done", 1]);
    for (let tries = 0; tries < 400 && JSON.stringify(await done()) !== JSON.stringify(expected); tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await done()).toEqual(expected);
    // Two reads for four deliveries: the first evaluation's, and one for the three that waited for it.
    expect(state.requests.filter((request) => request.url === "/api/graphql")).toHaveLength(2);
    expect([...state.checkRuns.values()].find((run) => run.head_sha === PUSHED)).toMatchObject({ conclusion: "action_required" });
    const evaluated = running!.output.join("").split("\n").filter((line) => line.includes("countersign: evaluated pull request"));
    expect(evaluated).toHaveLength(2);
    expect(evaluated[1]).toContain('"alsoFor":["e2e-join-2","e2e-join-3"]');
  }, 30_000);
});
