import { z } from "zod";

// The dashboard's filters, as GET query parameters on /countersign/org/<org> (docs/dashboard.md):
//   from, to   dates (YYYY-MM-DD, UTC, both days included); default the 12 weeks up to today
//   repo       a repository of the organization (`name` or `org/name`)
//   agent      an agent's login (`name` or `name[bot]`)
//   owner      a delegating owner's login
//   week       a week (its Monday, YYYY-MM-DD): narrows the list of pull requests behind the figures
//   outcome    one of OUTCOMES: narrows that list to the pull requests whose latest decision of the week had it
// They come from whoever typed the address, so each is parsed on its own: a value that does not parse
// is dropped (its default applies) with a note the page shows, never an error page. Every figure, the
// exceptions list and the downloads read the same `DashboardFilters`.

/** A pull request's outcome in a week, as the dashboard counts it (src/services/pull-request-outcome.ts). */
export const OUTCOMES = ["countersigned", "waiting-delegation", "waiting-approval", "blocked"] as const;
export type DashboardOutcome = (typeof OUTCOMES)[number];

/** The filters a page is drawn with, every one valid. */
export interface DashboardFilters {
  /** First day included (YYYY-MM-DD, UTC). */
  from: string;
  /** Last day included (YYYY-MM-DD, UTC). */
  to: string;
  /** `org/name` as the viewer typed it (compared without regard to case), or null for every repository. */
  repo: string | null;
  agent: string | null;
  owner: string | null;
  /** A week's Monday (YYYY-MM-DD) inside the range, or null. */
  week: string | null;
  outcome: DashboardOutcome | null;
}

/** The parsed filters and what was wrong with the query, in words for the page. */
export interface ParsedDashboardFilters {
  filters: DashboardFilters;
  notes: string[];
}

/** The longest range one page reads: every figure is computed from the range's decisions in memory. */
export const MAX_RANGE_DAYS = 366;
/** The default range, in weeks ending with the current one. */
export const DEFAULT_WEEKS = 12;

const DAY_MS = 86_400_000;

const dateSchema = z
  .string()
  .regex(/^\d{4}-\d\d-\d\d$/)
  .refine((text) => !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text), "not a calendar date");
const repoSchema = z.string().regex(/^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/)?[A-Za-z0-9._-]{1,100}$/);
const agentSchema = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(\[bot\])?$/);
const ownerSchema = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/);
const outcomeSchema = z.enum(OUTCOMES);

/** The Monday (00:00 UTC) of the week `at` falls in: the dashboard's weeks are ISO weeks in UTC. */
export function weekStart(at: Date): Date {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * DAY_MS);
}

/** YYYY-MM-DD of a UTC instant. */
export function isoDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The instants the filters' range covers: from `from` 00:00 UTC to the day after `to`, 00:00 UTC (excluded). */
export function filterWindow(filters: Pick<DashboardFilters, "from" | "to">): { start: Date; end: Date } {
  return { start: new Date(`${filters.from}T00:00:00Z`), end: new Date(Date.parse(`${filters.to}T00:00:00Z`) + DAY_MS) };
}

/** The filters of a page with no query: the current week and the 11 before it, everything else open. */
export function defaultDashboardFilters(now: Date): DashboardFilters {
  return { from: isoDay(new Date(weekStart(now).getTime() - (DEFAULT_WEEKS - 1) * 7 * DAY_MS)), to: isoDay(now), repo: null, agent: null, owner: null, week: null, outcome: null };
}

/** Parses the page's query string; a value that does not parse leaves its default and a note. */
export function parseDashboardFilters(query: URLSearchParams, now: Date, org: string): ParsedDashboardFilters {
  const defaults = defaultDashboardFilters(now);
  const notes: string[] = [];
  // An empty field is how a GET form sends "no filter": not a mistake.
  const value = (name: string): string | null => {
    const raw = query.get(name);
    return raw === null || raw.trim() === "" ? null : raw.trim();
  };
  const parsed = <T>(name: string, schema: z.ZodType<T>, what: string): T | null => {
    const raw = value(name);
    if (raw === null) return null;
    const result = schema.safeParse(raw);
    if (result.success) return result.data;
    notes.push(`"${name}" was ignored: it is not ${what}.`);
    return null;
  };

  let from = parsed("from", dateSchema, "a date (YYYY-MM-DD)") ?? defaults.from;
  let to = parsed("to", dateSchema, "a date (YYYY-MM-DD)") ?? defaults.to;
  if (from > to) {
    notes.push(`"from" (${from}) is after "to" (${to}): the default range is shown.`);
    ({ from, to } = defaults);
  } else if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_RANGE_DAYS) {
    notes.push(`The range is longer than ${MAX_RANGE_DAYS} days: the ${MAX_RANGE_DAYS} days up to ${to} are shown.`);
    from = isoDay(new Date(Date.parse(`${to}T00:00:00Z`) - (MAX_RANGE_DAYS - 1) * DAY_MS));
  }

  let repo = parsed("repo", repoSchema, "a repository name");
  if (repo !== null) {
    const [owner, name] = repo.includes("/") ? (repo.split("/") as [string, string]) : [org, repo];
    if (owner.toLowerCase() !== org.toLowerCase()) {
      notes.push(`"repo" was ignored: it is not a repository of ${org}.`);
      repo = null;
    } else repo = `${org}/${name}`;
  }

  let week = parsed("week", dateSchema, "a date (YYYY-MM-DD)");
  if (week !== null && isoDay(weekStart(new Date(`${week}T00:00:00Z`))) !== week) {
    // A day inside a week names that week: a link typed by hand need not know which day is Monday.
    week = isoDay(weekStart(new Date(`${week}T00:00:00Z`)));
  }
  if (week !== null) {
    const window = filterWindow({ from, to });
    const weekEnd = Date.parse(`${week}T00:00:00Z`) + 7 * DAY_MS;
    if (weekEnd <= window.start.getTime() || Date.parse(`${week}T00:00:00Z`) >= window.end.getTime()) {
      notes.push(`"week" was ignored: the week of ${week} is outside ${from} to ${to}.`);
      week = null;
    }
  }

  return {
    filters: {
      from,
      to,
      repo,
      agent: parsed("agent", agentSchema, "a GitHub login"),
      owner: parsed("owner", ownerSchema, "a GitHub login"),
      week,
      outcome: parsed("outcome", outcomeSchema, `one of ${OUTCOMES.join(", ")}`),
    },
    notes,
  };
}

/**
 * The query string (with its `?`) of the page with `filters` changed by `change`: every figure's link
 * keeps the viewer's other filters. The defaults of `from`/`to` are written too, so a link copied
 * later shows the same weeks.
 */
export function dashboardFilterQuery(filters: DashboardFilters, change: Partial<DashboardFilters> = {}): string {
  const merged = { ...filters, ...change };
  const query = new URLSearchParams();
  for (const name of ["from", "to", "repo", "agent", "owner", "week", "outcome"] as const) {
    const value = merged[name];
    if (value !== null) query.set(name, value);
  }
  return `?${query.toString()}`;
}
