import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { chromium, type Browser } from "playwright-core";
import { commentEvent, pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { alice, bob, claude } from "../fixtures/people.js";
import { deliverWebhook, httpRequest, launchEnterpriseApp, root, type EnterpriseApp } from "./app-process.js";
import type { FakePullRequest } from "../fakes/graphql-responses.js";
import { fakeGhesState } from "./fake-ghes.js";
import { checkRunPage, conversationPage, PICTURE_SELECTOR, type CommentView } from "./github-markdown-view.js";

// The pictures in docs/pictures: what a reviewer sees of Countersign on a pull request, made from the
// running app's own output. One scenario drives the built app against the fake GitHub Enterprise
// Server: an agent's pull request is opened (needs a delegation), its owner delegates it (the reply,
// then needs an independent approval), a second person approves the head (countersigned); meanwhile
// another pull request is evaluated while GitHub's GraphQL API answers 500 (could not evaluate). The
// check runs' titles and summaries and the reply are taken exactly as GitHub received them, and the
// evidence page as the app serves it behind the check run's Details link.
//
//   npm run pictures   (COUNTERSIGN_UPDATE_PICTURES=1) writes docs/pictures/: each picture's source
//                      (normalised Markdown, or the evidence page's text), its PNG rendered in Chromium,
//                      and pictures.json with the SHA-256 of both.
//   npm run test:e2e   (CI) checks that the committed sources are what the app writes now, and that
//                      pictures.json matches the committed files. It needs no browser.

const UPDATE = process.env.COUNTERSIGN_UPDATE_PICTURES === "1";
const DIR = path.join(root, "docs/pictures");
const INDEX = path.join(DIR, "pictures.json");
const HOW_TO_UPDATE = "run `npm run pictures` and commit docs/pictures";
const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((candidate) => candidate && existsSync(candidate));
// 1.5: sharper than 1 on high-density screens, and the PNGs stay under about 300 KB.
const DEVICE_SCALE = 1.5;

const SECRET = "pictures-webhook-secret";
const EVIDENCE_SECRET = "a-pictures-evidence-signing-secret-of-32-chars";
// Fixed inputs, so that everything but the volatile parts below is the same on every run.
const DELIVERY = {
  opened: "6c1f3a00-c8d1-11f0-8a3e-1f2b3c4d5e01",
  delegate: "6c1f3a00-c8d1-11f0-8a3e-1f2b3c4d5e02",
  approved: "6c1f3a00-c8d1-11f0-8a3e-1f2b3c4d5e03",
  failing: "6c1f3a00-c8d1-11f0-8a3e-1f2b3c4d5e04",
};
const COUNTERSIGNED = { number: 42, head: "3f786850e387550fdab836ed7e6dc881de23001b" };
const FAILING = { number: 43, head: "89e6c98d92887913cadf06b2adb97f26cde4849b" };
const COMMAND = "/delegate SEC-142";
const COMMAND_ID = 1_930_000_142;

// What changes from run to run, and the fixed value each becomes. Only these: everything else in a
// picture is the app's output as it is.
// - A time from the app's clock, in any precision the app writes (`toISOString()`, or to the second
//   or minute, with `T` or a space): 12:00 on FIXED_DAY, written the same way. Every time becomes
//   the same one: how far apart two events are, to the millisecond, differs between runs.
// - A 64-hex value is a SHA-256 (an audit-chain hash, an evidence link's signature; commit ids have
//   40 digits), and a shorter hex token that begins one is that hash abbreviated. Each distinct hash
//   becomes a stand-in numbered in the order it first appears (0101…, 0202…), so that a chain still
//   reads as a chain (an event's "previous hash" is the row above's hash).
const FIXED_DAY = "2026-12-01";
const FIXED_DATE = "Dec 1, 2026"; // FIXED_DAY as GitHub dates a comment
const VOLATILE: Array<[RegExp, string | ((...match: string[]) => string)]> = [
  [/\b\d{4}-\d\d-\d\d([T ])\d\d:\d\d(:\d\d)?(\.\d+)?Z/g, (_time, separator = "T", seconds = "", fraction = "") => `${FIXED_DAY}${separator}12:00${seconds && ":00"}${fraction.replace(/\d/g, "0")}Z`],
  [/\bcs-[0-9a-f]{10}\b/g, "cs-1a2b3c4d5e"], // a failed evaluation's error id
  [/\b(dlg|dec)_[0-9a-f]{16}\b/g, "$1_1a2b3c4d5e6f7a8b"], // delegation and decision record ids
  [/\bexpires=\d+/g, "expires=1798848000000"], // an evidence link's expiry (its signature is a hash)
  [/\b127\.0\.0\.1:\d+/g, "127.0.0.1:3000"], // the loopback ports of the app and the fake GitHub
];

/** Replaces the volatile parts of the app's output (times, random ids, hashes, ports) with fixed values. */
function normalise(text: string): string {
  let out = text;
  for (const [pattern, fixed] of VOLATILE) out = out.replace(pattern, fixed as (...match: string[]) => string);
  const standIns = new Map([...new Set(out.match(/\b[0-9a-f]{64}\b/g) ?? [])].map((hash, index) => [hash, (index + 1).toString(16).padStart(2, "0").repeat(32)]));
  return out.replace(/\b[0-9a-f]{7,64}\b/g, (token) => {
    const hash = [...standIns.keys()].find((candidate) => candidate.startsWith(token));
    return hash ? standIns.get(hash)!.slice(0, token.length) : token;
  });
}

/** The text a reader sees on an HTML page, a line per block and ` | ` between table cells. */
function pageText(html: string): string {
  const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };
  const blocks = "address|article|aside|blockquote|br|caption|dd|details|div|dl|dt|figcaption|figure|footer|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|summary|table|tbody|tfoot|thead|tr|ul";
  return html
    .replace(/<(head|script|style|template)\b[\s\S]*?<\/\1>/gi, "")
    .replace(new RegExp(`</?(?:${blocks})\\b[^>]*>`, "gi"), "\n")
    .replace(/<\/t[dh]>/gi, "\t")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
      if (name.startsWith("#")) return String.fromCodePoint(name[1]?.toLowerCase() === "x" ? parseInt(name.slice(2), 16) : Number(name.slice(1)));
      return entities[name.toLowerCase()] ?? entity;
    })
    .split("\n")
    .map((line) => line.split("\t").map((cell) => cell.replace(/\s+/g, " ").trim()).filter((cell, index, cells) => cell !== "" || index < cells.length - 1).join(" | "))
    .filter((line) => line !== "")
    .join("\n")
    .concat("\n");
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** A picture: its source (what is compared), and the page its PNG is a screenshot of. */
interface Picture {
  name: string;
  /** One line on what the reviewer sees, for pictures.json and the README. */
  shows: string;
  /** The source file's name in docs/pictures and its content. */
  sourceFile: string;
  source: string;
  /** The page to screenshot: HTML to open without network, and which part of it to keep. */
  html: string;
  viewport: { width: number; height: number };
  clip: "element" | "full-page";
}

