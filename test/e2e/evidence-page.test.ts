import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { chromium } from "playwright-core";
import { commentEvent, pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { alice, bob, claude } from "../fixtures/people.js";
import { deliverWebhook, httpRequest, launchEnterpriseApp, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// The evidence page behind the check run's "Details" link, served by the running app and opened in a
// real headless browser (Debian's Chromium, driven by playwright-core; nothing is downloaded).

const SECRET = "e2e-webhook-secret";
const EVIDENCE_SECRET = "an-evidence-signing-secret-of-at-least-32-chars";
const HEAD = "ab".repeat(20);
const HOSTILE = "<img src=x onerror=alert(1)> **bold** [link](https://evil.example)";
const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((candidate) => candidate && existsSync(candidate));
// Without Chromium (a developer machine that has not installed it) the browser checks are skipped,
// visibly; CI installs Debian's chromium in .ci/run, so they always run there.
const browserTest = CHROMIUM ? test : test.skip;
if (!CHROMIUM) console.warn("countersign e2e: Chromium not found (apt-get install chromium, or set CHROMIUM_PATH): browser checks skipped");

describe("the evidence page", () => {
  const state = fakeGhesState();
  const dir = mkdtempSync(path.join(tmpdir(), "countersign-evidence-"));
  let running: EnterpriseApp | undefined;
  let appUrl = "";
  let evidenceUrl = "";
  let delivery = 0;

  async function deliver(event: string, payload: Record<string, unknown>, until: () => boolean): Promise<void> {
    delivery += 1;
    const response = await deliverWebhook(appUrl, SECRET, event, `evidence-${delivery}`, payload);
    expect(response.status).toBe(200);
    await waitFor(until);
  }

  const latestRun = () => [...state.checkRuns.values()].at(-1);

  beforeAll(async () => {
    state.permissions.set("alice", "write");
    state.permissions.set("bob", "write");
    state.pulls.set(3, { number: 3, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Add the export", author: claude }], reviews: [], files: ["src/export.ts"] });
    running = await launchEnterpriseApp(state, { webhookSecret: SECRET, extra: (url) => ({ COUNTERSIGN_PUBLIC_URL: url, COUNTERSIGN_EVIDENCE_SECRET: EVIDENCE_SECRET }) });
    appUrl = running.url;

    // The story: opened → delegated → revoked with an agent-looking reason → delegated again → approved.
    const pr = state.pulls.get(3)!;
    await deliver("pull_request", pullRequestEvent("opened", pr), () => latestRun() !== undefined);
    const comment = (body: string) => commentEvent({ number: 3, onPullRequest: true, body, author: alice });
    await deliver("issue_comment", comment("/delegate SEC-1"), () => state.comments.length === 1);
    await deliver("issue_comment", comment(`/delegate revoke ${HOSTILE}`), () => state.comments.length === 2);
    await deliver("issue_comment", comment("/delegate SEC-2 paths:src/**"), () => state.comments.length === 3);
    pr.reviews.push({ id: 71, reviewer: bob, state: "APPROVED", commitSha: HEAD, submittedAt: "2026-11-25T12:00:00Z" });
    await deliver("pull_request_review", reviewEvent("submitted", pr, { id: 71, reviewer: bob, state: "approved", commitSha: HEAD }), () => latestRun()?.conclusion === "success");
    evidenceUrl = latestRun()?.details_url ?? "";
    // The check run is written before the decision and its audit events are recorded (a moment later,
    // in the same evaluation): wait for the page to show the last decision.
    const deadline = Date.now() + 10_000;
    while (!(await httpRequest(evidenceUrl)).body.includes(">success<") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the check run's Details link is a signed link to the page", () => {
    expect(evidenceUrl).toMatch(new RegExp(`^${appUrl}/countersign/evidence/Codertocat/Hello-World/3\\?expires=\\d+&signature=[0-9a-f]{64}$`));
  });

  test("with a good signature, the page shows the timeline, chain hashes and controls", async () => {
    const page = await httpRequest(evidenceUrl);
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(page.headers["cache-control"]).toBe("private, no-store");
    expect(page.body).toContain("Countersign evidence: ");
    expect(page.body).toContain("SEC-2");
    expect(page.body).toContain("@bob approved abababa: counted");
    expect(page.body).toMatch(/<code>[0-9a-f]{64}<\/code>/);
    expect(page.body).toContain("ASI09 Human-Agent Trust Exploitation");
    // Agent-writable text is escaped, never markup.
    expect(page.body).not.toContain("<img src=x");
    expect(page.body).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  test.each([
    ["a missing signature", (url: URL) => url.searchParams.delete("signature")],
    ["a bad signature", (url: URL) => url.searchParams.set("signature", "0".repeat(64))],
    ["an expired link", (url: URL) => url.searchParams.set("expires", String(Date.now() - 1000))],
    ["a link for another pull request", (url: URL) => (url.pathname = url.pathname.replace(/\/3$/, "/4"))],
    ["a link for another repository", (url: URL) => (url.pathname = url.pathname.replace("Hello-World", "Secret-Repo"))],
  ])("with %s, nothing is revealed (a uniform 404)", async (_description, tamper) => {
    const url = new URL(evidenceUrl);
    tamper(url);
    const page = await httpRequest(url.toString());
    expect({ status: page.status, body: page.body }).toEqual({ status: 404, body: "Not Found" });
  });

  browserTest("renders in a real headless browser (Chromium), with no script run", async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const dialogs: string[] = [];
      page.on("dialog", (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await page.goto(evidenceUrl);
      await expect(page.locator("h1").innerText()).resolves.toBe("Countersign evidence: Codertocat/Hello-World#3");
      await expect(page.locator("#decision").innerText()).resolves.toBe("success");
      const timeline = await page.locator("#timeline tbody tr").allInnerTexts();
      expect(timeline.some((row) => row.includes("delegated task SEC-2"))).toBe(true);
      expect(timeline.some((row) => row.includes(HOSTILE))).toBe(true); // shown as text
      expect(await page.locator("#timeline img").count()).toBe(0);
      expect(dialogs).toEqual([]);
      // COUNTERSIGN_E2E_SCREENSHOT keeps a copy of the screenshot for a person to look at.
      const screenshot = process.env.COUNTERSIGN_E2E_SCREENSHOT ?? path.join(dir, "evidence.png");
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(statSync(screenshot).size).toBeGreaterThan(20_000);

      await page.goto(evidenceUrl.replace(/signature=[0-9a-f]+/, `signature=${"f".repeat(64)}`));
      await expect(page.locator("body").innerText()).resolves.toBe("Not Found");
    } finally {
      await browser.close();
    }
  });
});
