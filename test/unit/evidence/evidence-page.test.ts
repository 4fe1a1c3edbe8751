import { describe, expect, test } from "@jest/globals";
import type { StoredEvent } from "../../../src/audit/chain.js";
import { renderEvidencePage } from "../../../src/evidence/evidence-page.js";
import { buildStory } from "../../../src/evidence/pr-story.js";

// The evidence page, rendered from a story built the way the route builds it: from stored audit
// events. The story: an agent's pull request is blocked, delegated, the delegation is revoked with a
// hostile reason and given again, and the last evaluation records its decision and then, in the same
// millisecond, the verdict on the review that caused it. The events arrive out of chain order.

const REPO = "acme/payments-api";
const HOSTILE = "<img src=x onerror=alert(1)> 'quoted' [link](https://evil.example)";
const HEAD = "b1".repeat(20);
const OLD_HEAD = "a0".repeat(20);
const POLICY = "9f".repeat(32);
const hash = (seq: number) => seq.toString(16).padStart(64, "e");
const at = (minute: number) => new Date(Date.UTC(2026, 10, 25, 12, minute, 0, 250));
const claude = { id: 209825114, login: "claude[bot]" };

function event(seq: number, type: string, minute: number, fields: Partial<Omit<StoredEvent, "payload">> & { payload: Record<string, unknown> }): StoredEvent {
  return { seq, type, repoId: 7, repoFullName: REPO, subjectNumber: 2, sha: null, actorId: null, actorLogin: null, deliveryId: null, createdAt: at(minute), hash: hash(seq), prevHash: hash(seq - 1), ...fields, payload: JSON.stringify(fields.payload) };
}

function decision(seq: number, minute: number, sha: string, conclusion: string, title: string, extra: Record<string, unknown> = {}): StoredEvent {
  return event(seq, "decision", minute, {
    sha,
    deliveryId: `d-${seq}`,
    payload: { conclusion, title, policyHash: POLICY, policySource: `${REPO}:.github/countersign.yml@${HOSTILE}`, involvement: "authored", agents: [{ ...claude, kind: "bot" }], signals: [], tiers: [], requirements: [], ...extra },
  });
}

const blocked = decision(1, 0, HEAD, "action_required", "Needs a delegation");
const delegated = event(2, "delegation.created", 1, {
  actorId: 1001,
  actorLogin: "alice",
  payload: {
    delegationId: "dlg_0a1b",
    commentUrl: `https://github.com/${REPO}/pull/2#issuecomment-1`,
    owner: { id: 1001, login: "alice" },
    task: { kind: "url", ref: `https://evil.example/${HOSTILE}`, url: "https://evil.example/phish" },
    scopePaths: [HOSTILE],
    agent: claude,
    agentInventory: [{ kind: "app", login: "claude[bot]", slug: "claude", name: "Claude", permissions: { contents: "write" }, events: ["pull_request"], readAt: at(1).toISOString() }],
  },
});
const revoked = event(3, "delegation.revoked", 2, { actorId: 1001, actorLogin: "alice", payload: { delegationId: "dlg_0a1b", reason: HOSTILE } });
const delegatedAgain = event(4, "delegation.created", 3, { actorId: 1001, actorLogin: "alice", payload: { delegationId: "dlg_2c3d", owner: { id: 1001, login: "alice" }, task: { kind: "ticket", ref: "SEC-2", url: null }, scopePaths: ["src/**"], agent: claude } });
// One evaluation: its decision (#5), then the verdict on the review that caused it (#6), both stamped
// with the evaluation's time. The decision also judged an older review with no event of its own.
const approvedDecision = decision(5, 4, HEAD, "success", "Countersigned: delegated by @alice, approved by @bob", {
  delegationId: "dlg_2c3d",
  owner: { kind: "delegated", login: "alice", id: 1001 },
  approvals: [
    { reviewer: "bob", reviewerId: 1002, reviewId: 71, commit: HEAD, counted: true, objections: [] },
    { reviewer: "carol", reviewerId: 1003, reviewId: 70, commit: OLD_HEAD, counted: false, objections: ["stale"] },
  ],
});
const approval = event(6, "approval.counted", 4, { sha: HEAD, actorId: 1002, actorLogin: "bob", deliveryId: "d-5", payload: { reviewId: 71, objections: [] } });