type CheckRun = { head_sha: string; conclusion: string; output: { title: string; summary: string }; details_url?: string };

function checkRunPicture(name: string, shows: string, run: CheckRun): Picture {
  const view = { name: "Countersign", conclusion: run.conclusion, title: normalise(run.output.title), summary: normalise(run.output.summary) };
  return {
    name,
    shows,
    sourceFile: `${name}.md`,
    // The conclusion is part of the source, so a change to it alone also makes the picture stale.
    source: `<!-- The Countersign check run, conclusion ${view.conclusion}: its title, then its summary. Written by \`npm run pictures\`. -->\n# ${view.title}\n\n${view.summary}\n`,
    html: checkRunPage(view),
    viewport: { width: 960, height: 800 },
    clip: "element",
  };
}

function replyPicture(name: string, shows: string, command: CommentView, reply: string): Picture {
  const body = normalise(reply);
  return {
    name,
    shows,
    sourceFile: `${name}.md`,
    source: `<!-- Countersign's reply to @${command.author}'s comment \`${command.body}\` on the pull request. Written by \`npm run pictures\`. -->\n${body}\n`,
    html: conversationPage([command, { author: "countersign", label: "bot", date: FIXED_DATE, body }]),
    viewport: { width: 900, height: 800 },
    clip: "element",
  };
}

