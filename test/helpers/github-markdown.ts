import { Marked } from "marked";
import type { Nodes, Root } from "mdast";
import { fromMarkdown } from "mdast-util-from-markdown";
import { gfmFromMarkdown } from "mdast-util-gfm";
import { gfm } from "micromark-extension-gfm";

// Countersign's Markdown as GitHub would make it live, for tests of agent-written text. GitHub renders
// in two passes: a GFM parse (cmark-gfm), then filters over the rendered text nodes that turn
// `@login`, `@org/team`, `#123`, `GH-123`, commit SHAs (and, in cmark-gfm's autolink extension, `www.`,
// `http(s)://` and emails) into links. The parse is modelled by two independent GFM parsers —
// micromark (whose mdast transform finds autolinks in text after escapes are resolved, as cmark-gfm
// does) and marked — and the filters by patterns run over the text outside code: a test passes only
// if the Markdown is inert in both parsers and leaves none of the patterns for GitHub's filters.

/** What GitHub's filters would turn into a link or a notification, found in rendered text. */
const FILTERS: ReadonlyArray<[string, RegExp]> = [
  ["mention or email", /@[\p{L}\p{N}_]/u],
  ["scheme autolink", /[A-Za-z][A-Za-z0-9+.-]*:\/\//],
  ["www autolink", /www\./i],
  ["issue reference", /#[0-9]/],
  ["GH- reference", /GH-[0-9]/i],
  ["commit SHA", /[0-9a-f]{7}/i],
];

// Drawn as nothing or reordering text (the set of src/evidence/visible-text.ts, written out again
// here so the test does not trust the code under test); ZWSP is what the escaper inserts on purpose.
const HIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
const ALLOWED_HIDDEN = /^[\n\u200b]$/u;
// Part of an emoji, not hidden: a variation selector after an emoji character (❤️), a zero-width
// joiner between two pictographs (👩‍💻).
const EMOJI_SELECTOR = /(\p{Emoji})[\u{FE00}-\u{FE0F}]/gu;
const EMOJI_JOINER = /(\p{Extended_Pictographic}[\u{FE0F}\u{1F3FB}-\u{1F3FF}]?)\u200d(?=\p{Extended_Pictographic})/gu;

/** One parser's view of a document. */
export interface ParsedView {
  /** Links, images, raw HTML, footnotes: anything the parse itself made live (`link: "label"` or the tag). */
  live: string[];
  /** Patterns left in text (outside code) that GitHub's filters would link or mention. */
  filtered: string[];
  /** Who GitHub would mention (`login`, `org/team`), in order, from text outside code. */
  mentions: string[];
  /** Hidden or reordering characters in the rendered text. */
  hidden: string[];
  /** Every table, as the text of each cell, row by row (the header row first). */
  tables: string[][][];
  /** Every list item's text. */
  items: string[];
  /** The document's text content, code included, with the escaper's zero-width spaces removed. */
  text: string;
}

/** Both parsers' views of the same Markdown. */
export interface GithubView {
  micromark: ParsedView;
  marked: ParsedView;
}

function scan(text: string, view: Pick<ParsedView, "filtered" | "hidden" | "mentions">, checkFilters: boolean): void {
  if (checkFilters) for (const [name, pattern] of FILTERS) if (pattern.test(text)) view.filtered.push(`${name} in ${JSON.stringify(text)}`);
  if (checkFilters) for (const match of text.matchAll(/@([\p{L}\p{N}_][\p{L}\p{N}_-]*(?:\[bot\])?(?:\/[\p{L}\p{N}_][\p{L}\p{N}_.-]*)?)/gu)) view.mentions.push(match[1] as string);
  for (const char of text.replace(EMOJI_JOINER, "$1").replace(EMOJI_SELECTOR, "$1")) if (HIDDEN.test(char) && !ALLOWED_HIDDEN.test(char)) view.hidden.push(`U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase()}`);
}

const withoutZwsp = (text: string) => text.replace(/\u200b/g, "");

function micromarkView(markdown: string): ParsedView {
  const tree: Root = fromMarkdown(markdown, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  const view: ParsedView = { live: [], filtered: [], mentions: [], hidden: [], tables: [], items: [], text: "" };
  const textOf = (node: Nodes): string => {
    if (node.type === "text" || node.type === "inlineCode" || node.type === "code" || node.type === "html") return node.value;
    if ("children" in node) return (node.children as Nodes[]).map(textOf).join(node.type === "paragraph" || node.type === "tableCell" ? "" : "\n");
    return "";
  };
  const walk = (node: Nodes): void => {
    switch (node.type) {
      case "link":
      case "linkReference":
      case "image":
      case "imageReference":
      case "html":
      case "footnoteReference":
      case "footnoteDefinition":
      case "definition":
        view.live.push(`${node.type}: ${JSON.stringify(textOf(node) || ("url" in node ? node.url : ""))}`);
        break;
      case "text":
        scan(node.value, view, true);
        break;
      case "inlineCode":
      case "code":
        scan(node.value, view, false);
        break;
      case "table":
        view.tables.push(node.children.map((row) => row.children.map((cell) => withoutZwsp(textOf(cell)).trim())));
        break;
      case "listItem":
        view.items.push(withoutZwsp(textOf(node)).trim());
        break;
    }
    if ("children" in node) for (const child of node.children as Nodes[]) walk(child);
  };
  walk(tree);
  view.text = withoutZwsp(textOf(tree));
  return view;
}

const markedParser = new Marked({ gfm: true, breaks: false });
// marked's HTML uses these for Markdown; any other tag came from the input.
const MARKED_TAGS = new Set(["p", "code", "pre", "strong", "em", "del", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "br"]);

function decode(html: string): string {
  return html
    .replace(/&#(\d+);/g, (_match, digits: string) => String.fromCodePoint(Number(digits)))
    .replace(/&#x([0-9a-f]+);/gi, (_match, digits: string) => String.fromCodePoint(parseInt(digits, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

const stripTags = (html: string) => decode(html.replace(/<[^>]*>/g, ""));

function markedView(markdown: string): ParsedView {
  const html = markedParser.parse(markdown, { async: false });
  const view: ParsedView = { live: [], filtered: [], mentions: [], hidden: [], tables: [], items: [], text: "" };
  for (const tag of html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)(\s[^>]*)?>/g)) {
    const name = (tag[1] as string).toLowerCase();
    // `<th align="…">` is marked's own; any attribute on anything else came from the input.
    if (!MARKED_TAGS.has(name) || (tag[2] && !/^\s+align="(left|right|center)"$/.test(tag[2]))) view.live.push(tag[0]);
  }
  // Text outside code is what GitHub's filters see; text inside code they leave alone.
  const parts = html.split(/(<code>[\s\S]*?<\/code>)/);
  for (const part of parts) scan(stripTags(part), view, !part.startsWith("<code>"));
  for (const table of html.matchAll(/<table>([\s\S]*?)<\/table>/g)) {
    view.tables.push([...(table[1] as string).matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...(row[1] as string).matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => withoutZwsp(stripTags(cell[1] as string)).trim())));
  }
  for (const item of html.matchAll(/<li>([\s\S]*?)<\/li>/g)) view.items.push(withoutZwsp(stripTags(item[1] as string)).trim());
  view.text = withoutZwsp(stripTags(html));
  return view;
}

/** How GitHub would show `markdown`, in both parsers. */
export function githubView(markdown: string): GithubView {
  return { micromark: micromarkView(markdown), marked: markedView(markdown) };
}

/** The findings that would make Markdown live on GitHub (empty when it is inert), from both parsers. */
export function liveParts(markdown: string): { micromark: Omit<ParsedView, "tables" | "items" | "text" | "mentions">; marked: Omit<ParsedView, "tables" | "items" | "text" | "mentions"> } {
  const { micromark, marked } = githubView(markdown);
  const findings = ({ live, filtered, hidden }: ParsedView) => ({ live, filtered, hidden });
  return { micromark: findings(micromark), marked: findings(marked) };
}

/** The text a reader sees once GitHub renders `markdown` (code included, no markup). */
export function renderedText(markdown: string): string {
  return micromarkView(markdown).text;
}
