import { describe, expect, test } from "@jest/globals";
import { renderDashboardPage } from "../../../src/evidence/dashboard-page.js";

// The dashboard shows text from webhooks (repository names) and Countersign's own: all of it escaped,
// links only to http(s), no script anywhere.

const HOSTILE = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`;

describe("the dashboard page", () => {
  const page = renderDashboardPage({
    org: "acme",
    viewer: "octocat",
    generatedAt: new Date("2026-12-07T12:00:00Z"),
    truncated: false,
    pullRequests: [
      { repository: `acme/${HOSTILE}`, number: 4, conclusion: "success", title: HOSTILE, evaluatedAt: "2026-12-07T11:00:00.000Z", pullRequestUrl: "https://github.com/acme/x/pull/4", evidenceUrl: "https://cs.acme.dev/countersign/evidence/acme/x/4?expires=1&signature=ab" },
      { repository: "acme/api", number: 5, conclusion: `failure${HOSTILE}`, title: "Blocked", evaluatedAt: "2026-12-07T10:00:00.000Z", pullRequestUrl: "javascript:alert(3)", evidenceUrl: "https://cs.acme.dev/e" },
    ],
  });

  test("escapes every untrusted string, in text and in attributes", () => {
    expect(page).not.toContain("<script>");
    expect(page).not.toContain("<img");
    // No tag carries an event handler (the escaped text may say "onerror", no tag may).
    const attributeNames = [...page.matchAll(/<[a-z][^>]*>/gi)].map((tag) => tag[0].replace(/"[^"]*"/g, '""'));
    expect(attributeNames.filter((tag) => /\son[a-z]+=/i.test(tag))).toEqual([]);
    expect(page).toContain("acme/&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;#4");
    expect(page).toContain('class="c-failure&lt;script&gt;');
  });

  test("links each pull request and its evidence page; a non-http link is shown as text", () => {
    expect(page).toContain('<a href="https://github.com/acme/x/pull/4" rel="noopener noreferrer">');
    expect(page).toContain('<a href="https://cs.acme.dev/countersign/evidence/acme/x/4?expires=1&amp;signature=ab" rel="noopener noreferrer">evidence</a>');
    expect(page).not.toContain("javascript:");
  });

  test("counts the pull requests by latest decision, and names the viewer with a sign-out form", () => {
    expect(page).toContain("<tr><td>Countersigned</td><td class=\"n\">1</td></tr>");
    expect(page).toContain("<tr><td>Other</td><td class=\"n\">1</td></tr>");
    expect(page).toContain('<form method="post" action="/countersign/logout">');
    expect(page).toContain("Signed in as <strong>@octocat</strong>");
  });
});
