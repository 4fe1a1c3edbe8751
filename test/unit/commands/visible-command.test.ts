import { describe, expect, test } from "@jest/globals";
import { DELEGATE_SYNTAX, findCommandLine, mayHoldCommand, parseDelegateCommand } from "../../../src/commands/delegate-command.js";
import { commandWords, findVisibleCommand, MAX_COMMAND_COMMENT } from "../../../src/commands/visible-command.js";

// Which `/delegate` lines are commands a person visibly issued, decided on the comment as GitHub renders
// it. Each hidden variant below was (or is a sibling of one that was) recorded as a delegation by the
// line-based reader this replaced.

const REPO = "https://github.com/acme/widgets";
const WORDS = commandWords([DELEGATE_SYNTAX.name]);

describe("hidden by Markdown: not a command", () => {
  test.each([
    // HTML comments
    ["an HTML comment opening mid-line and spanning lines", "Note <!-- hidden\n/delegate #1\n-->"],
    ["an HTML comment block spanning lines", "<!--\n/delegate #1\n-->"],
    ["a one-line HTML comment", "<!-- /delegate #1 -->"],
    ["an HTML comment left open in a list item", "- <!--\n\n/delegate #1"],
    ["an HTML comment left open inside an HTML block", "<div><!--\n\n/delegate #1\n\n</div>"],
    ["an HTML comment whose `-->` is in a later paragraph's text (escaped, so it ends nothing)", "<div><!--\n\nx --> y\n\n/delegate #1"],
    // code
    ["a fenced code block nested in a list item", "- ```\n  /delegate #1\n  ```"],
    ["a tilde fence nested in an ordered list item", "1. ~~~\n   /delegate #1\n   ~~~"],
    ["a fence nested two lists deep", "- a\n  - ```\n    /delegate #1\n    ```"],
    ["a fence with an info string", "```md\n/delegate #1\n```"],
    ["an unclosed fence", "```\n/delegate #1"],
    ["an indented code block", "Intro\n\n    /delegate #1"],
    ["a tab-indented code block", "Intro\n\n\t/delegate #1"],
    ["inline code spanning lines", "Run `this\n/delegate #1` later"],
    ["inline code at the line's start", "`/delegate #1`"],
    // block quotes
    ["a block quote nested in a list item", "- > quoted\n  > /delegate #1"],
    ["a block quote's lazy continuation inside a list item", "- > quoted\n/delegate #1"],
    ["a nested quote", "> > /delegate #1"],
    ["a quote's lazy continuation line", "> quoted\n/delegate #1"],
    ["a quote in a quote in a list", "1. > > a\n   > > /delegate #1"],
    // HTML elements
    ["a collapsed <details>", "<details>\n\n/delegate #1\n\n</details>"],
    ["a <details> summary", "<details><summary>\n\n/delegate #1\n\n</summary></details>"],
    ["a <details> whose apparent close is inside a quoted attribute", '<details><img title="</details>">\n\n/delegate #1\n\n</details>'],
    ["a <details> opened inline mid-paragraph", "See below <details>\n/delegate #1"],
    ["an HTML block", "<div>\n/delegate #1\n</div>"],
    ["an element opened by an HTML block and closed after the command", "<div>\n\n/delegate #1\n\n</div>"],
    ["a tag whose quoted attribute runs over the command", "<div title='\n\n/delegate #1\n\n'>"],
    ["an inline tag whose attribute spans lines", 'a <span title="\n/delegate #1">x</span>'],
    ["a raw-text element", "<textarea>\n\n/delegate #1\n\n</textarea>"],
    ["a CDATA section", "<![CDATA[\n/delegate #1\n]]>"],
    ["a processing instruction", "<?\n/delegate #1\n?>"],
    ["an <svg> (foreign content)", "<svg>\n\n/delegate #1"],
    // other containers and blocks
    ["a list item", "- /delegate #1"],
    ["an ordered list item", "1. /delegate #1"],
    ["a task list item", "- [ ] /delegate #1"],
    ["a list item's lazy continuation line", "- item\n/delegate #1"],
    ["a list item's indented paragraph", "- item\n\n  /delegate #1"],
    ["a table cell", "| /delegate #1 |\n| --- |"],
    ["a table header made of the line", "/delegate #1\n| --- |"],
    ["a footnote definition", "Text[^1]\n\n[^1]: /delegate #1"],
    ["an ATX heading", "# /delegate #1"],
    ["a setext heading", "/delegate #1\n===="],
    // inline wrappers and escapes
    ["link text spanning lines", "[docs\n/delegate #1](https://example.com)"],
    ["image text spanning lines", "![shot\n/delegate #1](https://example.com/a.png)"],
    ["a link title spanning lines", '[a](https://example.com "t\n/delegate #1")'],
    ["strikethrough", "~~/delegate #1~~"],
    ["strikethrough spanning lines", "~~stop\n/delegate #1~~"],
    ["emphasis at the line's start", "*/delegate #1*"],
    ["an escaped slash", "\\/delegate #1"],
    ["a character reference for the slash", "&#47;delegate #1"],
    ["a zero-width space before it", "\u200b/delegate #1"],
    ["a command mid-line", "please /delegate #1"],
  ])("%s", (_description, body) => {
    expect(findVisibleCommand(body, WORDS)).toEqual({ kind: "none" });
    expect(parseDelegateCommand(body, "pull_request", REPO)).toBeNull();
  });
});

