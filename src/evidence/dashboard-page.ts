import { renderExceptionsSection, type DashboardExceptions } from "./dashboard-exceptions.js";
import { FIGURES_STYLE } from "./dashboard-figures.js";
import { html, htmlDocument, minuteTime } from "./html.js";

// The organization dashboard as a plain HTML document (no scripts, no external resources), every
// value escaped. Pure: takes the page's data, returns HTML: who is signed in, the exceptions, then the
// figures (and their filtered list of pull requests) as sections rendered on their own
// (dashboard-figures.ts), then the downloads.

/** What the page shows. */
export interface DashboardPage {
  /** The organization's login as GitHub spells it. */
  org: string;
  /** The signed-in person's login. */
  viewer: string;
  generatedAt: Date;
  /** The exceptions to act on, shown first (absent: the section is not shown). */
  exceptions?: DashboardExceptions;
  /** Further sections, already rendered (escaped) by their own renderers, shown after the exceptions and before the downloads. */
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
footer { color: #59636e; font-size: .85rem; margin-top: 2rem; }
/* On a phone the exceptions and the list of pull requests are cards: one cell a line, named by its
   column, where seven columns side by side made rows a screen tall and cut them off. */
@media (max-width: 720px) {
  table.exceptions, table.exceptions tbody, table.exceptions tr, table.exceptions td,
  table.prs, table.prs tbody, table.prs tr, table.prs td { display: block; width: auto; }
  table.exceptions thead, table.prs thead { display: none; }
  table.exceptions tr, table.prs tr { border-bottom: 1px solid #d0d7de; padding: .4rem 0; }
  table.exceptions td, table.prs td { border: 0; padding: .1rem 0; overflow-wrap: anywhere; }
  table.exceptions td::before, table.prs td::before { content: attr(data-label) ": "; color: #59636e; font-weight: 600; }
}
`;

/** The dashboard for one organization. */
export function renderDashboardPage(page: DashboardPage): string {
  const body = `<header><h1>Countersign: ${html(page.org)}</h1><form method="post" action="/countersign/logout"><span>Signed in as <strong>@${html(page.viewer)}</strong></span> <button type="submit">Sign out</button></form></header>
<main>
${page.exceptions ? renderExceptionsSection(page.exceptions) : ""}
${(page.sections ?? []).join("\n")}
${page.downloadQuery === undefined ? "" : `<section aria-labelledby="downloads"><h2 id="downloads">Downloads</h2>${downloads(page.org, page.downloadQuery)}</section>`}
</main>
<footer>Generated ${minuteTime(page.generatedAt.toISOString())} from Countersign's database.</footer>`;
  return htmlDocument({ title: `Countersign: ${page.org}`, style: STYLE + FIGURES_STYLE, body });
}

/** The page after signing out: nothing about any organization. */
export function renderSignedOutPage(): string {
  return htmlDocument({ title: "Signed out of Countersign", style: STYLE, body: "<main><h1>Signed out</h1><p>Your Countersign session has ended in this browser.</p></main>" });
}
