import { z } from "zod";
import type { Store } from "../db/client.js";
import { agentSightings, type AgentSighting } from "../db/dashboard-agent-sightings.js";
import { decisionsOfPullRequests, pullRequestsDecidedBetween, type DashboardDecisionRow } from "../db/dashboard-decisions.js";
import { dashboardDelegations, type DashboardDelegationRow } from "../db/dashboard-delegations.js";
import type { DashboardFiguresView, FigurePullRequest, TimingRow } from "../evidence/dashboard-figures.js";
import { signedEvidenceUrl, type EvidenceLinkSettings } from "../evidence/signed-links.js";
import { dashboardFilterQuery, filterWindow, OUTCOMES, type DashboardFilters, type DashboardOutcome } from "./dashboard-filters.js";
import { summarizeDurations, weekOf, weeksOf } from "./dashboard-statistics.js";
import { decisionOutcome, delegationRelied, sawAgent } from "./pull-request-outcome.js";

// The dashboard's main figures (docs/dashboard.md, "The figures"), from the database only: the
// decisions on the organization's pull requests decided in the range, the agents their decision
// events saw, and the delegations. `loadFigureFacts` reads; `computeFigures` is pure and is where
// every figure's definition lives.

/** How many pull requests the list behind the figures shows. */
export const MATCHING_LIMIT = 200;

/** What the figures are computed from. */
export interface FigureFacts {
  decisions: DashboardDecisionRow[];
  sightings: AgentSighting[];
  delegations: DashboardDelegationRow[];
}

/** What building the figures' links needs. */
export interface FigureLinks {
  evidence: EvidenceLinkSettings;
  /** GitHub's web address. */
  webUrl: string;
  now: Date;
}

/** Reads the facts the figures of `org` under `filters` need. */
export async function loadFigureFacts(db: Store, org: string, filters: DashboardFilters): Promise<FigureFacts> {
  const { start, end } = filterWindow(filters);
  const pullRequests = await pullRequestsDecidedBetween(db, org, start, end);
  const [decisions, sightings] = await Promise.all([decisionsOfPullRequests(db, pullRequests, end), agentSightings(db, pullRequests, end)]);
  const relied = [...new Set(decisions.flatMap((row) => [row.delegationId, delegationRelied(row.reasons)]).filter((id): id is string => id !== null))];
  const delegations = await dashboardDelegations(db, org, start, end, relied);
  return { decisions, sightings, delegations };
}