describe("visible: the command", () => {
  test.each([
    ["on its own", "/delegate #1", "/delegate #1"],
    ["indented by up to three spaces", "   /delegate #1  ", "/delegate #1"],
    ["as a line of a paragraph (GitHub shows each line of a comment on its own)", "Thanks!\n/delegate SEC-1\nmore", "/delegate SEC-1"],
    ["as a paragraph's continuation line indented further", "Thanks!\n      /delegate SEC-1", "/delegate SEC-1"],
    ["after a hard line break", "Hi  \n/delegate #1", "/delegate #1"],
    ["after a backslash line break", "Hi\\\n/delegate #1", "/delegate #1"],
    ["after inline code on the line before", "Run `x`\n/delegate #1", "/delegate #1"],
    ["after an HTML comment closed on the line before", "note <!-- x -->\n/delegate #1", "/delegate #1"],
    ["after an HTML comment block", "<!-- note -->\n/delegate #1", "/delegate #1"],
    ["after a closed <details>", "<details>\n\nnotes\n\n</details>\n\n/delegate #1", "/delegate #1"],
    ["after an inline element closed before", "a <b>bold</b>\n/delegate #1", "/delegate #1"],
    // An inline comment cannot span a paragraph break: GitHub shows this `<!--` as text.
    ["after an inline `<!--` that a blank line leaves unclosed", "Thanks! <!--\n\n/delegate SEC-1\n\n-->", "/delegate SEC-1"],
    ["after a void element", "<br>\n\n/delegate #1", "/delegate #1"],
    ["after a closed fence", "```sh\nrm -rf /\n```\n/delegate #1", "/delegate #1"],
    ["after inline code that merely looks like a fence", "```x```\n/delegate #1", "/delegate #1"],
    ["after a quote ended by a blank line", "> quoted\n\n/delegate #1", "/delegate #1"],
    ["after a list ended by a blank line", "- a\n- b\n\n/delegate #1", "/delegate #1"],
    ["after a table", "| a |\n| - |\n\n/delegate #1", "/delegate #1"],
    ["after a footnote definition", "[^1]: note\n\n/delegate #1", "/delegate #1"],
    ["after a quoted command, the first visible one", "> /delegate #1\n\n/delegate #2", "/delegate #2"],
    ["the first of two", "/delegate #1\n/delegate #2", "/delegate #1"],
    ["with CRLF line ends", "Hi\r\n/delegate #1\r\n", "/delegate #1"],
    ["in upper case", "/DELEGATE #1", "/DELEGATE #1"],
    ["with a bare URL (a GFM autolink), read from the source", "/delegate https://github.com/acme/widgets/issues/9", "/delegate https://github.com/acme/widgets/issues/9"],
    ["with globs that render as bold, read from the source", "/delegate #1 paths:src/**,docs/**", "/delegate #1 paths:src/**,docs/**"],
    ["with escapes kept as typed", "/delegate #1 paths:src/\\*.ts", "/delegate #1 paths:src/\\*.ts"],
    ["revoke with a reason", "/delegate revoke went off task", "/delegate revoke went off task"],
  ])("%s", (_description, body, line) => {
    expect(findVisibleCommand(body, WORDS)).toEqual({ kind: "found", line });
    expect(findCommandLine(body)).toBe(line);
  });

  test("the arguments come from the source line, so globs GitHub shows as bold keep their stars", () => {
    expect(parseDelegateCommand("/delegate #1 paths:src/**,docs/**", "pull_request", REPO)).toMatchObject({ ok: true, command: { scopePaths: ["src/**", "docs/**"] } });
  });

  test("hidden HTML on the command line itself becomes a word the grammar refuses, never a silent option", () => {
    expect(parseDelegateCommand("/delegate #1 <!-- paths:** -->", "pull_request", REPO)).toEqual({ ok: false, error: 'unexpected "<!--"', line: "/delegate #1 <!-- paths:** -->" });
    expect(parseDelegateCommand("/delegate #1<!--\nexpires:365d\n-->", "pull_request", REPO)).toMatchObject({ ok: false, line: "/delegate #1<!--" });
  });
});

