// Whether the raw HTML a comment has passed through so far leaves the text after it hidden or wrapped.
//
// CommonMark passes HTML through: a `<details>` block, a `<!--` that never closes, or a tag whose quoted
// attribute runs on over later paragraphs changes what the Markdown *after* it looks like once GitHub
// renders the page, though the Markdown parser still sees ordinary paragraphs there. The HTML nodes the
// Markdown parser finds are fed here in document order; this follows them the way an HTML5 tokenizer
// does (comments, bogus comments, tags with quoted attributes, raw-text elements) and keeps the stack of
// elements left open. Text that Markdown renders between HTML nodes is escaped by the renderer, so it can
// neither open nor close anything: only the HTML nodes move this state.
//
// Every uncertainty errs towards "hidden": an end tag closes only the innermost open element of its name
// (HTML's implicit closing is not modelled), and HTML that stops inside a tag, or opens an element whose
// content is not ordinary HTML (plaintext, svg, math), hides everything after it.

/** The state after the HTML seen so far. */
export interface HtmlNesting {
  /** Elements opened and not closed, innermost last (lower-case names). */
  open: string[];
  /** Inside a comment (`<!-- … -->`) or a bogus comment (`<!…>`, `<?…>`, `</…>`) that has not ended. */
  inside: "comment" | "bogus-comment" | null;
  /** Inside a raw-text element such as `<script>`: its text runs to the matching end tag. */
  rawText: string | null;
  /** Everything from here on is hidden or not ordinary content. */
  poisoned: boolean;
}

/** Elements that have no content and no end tag. */
const VOID = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param", "source", "track", "wbr"]);
/** Elements whose text is not parsed as HTML until their end tag. */
const RAW_TEXT = new Set(["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"]);
/** Elements after which nothing is ordinary HTML again (or is parsed by other rules): hidden for good. */
const FOR_GOOD = new Set(["plaintext", "svg", "math"]);

/** The state before any HTML. */
export function htmlNesting(): HtmlNesting {
  return { open: [], inside: null, rawText: null, poisoned: false };
}

/** Whether text at this point renders as ordinary, visible content: no element open, nothing pending. */
export function atTopLevel(state: HtmlNesting): boolean {
  return !state.poisoned && state.inside === null && state.rawText === null && state.open.length === 0;
}

const isSpace = (char: string | undefined) => char === " " || char === "\t" || char === "\n" || char === "\r" || char === "\f";
const isLetter = (char: string | undefined) => char !== undefined && /^[A-Za-z]$/.test(char);

/** Advances `state` over one HTML node's source. Linear in its length. */
export function feedHtml(state: HtmlNesting, html: string): void {
  let at = 0;
  while (at < html.length && !state.poisoned) {
    if (state.inside === "comment") {
      const end = commentEnd(html, at);
      if (end < 0) return;
      state.inside = null;
      at = end;
      continue;
    }
    if (state.inside === "bogus-comment") {
      const end = html.indexOf(">", at);
      if (end < 0) return;
      state.inside = null;
      at = end + 1;
      continue;
    }
    if (state.rawText !== null) {
      const close = rawTextEnd(html, at, state.rawText);
      if (close < 0) return;
      state.rawText = null;
      at = close; // the end tag itself is read below, as any end tag
      continue;
    }
    const lt = html.indexOf("<", at);
    if (lt < 0) return;
    at = readMarkup(state, html, lt);
  }
}

/** Where a comment whose text starts at `from` ends (just after `-->` or `--!>`), or -1. */
function commentEnd(html: string, from: number): number {
  for (let at = html.indexOf("--", from); at >= 0; at = html.indexOf("--", at + 1)) {
    if (html[at + 2] === ">") return at + 3;
    if (html[at + 2] === "!" && html[at + 3] === ">") return at + 4;
  }
  return -1;
}

/** Where the end tag of raw-text element `name` starts at or after `from`, or -1. */
function rawTextEnd(html: string, from: number, name: string): number {
  // `name` is one of RAW_TEXT's fixed names: safe in a pattern.
  const endTag = new RegExp(`</${name}(?=[\\s/>]|$)`, "gi");
  endTag.lastIndex = from;
  return endTag.exec(html)?.index ?? -1;
}

/** Reads the markup that starts with the `<` at `lt`; returns where reading goes on. */
function readMarkup(state: HtmlNesting, html: string, lt: number): number {
  const next = html[lt + 1];
  if (html.startsWith("<!--", lt)) {
    // `<!-->` and `<!--->` are whole (empty) comments in HTML5.
    if (html.startsWith("<!-->", lt)) return lt + 5;
    if (html.startsWith("<!--->", lt)) return lt + 6;
    state.inside = "comment";
    return lt + 4;
  }
  if (next === "!" || next === "?") {
    state.inside = "bogus-comment";
    return lt + 2;
  }
  if (next === "/") {
    const after = html[lt + 2];
    if (after === ">") return lt + 3; // `</>` is dropped
    if (after === undefined) return lt + 2;
    if (!isLetter(after)) {
      state.inside = "bogus-comment";
      return lt + 2;
    }
    return readTag(state, html, lt + 2, true);
  }
  if (isLetter(next)) return readTag(state, html, lt + 1, false);
  return lt + 1; // a `<` that starts nothing is text
}

/** Reads a start or end tag whose name starts at `from`; returns the index after its `>`. */
function readTag(state: HtmlNesting, html: string, from: number, end: boolean): number {
  let at = from;
  while (at < html.length && !isSpace(html[at]) && html[at] !== "/" && html[at] !== ">") at += 1;
  const name = html.slice(from, at).toLowerCase();
  // Attributes, as the HTML5 tokenizer reads them: a quoted value runs to its matching quote, whatever it
  // holds (a `>` or a `</details>` inside quotes ends nothing).
  for (;;) {
    while (at < html.length && (isSpace(html[at]) || html[at] === "/")) at += 1;
    if (at >= html.length) {
      // The node ends inside the tag: what follows may be the tag's attributes, or anything.
      state.poisoned = true;
      return html.length;
    }
    if (html[at] === ">") break;
    at += 1; // an attribute name's first character may be anything, `=` included
    while (at < html.length && !isSpace(html[at]) && html[at] !== "/" && html[at] !== ">" && html[at] !== "=") at += 1;
    while (at < html.length && isSpace(html[at])) at += 1;
    if (html[at] !== "=") continue;
    at += 1;
    while (at < html.length && isSpace(html[at])) at += 1;
    const quote = html[at];
    if (quote === '"' || quote === "'") {
      const close = html.indexOf(quote, at + 1);
      if (close < 0) {
        state.poisoned = true;
        return html.length;
      }
      at = close + 1;
    } else {
      while (at < html.length && !isSpace(html[at]) && html[at] !== ">") at += 1;
    }
  }
  enterOrLeave(state, name, end);
  return at + 1;
}

function enterOrLeave(state: HtmlNesting, name: string, end: boolean): void {
  if (end) {
    if (state.open.at(-1) === name) state.open.pop();
    return;
  }
  if (VOID.has(name)) return;
  if (FOR_GOOD.has(name)) {
    state.poisoned = true;
    return;
  }
  if (RAW_TEXT.has(name)) {
    state.rawText = name;
    return;
  }
  // A self-closing `/>` on an ordinary element is ignored by HTML: `<details/>` opens a details.
  state.open.push(name);
}
