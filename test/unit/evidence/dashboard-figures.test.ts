import { describe, expect, test } from "@jest/globals";
import { formatDuration, renderDashboardFigures, type DashboardFiguresView } from "../../../src/evidence/dashboard-figures.js";

// The figures show text from webhooks and delegations (agent logins, inventories, titles, repository
// names) and links built from the viewer's query: all escaped, page links only relative queries.

const HOSTILE = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`;
const timing = { byWeek: [{ label: "2026-11-02", href: "?week=2026-11-02#matching", count: 1, medianMs: 60_000, p90Ms: 3 * 86_400_000 }], byRepository: [{ label: `acme/${HOSTILE}`, href: `?repo=${encodeURIComponent(`acme/${HOSTILE}`)}#matching`, count: 1, medianMs: 0, p90Ms: 0 }], overall: { count: 1, medianMs: 60_000, p90Ms: 60_000 } };

const view: DashboardFiguresView = {
  org: "acme",
  form: { action: "/countersign/org/acme", from: "2026-11-02", to: "2026-11-15", repo: `acme/${HOSTILE}`, agent: HOSTILE, owner: "", clearHref: "/countersign/org/acme" },
  notes: [`"agent" was ignored: ${HOSTILE}`],
  weekly: [{ week: "2026-11-02", href: "?week=2026-11-02#matching", counts: [{ outcome: "countersigned", count: 2, href: "?week=2026-11-02&outcome=countersigned#matching" }, { outcome: "blocked", count: 1, href: `javascript:alert(3)` }] }],
  toDelegation: timing,
  toCountersign: timing,
  agents: [{ login: HOSTILE, kind: HOSTILE, detectedBy: [HOSTILE], pullRequests: 1, lastSeen: "2026-11-03T10:00:00.000Z", inventory: HOSTILE, href: `?agent=${encodeURIComponent(HOSTILE)}#matching` }],
  owners: [{ login: HOSTILE, delegated: 1, active: 0, revoked: 1, expired: 0, pullRequests: 1, href: `"><script>` }],
  matching: { week: "2026-11-02", outcome: "countersigned", total: 1, pullRequests: [{ repository: `acme/${HOSTILE}`, number: 1, outcome: "countersigned", title: HOSTILE, evaluatedAt: "2026-11-04T14:00:00.000Z", pullRequestUrl: "https://github.com/acme/x/pull/1", evidenceUrl: "javascript:alert(4)" }] },
};
const page = renderDashboardFigures(view);

describe("the dashboard's figures", () => {
  test("escape every untrusted string, in text and in attributes", () => {
    expect(page).not.toContain("<script>");
    expect(page).not.toContain("<img");
    const tags = [...page.matchAll(/<[a-z][^>]*>/gi)].map((tag) => tag[0].replace(/"[^"]*"/g, '""'));
    expect(tags.filter((tag) => /\son[a-z]+=/i.test(tag))).toEqual([]);
    expect(page).toContain(`value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;"`);
  });

  test("link page figures only to relative queries and pull requests only to http(s)", () => {
    expect(page).not.toContain("javascript:");
    expect(page).toContain('<a href="?week=2026-11-02&amp;outcome=countersigned#matching">2</a>');
    expect(page).toContain('<a href="https://github.com/acme/x/pull/1" rel="noopener noreferrer">');
    // The owner's link was not a query: shown as text.
    expect(page).toContain("<th scope=\"row\">&lt;script&gt;alert(1)");
  });

  test("show a week's numbers in the table as in the chart, and name the list's scope", () => {
    expect(page).toMatch(/<th scope="row"><a href="\?week=2026-11-02#matching">2026-11-02<\/a><\/th><td class="n"><a [^>]*>2<\/a><\/td><td class="n">1<\/td><td class="n">3<\/td>/);
    expect(page).toContain('class="bar-total">3</text>');
    expect(page).toContain("Pull requests behind these figures (week of 2026-11-02, countersigned)");
  });

  test.each([
    [null, "–"],
    [0, "0 min"],
    [90 * 60_000, "90 min"],
    [3 * 3_600_000, "3.0 h"],
    [3 * 86_400_000, "3.0 d"],
  ])("formats %p ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
