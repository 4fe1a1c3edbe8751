import { stackedBarChartSvg, type ChartSeries } from "./bar-chart-svg.js";
import { externalLink, html, minuteTime } from "./html.js";
import { waitChartSvg } from "./wait-chart-svg.js";

// The dashboard's main figures as HTML sections (docs/dashboard.md, "The figures"): the filter form,
// agent pull requests per week by outcome (chart and table), the waits for delegation and for
// countersignature, the agents and the delegating owners, and the pull requests behind them. Pure:
// every link is built by the caller (src/services/dashboard-figures.ts) and every text escaped here.

/** Median, p90 and count of one wait in one row (a week or a repository). */
export interface TimingRow {
  label: string;
  href: string;
  count: number;
  medianMs: number | null;
  p90Ms: number | null;
}

/** One of the waits, by week and by repository. */
export interface TimingFigure {
  byWeek: TimingRow[];
  byRepository: TimingRow[];
  overall: { count: number; medianMs: number | null; p90Ms: number | null };
}

/** A pull request behind the figures, with its links. */
export interface FigurePullRequest {
  repository: string;
  number: number;
  outcome: string;
  title: string;
  evaluatedAt: string;
  pullRequestUrl: string;
  evidenceUrl: string;
}

/** Everything the figures show, links built. */
export interface DashboardFiguresView {
  org: string;
  form: { action: string; from: string; to: string; repo: string; agent: string; owner: string; clearHref: string };
  notes: string[];
  weekly: Array<{ week: string; href: string; counts: Array<{ outcome: string; count: number; href: string }> }>;
  toDelegation: TimingFigure;
  toCountersign: TimingFigure;
  agents: Array<{ login: string; kind: string; detectedBy: string[]; pullRequests: number; lastSeen: string; inventory: string | null; href: string }>;
  owners: Array<{ login: string; delegated: number; active: number; revoked: number; expired: number; pullRequests: number; href: string }>;
  matching: { week: string | null; outcome: string | null; total: number; pullRequests: FigurePullRequest[] };
}

/** The outcomes, bottom to top of each bar, with their patterns. */
export const OUTCOME_SERIES: readonly ChartSeries[] = [
  { key: "countersigned", label: "Countersigned", ink: "#1a7f37", paper: "#dafbe1", pattern: "solid" },
  { key: "waiting-delegation", label: "Waiting for delegation", ink: "#9a6700", paper: "#fff8c5", pattern: "hatch" },
  { key: "waiting-approval", label: "Waiting for independent approval", ink: "#0969da", paper: "#ddf4ff", pattern: "dots" },
  { key: "blocked", label: "Blocked or failed", ink: "#cf222e", paper: "#ffebe9", pattern: "cross" },
];

const outcomeLabel = (outcome: string) => OUTCOME_SERIES.find((series) => series.key === outcome)?.label ?? outcome;

