import { fromMarkdown } from "mdast-util-from-markdown";
import { gfmFromMarkdown } from "mdast-util-gfm";
import { gfm } from "micromark-extension-gfm";
import { atTopLevel, feedHtml, htmlNesting, type HtmlNesting } from "./html-nesting.js";

// Which command line of a comment (a line starting with a command's name, such as `/delegate`) is a
// command a person visibly issued, decided on the comment as GitHub renders it (CommonMark with GitHub's
// extensions), not by rules about lines. The names are the registry's (registry.ts); `/delegate` below
// stands for any of them.
//
// A command is a line of a *top-level paragraph* that begins, in the comment's source, with `/delegate`
// (after spaces or tabs), where that `/delegate` is plain text of the paragraph itself and no HTML element
// is open around it. GitHub shows each line of a comment's paragraph on a line of its own, so such a line
// reads as what the person typed. Everything else is not a command: code (fenced, indented, inline),
// HTML (blocks, inline tags and comments, and whatever an open element such as `<details>` or an
// unclosed `<!--` wraps), block quotes at any depth, list items (and whatever they hold), tables,
// headings, footnotes, link and image text, emphasis or strikethrough around the line's start, and an
// escaped `\/delegate` or an entity `&#47;delegate`, which are written to show the text, not to run it.

/** GitHub refuses a comment over 65,536 characters; each takes at most two UTF-16 code units. */
export const MAX_COMMENT_UNITS = 2 * 65_536;
/**
 * The longest comment read for a command. The Markdown parser is not linear on hostile input (nested
 * containers, setext headings and unclosed inline HTML cost it time quadratic in their number), so a
 * comment that holds a command-like line is parsed only up to this size; a longer one gets a reply
 * asking for the command in a comment of its own. At this size the worst inputs found parse in a few
 * hundred milliseconds; an ordinary comment in a few.
 */
export const MAX_COMMAND_COMMENT = 4_096;

/** What a comment holds. */
export type VisibleCommand =
  | { kind: "none" }
  | { kind: "found"; line: string }
  /** A command-like line that could not be read safely; `line` is the first such line. */
  | { kind: "unreadable"; why: string; line: string };

/** The names commands start with, compiled once for reading comments (see `commandWords`). */
export interface CommandWords {
  /** A line whose source begins with a name (after spaces or tabs). */
  lineStart: RegExp;
  /** A name at `lastIndex`, followed by whitespace or the end of the comment. */
  at: RegExp;
}

/** Compiles command names (`/delegate`, ...: a slash and lower-case letters, digits or hyphens). */
export function commandWords(names: readonly string[]): CommandWords {
  if (names.length === 0) throw new Error("commandWords: no command names");
  for (const name of names) if (!/^\/[a-z][a-z0-9-]*$/.test(name)) throw new Error(`commandWords: not a command name: ${name}`);
  // A line whose source begins with a name (after spaces or tabs): every command is one, so a comment
  // without such a line is not parsed at all. `[ \t]*` rather than `\s*`: `\s` also matches newlines,
  // which makes the search quadratic on a comment of blank lines.
  // The names need no escaping: a slash, letters, digits and hyphens mean themselves in a pattern.
  const alternatives = names.join("|");
  return { lineStart: new RegExp(`^[ \\t]*(?:${alternatives})(?=\\s|$)`, "im"), at: new RegExp(`(?:${alternatives})(?=\\s|$)`, "iy") };
}

/** Whether a comment has a line that could be a command (cheap: one linear search, no parsing). */
export function mayHoldCommand(body: string, words: CommandWords): boolean {
  return body.length <= MAX_COMMENT_UNITS && words.lineStart.test(body);
}

/** The first command-like line of the source, trimmed, for a reply about a comment that was not read. */
function firstCommandLike(body: string, words: CommandWords): string {
  const match = words.lineStart.exec(body);
  const start = match ? match.index : 0;
  const end = body.indexOf("\n", start);
  return body.slice(start, end < 0 ? body.length : end).trim();
}

