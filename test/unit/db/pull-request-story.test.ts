import { describe, expect, test } from "@jest/globals";
import { EMPTY_STORY, mergeStory, parseStory, serializeStory, type StoryContribution } from "../../../src/db/pull-request-story.js";

// A pull request's dashboard story is merged decision by decision on one replica or several, in
// whatever order the writes land, and rebuilt from the stored decisions at start-up: every order must
// give the same story, and merging one twice must change nothing.

const at = (text: string) => new Date(text);

function decision(when: string, outcome: string, extra: Partial<NonNullable<StoryContribution["decision"]>> = {}, agents: Array<{ login: string; kind: string }> = [{ login: "Devin[bot]", kind: "bot" }], signals: string[] = ["pr-author"]): StoryContribution {
  return {
    decision: { at: at(when), repository: "acme/api", outcome, title: `${outcome} at ${when}`, agentSeen: agents.length > 0, delegation: null, countersigned: false, ...extra },
    sighting: { at: at(when), agents, signals },
  };
}

const alice = { id: "dlg_a", owner: "alice", givenAt: at("2026-11-03T09:00:00Z") };
const bob = { id: "dlg_b", owner: "bob", givenAt: at("2026-11-03T11:00:00Z") };
const CONTRIBUTIONS: StoryContribution[] = [
  decision("2026-11-03T10:00:00Z", "waiting-delegation"),
  decision("2026-11-03T12:00:00Z", "waiting-approval", { delegation: alice }),
  // Two decisions of one instant: the later by what they say wins, whichever lands last.
  decision("2026-11-03T12:00:00Z", "blocked", { delegation: bob }, [{ login: "devin[bot]", kind: "bot" }], ["commit-author"]),
  decision("2026-11-04T08:00:00Z", "countersigned", { delegation: alice, countersigned: true, repository: "acme/api-renamed" }),
  decision("2026-11-04T09:00:00Z", "countersigned", { delegation: alice, countersigned: true, repository: "acme/api-renamed" }),
  // A human's commit later: no agent seen, nothing for the agents.
  decision("2026-11-05T08:00:00Z", "blocked", {}, [], []),
  { decision: null, sighting: { at: at("2026-11-06T08:00:00Z"), agents: [{ login: "copilot-swe", kind: "user" }], signals: ["trailer"] } },
];

/** A deterministic shuffle (no flaky orders). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let index = copy.length - 1; index > 0; index -= 1) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const other = state % (index + 1);
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

const mergeAll = (contributions: readonly StoryContribution[]) => contributions.reduce(mergeStory, EMPTY_STORY);

describe("a pull request's dashboard story", () => {
  const inOrder = mergeAll(CONTRIBUTIONS);

  test("holds the firsts, each day's latest decision, the agents and the owners", () => {
    expect(inOrder.firstAgentAt).toBe(Date.parse("2026-11-03T10:00:00Z"));
    expect(inOrder.delegated).toEqual({ at: Date.parse("2026-11-03T12:00:00Z"), delegation: { id: "dlg_a", owner: "alice", givenAt: Date.parse("2026-11-03T09:00:00Z") } });
    expect(inOrder.countersignedAt).toBe(Date.parse("2026-11-04T08:00:00Z"));
    expect(inOrder.repository).toEqual({ name: "acme/api", at: Date.parse("2026-11-05T08:00:00Z") });
    expect(inOrder.days.map((day) => [day.day, day.latest?.outcome ?? null, day.agents.map((agent) => `${agent.login}:${agent.signals.join("+")}`), day.owners])).toEqual([
      // Ties at 12:00 are settled by the text, the same way every time: "waiting-approval" after
      // "blocked", and the login as spelt "devin[bot]" after "Devin[bot]".
      ["2026-11-03", "waiting-approval", ["devin[bot]:commit-author+pr-author"], ["alice", "bob"]],
      ["2026-11-04", "countersigned", ["Devin[bot]:pr-author"], ["alice"]],
      ["2026-11-05", "blocked", [], []],
      ["2026-11-06", null, ["copilot-swe:trailer"], []],
    ]);
  });

  test("is the same whatever order the decisions are merged in", () => {
    for (let seed = 1; seed <= 40; seed += 1) expect(mergeAll(shuffled(CONTRIBUTIONS, seed))).toEqual(inOrder);
  });

  test("does not change when a decision is merged twice", () => {
    expect(mergeAll([...CONTRIBUTIONS, ...shuffled(CONTRIBUTIONS, 7)])).toEqual(inOrder);
  });

  test("reads back as it was stored; a text that is not a story reads as null, never as a guess", () => {
    expect(parseStory(serializeStory(inOrder))).toEqual(inOrder);
    expect(parseStory("{")).toBeNull();
    expect(parseStory(JSON.stringify({ ...JSON.parse(serializeStory(inOrder)), f: "yesterday" }))).toBeNull();
  });
});
