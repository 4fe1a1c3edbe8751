import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { deliverWebhook, httpRequest, launchEnterpriseApp, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// The operations endpoints as an orchestrator and Prometheus see them: the built app (what the Docker
// image runs, `node lib/main.js`) in its own process, wired by main.ts to its real database.

const SECRET = "e2e-webhook-secret";

/** Scrapes `/metrics` until `done` holds for the text, or returns the last scrape after 10 s. */
async function scrapeUntil(appUrl: string, done: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 10_000;
  let text = (await httpRequest(`${appUrl}/metrics`)).body;
  while (!done(text) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    text = (await httpRequest(`${appUrl}/metrics`)).body;
  }
  return text;
}
const HEAD = "7c".repeat(20);

describe("the built app's /healthz, /readyz and /metrics", () => {
  const state = fakeGhesState();
  let running: EnterpriseApp | undefined;
  let appUrl = "";

  beforeAll(async () => {
    state.pulls.set(5, { number: 5, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Agent change", author: claude }], reviews: [], files: ["a.ts"] });
    running = await launchEnterpriseApp(state, { webhookSecret: SECRET });
    appUrl = running.url;
  }, 30_000);

  afterAll(() => running?.stop());

  test("/healthz and /readyz answer 200 once the app has migrated its database", async () => {
    const health = await httpRequest(`${appUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: "ok" });
    const ready = await httpRequest(`${appUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: "ready" });
  });

  test("/metrics counts a processed webhook and its GitHub requests, with process metrics", async () => {
    const response = await deliverWebhook(appUrl, SECRET, "pull_request", "e2e-ops-1", pullRequestEvent("opened", state.pulls.get(5)!));
    expect(response.status).toBe(200);
    // The webhook is answered before the work finishes: scrape until the delivery shows as processed.
    const body = await scrapeUntil(appUrl, (text) => text.includes('countersign_webhook_deliveries_total{event="pull_request",outcome="processed"} 1'));
    expect(body).toContain('countersign_webhook_deliveries_total{event="pull_request",outcome="processed"} 1');
    expect(body).toMatch(/^countersign_github_requests_total\{method="POST",status_class="2xx"\} [1-9]/m);
    expect(body).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(body).toContain('countersign_errors_total{kind="evaluation"} 0');
  });
});