function evidencePicture(name: string, shows: string, html: string): Picture {
  const page = normalise(html);
  return { name, shows, sourceFile: `${name}.txt`, source: pageText(page), html: page, viewport: { width: 1280, height: 900 }, clip: "full-page" };
}

async function screenshot(browser: Browser, picture: Picture, file: string): Promise<void> {
  // JavaScript off and every request refused: the page is the HTML given, nothing more.
  const context = await browser.newContext({ viewport: picture.viewport, deviceScaleFactor: picture.clip === "full-page" ? 1 : DEVICE_SCALE, javaScriptEnabled: false });
  try {
    await context.route("**/*", (route) => route.abort());
    const page = await context.newPage();
    await page.setContent(picture.html, { waitUntil: "load" });
    if (picture.clip === "element") await page.locator(PICTURE_SELECTOR).screenshot({ path: file, animations: "disabled" });
    else await page.screenshot({ path: file, fullPage: true, animations: "disabled" });
  } finally {
    await context.close();
  }
}

/**
 * pictures.json for `pictures`, with the SHA-256 of each one's source and PNG as committed in
 * docs/pictures (null for a missing file).
 */
function pictureIndex(pictures: Picture[]): string {
  const committedSha256 = (file: string) => (existsSync(path.join(DIR, file)) ? sha256(readFileSync(path.join(DIR, file))) : null);
  const index = {
    about: "What reviewers see of Countersign, made from the running app's output by test/e2e/reviewer-pictures.test.ts (`npm run pictures`). CI checks that the sources are current and that these hashes are the committed files'.",
    pictures: pictures.map((picture) => ({
      name: picture.name,
      shows: picture.shows,
      source: picture.sourceFile,
      sourceSha256: committedSha256(picture.sourceFile),
      png: `${picture.name}.png`,
      pngSha256: committedSha256(`${picture.name}.png`),
    })),
  };
  return `${JSON.stringify(index, null, 2)}\n`;
}

/** Writes every picture's source and PNG, then pictures.json. */
async function writePictures(pictures: Picture[]): Promise<void> {
  if (!CHROMIUM) throw new Error("COUNTERSIGN_UPDATE_PICTURES needs Chromium to draw the pictures: apt-get install chromium, or set CHROMIUM_PATH");
  mkdirSync(DIR, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--font-render-hinting=none"],
  });
  try {
    for (const picture of pictures) {
      writeFileSync(path.join(DIR, picture.sourceFile), picture.source);
      await screenshot(browser, picture, path.join(DIR, `${picture.name}.png`));
    }
  } finally {
    await browser.close();
  }
  writeFileSync(INDEX, pictureIndex(pictures));
}

declare module "expect" {
  interface Matchers<R extends void | Promise<void>, T = unknown> {
    /** The received text is the committed file's content, else a diff and how to update docs/pictures. */
    toBeCommittedAs(file: string): R;
  }
}

expect.extend({
  toBeCommittedAs(received: string, file: string) {
    const committed = existsSync(file) ? readFileSync(file, "utf8") : null;
    const pass = committed === received;
    const where = path.relative(root, file);
    return {
      pass,
      message: () =>
        pass
          ? `${where} is current`
          : `${where} ${committed === null ? "is missing" : "is out of date"}: ${HOW_TO_UPDATE}.\n\n${this.utils.diff(committed ?? "", received, { aAnnotation: "Committed", bAnnotation: "Now", expand: false, contextLines: 3 }) ?? ""}`,
    };
  },
});

