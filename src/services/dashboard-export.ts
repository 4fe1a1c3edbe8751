import { chainHead } from "../db/audit-log.js";
import { csvDocument } from "../evidence/csv.js";
import { loadDashboardView, type DashboardPageDeps, type DashboardView } from "./dashboard-page.js";

// The dashboard's downloads (docs/dashboard.md): what the page shows for the same filters, as JSON
// (everything) or as CSV (one table at a time), with the audit chain's head read after every figure,
// so each event the download reflects was in the chain under that head: `countersign audit verify
// --anchor <hash>` later shows the log still holds it, unaltered.

/** The tables a CSV download can hold; `pull-requests` by default. */
export const CSV_TABLES = ["pull-requests", "weekly", "waits", "agents", "owners", "exceptions"] as const;
export type CsvTable = (typeof CSV_TABLES)[number];

/** A download: its body, media type and file name. */
export interface DashboardDownload {
  body: string;
  contentType: string;
  fileName: string;
}

/** The chain's head as a download states it (null: the log has no sealed event yet). */
type Head = { seq: number; hash: string } | null;

const EXCEPTION_KINDS = ["unverifiedMerges", "directPushes", "invalidPolicies", "failedEvaluations", "lateCredentials"] as const;

/** A value for JSON: dates as ISO strings, links kept (the downloader may follow them), nothing else changed. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

function jsonDocument(org: string, view: DashboardView, head: Head): string {
  const { figures } = view;
  return `${JSON.stringify(
    {
      format: "countersign-dashboard/1",
      org,
      generatedAt: view.generatedAt.toISOString(),
      chainHead: head,
      filters: view.filters,
      notes: figures.notes,
      exceptions: plain(view.exceptions),
      weekly: figures.weekly.map((week) => ({ week: week.week, counts: Object.fromEntries(week.counts.map((count) => [count.outcome, count.count])) })),
      waits: { toDelegation: plain(figures.toDelegation), toCountersign: plain(figures.toCountersign) },
      agents: figures.agents.map(({ href, ...agent }) => agent),
      owners: figures.owners.map(({ href, ...owner }) => owner),
      matching: figures.matching,
    },
    null,
    2,
  )}\n`;
}

function csvTable(view: DashboardView, table: CsvTable): string {
  const { figures } = view;
  switch (table) {
    case "pull-requests":
      return csvDocument(
        ["repository", "number", "outcome", "title", "evaluated_at", "pull_request_url", "evidence_url"],
        figures.matching.pullRequests.map((pr) => [pr.repository, pr.number, pr.outcome, pr.title, pr.evaluatedAt, pr.pullRequestUrl, pr.evidenceUrl]),
      );
    case "weekly": {
      const outcomes = [...new Set(figures.weekly.flatMap((week) => week.counts.map((count) => count.outcome)))];
      return csvDocument(["week", ...outcomes], figures.weekly.map((week) => [week.week, ...outcomes.map((outcome) => week.counts.find((count) => count.outcome === outcome)?.count ?? 0)]));
    }
    case "waits":
      return csvDocument(
        ["wait", "by", "label", "count", "median_ms", "p90_ms"],
        (["toDelegation", "toCountersign"] as const).flatMap((wait) => [
          ...figures[wait].byWeek.map((row) => [wait, "week", row.label, row.count, row.medianMs, row.p90Ms]),
          ...figures[wait].byRepository.map((row) => [wait, "repository", row.label, row.count, row.medianMs, row.p90Ms]),
        ]),
      );
    case "agents":
      return csvDocument(["login", "kind", "detected_by", "pull_requests", "last_seen", "inventory"], figures.agents.map((agent) => [agent.login, agent.kind, agent.detectedBy.join(" "), agent.pullRequests, agent.lastSeen, agent.inventory]));
    case "owners":
      return csvDocument(["login", "delegated", "active", "revoked", "expired", "pull_requests"], figures.owners.map((owner) => [owner.login, owner.delegated, owner.active, owner.revoked, owner.expired, owner.pullRequests]));
    case "exceptions":
      // The kinds have different fields: each row's are kept whole, as JSON, beside its kind.
      return csvDocument(["kind", "details"], EXCEPTION_KINDS.flatMap((kind) => view.exceptions[kind].rows.map((row) => [kind, JSON.stringify(row)])));
  }
}

/** The comment line a CSV download starts with: what it is, and the chain head it can be checked against. */
function csvPreamble(org: string, view: DashboardView, table: CsvTable, head: Head): string {
  const filters = Object.entries(view.filters)
    .filter(([, value]) => value !== null)
    .map(([name, value]) => `${name}=${value}`)
    .join(" ")
    .replace(/[\r\n]/g, " ");
  return `# Countersign dashboard ${table} for ${org}; ${filters}; generated ${view.generatedAt.toISOString()}; audit chain head ${head ? `${head.hash} (event ${head.seq})` : "none"}\r\n`;
}

/** `org`'s dashboard for `query` as a download: `json`, or `csv` of `table`. */
export async function dashboardDownload(deps: DashboardPageDeps, org: string, query: URLSearchParams, format: "json" | "csv"): Promise<DashboardDownload> {
  const view = await loadDashboardView(deps, org, query);
  // Read last: every event the figures reflect is at or below this head.
  const head = await chainHead(deps.db);
  const stamp = view.generatedAt.toISOString().slice(0, 10);
  if (format === "json") return { body: jsonDocument(org, view, head), contentType: "application/json; charset=utf-8", fileName: `countersign-${org}-${stamp}.json` };
  const requested = query.get("table");
  const table: CsvTable = (CSV_TABLES as readonly string[]).includes(requested ?? "") ? (requested as CsvTable) : "pull-requests";
  return { body: csvPreamble(org, view, table, head) + csvTable(view, table), contentType: "text/csv; charset=utf-8", fileName: `countersign-${org}-${table}-${stamp}.csv` };
}