// Constructs that never hide text, left out because they are where the parser's cost grows fastest
// (emphasis is resolved over every delimiter in a paragraph) or because they only turn visible text into
// links (GFM's bare URLs; the source text is what a command is read from).
const IRRELEVANT = { disable: { null: ["attention", "wwwAutolink", "protocolAutolink", "emailAutolink"] } };
const MDAST = gfmFromMarkdown().map(({ transforms: _transforms, ...extension }) => extension);

/** The parts of an mdast node read here. */
interface MarkdownNode {
  type: string;
  value?: string;
  children?: MarkdownNode[];
  position?: { start: { offset?: number }; end: { offset?: number } };
}

/** Finds the command a person visibly issued in a comment, if any: a line starting with one of `words`. */
export function findVisibleCommand(body: string, words: CommandWords): VisibleCommand {
  if (!mayHoldCommand(body, words)) return { kind: "none" };
  if (body.length > MAX_COMMAND_COMMENT) {
    return {
      kind: "unreadable",
      why: `this comment is ${body.length} characters long; Countersign reads commands only in comments of at most ${MAX_COMMAND_COMMENT} characters. Post the command in a comment of its own`,
      line: firstCommandLike(body, words),
    };
  }
  let tree: MarkdownNode;
  try {
    tree = fromMarkdown(body, { extensions: [gfm(), IRRELEVANT], mdastExtensions: MDAST }) as MarkdownNode;
  } catch {
    // The parser gave up (a stack overflow on absurd nesting, say): nothing in the comment is trusted.
    return { kind: "unreadable", why: "this comment's Markdown could not be read. Post the command in a comment of its own", line: firstCommandLike(body, words) };
  }
  const line = walk(body, tree, htmlNesting(), 0, words);
  return line === null ? { kind: "none" } : { kind: "found", line };
}

/**
 * Visits `node` in document order, feeding every HTML node to `html`; returns the first command line.
 * `depth` is the node's depth: 0 is the root, 1 its top-level blocks.
 */
function walk(source: string, node: MarkdownNode, html: HtmlNesting, depth: number, words: CommandWords): string | null {
  if (node.type === "html") {
    feedHtml(html, node.value ?? "");
    return null;
  }
  const topLevelParagraph = node.type === "paragraph" && depth === 1;
  for (const child of node.children ?? []) {
    if (topLevelParagraph && child.type === "text" && atTopLevel(html)) {
      const line = commandIn(source, child, words);
      if (line !== null) return line;
    }
    const found = walk(source, child, html, depth + 1, words);
    if (found !== null) return found;
  }
  return null;
}

/**
 * The first command line that starts inside `text`, a text node of a top-level paragraph: at a point
 * where only spaces or tabs precede it on its source line, the source reads a command's name followed
 * by whitespace or the end. The source, not the node's value: an escaped `\/delegate` has the same value.
 */
function commandIn(source: string, text: MarkdownNode, words: CommandWords): string | null {
  const start = text.position?.start.offset;
  const end = text.position?.end.offset;
  if (start === undefined || end === undefined) return null;
  for (let lineStart = start; lineStart < end; ) {
    const atLineStart = lineStart > start || /^[ \t]*$/.test(source.slice(source.lastIndexOf("\n", start - 1) + 1, start));
    if (atLineStart) {
      let at = lineStart;
      while (at < end && (source[at] === " " || source[at] === "\t")) at += 1;
      words.at.lastIndex = at;
      const name = words.at.exec(source);
      if (name !== null && at + name[0].length <= end) {
        const lineEnd = source.indexOf("\n", at);
        return source.slice(at, lineEnd < 0 ? source.length : lineEnd).trim();
      }
    }
    const newline = source.indexOf("\n", lineStart);
    if (newline < 0 || newline >= end) break;
    lineStart = newline + 1;
  }
  return null;
}
