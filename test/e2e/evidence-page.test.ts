import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { chromium, type Browser } from "playwright-core";
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

// Measured in the page (as source text: the tests are compiled without the DOM's types). A token
// (timestamp, event name, hash) is on one line when the browser lays it out as one box; an element
// runs off the page when its right edge is past the viewport and no ancestor scrolls it.
const LAYOUT = `(() => {
  const lines = (element) => ({ text: element.textContent, lines: element.getClientRects().length });
  // Only what is laid out: a cell hidden on a phone has no boxes at all.
  const shown = (selector) => [...document.querySelectorAll(selector)].filter((element) => element.getClientRects().length > 0);
  const codes = shown("code");
  const scrolls = (element) => {
    for (let box = element.parentElement; box; box = box.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(box).overflowX)) return true;
    }
    return false;
  };
  return {
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    runsOff: [...document.body.querySelectorAll("*")]
      .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5 && !scrolls(element))
      .map((element) => element.tagName + ": " + element.textContent.slice(0, 60)),
    times: shown("time").map(lines),
    eventNames: codes.filter((code) => /^(?:[a-z]+(?:\\.[a-z]+)+|decision|push)$/.test(code.textContent)).map(lines),
    hashes: codes.filter((code) => /^[0-9a-f]{7,64}$/.test(code.textContent)).map(lines),
  };
})()`;
const SCRIPTABLE = `({
  scripts: document.scripts.length,
  handlers: [...document.querySelectorAll("*")].flatMap((element) => [...element.attributes].filter((attribute) => /^on/i.test(attribute.name)).map((attribute) => element.tagName + " " + attribute.name)),
})`;
interface Layout {
  innerWidth: number;
  scrollWidth: number;
  runsOff: string[];
  times: Array<{ text: string; lines: number }>;
  eventNames: Array<{ text: string; lines: number }>;
  hashes: Array<{ text: string; lines: number }>;
}

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
    expect(page.body).toContain(`@bob approved <code title="${HEAD}">abababa</code>: <span class="pass-text">counted</span>`);
    expect(page.body).toMatch(/<code>[0-9a-f]{64}<\/code>/);
    expect(page.body).toContain("ASI09 Human-Agent Trust Exploitation");
    // Agent-writable text is escaped, never markup.
    expect(page.body).not.toContain("<img src=x");
    expect(page.body).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  test("the same link with the repository spelled in another case shows the same page, under GitHub's spelling", async () => {
    const url = new URL(evidenceUrl);
    url.pathname = url.pathname.replace("Codertocat/Hello-World", "codertocat/HELLO-WORLD");
    const page = await httpRequest(url.toString());
    expect(page.status).toBe(200);
    expect(page.body).toContain("<title>Countersign evidence: Codertocat/Hello-World#3</title>");
    expect(page.body).toContain("SEC-2");
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

  describe("in a real headless browser (Chromium)", () => {
    let browser: Browser | undefined;

    beforeAll(async () => {
      if (!CHROMIUM) return;
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      });
    }, 30_000);

    afterAll(async () => {
      await browser?.close();
    });

    browserTest("renders the story, with no script run", async () => {
      const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
      const dialogs: string[] = [];
      page.on("dialog", (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      const violations: string[] = [];
      page.on("console", (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await page.goto(evidenceUrl);
      await expect(page.locator("h1").innerText()).resolves.toBe("Countersign evidence: Codertocat/Hello-World#3");
      await expect(page.locator("#decision").innerText()).resolves.toBe("success");
      const timeline = await page.locator("#timeline tbody tr").allInnerTexts();
      expect(timeline.some((row) => row.includes("delegated task SEC-2"))).toBe(true);
      expect(timeline.some((row) => row.includes(HOSTILE))).toBe(true); // shown as text
      expect(await page.locator("#timeline img").count()).toBe(0);
      // Nothing on the page can run: no script element, no event-handler attribute, nothing the
      // browser refused under the CSP, and no dialog opened.
      expect(await page.evaluate(SCRIPTABLE)).toEqual({ scripts: 0, handlers: [] });
      expect(dialogs).toEqual([]);
      expect(violations).toEqual([]);

      await page.goto(evidenceUrl.replace(/signature=[0-9a-f]+/, `signature=${"f".repeat(64)}`));
      await expect(page.locator("body").innerText()).resolves.toBe("Not Found");
      await page.close();
    });

    // The layout an auditor reads: at a desktop's width and at a phone's, nothing runs off the side
    // of the page (a table that is wider than the screen scrolls inside its own box, or becomes cards),
    // and what is read as one token (a timestamp, an event name, a hash) stays on one line.
    browserTest.each([
      { screen: "a desktop", width: 1280, height: 900, mobile: false, keep: "COUNTERSIGN_E2E_SCREENSHOT", file: "evidence.png" },
      { screen: "a phone", width: 390, height: 844, mobile: true, keep: "COUNTERSIGN_E2E_SCREENSHOT_PHONE", file: "evidence-phone.png" },
    ])("on $screen ($width px wide), nothing overflows and no timestamp, event name or hash breaks", async ({ width, height, mobile, keep, file }) => {
      const page = await browser!.newPage({ viewport: { width, height }, isMobile: mobile, hasTouch: mobile });
      await page.goto(evidenceUrl);
      // The environment variable keeps a copy of the screenshot for a person to look at (taken first,
      // so a layout that fails below can be seen).
      const screenshot = process.env[keep] ?? path.join(dir, file);
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(statSync(screenshot).size).toBeGreaterThan(20_000);
      // Measured with the full controls mapping opened too (a <details>: no script needed).
      const mapping = page.locator("#controls summary");
      if ((await mapping.count()) > 0) await mapping.click();
      const layout = (await page.evaluate(LAYOUT)) as Layout;
      const events = await page.locator("#chain tbody tr").count();
      const broken = (tokens: Layout["times"]) => tokens.filter((token) => token.lines !== 1).map((token) => token.text);
      // One comparison, so a failure shows every defect at once.
      expect({
        innerWidth: layout.innerWidth, // a phone zooms out a page that is wider than itself
        overflows: layout.scrollWidth > width,
        runsOff: layout.runsOff,
        everyEventHasATime: layout.times.length >= events && events > 0,
        timesBroken: broken(layout.times),
        eventNamesShown: layout.eventNames.length > 0,
        eventNamesBroken: broken(layout.eventNames),
        hashesShown: layout.hashes.length > 0,
        hashesBroken: broken(layout.hashes),
      }).toEqual({ innerWidth: width, overflows: false, runsOff: [], everyEventHasATime: true, timesBroken: [], eventNamesShown: true, eventNamesBroken: [], hashesShown: true, hashesBroken: [] });
      await page.close();
    });
  });
});