describe("the pictures of what reviewers see (docs/pictures)", () => {
  const state = fakeGhesState();
  let running: EnterpriseApp | undefined;
  const pictures: Picture[] = [];

  async function delivered(id: string): Promise<boolean> {
    const rows = (await running!.database.rows(`SELECT status FROM "Delivery" WHERE id = '${id}'`)) as Array<{ status: string }>;
    return rows.some((row) => row.status === "done" || row.status === "failed");
  }

  /** Delivers a webhook and waits until the app has finished with it and `until` holds. */
  async function deliver(event: string, id: string, payload: Record<string, unknown>, until: () => boolean, ms = 20_000): Promise<void> {
    const response = await deliverWebhook(running!.url, SECRET, event, id, payload);
    expect(response.status).toBe(200);
    const deadline = Date.now() + ms;
    while (!(until() && (await delivered(id)))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for delivery ${id} (${event}):\n${running!.output.join("").slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  // A copy: the app updates a commit's check run in place.
  const checkRunOn = (head: string): CheckRun | undefined => {
    const run = [...state.checkRuns.values()].find((candidate) => candidate.head_sha === head);
    return run && structuredClone(run);
  };

  beforeAll(async () => {
    state.permissions.set("alice", "write");
    state.permissions.set("bob", "write");
    const commit = (sha: string, message: string) => ({ sha, message, author: claude });
    const pr: FakePullRequest = { number: COUNTERSIGNED.number, author: claude, title: "Export audit events as CSV", headSha: COUNTERSIGNED.head, commits: [commit(COUNTERSIGNED.head, "Export audit events as CSV")], reviews: [], files: ["src/export.ts", "test/export.test.ts"] };
    state.pulls.set(pr.number, pr);
    const failing: FakePullRequest = { number: FAILING.number, author: claude, title: "Retry webhook deliveries", headSha: FAILING.head, commits: [commit(FAILING.head, "Retry webhook deliveries")], reviews: [], files: ["src/deliveries.ts"] };
    state.pulls.set(failing.number, failing);
    // GitHub fails every read of the failing pull request (the app's retries included).
    state.routes = (req, raw, res) => {
      if (req.url !== "/api/graphql" || (JSON.parse(raw) as { variables?: { number?: number } }).variables?.number !== FAILING.number) return false;
      res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ message: "Server Error" }));
      return true;
    };
    running = await launchEnterpriseApp(state, { webhookSecret: SECRET, extra: (url) => ({ COUNTERSIGN_PUBLIC_URL: url, COUNTERSIGN_EVIDENCE_SECRET: EVIDENCE_SECRET }) });

    // The failing pull request runs alongside: the app's retries of GitHub's 500s take seconds.
    const failed = deliver("pull_request", DELIVERY.failing, pullRequestEvent("opened", failing), () => checkRunOn(FAILING.head)?.conclusion === "failure", 45_000);
    failed.catch(() => undefined); // awaited below; not unhandled if a step before fails first

    await deliver("pull_request", DELIVERY.opened, pullRequestEvent("opened", pr), () => checkRunOn(pr.headSha) !== undefined);
    const needsDelegation = checkRunOn(pr.headSha)!;
    await deliver("issue_comment", DELIVERY.delegate, commentEvent({ number: pr.number, onPullRequest: true, body: COMMAND, author: alice, commentId: COMMAND_ID }), () => state.comments.length === 1 && checkRunOn(pr.headSha)?.output.title !== needsDelegation.output.title);
    const reply = state.comments[0]!.body;
    const needsApproval = checkRunOn(pr.headSha)!;
    pr.reviews.push({ id: 2_400_001, reviewer: bob, state: "APPROVED", commitSha: pr.headSha, submittedAt: "2026-12-01T12:00:00Z" });
    await deliver("pull_request_review", DELIVERY.approved, reviewEvent("submitted", pr, { id: 2_400_001, reviewer: bob, state: "approved", commitSha: pr.headSha }), () => checkRunOn(pr.headSha)?.conclusion === "success");
    const countersigned = checkRunOn(pr.headSha)!;
    const evidence = await httpRequest(countersigned.details_url ?? "");
    expect(evidence.status).toBe(200);
    await failed;
    const couldNotEvaluate = checkRunOn(FAILING.head)!;

    pictures.push(
      checkRunPicture("check-needs-delegation", "An agent's pull request is blocked until a person with write access takes ownership with `/delegate`.", needsDelegation),
      replyPicture("delegate-reply", "The owner's `/delegate` is answered with what was recorded: owner, agent, task, scope, expiry, and what the agent can do.", { author: alice.login, label: "Collaborator", date: FIXED_DATE, body: COMMAND }, reply),
      checkRunPicture("check-needs-approval", "Delegated, still blocked: the head commit needs an approval by someone other than the owner.", needsApproval),
      checkRunPicture("check-countersigned", "Countersigned: a named owner and an independent approval of the head commit, with the evidence for each.", countersigned),
      checkRunPicture("check-could-not-evaluate", "When GitHub or the database fails, the check fails closed, with an error id to find in the logs.", couldNotEvaluate),
      evidencePicture("evidence-page", "The evidence page behind the check's Details link: delegation, timeline with audit-chain hashes, approvals and controls.", evidence.body),
    );
    if (UPDATE) await writePictures(pictures);
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
  });

  test("every state is pictured with the app's own output", () => {
    const firstLine = (name: string) => pictures.find((picture) => picture.name === name)?.source.split("\n")[1];
    expect({
      needsDelegation: firstLine("check-needs-delegation"),
      reply: firstLine("delegate-reply"),
      needsApproval: firstLine("check-needs-approval"),
      countersigned: firstLine("check-countersigned"),
      couldNotEvaluate: firstLine("check-could-not-evaluate"),
      evidencePageShowsTheDecision: pictures.find((picture) => picture.name === "evidence-page")?.source.includes("Countersigned: delegated by @alice, approved by @bob"),
    }).toEqual({
      needsDelegation: "# Needs a delegation",
      reply: expect.stringContaining("Countersign recorded a delegation"),
      needsApproval: "# Needs approval by someone other than @alice",
      countersigned: "# Countersigned: delegated by @alice, approved by @bob",
      couldNotEvaluate: "# Could not evaluate: blocked until Countersign can",
      evidencePageShowsTheDecision: true,
    });
  });

  test("normalising replaces the volatile parts and keeps the rest", () => {
    const sources = pictures.map((picture) => picture.source).join("\n");
    expect(sources.match(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d\S*/g)?.filter((time) => !time.startsWith(FIXED_DAY)) ?? []).toEqual([]);
    expect(sources.match(/\b(?:cs-|dlg_|dec_)[0-9a-f]+\b/g)?.filter((id) => !/^(?:cs-1a2b3c4d5e|dlg_1a2b3c4d5e6f7a8b|dec_1a2b3c4d5e6f7a8b)$/.test(id)) ?? []).toEqual([]);
    expect(sources).toContain("cs-1a2b3c4d5e");
    expect(sources).toContain(`delivery \`${DELIVERY.approved}\``);
    expect(sources).toContain("`3f78685`");
  });

  test.each(["check-needs-delegation", "delegate-reply", "check-needs-approval", "check-countersigned", "check-could-not-evaluate", "evidence-page"])(
    "%s: the committed source is what the app writes now",
    (name) => {
      const picture = pictures.find((candidate) => candidate.name === name)!;
      expect(picture.source).toBeCommittedAs(path.join(DIR, picture.sourceFile));
    },
  );

  // A PNG or source changed (or deleted) without the other, or without pictures.json, shows here.
  test("pictures.json lists every picture, with the hashes of its committed source and PNG", () => {
    expect(pictureIndex(pictures)).toBeCommittedAs(INDEX);
  });
});
