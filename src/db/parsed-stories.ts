import { parseStory, type PullRequestStory } from "./pull-request-story.js";

// The dashboard reads every agent pull request's story in the range on each view (10,000 in the
// benchmark), and parsing them was most of the page's time (about 130 ms of its 250). A story's text
// changes only when a decision on its pull request is recorded, so a process keeps the stories it
// has parsed, by pull request and text: a view parses only the texts that changed since the last.
// Keyed by the text itself, never a version number, so nothing stale can be served: a row rewritten
// in any way is parsed again. The parsed stories are shared between views and never changed.

/** How many parsed stories a process keeps (about 2 KB each with their texts): the oldest parsed go first. */
const CAPACITY = 50_000;

/** Parsed stories, kept by pull request and text (see above). */
export class ParsedStories {
  private readonly entries = new Map<string, { text: string; story: PullRequestStory | null }>();

  constructor(private readonly capacity = CAPACITY) {}

  /** The story of `text` stored for pull request `key` (null where it is not one), parsed only if not already. */
  parse(key: string, text: string): PullRequestStory | null {
    const known = this.entries.get(key);
    if (known !== undefined && known.text === text) return known.story;
    const story = parseStory(text);
    this.entries.delete(key);
    this.entries.set(key, { text, story });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return story;
  }

  /** How many are kept. */
  get size(): number {
    return this.entries.size;
  }
}
