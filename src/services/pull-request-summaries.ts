import { agentSightings, sightingOf } from "../db/dashboard-agent-sightings.js";
import { storedDecisionsOf, type StoredDecisionRow } from "../db/dashboard-decisions.js";
import { delegationGivers } from "../db/dashboard-delegations.js";
import type { Store } from "../db/client.js";
import { EMPTY_STORY, mergeStory, type DecisionContribution, type PullRequestStory } from "../db/pull-request-story.js";
import { mergeIntoSummary, readSummaryRows, summariesOutOfStep, writeSummaryRow, type PullRequestKey } from "../db/pull-request-summaries.js";
import { decisionOutcome, delegationRelied, sawAgent } from "./pull-request-outcome.js";

// Keeps the organization dashboard's per-pull-request summaries (src/db/pull-request-summaries.ts):
// what each recorded decision adds to its pull request's story, merged as the decision is recorded,
// and the rebuild, from the stored decisions and their audit events, of every summary that does not
// account for all of them (run at start-up).

/** A decision as recorded: what its contribution is computed from. */
interface RecordedDecision {
  at: Date;
  repository: string;
  conclusion: string;
  title: string;
  reasons: readonly string[];
  delegationId: string | null;
}

/** The delegation a decision relied on: the one it names, else its `delegated:<id>` reason. */
function reliedOn(decision: Pick<RecordedDecision, "delegationId" | "reasons">): string | null {
  return decision.delegationId ?? delegationRelied(decision.reasons);
}

/** What one decision adds to its pull request's story; `givers` names who gave which delegation and when. */
export function decisionContribution(decision: RecordedDecision, givers: ReadonlyMap<string, { owner: string; givenAt: Date }>): DecisionContribution {
  const id = reliedOn(decision);
  const giver = id === null ? undefined : givers.get(id);
  return {
    at: decision.at,
    repository: decision.repository,
    outcome: decisionOutcome(decision),
    title: decision.title,
    agentSeen: sawAgent(decision.reasons),
    delegation: id === null ? null : { id, owner: giver?.owner ?? null, givenAt: giver?.givenAt ?? null },
    countersigned: id !== null && decision.conclusion === "success",
  };
}

/** Merges a decision just recorded, with its audit event's payload, into its pull request's summary. */
export async function summarizeDecision(db: Store, key: PullRequestKey, decision: RecordedDecision, payload: unknown): Promise<void> {
  const id = reliedOn(decision);
  const givers = id === null ? new Map() : await delegationGivers(db, [id]);
  await mergeIntoSummary(db, key, { decision: decisionContribution(decision, givers), sighting: { at: decision.at, ...sightingOf(payload) } });
}

/**
 * How many pull requests one rebuild reads at a time: about 0.3 s of work on SQLite, whose driver
 * works synchronously; between batches the rebuild in the background lets the process answer
 * webhooks and health checks (without that pause, a start after an upgrade answered nothing for 30 s).
 */
const REBUILD_BATCH = 100;
const pause = () => new Promise((resolve) => setTimeout(resolve, 0));
/** How often one pull request's rebuild is tried again when a decision lands while it is written. */
const REBUILD_ATTEMPTS = 5;

const keyOf = (key: PullRequestKey) => `${key.repoId}#${key.number}`;

/** Rows grouped by their pull request's key. */
function byPullRequest<T extends PullRequestKey>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(keyOf(row));
    if (group) group.push(row);
    else groups.set(keyOf(row), [row]);
  }
  return groups;
}

/** The story of one pull request from its stored decisions and sightings, and how many decisions it holds. */
function storyFrom(decisions: readonly StoredDecisionRow[], sightings: ReadonlyArray<{ at: Date; agents: Array<{ login: string; kind: string }>; signals: string[] }>, givers: ReadonlyMap<string, { owner: string; givenAt: Date }>): PullRequestStory {
  let story = EMPTY_STORY;
  for (const row of decisions) story = mergeStory(story, { decision: decisionContribution({ ...row, at: row.evaluatedAt }, givers), sighting: null });
  for (const sighting of sightings) story = mergeStory(story, { decision: null, sighting });
  return story;
}

