import type { Store } from "../db/client.js";
import { latestAgentPullRequestDecisions } from "../db/dashboard-pull-requests.js";
import { renderDashboardFigures } from "../evidence/dashboard-figures.js";
import { renderDashboardPage } from "../evidence/dashboard-page.js";
import { signedEvidenceUrl, type EvidenceLinkSettings } from "../evidence/signed-links.js";
import { dashboardExceptions } from "./dashboard-exceptions.js";
import { computeFigures, loadFigureFacts } from "./dashboard-figures.js";
import { filterWindow, parseDashboardFilters } from "./dashboard-filters.js";

// The organization dashboard's page for a viewer already let in (dashboard-access.ts): its figures
// read from the database, their links built, rendered. Each further figure is one more read here and
// one more section in the renderer.

/** How many agent pull requests the list shows, most recently decided first. */
export const PULL_REQUEST_LIMIT = 200;

/** What the page is built from. */
export interface DashboardPageDeps {
  db: Store;
  evidence: EvidenceLinkSettings;
  /** GitHub's web address, for links to pull requests. */
  webUrl: string;
  clock: () => Date;
}

/**
 * The HTML of `org`'s dashboard as `viewer` sees it, filtered by `query` (the page's GET parameters,
 * src/services/dashboard-filters.ts). `org` is the login as GitHub spells it.
 */
export async function dashboardPageHtml(deps: DashboardPageDeps, org: string, viewer: string, query: URLSearchParams = new URLSearchParams()): Promise<string> {
  const now = deps.clock();
  const { filters, notes } = parseDashboardFilters(query, now, org);
  // The exceptions take the page's range (up to now at the latest) and repository.
  const range = filterWindow(filters);
  const exceptions = await dashboardExceptions(deps, org, { from: range.start, to: range.end < now ? range.end : now, ...(filters.repo ? { repo: filters.repo } : {}) });
  const [rows, facts] = await Promise.all([latestAgentPullRequestDecisions(deps.db, org, PULL_REQUEST_LIMIT + 1), loadFigureFacts(deps.db, org, filters)]);
  const shown = rows.slice(0, PULL_REQUEST_LIMIT);
  return renderDashboardPage({
    org,
    viewer,
    generatedAt: now,
    exceptions,
    truncated: rows.length > PULL_REQUEST_LIMIT,
    sections: [renderDashboardFigures(computeFigures(org, filters, facts, { evidence: deps.evidence, webUrl: deps.webUrl, now }, notes))],
    pullRequests: shown.map((row) => ({
      repository: row.repository,
      number: row.number,
      conclusion: row.conclusion,
      title: row.title,
      evaluatedAt: row.evaluatedAt.toISOString(),
      pullRequestUrl: `${deps.webUrl}/${row.repository.split("/").map(encodeURIComponent).join("/")}/pull/${row.number}`,
      evidenceUrl: signedEvidenceUrl(deps.evidence, row.repository, row.number, now),
    })),
  });
}
