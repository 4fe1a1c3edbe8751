import { describe, expect, test } from "@jest/globals";
import { ParsedStories } from "../../../src/db/parsed-stories.js";
import { EMPTY_STORY, mergeStory, serializeStory } from "../../../src/db/pull-request-story.js";

// The dashboard keeps the stories it parsed between views: a text seen before is not parsed again,
// and a changed text always is (so nothing stale is ever shown).

const story = (outcome: string) => mergeStory(EMPTY_STORY, { decision: { at: new Date("2026-11-03T10:00:00Z"), repository: "acme/api", outcome, title: outcome, agentSeen: true, delegation: null, countersigned: false }, sighting: null });

describe("parsed stories", () => {
  test("the same text gives the same parsed story; a changed text is parsed again", () => {
    const parsed = new ParsedStories();
    const waiting = serializeStory(story("waiting-approval"));
    const first = parsed.parse("1#2", waiting);
    expect(first?.days[0]?.latest?.outcome).toBe("waiting-approval");
    // A new string with the same text (as each database read gives) is the story already parsed.
    expect(parsed.parse("1#2", `${waiting} `.trimEnd())).toBe(first);
    const countersigned = parsed.parse("1#2", serializeStory(story("countersigned")));
    expect(countersigned).not.toBe(first);
    expect(countersigned?.days[0]?.latest?.outcome).toBe("countersigned");
    expect(parsed.parse("1#2", "{not json")).toBeNull();
    expect(parsed.size).toBe(1);
  });

  test("keeps at most its capacity, dropping the stories parsed longest ago", () => {
    const parsed = new ParsedStories(2);
    const text = serializeStory(story("blocked"));
    const kept = ["a", "b", "c"].map((key) => parsed.parse(key, text));
    expect(parsed.size).toBe(2);
    expect(parsed.parse("c", text)).toBe(kept[2]);
    expect(parsed.parse("a", text)).not.toBe(kept[0]);
  });
});
