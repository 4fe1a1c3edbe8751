import { z } from "zod";

// What the organization dashboard keeps of one pull request (the `story` of a PullRequestSummary
// row), and how one more decision or agent sighting is merged into it. Pure.
//
// Every merge is a minimum, a maximum or a union, with ties broken by what was decided, so the story
// is the same whatever order its decisions are merged in, and merging one twice changes nothing: a
// row rebuilt from the stored decisions equals the row kept decision by decision.
//
// The figures are computed for a range of whole UTC days, and "as of the end of the range": the
// first agent decision, the first delegated decision and the first countersign are firsts, so a
// first after the range's end means none yet; what can differ from day to day (the latest decision,
// the agents seen, the delegations relied on) is kept per day.

/** A delegation a decision relied on: who gave it and when. */
export interface StoryDelegation {
  id: string;
  /** The delegating owner's login, or null where the delegation could not be read. */
  owner: string | null;
  /** When it was given, or null where it could not be read. */
  givenAt: Date | null;
}

/** What one recorded decision adds to its pull request's story. */
export interface DecisionContribution {
  at: Date;
  repository: string;
  /** The dashboard's outcome of this decision (src/services/pull-request-outcome.ts). */
  outcome: string;
  title: string;
  /** Whether the decision saw an agent. */
  agentSeen: boolean;
  /** The delegation it relied on, or null. */
  delegation: StoryDelegation | null;
  /** Whether it passed relying on a delegation: a countersign. */
  countersigned: boolean;
}

/** The agents one decision's audit event names, and the signals that found them. */
export interface AgentSightingContribution {
  at: Date;
  agents: ReadonlyArray<{ login: string; kind: string }>;
  signals: readonly string[];
}

/** One merge: a decision, an agent sighting, or both (a decision with its audit event). */
export interface StoryContribution {
  decision: DecisionContribution | null;
  sighting: AgentSightingContribution | null;
}

/** One agent account a day's decisions saw. */
export interface StoryAgent {
  login: string;
  kind: string;
  signals: string[];
  /** Epoch milliseconds, as every time in a story. */
  lastAt: number;
}

/** One UTC day of a pull request's story. */
export interface StoryDay {
  /** YYYY-MM-DD. */
  day: string;
  /** That day's latest decision; null for a day with only an agent sighting. */
  latest: { at: number; outcome: string; title: string } | null;
  /** Who that day's decisions saw. */
  agents: StoryAgent[];
  /** Who gave the delegations that day's decisions relied on. */
  owners: string[];
}

/** What the dashboard keeps of one pull request. */
export interface PullRequestStory {
  /** The repository's name at the newest decision. */
  repository: { name: string; at: number } | null;
  firstAgentAt: number | null;
  /** The first decision that relied on a delegation, and that delegation. */
  delegated: { at: number; delegation: { id: string; owner: string | null; givenAt: number | null } } | null;
  /** The first decision that passed relying on a delegation. */
  countersignedAt: number | null;
  /** Oldest first. */
  days: StoryDay[];
}

export const EMPTY_STORY: PullRequestStory = { repository: null, firstAgentAt: null, delegated: null, countersignedAt: null, days: [] };

// The page reads one story per agent pull request in the range (10,000 in the benchmark), and
// parsing them is most of its time. So the stored JSON is the least the page needs: times are epoch
// milliseconds; there are no decision ids (a day's latest decision is the latest by time, then by
// outcome and title, which is all the page shows of it); keys are one or two letters (7 MB of JSON
// became 4 MB, and its parse a third shorter); and the schema has no transforms (zod compiles plain
// object schemas; with transforms the same parse took three times as long): the readable story is
// built from the parsed one by hand.
const ms = z.number().int();
const storedSchema = z.object({
  /** repository: n name, t at */
  r: z.object({ n: z.string(), t: ms }).nullable(),
  /** firstAgentAt */
  f: ms.nullable(),
  /** delegated: t at, i delegation id, o owner, g given at */
  g: z.object({ t: ms, i: z.string(), o: z.string().nullable(), g: ms.nullable() }).nullable(),
  /** countersignedAt */
  c: ms.nullable(),
  /** days: d day, l latest (t at, o outcome, n title), a agents (l login, k kind, s signals, t last at), w owners */
  d: z.array(
    z.object({
      d: z.string(),
      l: z.object({ t: ms, o: z.string(), n: z.string() }).nullable(),
      a: z.array(z.object({ l: z.string(), k: z.string(), s: z.array(z.string()), t: ms })),
      w: z.array(z.string()),
    }),
  ),
});
type StoredStory = z.infer<typeof storedSchema>;

/** The UTC day of `at`, YYYY-MM-DD. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Whether (at, key) comes after (otherAt, otherKey): what happened at one instant is ordered by what it says. */
function later(at: number, key: string, otherAt: number, otherKey: string): boolean {
  return at > otherAt || (at === otherAt && key > otherKey);
}

