import { renderExceptionsSection, type DashboardExceptions } from "./dashboard-exceptions.js";
import { FIGURES_STYLE } from "./dashboard-figures.js";
import { externalLink, html, htmlDocument, minuteTime } from "./html.js";

// The organization dashboard as a plain HTML document (no scripts, no external resources), every
// value escaped. Pure: takes the page's data, returns HTML. The first slice shows who is signed in and
// one figure, the organization's agent pull requests with their latest decision; further figures
// (charts, exceptions, downloads) are further `DashboardSection`s, each rendered on its own.

/** One agent pull request as the page lists it, with its links already built. */
export interface DashboardPullRequest {
  repository: string;
  number: number;
  conclusion: string;
  title: string;
  evaluatedAt: string;
  /** The pull request on GitHub. */
  pullRequestUrl: string;
  /** Its signed evidence page. */
  evidenceUrl: string;
}

/** What the page shows. */
export interface DashboardPage {
  /** The organization's login as GitHub spells it. */
  org: string;
  /** The signed-in person's login. */
  viewer: string;
  generatedAt: Date;
  pullRequests: DashboardPullRequest[];
  /** Whether the list was cut at its limit (older pull requests exist). */
  truncated: boolean;
  /** The exceptions to act on, shown first (absent: the section is not shown). */
  exceptions?: DashboardExceptions;
  /** Further sections, already rendered (escaped) by their own renderers, shown after the exceptions and before the list. */
  sections?: string[];
  /** The page's filters as a query string (`?from=…`), for its download links (absent: none shown). */
  downloadQuery?: string;
}

const CSV_DOWNLOADS: ReadonlyArray<{ table: string; label: string }> = [
  { table: "pull-requests", label: "pull requests" },
  { table: "weekly", label: "weekly outcomes" },
  { table: "waits", label: "waits" },
  { table: "agents", label: "agents" },
  { table: "owners", label: "owners" },
  { table: "exceptions", label: "exceptions" },
];

/** The downloads of what the page shows, for its filters: JSON (everything) and a CSV per table. */
function downloads(org: string, query: string): string {
  const base = `/countersign/org/${encodeURIComponent(org)}`;
  const join = (extra: string) => (query === "?" || query === "" ? `?${extra}` : `${query}&${extra}`);
  const csv = CSV_DOWNLOADS.map((entry) => `<a href="${html(`${base}/export.csv${join(`table=${entry.table}`)}`)}">${html(entry.label)}</a>`).join(", ");
  return `<p class="downloads">What this page shows, for these filters: <a href="${html(`${base}/export.json${query === "?" ? "" : query}`)}">JSON</a>; CSV: ${csv}. Each download names the audit chain's head when it was made; <code>countersign audit verify --anchor &lt;hash&gt;</code> checks it later.</p>`;
}

const CONCLUSIONS: ReadonlyArray<{ conclusion: string; label: string }> = [
  { conclusion: "success", label: "Countersigned" },
  { conclusion: "action_required", label: "Waiting (action required)" },
  { conclusion: "failure", label: "Blocked or failed" },
  { conclusion: "neutral", label: "Evaluated only (neutral)" },
];

/** The counts by latest conclusion: the figure's summary row. */
function summary(pullRequests: readonly DashboardPullRequest[]): string {
  const known = new Set(CONCLUSIONS.map((entry) => entry.conclusion));
  const rows = [
    ...CONCLUSIONS.map(({ conclusion, label }) => ({ label, count: pullRequests.filter((pr) => pr.conclusion === conclusion).length })),
    { label: "Other", count: pullRequests.filter((pr) => !known.has(pr.conclusion)).length },
  ].filter((row) => row.count > 0 || row.label !== "Other");
  return `<table class="summary"><caption>By latest decision</caption><thead><tr><th scope="col">Latest decision</th><th scope="col">Pull requests</th></tr></thead><tbody>${rows
    .map((row) => `<tr><td>${html(row.label)}</td><td class="n">${row.count}</td></tr>`)
    .join("")}</tbody></table>`;
}

function pullRequestTable(pullRequests: readonly DashboardPullRequest[]): string {
  if (pullRequests.length === 0) return "<p>Countersign has decided on no agent pull request in this organization yet.</p>";
  const rows = pullRequests.map(
    (pr) =>
      `<tr><td>${externalLink(`${pr.repository}#${pr.number}`, pr.pullRequestUrl)}</td><td><span class="c-${html(pr.conclusion)}">${html(pr.conclusion)}</span></td><td>${html(pr.title)}</td><td>${minuteTime(pr.evaluatedAt)}</td><td>${externalLink("evidence", pr.evidenceUrl)}</td></tr>`,
  );
  return `<div class="scroll"><table class="prs"><thead><tr><th scope="col">Pull request</th><th scope="col">Latest decision</th><th scope="col">Check run</th><th scope="col">Decided</th><th scope="col">Evidence</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem; color: #1f2328; }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: baseline; justify-content: space-between; border-bottom: 1px solid #d0d7de; margin-bottom: 1rem; }
h1 { font-size: 1.4rem; margin: .5rem 0; }
form { margin: 0; }
button { font: inherit; padding: .2rem .7rem; border: 1px solid #8c959f; border-radius: 6px; background: #f6f8fa; cursor: pointer; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; }
.scroll { overflow-x: auto; }
time { white-space: nowrap; }
.c-success { color: #1a7f37; } .c-failure { color: #cf222e; } .c-action_required { color: #9a6700; }
footer { color: #59636e; font-size: .85rem; margin-top: 2rem; }
`;

/** The dashboard for one organization. */
export function renderDashboardPage(page: DashboardPage): string {
  const body = `<header><h1>Countersign: ${html(page.org)}</h1><form method="post" action="/countersign/logout"><span>Signed in as <strong>@${html(page.viewer)}</strong></span> <button type="submit">Sign out</button></form></header>
<main>
${page.exceptions ? renderExceptionsSection(page.exceptions) : ""}
${(page.sections ?? []).join("\n")}
<section aria-labelledby="agent-prs"><h2 id="agent-prs">Agent pull requests</h2>
${summary(page.pullRequests)}
${pullRequestTable(page.pullRequests)}
${page.truncated ? `<p>The ${page.pullRequests.length} most recently decided are shown.</p>` : ""}
</section>
${page.downloadQuery === undefined ? "" : `<section aria-labelledby="downloads"><h2 id="downloads">Downloads</h2>${downloads(page.org, page.downloadQuery)}</section>`}
</main>
<footer>Generated ${minuteTime(page.generatedAt.toISOString())} from Countersign's database.</footer>`;
  return htmlDocument({ title: `Countersign: ${page.org}`, style: STYLE + FIGURES_STYLE, body });
}

/** The page after signing out: nothing about any organization. */
export function renderSignedOutPage(): string {
  return htmlDocument({ title: "Signed out of Countersign", style: STYLE, body: "<main><h1>Signed out</h1><p>Your Countersign session has ended in this browser.</p></main>" });
}