/** Rebuilds the summaries of `keys` from what is stored; each is written only if no decision landed meanwhile, else read again. */
async function rebuild(db: Store, keys: readonly PullRequestKey[]): Promise<void> {
  let pending = [...keys];
  for (let attempt = 0; attempt < REBUILD_ATTEMPTS && pending.length > 0; attempt += 1) {
    const rows = await readSummaryRows(db, pending);
    const [decisions, sightings] = await Promise.all([storedDecisionsOf(db, pending), agentSightings(db, pending)]);
    const givers = await delegationGivers(db, decisions.map((row) => reliedOn(row)).filter((id): id is string => id !== null));
    const decisionsOf = byPullRequest(decisions);
    const sightingsOf = byPullRequest(sightings);
    const lost: PullRequestKey[] = [];
    for (const key of pending) {
      const held = decisionsOf.get(keyOf(key)) ?? [];
      if (held.length === 0) continue;
      if (!(await writeSummaryRow(db, key, rows.get(keyOf(key))?.version ?? null, storyFrom(held, sightingsOf.get(keyOf(key)) ?? [], givers), held.length))) lost.push(key);
    }
    pending = lost;
  }
  if (pending.length > 0) throw new Error(`the dashboard summaries of ${pending.length} pull requests kept changing while they were rebuilt`);
}

/** What the page says while summaries are rebuilt: how many pull requests are still missing from its figures. */
export interface SummaryRebuildStatus {
  pending(): number;
}

/** How a rebuild ended: how many summaries it rebuilt, and the error that stopped it, if one did. */
export type RebuildOutcome = { rebuilt: number; error?: unknown };

/**
 * The rebuild of out-of-step summaries, in the background: after an upgrade it reads every stored
 * decision (about 25 s for 100,000 on SQLite), which must not keep the app from answering webhooks
 * and health checks. `start` finds what is out of step (one grouped read) and returns how many; the
 * rebuild then runs a batch at a time, `pending()` counting down. It looks again every `everyMs`:
 * during a rolling upgrade, replicas of the older version keep recording decisions without summaries.
 */
export class SummaryRebuild implements SummaryRebuildStatus {
  private left = 0;
  private running: Promise<void> | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Store,
    private readonly finished: (outcome: RebuildOutcome) => void,
  ) {}

  /** Finds the summaries out of step now, starts rebuilding them, and looks again every `everyMs`. */
  async start(everyMs: number): Promise<number> {
    // Only at start are the stories themselves read: a new version may store them differently.
    const found = await this.look({ readStories: true });
    this.timer = setInterval(() => {
      if (this.running === null && !this.stopped) void this.look().catch((error: unknown) => this.finished({ rebuilt: 0, error }));
    }, everyMs);
    this.timer.unref();
    return found;
  }

  /** Finds what is out of step and, if anything is, starts rebuilding it; how many it found. */
  private async look(options: { readStories?: boolean } = {}): Promise<number> {
    const keys = await summariesOutOfStep(this.db, options);
    if (keys.length === 0 || this.stopped) return keys.length;
    this.left = keys.length;
    this.running = this.rebuildAll(keys).finally(() => {
      this.running = null;
    });
    return keys.length;
  }

  private async rebuildAll(keys: readonly PullRequestKey[]): Promise<void> {
    let rebuilt = 0;
    try {
      for (let index = 0; index < keys.length && !this.stopped; index += REBUILD_BATCH) {
        const batch = keys.slice(index, index + REBUILD_BATCH);
        await rebuild(this.db, batch);
        rebuilt += batch.length;
        this.left -= batch.length;
        await pause();
      }
      this.finished({ rebuilt });
    } catch (error) {
      this.finished({ rebuilt, error });
    } finally {
      this.left = 0;
    }
  }

  pending(): number {
    return this.left;
  }

  /** Stops after the batch in hand (before the database closes), and waits for it. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