const latestKey = (latest: { outcome: string; title: string }) => `${latest.outcome}\n${latest.title}`;

const earlier = (a: number | null, b: number): number => (a === null || b < a ? b : a);

function mergeAgents(known: StoryDay["agents"], sighting: AgentSightingContribution): StoryDay["agents"] {
  const agents = known.map((agent) => ({ ...agent, signals: [...agent.signals] }));
  for (const seen of sighting.agents) {
    const key = seen.login.toLowerCase();
    const agent = agents.find((candidate) => candidate.login.toLowerCase() === key);
    if (!agent) {
      agents.push({ login: seen.login, kind: seen.kind, signals: [...new Set(sighting.signals)].sort(), lastAt: sighting.at.getTime() });
      continue;
    }
    agent.signals = [...new Set([...agent.signals, ...sighting.signals])].sort();
    // The account as the latest sighting spells it (GitHub's logins keep their case), ties settled by the text.
    const seenAt = sighting.at.getTime();
    if (later(seenAt, `${seen.login}\n${seen.kind}`, agent.lastAt, `${agent.login}\n${agent.kind}`)) Object.assign(agent, { login: seen.login, kind: seen.kind, lastAt: seenAt });
  }
  return agents.sort((a, b) => a.login.toLowerCase().localeCompare(b.login.toLowerCase()));
}

/** `story` with `contribution` merged in (a new object; `story` is not changed). */
export function mergeStory(story: PullRequestStory, contribution: StoryContribution): PullRequestStory {
  const next: PullRequestStory = { ...story, days: [...story.days] };
  const { decision, sighting } = contribution;
  const dayOf = (at: Date): StoryDay => {
    const key = utcDay(at);
    let index = next.days.findIndex((entry) => entry.day === key);
    if (index === -1) {
      next.days.push({ day: key, latest: null, agents: [], owners: [] });
      next.days.sort((a, b) => a.day.localeCompare(b.day));
      index = next.days.findIndex((entry) => entry.day === key);
    }
    const copy = { ...(next.days[index] as StoryDay) };
    next.days[index] = copy;
    return copy;
  };
  if (decision) {
    const at = decision.at.getTime();
    const day = dayOf(decision.at);
    const latest = { at, outcome: decision.outcome, title: decision.title };
    if (day.latest === null || later(at, latestKey(latest), day.latest.at, latestKey(day.latest))) day.latest = latest;
    if (next.repository === null || later(at, decision.repository, next.repository.at, next.repository.name)) next.repository = { name: decision.repository, at };
    if (decision.agentSeen) next.firstAgentAt = earlier(next.firstAgentAt, at);
    if (decision.delegation) {
      const { id, owner, givenAt } = decision.delegation;
      if (owner !== null && !day.owners.includes(owner)) day.owners = [...day.owners, owner].sort();
      if (next.delegated === null || later(next.delegated.at, next.delegated.delegation.id, at, id)) next.delegated = { at, delegation: { id, owner, givenAt: givenAt?.getTime() ?? null } };
    }
    if (decision.countersigned) next.countersignedAt = earlier(next.countersignedAt, at);
  }
  if (sighting && sighting.agents.length > 0) {
    const day = dayOf(sighting.at);
    day.agents = mergeAgents(day.agents, sighting);
  }
  return next;
}

/** The story as stored (JSON, in `storedSchema`'s short keys). */
export function serializeStory(story: PullRequestStory): string {
  const stored: StoredStory = {
    r: story.repository && { n: story.repository.name, t: story.repository.at },
    f: story.firstAgentAt,
    g: story.delegated && { t: story.delegated.at, i: story.delegated.delegation.id, o: story.delegated.delegation.owner, g: story.delegated.delegation.givenAt },
    c: story.countersignedAt,
    d: story.days.map((day) => ({
      d: day.day,
      l: day.latest && { t: day.latest.at, o: day.latest.outcome, n: day.latest.title },
      a: day.agents.map((agent) => ({ l: agent.login, k: agent.kind, s: agent.signals, t: agent.lastAt })),
      w: day.owners,
    })),
  };
  return JSON.stringify(stored);
}

/** A stored story, or null where the text is not one (the row is then rebuilt, never guessed). */
export function parseStory(text: string): PullRequestStory | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = storedSchema.safeParse(json);
  if (!parsed.success) return null;
  const { r, f, g, c, d } = parsed.data;
  return {
    repository: r && { name: r.n, at: r.t },
    firstAgentAt: f,
    delegated: g && { at: g.t, delegation: { id: g.i, owner: g.o, givenAt: g.g } },
    countersignedAt: c,
    days: d.map((day) => ({ day: day.d, latest: day.l && { at: day.l.t, outcome: day.l.o, title: day.l.n }, agents: day.a.map((agent) => ({ login: agent.l, kind: agent.k, signals: agent.s, lastAt: agent.t })), owners: day.w })),
  };
}
