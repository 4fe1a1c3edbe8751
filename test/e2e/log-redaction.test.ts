import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { deliverWebhook, httpRequest, launchEnterpriseApp, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// What a reader of the logs sees when an evidence link is opened: the HTTP access log names the
// request, but not its signature, which is all it takes to open the page. Checked on the app's real
// output, in both of Probot's formats (JSON in production, pretty otherwise).

const SECRET = "e2e-webhook-secret";
const EVIDENCE_SECRET = "an-evidence-signing-secret-of-at-least-32-chars";

describe.each<[string, "json" | "pretty"]>([
  ["JSON (production)", "json"],
  ["pretty", "pretty"],
])("the logs in %s format", (_name, format) => {
  const state = fakeGhesState();
  const head = format === "json" ? "1a".repeat(20) : "1b".repeat(20);
  let running: EnterpriseApp | undefined;

  beforeAll(async () => {
    state.pulls.set(4, { number: 4, author: claude, headSha: head, commits: [{ sha: head, message: "Agent change", author: claude }], reviews: [], files: ["a.ts"] });
    running = await launchEnterpriseApp(state, { webhookSecret: SECRET, extra: (url) => ({ COUNTERSIGN_PUBLIC_URL: url, COUNTERSIGN_EVIDENCE_SECRET: EVIDENCE_SECRET, LOG_FORMAT: format }) });
  }, 30_000);

  afterAll(() => running?.stop());

  test("an evidence link that was opened is logged without its signature", async () => {
    expect((await deliverWebhook(running!.url, SECRET, "pull_request", `redaction-${format}`, pullRequestEvent("opened", state.pulls.get(4)!))).status).toBe(200);
    await waitFor(() => [...state.checkRuns.values()].some((run) => run.details_url));
    const link = [...state.checkRuns.values()].find((run) => run.details_url)?.details_url as string;
    const signature = new URL(link).searchParams.get("signature") as string;
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    let page = await httpRequest(link);
    for (let tries = 0; page.status !== 200 && tries < 100; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      page = await httpRequest(link);
    }
    expect(page.status).toBe(200);

    // The access log line is written once the answer has gone out: wait for the page's own (200) line.
    const logged = /GET \/countersign\/evidence\/Codertocat\/Hello-World\/4\?expires=\d+&signature=\[REDACTED\] 200/;
    await waitFor(() => logged.test(running!.output.join("")));
    expect(running!.output.join("")).not.toContain(signature);
  }, 30_000);
});