describe("size and speed", () => {
  const HOSTILE = (size: number): Record<string, string> => {
    const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
    const prefix = "/delegate #1\n\n";
    return {
      quotes: prefix + fill(">"),
      "lists in quotes": prefix + fill("> - "),
      "quotes in lists": prefix + fill("- > "),
      "ordered lists": prefix + fill("1. "),
      "setext headings": prefix + fill("a\n=\n"),
      "unclosed comments": prefix + fill("a <!--\n"),
      "unclosed instructions": prefix + fill("a <?\n"),
      emphasis: prefix + "*".repeat(size / 2) + "a" + "*".repeat(size / 2),
      brackets: prefix + fill("[a]"),
      strikethrough: prefix + fill("~~a"),
      "blank lines": fill("\n") + "/delegate #1",
    };
  };

  test(`a comment over ${MAX_COMMAND_COMMENT} characters with a command-like line is refused unread, with a reason`, () => {
    const body = `${"x".repeat(MAX_COMMAND_COMMENT)}\n\n/delegate #1`;
    expect(findVisibleCommand(body, WORDS)).toEqual({
      kind: "unreadable",
      why: `this comment is ${body.length} characters long; Countersign reads commands only in comments of at most ${MAX_COMMAND_COMMENT} characters. Post the command in a comment of its own`,
      line: "/delegate #1",
    });
    expect(parseDelegateCommand(body, "pull_request", REPO)).toMatchObject({ ok: false, line: "/delegate #1" });
  });

  test("a long comment without a command-like line is not parsed and holds no command", () => {
    expect(findVisibleCommand(`${"> /delegate #1\n".repeat(5000)}`, WORDS)).toEqual({ kind: "none" });
  });

  test("a comment longer than GitHub allows is never read", () => {
    expect(mayHoldCommand(`/delegate #1\n${"x".repeat(2 * 65_536)}`)).toBe(false);
  });

  // The bounds below are coarse guards against the super-linear class (the old pre-check took seconds,
  // the parser 21 s on 65 KB of `*a`), loose enough for a loaded CI machine; the figures themselves
  // belong to the benchmark.
  test("65,536-character hostile comments are answered at once (no parse; the pre-check is linear)", () => {
    for (const [name, body] of Object.entries(HOSTILE(65_536))) {
      const started = performance.now();
      const result = findVisibleCommand(body, WORDS);
      const elapsed = performance.now() - started;
      expect({ name, kind: result.kind, fast: elapsed < 1_000 }).toEqual({ name, kind: "unreadable", fast: true });
    }
    // The old pre-check, /^\s*\/delegate\b/im, took seconds on a comment of blank lines.
    const started = performance.now();
    expect(mayHoldCommand("\n".repeat(65_536))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test(`hostile comments of ${MAX_COMMAND_COMMENT} characters are parsed in bounded time each, and still decided`, () => {
    for (const [name, body] of Object.entries(HOSTILE(MAX_COMMAND_COMMENT - 20))) {
      const started = performance.now();
      const result = findVisibleCommand(body, WORDS);
      const elapsed = performance.now() - started;
      expect({ name, kind: result.kind, fast: elapsed < 5_000 }).toEqual({ name, kind: "found", fast: true });
    }
  });
});
