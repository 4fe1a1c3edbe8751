import { EMPTY_STORY, mergeStory, parseStory, serializeStory, utcDay, type PullRequestStory, type StoryContribution } from "./pull-request-story.js";
import { inBatches } from "./in-batches.js";
import { ParsedStories } from "./parsed-stories.js";
import { isUniqueViolation, type Store } from "./store.js";

// The PullRequestSummary rows: one per pull request with a decision, what the organization
// dashboard reads instead of every decision and audit event (issue 16: the page in under 300 ms
// with 100,000 events). Each decision is merged into its row as it is recorded; the row is derived
// data, and start-up rebuilds any row that does not account for every stored decision of its pull
// request (a crash between the two writes, a replica of an older version, a row that does not parse).
//
// Replicas record decisions on one pull request at once, so every write names the version it read
// and fails if another write came first; the loser reads again and merges again (merges commute,
// src/db/pull-request-story.ts). No transaction or lock is held.

/** A pull request's key. */
export interface PullRequestKey {
  repoId: bigint;
  number: number;
}

/** A stored row as read: its story is null where the text did not parse. */
export interface SummaryRow {
  version: number;
  decisions: number;
  story: PullRequestStory | null;
}

/** A summary as the dashboard reads it. */
export interface PullRequestSummary extends PullRequestKey {
  repository: string;
  story: PullRequestStory;
}

/** Marks a row whose story could not be read: no pull request has -1 decisions, so start-up rebuilds it. */
const UNREADABLE = -1;

/**
 * How many times a write that lost to another is tried again before giving up. Each loss means
 * another write landed, and one pull request's evaluations run one at a time in a process, so losses
 * come from other replicas: a handful at most. The wait before each retry is random and grows, so
 * writers that collided spread out.
 */
const ATTEMPTS = 50;
const retryWait = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));

const dayStart = (day: string) => new Date(`${day}T00:00:00Z`);

/** The row's columns for `story` (the story must hold at least one day). */
function columns(story: PullRequestStory, decisions: number) {
  const first = story.days[0];
  const last = story.days.at(-1);
  if (!first || !last) throw new Error("a pull request summary needs a decision or a sighting");
  const name = story.repository?.name ?? "";
  return {
    org: name.split("/")[0]?.toLowerCase() ?? "",
    repoFullName: name,
    firstAgentAt: story.firstAgentAt === null ? null : new Date(story.firstAgentAt),
    firstDay: dayStart(first.day),
    lastDay: dayStart(last.day),
    decisions,
    story: serializeStory(story),
  };
}

/** The stored row of one pull request, or null. */
export async function readSummaryRow(db: Store, key: PullRequestKey): Promise<SummaryRow | null> {
  const row = await db.prisma.pullRequestSummary.findUnique({ where: { repoId_prNumber: { repoId: key.repoId, prNumber: key.number } }, select: { version: true, decisions: true, story: true } });
  return row ? { version: row.version, decisions: row.decisions, story: parseStory(row.story) } : null;
}

/** The stored rows of `keys`, by `repoId#number` (read 200 at a time). */
export async function readSummaryRows(db: Store, keys: readonly PullRequestKey[]): Promise<Map<string, SummaryRow>> {
  const rows = await inBatches(keys, 200, (batch) =>
    db.prisma.pullRequestSummary.findMany({ where: { OR: batch.map((key) => ({ repoId: key.repoId, prNumber: key.number })) }, select: { repoId: true, prNumber: true, version: true, decisions: true, story: true } }),
  );
  return new Map(rows.map((row) => [`${row.repoId}#${row.prNumber}`, { version: row.version, decisions: row.decisions, story: parseStory(row.story) }]));
}

/**
 * Writes `story` (holding `decisions` decisions) as the row of `key`, if the row is still at
 * `version` (null: if there is no row yet). False when another write came first.
 */
