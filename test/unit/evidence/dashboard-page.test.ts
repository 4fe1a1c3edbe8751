import { describe, expect, test } from "@jest/globals";
import type { DashboardExceptions } from "../../../src/evidence/dashboard-exceptions.js";
import { renderDashboardFigures, type DashboardFiguresView } from "../../../src/evidence/dashboard-figures.js";
import { renderDashboardPage } from "../../../src/evidence/dashboard-page.js";

// The dashboard shows text from webhooks (organization and repository names, logins, titles) and
// Countersign's own: all of it escaped, links only to http(s), no script anywhere. The page is built
// as the app builds it (src/services/dashboard-page.ts): its header, the exceptions, the figures as a
// section (their list of pull requests among them), the downloads.

const HOSTILE = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`;
const AT = new Date("2026-12-07T11:00:00Z");
const ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;";

const exceptions: DashboardExceptions = {
  window: { from: new Date("2026-09-14T12:00:00Z"), to: new Date("2026-12-07T12:00:00Z"), repo: null },
  unverifiedMerges: {
    rows: [{ repository: `acme/${HOSTILE}`, number: 3, headSha: "1".repeat(40), mergeCommitSha: "2".repeat(40), at: AT, mergedBy: HOSTILE, agents: [HOSTILE], missing: "no decision", gate: null, links: { subject: "javascript:alert(5)", evidence: null } }],
    more: false,
  },
  directPushes: { rows: [], more: false },
  invalidPolicies: { rows: [], more: false, resolved: 0 },
  failedEvaluations: { rows: [], more: false, resolved: 0 },
  lateCredentials: { rows: [], more: false },
};

const timing = { byWeek: [], byRepository: [], overall: { count: 0, medianMs: null, p90Ms: null } };
const figures: DashboardFiguresView = {
  org: "acme",
  form: { action: "/countersign/org/acme", from: "2026-11-02", to: "2026-11-15", repo: "", agent: "", owner: "", clearHref: "/countersign/org/acme" },
  notes: [],
  weekly: [],
  toDelegation: timing,
  toCountersign: timing,
  agents: [],
  owners: [],
  matching: {
    week: null,
    outcome: null,
    total: 2,
    pullRequests: [
      { repository: `acme/${HOSTILE}`, number: 4, outcome: "countersigned", title: HOSTILE, evaluatedAt: "2026-12-07T11:00:00.000Z", pullRequestUrl: "https://github.com/acme/x/pull/4", evidenceUrl: "https://cs.acme.dev/countersign/evidence/acme/x/4?expires=1&signature=ab" },
      { repository: "acme/api", number: 5, outcome: "blocked", title: "Blocked", evaluatedAt: "2026-12-07T10:00:00.000Z", pullRequestUrl: "javascript:alert(3)", evidenceUrl: "https://cs.acme.dev/e" },
    ],
  },
};

describe("the dashboard page", () => {
  const page = renderDashboardPage({
    org: `acme${HOSTILE}`,
    viewer: HOSTILE,
    generatedAt: new Date("2026-12-07T12:00:00Z"),
    exceptions,
    sections: [renderDashboardFigures(figures)],
    downloadQuery: `?repo=${HOSTILE}`,
  });

  test("escapes every untrusted string, in text and in attributes", () => {
    expect(page).not.toContain("<script>");
    expect(page).not.toContain("<img");
    // No tag carries an event handler (the escaped text may say "onerror", no tag may).
    const attributeNames = [...page.matchAll(/<[a-z][^>]*>/gi)].map((tag) => tag[0].replace(/"[^"]*"/g, '""'));
    expect(attributeNames.filter((tag) => /\son[a-z]+=/i.test(tag))).toEqual([]);
    expect(page).toContain(`<title>Countersign: acme${ESCAPED}</title>`);
    expect(page).toContain(`<h1>Countersign: acme${ESCAPED}</h1>`);
    expect(page).toContain(`Signed in as <strong>@${ESCAPED}</strong>`);
    // In the list behind the figures, and in the exceptions.
    expect(page).toContain(`acme/${ESCAPED}#4`);
    expect(page).toContain(`<td data-label="Repository">acme/${ESCAPED}</td>`);
    // In the download links' attributes.
    expect(page).toContain(`export.json?repo=${ESCAPED}"`);
  });

  test("links each pull request and its evidence page; a non-http link is shown as text", () => {
    expect(page).toContain('<a href="https://github.com/acme/x/pull/4" rel="noopener noreferrer">');
    expect(page).toContain('<a href="https://cs.acme.dev/countersign/evidence/acme/x/4?expires=1&amp;signature=ab" rel="noopener noreferrer">evidence</a>');
    expect(page).toContain(`<td data-label="Pull request">acme/api#5</td>`);
    expect(page).not.toContain("javascript:");
  });

  test("lists the pull requests once, in the figures' list, after the exceptions", () => {
    expect(page.match(/<table class="prs">/g)).toHaveLength(1);
    expect(page).not.toContain("agent-prs");
    expect(page.indexOf('id="exceptions"')).toBeGreaterThan(-1);
    expect(page.indexOf('id="exceptions"')).toBeLessThan(page.indexOf('id="matching"'));
    expect(page.indexOf('id="matching"')).toBeLessThan(page.indexOf('id="downloads"'));
  });

  test("names the viewer with a sign-out form", () => {
    expect(page).toContain('<form method="post" action="/countersign/logout">');
  });
});
