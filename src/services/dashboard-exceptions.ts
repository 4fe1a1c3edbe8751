import type { Store } from "../db/client.js";
import {
  agentDirectPushes,
  failedEvaluations,
  invalidPolicies,
  lateCredentials,
  unverifiedMerges,
  type ExceptionWindow,
} from "../db/dashboard-exceptions.js";
import type { DashboardExceptions, ExceptionLinks } from "../evidence/dashboard-exceptions.js";
import { signedEvidenceUrl, type EvidenceLinkSettings } from "../evidence/signed-links.js";

export type { ExceptionWindow } from "../db/dashboard-exceptions.js";

// The dashboard's exceptions (docs/dashboard.md#exceptions): the five reads, each with its links to
// GitHub (the app's web URL, so GitHub Enterprise Server's on GHES) and to the evidence page, which
// exists per pull request. From the database only: rendering the page asks GitHub nothing.

/** How many rows each kind lists; a longer list says so. */
export const EXCEPTION_LIMIT = 50;

/** The default window: the last 12 weeks up to now. */
export const DEFAULT_WINDOW_MS = 12 * 7 * 86_400_000;

/** What the exceptions are built from (the page's own dependencies are enough). */
export interface DashboardExceptionsDeps {
  db: Store;
  evidence: EvidenceLinkSettings;
  /** GitHub's web address (`https://github.com`, or a GitHub Enterprise Server's). */
  webUrl: string;
  clock: () => Date;
}

/** The window ending now and starting 12 weeks before, when the page is given none. */
export function defaultExceptionWindow(now: Date): ExceptionWindow {
  return { from: new Date(now.getTime() - DEFAULT_WINDOW_MS), to: now };
}

/** `webUrl/owner/name/...rest`, each segment of the repository's name encoded. */
function repositoryUrl(webUrl: string, repository: string, ...rest: string[]): string {
  return [webUrl.replace(/\/+$/, ""), ...repository.split("/").map(encodeURIComponent), ...rest].join("/");
}

/** `org`'s exceptions in `window` (default: the last 12 weeks), with their links built. */
export async function dashboardExceptions(deps: DashboardExceptionsDeps, org: string, window?: ExceptionWindow): Promise<DashboardExceptions> {
  const now = deps.clock();
  const range = window ?? defaultExceptionWindow(now);
  const pullRequest = (repository: string, number: number | null): ExceptionLinks =>
    number === null || number <= 0
      ? { subject: null, evidence: null }
      : { subject: repositoryUrl(deps.webUrl, repository, "pull", String(number)), evidence: signedEvidenceUrl(deps.evidence, repository, number, now) };
  const commit = (repository: string, sha: string | null): ExceptionLinks => ({ subject: sha && /^[0-9a-f]{7,64}$/i.test(sha) ? repositoryUrl(deps.webUrl, repository, "commit", sha) : null, evidence: null });

  // One after another: the database is shared with the app's evaluations, and the page is not hot.
  const merges = await unverifiedMerges(deps.db, org, range, EXCEPTION_LIMIT);
  const pushes = await agentDirectPushes(deps.db, org, range, EXCEPTION_LIMIT);
  const policies = await invalidPolicies(deps.db, org, range, EXCEPTION_LIMIT);
  const failures = await failedEvaluations(deps.db, org, range, EXCEPTION_LIMIT);
  const credentials = await lateCredentials(deps.db, org, range, now, EXCEPTION_LIMIT);
  return {
    window: { from: range.from, to: range.to, repo: range.repo ?? null },
    unverifiedMerges: { ...merges, rows: merges.rows.map((row) => ({ ...row, links: pullRequest(row.repository, row.number) })) },
    directPushes: { ...pushes, rows: pushes.rows.map((row) => ({ ...row, links: commit(row.repository, row.headSha) })) },
    invalidPolicies: { ...policies, rows: policies.rows.map((row) => ({ ...row, links: pullRequest(row.repository, row.number) })) },
    failedEvaluations: { ...failures, rows: failures.rows.map((row) => ({ ...row, links: row.number !== null ? pullRequest(row.repository, row.number) : commit(row.repository, row.headSha) })) },
    lateCredentials: {
      ...credentials,
      rows: credentials.rows.map((row) => ({
        ...row,
        links:
          row.subject === null
            ? { subject: null, evidence: null }
            : row.subject.type === "pull_request"
              ? pullRequest(row.repository, row.subject.number)
              : { subject: repositoryUrl(deps.webUrl, row.repository, "issues", String(row.subject.number)), evidence: null },
      })),
    },
  };
}