export async function writeSummaryRow(db: Store, key: PullRequestKey, version: number | null, story: PullRequestStory, decisions: number): Promise<boolean> {
  const data = columns(story, decisions);
  if (version === null) {
    try {
      await db.prisma.pullRequestSummary.create({ data: { repoId: key.repoId, prNumber: key.number, version: 1, ...data }, select: { version: true } });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
  const updated = await db.prisma.pullRequestSummary.updateMany({ where: { repoId: key.repoId, prNumber: key.number, version }, data: { ...data, version: version + 1 } });
  return updated.count === 1;
}

/** Merges one recorded decision (with its audit event's sighting) into its pull request's row. */
export async function mergeIntoSummary(db: Store, key: PullRequestKey, contribution: StoryContribution): Promise<void> {
  const added = contribution.decision ? 1 : 0;
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const row = await readSummaryRow(db, key);
    const written =
      row === null
        ? await writeSummaryRow(db, key, null, mergeStory(EMPTY_STORY, contribution), added)
        : row.story === null
          ? // Never guessed: what can be read of it again is the stored decisions, at the next start.
            await writeSummaryRow(db, key, row.version, mergeStory(EMPTY_STORY, contribution), UNREADABLE)
          : await writeSummaryRow(db, key, row.version, mergeStory(row.story, contribution), row.decisions === UNREADABLE ? UNREADABLE : row.decisions + added);
    if (written) return;
    await retryWait(attempt);
  }
  throw new Error(`the dashboard summary of pull request ${key.repoId}#${key.number} kept changing under ${ATTEMPTS} writes`);
}

/**
 * The pull requests whose row does not account for every stored decision: no row, a count that
 * differs, or (with `readStories`) a story that does not parse, as after an upgrade that changed
 * its format. One grouped read of the decisions, one of the rows.
 */
export async function summariesOutOfStep(db: Store, options: { readStories?: boolean } = {}): Promise<PullRequestKey[]> {
  const [decided, rows] = await Promise.all([
    db.prisma.decision.groupBy({ by: ["repoId", "prNumber"], where: { prNumber: { not: null } }, _count: { _all: true } }),
    options.readStories
      ? db.prisma.pullRequestSummary.findMany({ select: { repoId: true, prNumber: true, decisions: true, story: true } })
      : db.prisma.pullRequestSummary.findMany({ select: { repoId: true, prNumber: true, decisions: true } }),
  ]);
  const held = new Map(rows.map((row) => [`${row.repoId}#${row.prNumber}`, "story" in row && typeof row.story === "string" && parseStory(row.story) === null ? UNREADABLE : row.decisions]));
  return decided
    .filter((group) => group.prNumber !== null && held.get(`${group.repoId}#${group.prNumber}`) !== group._count._all)
    .map((group) => ({ repoId: group.repoId, number: group.prNumber as number }));
}

/**
 * `org`'s pull requests some decision saw an agent in before `end`, with a day in [start, end)
 * (`start` and `end` are UTC midnights). `org` is compared in lower case.
 */
export async function agentPullRequestSummaries(db: Store, org: string, start: Date, end: Date, parsed: ParsedStories = new ParsedStories()): Promise<{ summaries: PullRequestSummary[]; unreadable: number }> {
  const rows = await db.prisma.pullRequestSummary.findMany({
    where: { org: org.toLowerCase(), firstAgentAt: { lt: end }, lastDay: { gte: start }, firstDay: { lt: end } },
    select: { repoId: true, prNumber: true, repoFullName: true, story: true },
  });
  const summaries: PullRequestSummary[] = [];
  let unreadable = 0;
  const [startDay, endDay] = [utcDay(start), utcDay(end)];
  rows.forEach((row) => {
    const story = parsed.parse(`${row.repoId}#${row.prNumber}`, row.story);
    // A row that does not parse is rebuilt at the next start; until then it is counted, for the page to say so.
    if (story === null) unreadable += 1;
    else if (story.days.some((day) => day.day >= startDay && day.day < endDay)) summaries.push({ repoId: row.repoId, number: row.prNumber, repository: row.repoFullName, story });
  });
  return { summaries, unreadable };
}
