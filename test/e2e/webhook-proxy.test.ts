import { createHmac } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { launchEnterpriseApp, listen, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// Trying Countersign on a laptop: GitHub cannot reach localhost, so deliveries come through a webhook
// proxy channel (smee.io) named by WEBHOOK_PROXY_URL, which the app's own smee client (installed with
// it: nothing is fetched at run time) follows and forwards to /api/github/webhooks. The channel here is
// a loopback server speaking smee's protocol: server-sent events, one per delivery, carrying GitHub's
// headers and the JSON body.

const SECRET = "e2e-proxy-secret";
const HEAD = "70".repeat(20);

describe("npm start with WEBHOOK_PROXY_URL", () => {
  const state = fakeGhesState();
  const listeners: ServerResponse[] = [];
  const channel = createServer((req, res) => {
    if (req.url !== "/e2e-channel") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    res.write(": connected\n\n");
    listeners.push(res);
  });
  let running: EnterpriseApp | undefined;

  beforeAll(async () => {
    state.pulls.set(9, { number: 9, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Agent change", author: claude }], reviews: [], files: ["a.ts"] });
    const channelUrl = `http://127.0.0.1:${await listen(channel)}/e2e-channel`;
    running = await launchEnterpriseApp(state, { webhookSecret: SECRET, extra: () => ({ WEBHOOK_PROXY_URL: channelUrl }) });
    await waitFor(() => listeners.length > 0);
  }, 30_000);

  afterAll(async () => {
    for (const listener of listeners) listener.end();
    await running?.stop();
    channel.closeAllConnections();
    await new Promise((resolve) => channel.close(resolve));
  });

  test("a delivery sent to the channel reaches the app and produces the check run", async () => {
    const body = pullRequestEvent("opened", state.pulls.get(9)!);
    const raw = JSON.stringify(body);
    const message = {
      "x-github-event": "pull_request",
      "x-github-delivery": "e2e-proxied-1",
      "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(raw).digest("hex")}`,
      "content-type": "application/json",
      body,
      query: {},
      timestamp: Date.now(),
    };
    for (const listener of listeners) listener.write(`data: ${JSON.stringify(message)}\n\n`);

    await waitFor(() => [...state.checkRuns.values()].some((run) => run.head_sha === HEAD), 15_000);
    expect([...state.checkRuns.values()].find((run) => run.head_sha === HEAD)).toMatchObject({ conclusion: "action_required", output: { title: "Needs a delegation" } });
    const log = running!.output.join("");
    expect(log).toContain("Forwarding");
    expect(log).not.toContain("npx");
  }, 30_000);
});
