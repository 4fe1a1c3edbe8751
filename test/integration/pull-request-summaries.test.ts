import { describe, expect, test } from "@jest/globals";
import type { Store } from "../../src/db/client.js";
import { recordDecision } from "../../src/db/decisions.js";
import { createDelegation, type NewDelegation } from "../../src/db/delegations.js";
import { parseStory } from "../../src/db/pull-request-story.js";
import { summariesOutOfStep } from "../../src/db/pull-request-summaries.js";
import { computeFigures, loadFigureFacts } from "../../src/services/dashboard-figures.js";
import { parseDashboardFilters } from "../../src/services/dashboard-filters.js";
import { SummaryRebuild, type RebuildOutcome } from "../../src/services/pull-request-summaries.js";
import { recordDecisionWithEvent } from "../../src/services/record-decision.js";
import type { Conclusion } from "../../src/policy/evaluate.js";
import { useScratchDatabase } from "../helpers/scratch-database.js";

// The dashboard's per-pull-request summaries on a real database (SQLite, or PostgreSQL with
// COUNTERSIGN_TEST_DATABASE=postgres): kept as decisions are recorded, on one connection or several
// at once, and rebuilt at start-up from the stored decisions wherever they are out of step.

const { opened } = useScratchDatabase();

const API = { id: 1, fullName: "acme/api" };
const NOW = new Date("2026-11-20T12:00:00Z");
const LINKS = { evidence: { publicUrl: "https://cs.acme.dev", secret: "s".repeat(40), ttlMs: 3_600_000 }, webUrl: "https://github.com", now: NOW };
const DEVIN = [{ login: "devin[bot]", kind: "bot", id: 7 }];

async function decide(db: Store, number: number, at: string, conclusion: Conclusion, reasons: string[], delegationId: string | null = null): Promise<void> {
  await recordDecisionWithEvent(
    { db },
    { repo: API, prNumber: number, headSha: "a".repeat(40), conclusion, title: `${conclusion} at ${at}`, reasons, deliveryId: null, delegationId, checkRunId: null, errorId: null, policy: null, evaluatedAt: new Date(at) },
    { type: "decision", actor: null, payload: { conclusion, reasons, delegationId, agents: DEVIN, signals: [{ kind: "pr-author" }] } },
  );
}

function delegation(number: number, owner: string): NewDelegation {
  return { subjectType: "pull_request", subjectNumber: number, owner: { id: owner.length, login: owner }, agent: null, task: { kind: "none", ref: "", url: null }, scopePaths: [], scopeBranches: [], expiresAt: null, installationId: 9, agentInventory: [], repo: API, comment: { id: number * 100 + owner.length, url: `https://github.com/acme/api/pull/${number}#issuecomment-1` } };
}

async function seed(db: Store): Promise<void> {
  for (let number = 1; number <= 6; number += 1) {
    await decide(db, number, `2026-11-0${number}T10:00:00Z`, "action_required", ["agent-authored", "no-delegation", "approvals:0/1", "unmet:owner", "unmet:approvals"]);
    const given = await createDelegation(db, delegation(number, number % 2 ? "alice" : "bob"), new Date(`2026-11-0${number}T11:00:00Z`));
    await decide(db, number, `2026-11-0${number}T11:00:01Z`, "action_required", ["agent-authored", `delegated:${given.id}`, "approvals:0/1", "unmet:approvals"], given.id);
    if (number % 3 !== 0) await decide(db, number, `2026-11-0${number + 1}T09:00:00Z`, "success", ["agent-authored", `delegated:${given.id}`, "approvals:1/1"], given.id);
  }
  // A human's pull request has a summary too, with no agent: the dashboard does not count it.
  await decide(db, 50, "2026-11-05T10:00:00Z", "success", ["no-agent-signals"]);
}

/** What the app does at start: finds the summaries out of step and rebuilds them (waited for here); how many it found. */
async function rebuildOutOfStepSummaries(db: Store): Promise<number> {
  let finished: (outcome: RebuildOutcome) => void = () => undefined;
  const outcome = new Promise<RebuildOutcome>((resolve) => (finished = resolve));
  const rebuild = new SummaryRebuild(db, (result) => finished(result));
  const found = await rebuild.start(3_600_000);
  if (found > 0) {
    const { error } = await outcome;
    if (error) throw error;
  }
  await rebuild.stop();
  return found;
}

async function stored(db: Store) {
  const rows = await db.prisma.pullRequestSummary.findMany({ orderBy: [{ repoId: "asc" }, { prNumber: "asc" }] });
  return rows.map((row) => ({ number: row.prNumber, org: row.org, decisions: row.decisions, firstAgentAt: row.firstAgentAt, firstDay: row.firstDay, lastDay: row.lastDay, story: parseStory(row.story) }));
}