/** A link to a page of this dashboard (a relative query); anything else is shown as text. */
function pageLink(label: string, href: string): string {
  if (!/^\?[^\s"'<>]*(#[A-Za-z0-9-]*)?$/.test(href)) return html(label);
  return `<a href="${html(href)}">${html(label)}</a>`;
}

/** A duration for people: minutes under two hours, hours under two days, days beyond. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "–";
  const minutes = ms / 60_000;
  if (minutes < 120) return `${Math.round(minutes)} min`;
  const hours = minutes / 60;
  if (hours < 48) return `${(Math.round(hours * 10) / 10).toFixed(1)} h`;
  return `${(Math.round((hours / 24) * 10) / 10).toFixed(1)} d`;
}

function filterForm(view: DashboardFiguresView): string {
  const field = (name: string, label: string, type: string, value: string, extra = "") =>
    `<label>${html(label)} <input type="${type}" name="${name}" value="${html(value)}"${extra}></label>`;
  const notes = view.notes.map((note) => `<p class="note" role="status">${html(note)}</p>`).join("");
  return `<form class="filters" method="get" action="${html(view.form.action)}"><fieldset><legend>Filters</legend>${field("from", "From", "date", view.form.from, " required")}${field("to", "To", "date", view.form.to, " required")}${field("repo", "Repository", "text", view.form.repo, ' placeholder="name" maxlength="140"')}${field("agent", "Agent", "text", view.form.agent, ' placeholder="login" maxlength="45"')}${field("owner", "Owner", "text", view.form.owner, ' placeholder="login" maxlength="39"')}<button type="submit">Apply</button> <a href="${html(view.form.clearHref)}">Clear</a></fieldset></form>${notes}`;
}

function weeklyFigure(view: DashboardFiguresView): string {
  const totals = view.weekly.map((week) => week.counts.reduce((sum, entry) => sum + entry.count, 0));
  const chart = stackedBarChartSvg({
    id: "weekly-outcomes",
    title: "Agent pull requests per week, by outcome",
    description: `For each week from ${view.weekly[0]?.week ?? "–"} to ${view.weekly[view.weekly.length - 1]?.week ?? "–"}, the agent pull requests decided on that week, counted once each under their latest decision of the week. The same numbers are in the table beside the chart.`,
    series: OUTCOME_SERIES,
    bars: view.weekly.map((week) => ({ label: week.week.slice(5), title: `Week of ${week.week}`, segments: week.counts.map((entry) => ({ series: entry.outcome, count: entry.count, href: entry.href })) })),
  });
  const head = `<tr><th scope="col">Week of</th>${OUTCOME_SERIES.map((series) => `<th scope="col">${html(series.label)}</th>`).join("")}<th scope="col">All</th></tr>`;
  const rows = view.weekly
    .map((week, index) => `<tr><th scope="row">${pageLink(week.week, week.href)}</th>${week.counts.map((entry) => `<td class="n">${entry.count === 0 ? "0" : pageLink(String(entry.count), entry.href)}</td>`).join("")}<td class="n">${totals[index]}</td></tr>`)
    .join("");
  return `<section aria-labelledby="weekly"><h2 id="weekly">Agent pull requests per week, by outcome</h2>
<div class="figure"><div class="scroll chart">${chart}</div><div class="scroll"><table><caption>Pull requests per week and outcome</caption><thead>${head}</thead><tbody>${rows}</tbody></table></div></div></section>`;
}

function timingTable(caption: string, first: string, delegation: readonly TimingRow[], countersign: readonly TimingRow[]): string {
  const labels = [...new Set([...delegation.map((row) => row.label), ...countersign.map((row) => row.label)])].sort();
  if (labels.length === 0) return `<p>${html(caption)}: none in this range.</p>`;
  const cells = (row: TimingRow | undefined) => (row ? `<td class="n">${row.count}</td><td class="n">${formatDuration(row.medianMs)}</td><td class="n">${formatDuration(row.p90Ms)}</td>` : `<td class="n">0</td><td class="n">–</td><td class="n">–</td>`);
  const rows = labels
    .map((label) => {
      const d = delegation.find((row) => row.label === label);
      const c = countersign.find((row) => row.label === label);
      return `<tr><th scope="row">${pageLink(label, (d ?? c)?.href ?? "")}</th>${cells(d)}${cells(c)}</tr>`;
    })
    .join("");
  return `<div class="scroll"><table><caption>${html(caption)}</caption><thead><tr><th scope="col" rowspan="2">${html(first)}</th><th scope="colgroup" colspan="3">First seen → delegated</th><th scope="colgroup" colspan="3">Delegated → countersigned</th></tr><tr><th scope="col">PRs</th><th scope="col">Median</th><th scope="col">p90</th><th scope="col">PRs</th><th scope="col">Median</th><th scope="col">p90</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function timingFigure(view: DashboardFiguresView): string {
  const overall = (name: string, figure: TimingFigure) => `${name}: median ${formatDuration(figure.overall.medianMs)}, p90 ${formatDuration(figure.overall.p90Ms)} over ${figure.overall.count} pull request${figure.overall.count === 1 ? "" : "s"}`;
  const chart = (id: string, name: string, figure: TimingFigure) =>
    `<div class="scroll chart"><strong>${html(name)}, per week</strong>${waitChartSvg({
      id,
      title: `${name}, per week`,
      description: `For each week, the median and the p90 of the wait "${name}" among the pull requests whose wait ended that week (empty: none). The table below has the same numbers.`,
      bars: figure.byWeek.map((row) => ({ label: row.label.slice(5), title: `Week of ${row.label} (${row.count} pull request${row.count === 1 ? "" : "s"})`, medianMs: row.medianMs, p90Ms: row.p90Ms, href: row.href })),
      format: formatDuration,
    })}</div>`;
  return `<section aria-labelledby="timing"><h2 id="timing">Time to delegation and to countersignature</h2>
<p>${html(overall("First seen → delegated", view.toDelegation))}. ${html(overall("Delegated → countersigned", view.toCountersign))}.</p>
<div class="figure">${chart("wait-delegation", "First seen → delegated", view.toDelegation)}${chart("wait-countersign", "Delegated → countersigned", view.toCountersign)}</div>
${timingTable("By week the wait ended", "Week of", view.toDelegation.byWeek.filter((row) => row.count > 0), view.toCountersign.byWeek.filter((row) => row.count > 0))}
${timingTable("By repository", "Repository", view.toDelegation.byRepository, view.toCountersign.byRepository)}</section>`;
}

function agentsTable(view: DashboardFiguresView): string {
  if (view.agents.length === 0) return `<section aria-labelledby="agents"><h2 id="agents">Agents seen</h2><p>No agent was seen in this range.</p></section>`;
  const rows = view.agents
    .map((agent) => `<tr><th scope="row">${pageLink(agent.login, agent.href)}</th><td>${html(agent.kind)}</td><td>${html(agent.detectedBy.join(", ") || "–")}</td><td class="n">${agent.pullRequests}</td><td>${minuteTime(agent.lastSeen)}</td><td>${html(agent.inventory ?? "not recorded")}</td></tr>`)
    .join("");
  return `<section aria-labelledby="agents"><h2 id="agents">Agents seen</h2><div class="scroll"><table><thead><tr><th scope="col">Agent</th><th scope="col">Account</th><th scope="col">Detected by</th><th scope="col">Pull requests</th><th scope="col">Last seen</th><th scope="col">Tool inventory (at its latest delegation)</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function ownersTable(view: DashboardFiguresView): string {
  if (view.owners.length === 0) return `<section aria-labelledby="owners"><h2 id="owners">Delegating owners</h2><p>Nobody delegated a task in this range.</p></section>`;
  const rows = view.owners
    .map((owner) => `<tr><th scope="row">${pageLink(owner.login, owner.href)}</th><td class="n">${owner.delegated}</td><td class="n">${owner.active}</td><td class="n">${owner.revoked}</td><td class="n">${owner.expired}</td><td class="n">${owner.pullRequests}</td></tr>`)
    .join("");
  return `<section aria-labelledby="owners"><h2 id="owners">Delegating owners</h2><div class="scroll"><table><thead><tr><th scope="col">Owner</th><th scope="col">Tasks delegated</th><th scope="col">Still active</th><th scope="col">Revoked</th><th scope="col">Expired</th><th scope="col">Agent pull requests relying on them</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function matchingList(view: DashboardFiguresView): string {
  const { matching } = view;
  const scope = [matching.week ? `week of ${matching.week}` : null, matching.outcome ? outcomeLabel(matching.outcome).toLowerCase() : null].filter((part) => part !== null).join(", ");
  const heading = `Pull requests behind these figures${scope ? ` (${scope})` : ""}`;
  if (matching.pullRequests.length === 0) return `<section aria-labelledby="matching"><h2 id="matching">${html(heading)}</h2><p>None match these filters.</p></section>`;
  const columns = ["Pull request", `Outcome${matching.week ? " that week" : ""}`, "Check run", "Decided", "Evidence"];
  // Each cell names its column (data-label): on a phone the rows are cards, without the header row.
  const rows = matching.pullRequests
    .map((pr) => [externalLink(`${pr.repository}#${pr.number}`, pr.pullRequestUrl), html(outcomeLabel(pr.outcome)), html(pr.title), minuteTime(pr.evaluatedAt), externalLink("evidence", pr.evidenceUrl)])
    .map((cells) => `<tr>${cells.map((cell, index) => `<td data-label="${html(columns[index])}">${cell}</td>`).join("")}</tr>`)
    .join("");
  const cut = matching.total > matching.pullRequests.length ? `<p>The ${matching.pullRequests.length} most recently decided of ${matching.total} are shown.</p>` : "";
  return `<section aria-labelledby="matching"><h2 id="matching">${html(heading)}</h2><div class="scroll"><table class="prs"><thead><tr>${columns.map((column) => `<th scope="col">${html(column)}</th>`).join("")}</tr></thead><tbody>${rows}</tbody></table></div>${cut}</section>`;
}

/** The figures' CSS, added to the page's: charts and tables keep to their own scrolling box on a phone. */
export const FIGURES_STYLE = `
.filters fieldset { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; border: 1px solid #d0d7de; border-radius: 6px; }
.filters label { display: flex; flex-direction: column; font-size: .85rem; }
.filters input { font: inherit; padding: .15rem .3rem; max-width: 12rem; }
.note { background: #fff8c5; border: 1px solid #d4a72c; padding: .3rem .6rem; border-radius: 6px; }
.figure { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.figure > .scroll { max-width: 100%; }
.chart svg { display: block; }
th[scope=row] { font-weight: normal; white-space: nowrap; }
td.n { white-space: nowrap; }
`;

/** The figures' sections, in the page's order. */
export function renderDashboardFigures(view: DashboardFiguresView): string {
  return `<section aria-labelledby="figures"><h2 id="figures">Figures</h2>${filterForm(view)}</section>
${weeklyFigure(view)}
${timingFigure(view)}
${agentsTable(view)}
${ownersTable(view)}
${matchingList(view)}`;
}
