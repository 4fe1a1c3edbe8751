import { z } from "zod";
import type { Store } from "../db/client.js";
import { agentInventories, delegationCounts, type DelegationCount } from "../db/dashboard-delegations.js";
import { utcDay } from "../db/pull-request-story.js";
import type { ParsedStories } from "../db/parsed-stories.js";
import { agentPullRequestSummaries, type PullRequestSummary } from "../db/pull-request-summaries.js";
import type { DashboardFiguresView, FigurePullRequest, TimingRow } from "../evidence/dashboard-figures.js";
import { signedEvidenceUrl, type EvidenceLinkSettings } from "../evidence/signed-links.js";
import { dashboardFilterQuery, filterWindow, OUTCOMES, type DashboardFilters, type DashboardOutcome } from "./dashboard-filters.js";
import { summarizeDurations, weekOf, weeksOf } from "./dashboard-statistics.js";

// The dashboard's main figures (docs/dashboard.md, "The figures"), from the database only: the
// summaries of the organization's agent pull requests decided on in the range (one row each, kept as
// decisions are recorded: src/db/pull-request-summaries.ts), the delegations given in the range,
// counted, and the agents' newest inventories. `loadFigureFacts` reads; `computeFigures` is pure and
// is where every figure's definition lives.

/** How many pull requests the list behind the figures shows. */
export const MATCHING_LIMIT = 200;

/** What the figures are computed from. */
export interface FigureFacts {
  pullRequests: PullRequestSummary[];
  delegations: DelegationCount[];
  /** Per agent login, the inventories of the newest delegations naming it, newest first. */
  inventories: Map<string, string[]>;
  /** How many of the range's summaries could not be read (left out until rebuilt, and said so). */
  unreadable: number;
}

/** What building the figures' links needs. */
export interface FigureLinks {
  evidence: EvidenceLinkSettings;
  /** GitHub's web address. */
  webUrl: string;
  now: Date;
}

/**
 * Reads the facts the figures of `org` under `filters` need: three reads, and one per agent seen.
 * `parsed` keeps the stories already parsed for the next view (parsed-stories.ts).
 */
export async function loadFigureFacts(db: Store, org: string, filters: DashboardFilters, parsed?: ParsedStories): Promise<FigureFacts> {
  const { start, end } = filterWindow(filters);
  const [{ summaries: pullRequests, unreadable }, delegations] = await Promise.all([agentPullRequestSummaries(db, org, start, end, parsed), delegationCounts(db, org, start, end)]);
  const logins = new Map<string, string>();
  const endDay = utcDay(end);
  for (const summary of pullRequests) for (const day of summary.story.days) if (day.day < endDay) for (const agent of day.agents) logins.set(agent.login.toLowerCase(), agent.login);
  return { pullRequests, delegations, inventories: await agentInventories(db, org, [...logins.values()], end), unreadable };
}

/** One day's latest decision, with its week. */
interface DayDecision {
  day: string;
  week: string;
  /** Epoch milliseconds, as stored. */
  at: number;
  outcome: DashboardOutcome;
  title: string;
}

/** One agent pull request as of the range's end, everything the figures need of it. */
interface PullRequestStory {
  repository: string;
  number: number;
  /** Each of the range's days' latest decision, oldest first. */
  days: DayDecision[];
  /** Times in epoch milliseconds, as stored. */
  firstSeen: number;
  agents: Map<string, { login: string; kind: string; signals: Set<string>; lastSeen: number }>;
  owners: Set<string>;
  /** When the delegation took effect: when it was given, or the agent's first sighting if it was given before. */
  delegatedAt: number | null;
  /** The first passing decision that relied on a delegation. */
  countersignedAt: number | null;
}

const inventorySchema = z.array(
  z.union([
    z.object({ kind: z.literal("app"), login: z.string(), slug: z.string(), permissions: z.record(z.string(), z.string()).default({}), events: z.array(z.string()).default([]) }),
    z.object({ kind: z.literal("machine-user"), login: z.string(), permission: z.string() }),
    z.object({ kind: z.literal("unknown"), login: z.string(), reason: z.string() }),
  ]),
);