/** One agent pull request, everything the figures need of it. */
interface PullRequestStory {
  key: string;
  repository: string;
  number: number;
  decisions: DashboardDecisionRow[];
  firstSeen: Date;
  agents: Map<string, { login: string; kind: string; signals: Set<string>; lastSeen: Date }>;
  owners: Set<string>;
  /** When the delegation took effect: its creation, or the agent's first sighting if it was given before. */
  delegatedAt: Date | null;
  /** The first passing decision that relied on a delegation, at or after `delegatedAt`. */
  countersignedAt: Date | null;
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

/** Groups the decisions into agent pull requests (those some decision saw an agent in). */
function stories(facts: FigureFacts): PullRequestStory[] {
  const delegations = new Map(facts.delegations.map((row) => [row.id, row]));
  const byKey = new Map<string, DashboardDecisionRow[]>();
  for (const row of facts.decisions) {
    const key = `${row.repoId}#${row.number}`;
    byKey.set(key, [...(byKey.get(key) ?? []), row]);
  }
  const sightings = new Map<string, AgentSighting[]>();
  for (const sighting of facts.sightings) {
    const key = `${sighting.repoId}#${sighting.number}`;
    sightings.set(key, [...(sightings.get(key) ?? []), sighting]);
  }
  const result: PullRequestStory[] = [];
  for (const [key, decisions] of byKey) {
    const agentDecisions = decisions.filter((row) => sawAgent(row.reasons));
    if (agentDecisions.length === 0) continue;
    const firstSeen = (agentDecisions[0] as DashboardDecisionRow).evaluatedAt;
    const agents: PullRequestStory["agents"] = new Map();
    for (const sighting of sightings.get(key) ?? []) {
      for (const agent of sighting.agents) {
        const known = agents.get(lower(agent.login)) ?? { login: agent.login, kind: agent.kind, signals: new Set<string>(), lastSeen: sighting.at };
        for (const signal of sighting.signals) known.signals.add(signal);
        if (sighting.at > known.lastSeen) known.lastSeen = sighting.at;
        agents.set(lower(agent.login), known);
      }
    }
    const owners = new Set<string>();
    let delegatedAt: Date | null = null;
    let countersignedAt: Date | null = null;
    for (const row of decisions) {
      const id = row.delegationId ?? delegationRelied(row.reasons);
      const delegation = id === null ? undefined : delegations.get(id);
      if (delegation) owners.add(lower(delegation.ownerLogin));
      if (id !== null && delegatedAt === null) {
        // A delegation given before the agent's pull request (on its task issue) has waited nothing.
        const given = delegation?.createdAt ?? row.evaluatedAt;
        delegatedAt = given < firstSeen ? firstSeen : given;
      }
      if (delegatedAt !== null && countersignedAt === null && id !== null && row.conclusion === "success" && row.evaluatedAt >= delegatedAt) countersignedAt = row.evaluatedAt;
    }
    const latest = decisions[decisions.length - 1] as DashboardDecisionRow;
    result.push({ key, repository: latest.repository, number: latest.number, decisions, firstSeen, agents, owners, delegatedAt, countersignedAt });
  }
  return result;
}

/** The pull request's latest decision in a week, or null when it had none that week. */
function latestInWeek(story: PullRequestStory, week: string): DashboardDecisionRow | null {
  return story.decisions.findLast((row) => weekOf(row.evaluatedAt) === week) ?? null;
}

/** The figures of `org` under `filters`, from `facts` (pure). */
export function computeFigures(org: string, filters: DashboardFilters, facts: FigureFacts, links: FigureLinks, notes: readonly string[] = []): DashboardFiguresView {
  const { start, end } = filterWindow(filters);
  const inRange = (at: Date) => at >= start && at < end;
  const weeks = weeksOf(start, end);
  const href = (change: Partial<DashboardFilters>) => `${dashboardFilterQuery(filters, change)}#matching`;

  const all = stories(facts).filter(
    (story) =>
      story.decisions.some((row) => inRange(row.evaluatedAt)) &&
      (filters.repo === null || lower(story.repository) === lower(filters.repo)) &&
      (filters.agent === null || story.agents.has(lower(filters.agent))) &&
      (filters.owner === null || story.owners.has(lower(filters.owner))),
  );

  // Per week, each pull request decided on in it counts once, under its latest decision of that week.
  // Only the range's decisions count: a week cut by `from` or `to` counts its days inside the range.
  const outcomeIn = (story: PullRequestStory, week: string): DashboardOutcome | null => {
    const row = story.decisions.findLast((candidate) => weekOf(candidate.evaluatedAt) === week && inRange(candidate.evaluatedAt));
    return row ? decisionOutcome(row) : null;
  };
  const weekly = weeks.map((week) => ({
    week,
    href: href({ week, outcome: null }),
    counts: OUTCOMES.map((outcome) => ({ outcome, count: all.filter((story) => outcomeIn(story, week) === outcome).length, href: href({ week, outcome }) })),
  }));

  // The two waits, each counted in the week (and the repository) where it ended, if that is in the range.
  const timing = (pick: (story: PullRequestStory) => { end: Date; ms: number } | null) => {
    const waits = all.map((story) => ({ story, wait: pick(story) })).filter((entry): entry is { story: PullRequestStory; wait: { end: Date; ms: number } } => entry.wait !== null && inRange(entry.wait.end));
    const byWeek: TimingRow[] = weeks.map((week) => ({ label: week, href: href({ week, outcome: null }), ...summarizeDurations(waits.filter((entry) => weekOf(entry.wait.end) === week).map((entry) => entry.wait.ms)) }));
    const repositories = [...new Set(waits.map((entry) => entry.story.repository))].sort();
    const byRepository: TimingRow[] = repositories.map((repository) => ({ label: repository, href: href({ repo: repository, week: null, outcome: null }), ...summarizeDurations(waits.filter((entry) => entry.story.repository === repository).map((entry) => entry.wait.ms)) }));
    return { byWeek, byRepository, overall: summarizeDurations(waits.map((entry) => entry.wait.ms)) };
  };
  const toDelegation = timing((story) => (story.delegatedAt ? { end: story.delegatedAt, ms: story.delegatedAt.getTime() - story.firstSeen.getTime() } : null));
  const toCountersign = timing((story) => (story.delegatedAt && story.countersignedAt ? { end: story.countersignedAt, ms: story.countersignedAt.getTime() - story.delegatedAt.getTime() } : null));

  // Agents: every agent account the filtered pull requests' decisions saw, with the newest inventory recorded for it.
  const agents = new Map<string, { login: string; kind: string; signals: Set<string>; pullRequests: number; lastSeen: Date }>();
  for (const story of all) {
    for (const [key, agent] of story.agents) {
      const known = agents.get(key) ?? { login: agent.login, kind: agent.kind, signals: new Set<string>(), pullRequests: 0, lastSeen: agent.lastSeen };
      for (const signal of agent.signals) known.signals.add(signal);
      known.pullRequests += 1;
      if (agent.lastSeen > known.lastSeen) known.lastSeen = agent.lastSeen;
      agents.set(key, known);
    }
  }
  const newestFirst = [...facts.delegations].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const agentRows = [...agents.values()]
    .sort((a, b) => b.pullRequests - a.pullRequests || a.login.localeCompare(b.login))
    .map((agent) => ({
      login: agent.login,
      kind: agent.kind,
      detectedBy: [...agent.signals].sort(),
      pullRequests: agent.pullRequests,
      lastSeen: agent.lastSeen.toISOString(),
      inventory: newestFirst.map((row) => inventoryLine(row.agentInventory, agent.login)).find((line) => line !== null) ?? null,
      href: href({ agent: agent.login, week: null, outcome: null }),
    }));

  // Owners: the delegations given in the range (repository, owner and agent filters applied to the delegation itself).
  const owners = new Map<string, { login: string; delegated: number; active: number; revoked: number; expired: number }>();
  for (const row of facts.delegations) {
    if (!inRange(row.createdAt)) continue;
    if (filters.repo !== null && lower(row.repository) !== lower(filters.repo)) continue;
    if (filters.owner !== null && lower(row.ownerLogin) !== lower(filters.owner)) continue;
    if (filters.agent !== null && row.agentLogin !== null && lower(row.agentLogin) !== lower(filters.agent)) continue;
    const known = owners.get(lower(row.ownerLogin)) ?? { login: row.ownerLogin, delegated: 0, active: 0, revoked: 0, expired: 0 };
    known.delegated += 1;
    if (row.status === "revoked") known.revoked += 1;
    else if (row.status === "expired") known.expired += 1;
    else known.active += 1;
    owners.set(lower(row.ownerLogin), known);
  }
  const ownerRows = [...owners.values()]
    .sort((a, b) => b.delegated - a.delegated || a.login.localeCompare(b.login))
    .map((owner) => ({ ...owner, pullRequests: all.filter((story) => story.owners.has(lower(owner.login))).length, href: href({ owner: owner.login, week: null, outcome: null }) }));

  // The list behind the figures: the filtered pull requests, narrowed to a week (and an outcome in it).
  const matching = all
    .map((story) => {
      const row = filters.week !== null ? latestInWeek(story, filters.week) : (story.decisions.findLast((candidate) => inRange(candidate.evaluatedAt)) ?? null);
      return row && (filters.week === null || inRange(row.evaluatedAt)) ? { story, row } : null;
    })
    .filter((entry): entry is { story: PullRequestStory; row: DashboardDecisionRow } => entry !== null && (filters.outcome === null || decisionOutcome(entry.row) === filters.outcome))
    .sort((a, b) => b.row.evaluatedAt.getTime() - a.row.evaluatedAt.getTime());
  const pullRequests: FigurePullRequest[] = matching.slice(0, MATCHING_LIMIT).map(({ story, row }) => ({
    repository: story.repository,
    number: story.number,
    outcome: decisionOutcome(row),
    title: row.title,
    evaluatedAt: row.evaluatedAt.toISOString(),
    pullRequestUrl: `${links.webUrl}/${story.repository.split("/").map(encodeURIComponent).join("/")}/pull/${story.number}`,
    evidenceUrl: signedEvidenceUrl(links.evidence, story.repository, story.number, links.now),
  }));

  return {
    org,
    form: { action: `/countersign/org/${encodeURIComponent(org)}`, from: filters.from, to: filters.to, repo: filters.repo ?? "", agent: filters.agent ?? "", owner: filters.owner ?? "", clearHref: `/countersign/org/${encodeURIComponent(org)}` },
    notes: [...notes],
    weekly,
    toDelegation,
    toCountersign,
    agents: agentRows,
    owners: ownerRows,
    matching: { week: filters.week, outcome: filters.outcome, total: matching.length, pullRequests },
  };
}
