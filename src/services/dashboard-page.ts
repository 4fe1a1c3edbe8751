import type { Store } from "../db/client.js";
import type { ParsedStories } from "../db/parsed-stories.js";
import type { DashboardExceptions } from "../evidence/dashboard-exceptions.js";
import { renderDashboardFigures, type DashboardFiguresView } from "../evidence/dashboard-figures.js";
import { renderDashboardPage } from "../evidence/dashboard-page.js";
import type { EvidenceLinkSettings } from "../evidence/signed-links.js";
import { dashboardExceptions } from "./dashboard-exceptions.js";
import { computeFigures, loadFigureFacts } from "./dashboard-figures.js";
import { dashboardFilterQuery, filterWindow, parseDashboardFilters, type DashboardFilters } from "./dashboard-filters.js";
import type { SummaryRebuildStatus } from "./pull-request-summaries.js";

// The organization dashboard's page for a viewer already let in (dashboard-access.ts): its figures
// read from the database, their links built, rendered. Each further figure is one more read here and
// one more section in the renderer.

/** What the page is built from. */
export interface DashboardPageDeps {
  db: Store;
  evidence: EvidenceLinkSettings;
  /** GitHub's web address, for links to pull requests. */
  webUrl: string;
  clock: () => Date;
  /** The start-up rebuild of the pull request summaries, while it runs (pull-request-summaries.ts). */
  summaries?: SummaryRebuildStatus;
  /** The stories parsed by earlier views, kept for the next (src/db/parsed-stories.ts); absent: each view parses all. */
  parsedStories?: ParsedStories;
}

/** Everything one view of the dashboard shows, read and computed, before it is rendered or exported. */
export interface DashboardView {
  generatedAt: Date;
  filters: DashboardFilters;
  exceptions: DashboardExceptions;
  figures: DashboardFiguresView;
}

/** What the page says while summaries are rebuilt after an upgrade: the figures are short of those pull requests. */
function rebuildNotes(summaries: SummaryRebuildStatus | undefined): string[] {
  const pending = summaries?.pending() ?? 0;
  if (pending === 0) return [];
  return [`Countersign is rebuilding the summaries of ${pending} pull request${pending === 1 ? "" : "s"} from the stored decisions (after an upgrade or an interrupted write): until it is done, the figures leave them out.`];
}

/** Reads and computes `org`'s dashboard filtered by `query` (its GET parameters, dashboard-filters.ts). */
export async function loadDashboardView(deps: DashboardPageDeps, org: string, query: URLSearchParams = new URLSearchParams()): Promise<DashboardView> {
  const now = deps.clock();
  const { filters, notes } = parseDashboardFilters(query, now, org);
  // The exceptions take the page's range (up to now at the latest) and repository.
  const range = filterWindow(filters);
  const exceptions = await dashboardExceptions(deps, org, { from: range.start, to: range.end < now ? range.end : now, ...(filters.repo ? { repo: filters.repo } : {}) });
  const facts = await loadFigureFacts(deps.db, org, filters, deps.parsedStories);
  return {
    generatedAt: now,
    filters,
    exceptions,
    figures: computeFigures(org, filters, facts, { evidence: deps.evidence, webUrl: deps.webUrl, now }, [...notes, ...rebuildNotes(deps.summaries)]),
  };
}

/**
 * The HTML of `org`'s dashboard as `viewer` sees it, filtered by `query` (the page's GET parameters,
 * src/services/dashboard-filters.ts). `org` is the login as GitHub spells it.
 */
export async function dashboardPageHtml(deps: DashboardPageDeps, org: string, viewer: string, query: URLSearchParams = new URLSearchParams()): Promise<string> {
  const view = await loadDashboardView(deps, org, query);
  return renderDashboardPage({
    org,
    viewer,
    generatedAt: view.generatedAt,
    exceptions: view.exceptions,
    downloadQuery: dashboardFilterQuery(view.filters),
    sections: [renderDashboardFigures(view.figures)],
  });
}
