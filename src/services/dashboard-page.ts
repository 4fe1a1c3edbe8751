import type { Store } from "../db/client.js";
import { latestAgentPullRequestDecisions } from "../db/dashboard-pull-requests.js";
import { renderDashboardPage } from "../evidence/dashboard-page.js";
import { signedEvidenceUrl, type EvidenceLinkSettings } from "../evidence/signed-links.js";
import { dashboardExceptions, type ExceptionWindow } from "./dashboard-exceptions.js";

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

/** The HTML of `org`'s dashboard as `viewer` sees it. `org` is the login as GitHub spells it. */
export async function dashboardPageHtml(deps: DashboardPageDeps, org: string, viewer: string, window?: ExceptionWindow): Promise<string> {
  const now = deps.clock();
  const exceptions = await dashboardExceptions(deps, org, window);
  const rows = await latestAgentPullRequestDecisions(deps.db, org, PULL_REQUEST_LIMIT + 1);
  const shown = rows.slice(0, PULL_REQUEST_LIMIT);
  return renderDashboardPage({
    org,
    viewer,
    generatedAt: now,
    exceptions,
    truncated: rows.length > PULL_REQUEST_LIMIT,
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