/** An agent's tool inventory as one line, from a delegation's stored JSON; null when none names it. */
function inventoryLine(json: string | null, login: string): string | null {
  if (json === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return null;
  }
  const result = inventorySchema.safeParse(parsed);
  if (!result.success) return null;
  const entry = result.data.find((candidate) => candidate.login.toLowerCase() === login.toLowerCase());
  if (!entry) return null;
  if (entry.kind === "app") {
    const permissions = Object.entries(entry.permissions).map(([name, level]) => `${name}: ${level}`).join(", ");
    return `GitHub App ${entry.slug}; permissions ${permissions || "none"}; events ${entry.events.join(", ") || "none"}`;
  }
  if (entry.kind === "machine-user") return `machine user; repository permission ${entry.permission}`;
  return `not read: ${entry.reason}`;
}

const lower = (text: string) => text.toLowerCase();

const OUTCOME_NAMES: ReadonlySet<string> = new Set(OUTCOMES);

const DAY_MS = 86_400_000;

/** The week (its Monday) of a UTC day or of epoch milliseconds, remembered per day: tens of thousands are asked for. */
function weekFinder(): { ofDay: (day: string) => string; ofMs: (at: number) => string } {
  const byDay = new Map<string, string>();
  const byEpochDay = new Map<number, string>();
  return {
    ofDay: (day) => {
      let week = byDay.get(day);
      if (week === undefined) byDay.set(day, (week = weekOf(new Date(`${day}T00:00:00Z`))));
      return week;
    },
    ofMs: (at) => {
      const epochDay = Math.floor(at / DAY_MS);
      let week = byEpochDay.get(epochDay);
      if (week === undefined) byEpochDay.set(epochDay, (week = weekOf(new Date(epochDay * DAY_MS))));
      return week;
    },
  };
}

/**
 * Each summary as of `end` (a UTC midnight): the range's days, and what came before its end. A
 * summary whose first agent decision is later is not an agent pull request yet.
 */
function stories(facts: FigureFacts, start: Date, end: Date, weeks: ReturnType<typeof weekFinder>): PullRequestStory[] {
  const [startDay, endDay] = [utcDay(start), utcDay(end)];
  const endMs = end.getTime();
  const result: PullRequestStory[] = [];
  for (const summary of facts.pullRequests) {
    const { story } = summary;
    if (story.firstAgentAt === null || story.firstAgentAt >= endMs) continue;
    const firstSeen = story.firstAgentAt;
    const days: DayDecision[] = [];
    const agents: PullRequestStory["agents"] = new Map();
    const owners = new Set<string>();
    for (const day of story.days) {
      if (day.day >= endDay) break;
      // An outcome the stored row names but this version does not know is counted as blocked (fail closed).
      if (day.latest && day.day >= startDay) days.push({ day: day.day, week: weeks.ofDay(day.day), at: day.latest.at, outcome: OUTCOME_NAMES.has(day.latest.outcome) ? (day.latest.outcome as DashboardOutcome) : "blocked", title: day.latest.title });
      for (const agent of day.agents) {
        const key = lower(agent.login);
        const known = agents.get(key);
        if (!known) {
          agents.set(key, { login: agent.login, kind: agent.kind, signals: new Set(agent.signals), lastSeen: agent.lastAt });
          continue;
        }
        for (const signal of agent.signals) known.signals.add(signal);
        if (agent.lastAt > known.lastSeen) known.lastSeen = agent.lastAt;
      }
      for (const owner of day.owners) owners.add(lower(owner));
    }
    let delegatedAt: number | null = null;
    if (story.delegated !== null && story.delegated.at < endMs) {
      // A delegation given before the agent's pull request (on its task issue) has waited nothing.
      const given = story.delegated.delegation.givenAt ?? story.delegated.at;
      delegatedAt = Math.max(given, firstSeen);
    }
    const countersignedAt = delegatedAt !== null && story.countersignedAt !== null && story.countersignedAt < endMs ? Math.max(story.countersignedAt, delegatedAt) : null;
    result.push({ repository: summary.repository, number: summary.number, days, firstSeen, agents, owners, delegatedAt, countersignedAt });
  }
  return result;
}