const events = [blocked, delegated, revoked, delegatedAgain, approval, approvedDecision]; // #6 before #5
const meta = { generatedAt: new Date("2026-11-25T13:00:00.000Z"), chainHead: hash(6), repositoryUrl: `https://github.com/${REPO}` };
const page = renderEvidencePage(buildStory(REPO, 2, events), meta);

/** The HTML of one section of the page. */
function section(id: string): string {
  const match = new RegExp(`<section id="${id}"[^>]*>([\\s\\S]*?)</section>`).exec(page);
  if (!match) throw new Error(`no section #${id}`);
  return match[1] as string;
}

/** The event number each body row of a section's table starts with (not an escape like &#39;). */
function rowSeqs(html: string): number[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? "";
  return body
    .split(/<tr[\s>]/)
    .slice(1)
    .map((row) => Number(/(?<!&)#(\d+)\b/.exec(row)?.[1]));
}

/** What a reader sees: the page without its style sheet, tags and attributes. */
function visibleText(html: string): string {
  return html.replace(/<style>[\s\S]*?<\/style>/, "").replace(/<[^>]*>/g, "");
}

describe("the evidence page", () => {
  test("shows events in chain order, even two of the same millisecond that arrive out of order", () => {
    expect(approval.createdAt.getTime()).toBe(approvedDecision.createdAt.getTime());
    expect(rowSeqs(section("timeline"))).toEqual([1, 2, 3, 4, 5, 6]);
    // carol's review is known only from decision #5's verdicts, so it sits at #5: before bob's #6.
    expect(rowSeqs(section("approvals"))).toEqual([5, 6]);
    expect(rowSeqs(section("chain"))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test("says which decision judged an approval recorded after it", () => {
    const row = section("timeline").split(/<tr[\s>]/).find((candidate) => /(?<!&)#6\b/.test(candidate)) ?? "";
    expect(visibleText(row)).toContain("@bob approved b1b1b1b: counted");
    expect(visibleText(row)).toContain("verdict of decision #5");
  });

  test("names the decision an approval brought about, when the verdict is chained before it (as the app writes it now)", () => {
    const verdict = event(5, "approval.counted", 4, { sha: HEAD, actorId: 1002, actorLogin: "bob", deliveryId: "d-6", payload: { reviewId: 71, objections: [] } });
    const countersigned = decision(6, 4, HEAD, "success", "Countersigned: delegated by @alice, approved by @bob", { delegationId: "dlg_2c3d", owner: { kind: "delegated", login: "alice", id: 1001 } });
    const html = renderEvidencePage(buildStory(REPO, 2, [blocked, delegated, revoked, delegatedAgain, countersigned, verdict]), meta);
    const timeline = /<section id="timeline"[^>]*>([\s\S]*?)<\/section>/.exec(html)?.[1] ?? "";
    expect(rowSeqs(timeline)).toEqual([1, 2, 3, 4, 5, 6]);
    const approvalRow = (/<tbody>([\s\S]*?)<\/tbody>/.exec(timeline)?.[1] ?? "").split(/<tr[\s>]/).slice(1)[4] ?? "";
    expect(visibleText(approvalRow)).toContain("@bob approved");
    expect(visibleText(approvalRow)).toContain("verdict of decision #6");
  });

  test("tells each decision once, in the timeline, with its conclusion, policy version and delivery", () => {
    expect(page).not.toContain('id="decisions"');
    expect(visibleText(page).split("Needs a delegation")).toHaveLength(2); // once: decision #1's row
    const rows = section("timeline").split(/<tr[\s>]/);
    const first = visibleText(rows.find((row) => /(?<!&)#1\b/.test(row)) ?? "");
    expect(first).toContain("action_required");
    expect(first).toContain(POLICY.slice(0, 12));
    expect(first).toContain("d-1");
  });

  test("counts in words: 1 head commit, 2 head commits, never “(s)”", () => {
    expect(visibleText(page)).toContain("1 head commit evaluated");
    expect(visibleText(page)).not.toContain("(s)");
    const pushed = decision(7, 5, "c2".repeat(20), "action_required", "Needs approval by someone other than @alice");
    const twice = renderEvidencePage(buildStory(REPO, 2, [...events, pushed]), meta);
    expect(visibleText(twice)).toContain("2 head commits evaluated");
    expect(visibleText(twice)).not.toContain("(s)");
  });

  test("reads top to bottom: the decision and facts, the delegation, the timeline, approvals, the chain, then the controls", () => {
    const order = ['id="decision"', 'id="task"', 'id="timeline"', 'id="approvals"', 'id="chain"', 'id="controls"'].map((marker) => page.indexOf(marker));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(visibleText(page.slice(0, page.indexOf('id="chain"')))).not.toContain("ASI09");
  });

  test("names the controls that applied, each with the first event that shows it, and keeps the full mapping after the chain", () => {
    const controls = section("controls");
    const applied = /<ul[^>]*>([\s\S]*?)<\/ul>/.exec(controls)?.[1] ?? "";
    expect(applied).toMatch(/CS-2 Named human delegation[\s\S]*?href="#event-2"/);
    expect(applied).toMatch(/CS-4 Independent human approval[\s\S]*?href="#event-5"/);
    expect(applied).not.toContain("CS-7"); // no direct push in this story
    expect(controls).toContain("ASI09 Human-Agent Trust Exploitation");
    expect(controls).toContain("docs/controls-mapping.md");
    expect(page).toContain('id="event-5"'); // the link's target, in the chain
  });

  test("shows every time as a <time> with the exact value, compact in UTC", () => {
    for (const stored of events) {
      const iso = stored.createdAt.toISOString();
      expect(page).toContain(`<time datetime="${iso}" title="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 19)}Z</time>`);
    }
    expect(visibleText(page)).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
    expect(page).toMatch(/time\{[^}]*white-space:nowrap/);
  });

  test("keeps hashes and event names whole: short hashes carry the full value, nothing breaks inside a word", () => {
    expect(page).not.toMatch(/break-all/);
    expect(page).toMatch(/code\{[^}]*white-space:nowrap/);
    const shortened = [...page.matchAll(/<code title="([0-9a-f]+)">([0-9a-f]+)<\/code>/g)];
    expect(shortened.length).toBeGreaterThan(0);
    expect(shortened.filter(([, full, short]) => !(full as string).startsWith(short as string))).toEqual([]);
    expect(page).toContain(`<code title="${hash(5)}">${hash(5).slice(0, 12)}</code>`);
    expect(page).toContain(`<code>${hash(5)}</code>`); // in full, in the chain
    expect(page).toContain("<code>delegation.created</code>");
  });

  test("escapes text from outside Countersign everywhere, and links only to GitHub and within the page", () => {
    expect(page).not.toContain("<img");
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt; &#39;quoted&#39;");
    const visible = visibleText(page);
    for (const where of ["evil.example/&lt;img", `countersign.yml@&lt;img`]) expect(page).toContain(where);
    expect(visible.split("&lt;img src=x").length).toBeGreaterThan(4); // task, scope, reason, policy source
    const hrefs = [...page.matchAll(/href="([^"]*)"/g)].map((match) => match[1] as string);
    expect(hrefs.length).toBeGreaterThan(0);
    expect(hrefs.filter((href) => !href.startsWith("https://github.com/acme/payments-api") && !/^#event-\d+$/.test(href))).toEqual([]);
  });

  test("loads and runs nothing: no script, no handler, no external resource", () => {
    expect(page).not.toMatch(/<(?:script|link|iframe|object|embed|img|meta http-equiv)\b/i);
    expect(page).not.toMatch(/<[^>]+\s(?:src|on\w+)=/i);
    expect(/<style>([\s\S]*?)<\/style>/.exec(page)?.[1]).not.toMatch(/@import|url\(/);
  });

  test("a pull request with a delegation but no decision yet still tells what is known", () => {
    const early = renderEvidencePage(buildStory(REPO, 2, [delegatedAgain]), meta);
    expect(visibleText(early)).toContain("No decision recorded yet.");
    expect(visibleText(early)).toContain("SEC-2");
    expect(visibleText(early)).toContain("0 head commits evaluated");
  });
});