async function figures(db: Store) {
  const { filters } = parseDashboardFilters(new URLSearchParams("from=2026-11-02&to=2026-11-15"), NOW, "acme");
  return computeFigures("acme", filters, await loadFigureFacts(db, "acme", filters), LINKS);
}

describe("the dashboard's pull request summaries", () => {
  test("kept decision by decision, they are what a rebuild from the stored decisions makes", async () => {
    const db = opened().db;
    await seed(db);
    const kept = await stored(db);
    expect(kept).toHaveLength(7);
    expect(kept.map((row) => row.decisions)).toEqual([3, 3, 2, 3, 3, 2, 1]);
    expect(kept.every((row) => row.story !== null)).toBe(true);
    expect(await summariesOutOfStep(db)).toEqual([]);
    const before = await figures(db);

    await db.prisma.pullRequestSummary.deleteMany({});
    expect(await rebuildOutOfStepSummaries(db)).toBe(7);
    expect(await stored(db)).toEqual(kept);
    expect(await figures(db)).toEqual(before);
    // Nothing left to rebuild: a second start does nothing.
    expect(await rebuildOutOfStepSummaries(db)).toBe(0);
  });

  test("a decision recorded without its summary (a replica of an older version, a crash between the two writes) is found and rebuilt", async () => {
    const db = opened().db;
    await seed(db);
    await recordDecision(db, { repo: API, prNumber: 3, headSha: "b".repeat(40), conclusion: "success", title: "approved", reasons: ["agent-authored", "approvals:1/1"], deliveryId: null, delegationId: null, checkRunId: null, errorId: null, policy: null, evaluatedAt: new Date("2026-11-12T10:00:00Z") });
    await recordDecision(db, { repo: API, prNumber: 60, headSha: "c".repeat(40), conclusion: "failure", title: "blocked", reasons: ["agent-authored", "unmet:owner"], deliveryId: null, delegationId: null, checkRunId: null, errorId: null, policy: null, evaluatedAt: new Date("2026-11-12T10:00:00Z") });
    expect((await summariesOutOfStep(db)).map((key) => key.number).sort((a, b) => a - b)).toEqual([3, 60]);
    expect(await rebuildOutOfStepSummaries(db)).toBe(2);
    const week = (await figures(db)).weekly.find((row) => row.week === "2026-11-09");
    expect(Object.fromEntries(week?.counts.map((entry) => [entry.outcome, entry.count]) ?? [])).toEqual({ countersigned: 1, "waiting-delegation": 1, "waiting-approval": 0, blocked: 0 });
  });

  test("decisions on one pull request recorded at once, on as many connections as the database gives, are all kept", async () => {
    const db = opened().db;
    const times = Array.from({ length: 24 }, (_, index) => `2026-11-1${index % 3}T${String(10 + (index % 12)).padStart(2, "0")}:00:${String(index).padStart(2, "0")}Z`);
    await Promise.all(times.map((at, index) => decide(db, 9, at, index % 2 ? "success" : "failure", ["agent-authored", index % 2 ? "approvals:1/1" : "unmet:owner"])));
    const [kept] = await stored(db);
    expect(kept?.decisions).toBe(24);
    await db.prisma.pullRequestSummary.deleteMany({});
    await rebuildOutOfStepSummaries(db);
    const [rebuilt] = await stored(db);
    expect(kept).toEqual(rebuilt);
  });

  test("a story that no longer parses is never guessed at: it is marked, left out of the page, and rebuilt at the next start", async () => {
    const db = opened().db;
    await seed(db);
    const before = await figures(db);
    await db.prisma.pullRequestSummary.updateMany({ where: { prNumber: 2 }, data: { story: "{not json" } });
    const without = await figures(db);
    expect(without.matching.total).toBe(before.matching.total - 1);
    expect(without.notes).toContain("The summaries of 1 pull request could not be read: the figures leave them out until the app rebuilds them at its next start.");
    // Its count is still right (as after an upgrade that stores stories differently): only reading the stories finds it, as start-up does.
    expect(await summariesOutOfStep(db)).toEqual([]);
    expect((await summariesOutOfStep(db, { readStories: true })).map((key) => key.number)).toEqual([2]);
    await decide(db, 2, "2026-11-13T10:00:00Z", "success", ["agent-authored", "approvals:1/1"]);
    expect((await db.prisma.pullRequestSummary.findFirst({ where: { prNumber: 2 } }))?.decisions).toBe(-1);
    expect((await summariesOutOfStep(db)).map((key) => key.number)).toEqual([2]);
    expect(await rebuildOutOfStepSummaries(db)).toBe(1);
    expect((await db.prisma.pullRequestSummary.findFirst({ where: { prNumber: 2 } }))?.decisions).toBe(4);
    expect((await figures(db)).matching.total).toBe(before.matching.total);
  });
});
