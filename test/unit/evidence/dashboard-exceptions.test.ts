import { describe, expect, test } from "@jest/globals";
import { renderExceptionsSection, type DashboardExceptions } from "../../../src/evidence/dashboard-exceptions.js";
import { renderDashboardPage } from "../../../src/evidence/dashboard-page.js";

// The exceptions section shows repository names, branches, logins and policy problems, all of which
// come from GitHub or from an agent: every one escaped, links only to http(s), and a kind with nothing
// to show says "None" (never an empty space a reader could take for "not checked").

const HOSTILE = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`;
const AT = new Date("2026-12-07T11:00:00Z");
const EVIDENCE = "https://cs.acme.dev/countersign/evidence/acme/x/4?expires=1&signature=ab";

function none(): DashboardExceptions {
  const empty = { rows: [], more: false };
  return {
    window: { from: new Date("2026-09-14T12:00:00Z"), to: new Date("2026-12-07T12:00:00Z"), repo: null },
    unverifiedMerges: empty,
    directPushes: empty,
    invalidPolicies: { ...empty, resolved: 0 },
    failedEvaluations: { ...empty, resolved: 0 },
    lateCredentials: empty,
  };
}

function hostile(): DashboardExceptions {
  return {
    window: { from: new Date("2026-09-14T12:00:00Z"), to: new Date("2026-12-07T12:00:00Z"), repo: HOSTILE },
    unverifiedMerges: {
      rows: [{ repository: `acme/${HOSTILE}`, number: 4, headSha: "1".repeat(40), mergeCommitSha: "2".repeat(40), at: AT, mergedBy: HOSTILE, agents: [HOSTILE], missing: `decision ${HOSTILE}`, gate: HOSTILE, links: { subject: "https://ghe.acme.dev/acme/x/pull/4", evidence: EVIDENCE } }],
      more: true,
    },
    directPushes: {
      rows: [{ repository: `acme/${HOSTILE}`, branch: HOSTILE, headSha: "9".repeat(40), at: AT, pusher: HOSTILE, identity: HOSTILE, mode: "evaluate", commits: 2, links: { subject: "javascript:alert(3)", evidence: null } }],
      more: false,
    },
    invalidPolicies: {
      rows: [{ repository: `acme/${HOSTILE}`, source: HOSTILE, number: 5, at: AT, evaluations: 3, problems: [{ file: HOSTILE, path: HOSTILE, message: HOSTILE }], agents: [HOSTILE], links: { subject: "https://ghe.acme.dev/acme/x/pull/5", evidence: null } }],
      more: false,
      resolved: 2,
    },
    failedEvaluations: {
      rows: [{ repository: `acme/${HOSTILE}`, number: 6, headSha: null, at: AT, errorId: "cs-0123456789", cause: HOSTILE, failures: 2, agents: [], links: { subject: "https://ghe.acme.dev/acme/x/pull/6", evidence: EVIDENCE } }],
      more: false,
      resolved: 1,
    },
    lateCredentials: {
      rows: [{ id: "cred_1", repository: `acme/${HOSTILE}`, delegationId: "dlg_1", subject: { type: "issue", number: 8 }, agent: HOSTILE, delegator: HOSTILE, dueAt: AT, endedAt: null, endedAs: null, revokeFailures: 3, hashedToken: HOSTILE, links: { subject: "https://ghe.acme.dev/acme/x/issues/8", evidence: null } }],
      more: false,
    },
  };
}

/** The section of one kind, from its heading to the next. */
function kind(section: string, id: string): string {
  const start = section.indexOf(`<h3 id="${id}">`);
  const next = section.indexOf("<h3 ", start + 1);
  return section.slice(start, next === -1 ? undefined : next);
}

describe("the dashboard's exceptions section", () => {
  test("says None for every kind when there is nothing, with a count of 0", () => {
    const section = renderExceptionsSection(none());
    for (const id of ["ex-merges", "ex-pushes", "ex-policies", "ex-failures", "ex-credentials"]) {
      expect(kind(section, id)).toMatch(/<span class="count">0<\/span><\/h3><p class="none">None in this window\.<\/p>\s*(<\/section>)?$/);
    }
    expect(section).not.toContain("<table");
  });

  test("escapes every untrusted string, in text and in attributes", () => {
    const section = renderExceptionsSection(hostile());
    expect(section).not.toContain("<script>");
    expect(section).not.toContain("<img");
    const tags = [...section.matchAll(/<[a-z][^>]*>/gi)].map((tag) => tag[0].replace(/"[^"]*"/g, '""'));
    expect(tags.filter((tag) => /\son[a-z]+=/i.test(tag))).toEqual([]);
    const escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;";
    expect(section).toContain(`<td data-label="Repository">acme/${escaped}</td>`);
    expect(section).toContain(`merged by @${escaped}`);
    expect(section).toContain(`<code>${escaped}</code> at`);
    expect(section).toContain(`hashed_token <code>${escaped}</code>`);
  });

  test("links the pull request (or issue) and its evidence page, and shows a non-http link as text", () => {
    const section = renderExceptionsSection(hostile());
    expect(kind(section, "ex-merges")).toContain('<a href="https://ghe.acme.dev/acme/x/pull/4" rel="noopener noreferrer">#4</a>');
    expect(kind(section, "ex-merges")).toContain('<a href="https://cs.acme.dev/countersign/evidence/acme/x/4?expires=1&amp;signature=ab" rel="noopener noreferrer">evidence</a>');
    expect(kind(section, "ex-credentials")).toContain('<a href="https://ghe.acme.dev/acme/x/issues/8" rel="noopener noreferrer">issue #8</a>');
    expect(kind(section, "ex-credentials")).toContain(`<td data-label="Evidence">none</td></tr>`);
    expect(section).not.toContain("javascript:");
    expect(kind(section, "ex-pushes")).toContain("999999999999");
  });

  test("counts each kind, says when a list was cut, and counts what was resolved since", () => {
    const section = renderExceptionsSection(hostile());
    expect(kind(section, "ex-merges")).toContain('<span class="count">1 or more</span>');
    expect(kind(section, "ex-merges")).toContain("The 1 most recent are shown");
    expect(kind(section, "ex-policies")).toContain("2 more were fixed since");
    expect(kind(section, "ex-failures")).toContain("1 more was resolved by a later evaluation that ran.");
    expect(kind(section, "ex-failures")).toContain("<code>cs-0123456789</code>");
    expect(kind(section, "ex-credentials")).toContain("is still live");
    expect(kind(section, "ex-credentials")).toContain("GitHub did not confirm 3 revocations");
  });

  test("comes first on the page, before the figures", () => {
    const page = renderDashboardPage({ org: "acme", viewer: "octocat", generatedAt: AT, exceptions: none(), sections: ['<section aria-labelledby="figures"><h2 id="figures">Figures</h2></section>'] });
    expect(page.indexOf('id="exceptions"')).toBeGreaterThan(-1);
    expect(page.indexOf('id="exceptions"')).toBeLessThan(page.indexOf('id="figures"'));
  });
});