/** The figures of `org` under `filters`, from `facts` (pure). */
export function computeFigures(org: string, filters: DashboardFilters, facts: FigureFacts, links: FigureLinks, notes: readonly string[] = []): DashboardFiguresView {
  const { start, end } = filterWindow(filters);
  const inRange = (at: number) => at >= start.getTime() && at < end.getTime();
  const weeks = weeksOf(start, end);
  const href = (change: Partial<DashboardFilters>) => `${dashboardFilterQuery(filters, change)}#matching`;

  // Each pull request's latest decision of each week, counting only the range's days: a week cut by
  // `from` or `to` counts its days inside the range (the range is whole days, and so are the summaries).
  const weekLookup = weekFinder();
  const all = stories(facts, start, end, weekLookup).filter(
    (story) =>
      story.days.length > 0 &&
      (filters.repo === null || lower(story.repository) === lower(filters.repo)) &&
      (filters.agent === null || story.agents.has(lower(filters.agent))) &&
      (filters.owner === null || story.owners.has(lower(filters.owner))),
  );

  // Per week, each pull request decided on in it counts once, under its latest decision of that week:
  // the last of its days (oldest first) in that week.
  const tally = new Map<string, number[]>();
  for (const story of all) {
    story.days.forEach((day, position) => {
      if (story.days[position + 1]?.week === day.week) return;
      const counts = tally.get(day.week) ?? OUTCOMES.map(() => 0);
      const outcome = OUTCOMES.indexOf(day.outcome);
      counts[outcome] = (counts[outcome] ?? 0) + 1;
      tally.set(day.week, counts);
    });
  }
  const weekly = weeks.map((week) => ({
    week,
    href: href({ week, outcome: null }),
    counts: OUTCOMES.map((outcome, index) => ({ outcome, count: tally.get(week)?.[index] ?? 0, href: href({ week, outcome }) })),
  }));

  // The two waits, each counted in the week (and the repository) where it ended, if that is in the range.
  const timing = (pick: (story: PullRequestStory) => { end: number; ms: number } | null) => {
    const waits = all.map((story) => ({ story, wait: pick(story) })).filter((entry): entry is { story: PullRequestStory; wait: { end: number; ms: number } } => entry.wait !== null && inRange(entry.wait.end));
    const msByWeek = new Map<string, number[]>();
    const msByRepository = new Map<string, number[]>();
    const add = (groups: Map<string, number[]>, key: string, ms: number) => {
      const group = groups.get(key);
      if (group) group.push(ms);
      else groups.set(key, [ms]);
    };
    for (const { story, wait } of waits) {
      add(msByWeek, weekLookup.ofMs(wait.end), wait.ms);
      add(msByRepository, story.repository, wait.ms);
    }
    const byWeek: TimingRow[] = weeks.map((week) => ({ label: week, href: href({ week, outcome: null }), ...summarizeDurations(msByWeek.get(week) ?? []) }));
    const byRepository: TimingRow[] = [...msByRepository.keys()].sort().map((repository) => ({ label: repository, href: href({ repo: repository, week: null, outcome: null }), ...summarizeDurations(msByRepository.get(repository) ?? []) }));
    return { byWeek, byRepository, overall: summarizeDurations(waits.map((entry) => entry.wait.ms)) };
  };
  const toDelegation = timing((story) => (story.delegatedAt !== null ? { end: story.delegatedAt, ms: story.delegatedAt - story.firstSeen } : null));
  const toCountersign = timing((story) => (story.delegatedAt !== null && story.countersignedAt !== null ? { end: story.countersignedAt, ms: story.countersignedAt - story.delegatedAt } : null));

  // Agents: every agent account the filtered pull requests' decisions saw, with the newest inventory recorded for it.
  const agents = new Map<string, { login: string; kind: string; signals: Set<string>; pullRequests: number; lastSeen: number }>();
  for (const story of all) {
    for (const [key, agent] of story.agents) {
      const known = agents.get(key) ?? { login: agent.login, kind: agent.kind, signals: new Set<string>(), pullRequests: 0, lastSeen: agent.lastSeen };
      for (const signal of agent.signals) known.signals.add(signal);
      known.pullRequests += 1;
      if (agent.lastSeen > known.lastSeen) known.lastSeen = agent.lastSeen;
      agents.set(key, known);
    }
  }
  const inventoriesOf = new Map([...facts.inventories].map(([login, inventories]) => [lower(login), inventories]));
  const agentRows = [...agents.values()]
    .sort((a, b) => b.pullRequests - a.pullRequests || a.login.localeCompare(b.login))
    .map((agent) => ({
      login: agent.login,
      kind: agent.kind,
      detectedBy: [...agent.signals].sort(),
      pullRequests: agent.pullRequests,
      lastSeen: new Date(agent.lastSeen).toISOString(),
      inventory: (inventoriesOf.get(lower(agent.login)) ?? []).map((json) => inventoryLine(json, agent.login)).find((line) => line !== null) ?? null,
      href: href({ agent: agent.login, week: null, outcome: null }),
    }));

  // Owners: the delegations given in the range (repository, owner and agent filters applied to the delegation itself).
  const owners = new Map<string, { login: string; delegated: number; active: number; revoked: number; expired: number }>();
  for (const row of facts.delegations) {
    if (filters.repo !== null && lower(row.repository) !== lower(filters.repo)) continue;
    if (filters.owner !== null && lower(row.ownerLogin) !== lower(filters.owner)) continue;
    if (filters.agent !== null && row.agentLogin !== null && lower(row.agentLogin) !== lower(filters.agent)) continue;
    const known = owners.get(lower(row.ownerLogin)) ?? { login: row.ownerLogin, delegated: 0, active: 0, revoked: 0, expired: 0 };
    known.delegated += row.count;
    if (row.status === "revoked") known.revoked += row.count;
    else if (row.status === "expired") known.expired += row.count;
    else known.active += row.count;
    owners.set(lower(row.ownerLogin), known);
  }
  const pullRequestsOf = new Map<string, number>();
  for (const story of all) for (const owner of story.owners) pullRequestsOf.set(owner, (pullRequestsOf.get(owner) ?? 0) + 1);
  const ownerRows = [...owners.values()]
    .sort((a, b) => b.delegated - a.delegated || a.login.localeCompare(b.login))
    .map((owner) => ({ ...owner, pullRequests: pullRequestsOf.get(lower(owner.login)) ?? 0, href: href({ owner: owner.login, week: null, outcome: null }) }));

  // The list behind the figures: the filtered pull requests, narrowed to a week (and an outcome in it).
  const matching = all
    .map((story) => ({ story, day: (filters.week !== null ? story.days.findLast((day) => day.week === filters.week) : story.days.at(-1)) ?? null }))
    .filter((entry): entry is { story: PullRequestStory; day: DayDecision } => entry.day !== null && (filters.outcome === null || entry.day.outcome === filters.outcome))
    .sort((a, b) => b.day.at - a.day.at);
  const pullRequests: FigurePullRequest[] = matching.slice(0, MATCHING_LIMIT).map(({ story, day }) => ({
    repository: story.repository,
    number: story.number,
    outcome: day.outcome,
    title: day.title,
    evaluatedAt: new Date(day.at).toISOString(),
    pullRequestUrl: `${links.webUrl}/${story.repository.split("/").map(encodeURIComponent).join("/")}/pull/${story.number}`,
    evidenceUrl: signedEvidenceUrl(links.evidence, story.repository, story.number, links.now),
  }));

  return {
    org,
    form: { action: `/countersign/org/${encodeURIComponent(org)}`, from: filters.from, to: filters.to, repo: filters.repo ?? "", agent: filters.agent ?? "", owner: filters.owner ?? "", clearHref: `/countersign/org/${encodeURIComponent(org)}` },
    notes: [
      ...notes,
      ...(facts.unreadable > 0 ? [`The summaries of ${facts.unreadable} pull request${facts.unreadable === 1 ? "" : "s"} could not be read: the figures leave them out until the app rebuilds them at its next start.`] : []),
    ],
    weekly,
    toDelegation,
    toCountersign,
    agents: agentRows,
    owners: ownerRows,
    matching: { week: filters.week, outcome: filters.outcome, total: matching.length, pullRequests },
  };
}
