import { describe, expect, test } from "@jest/globals";
import { code, escapeText, link, login, shortSha } from "../../../src/evidence/markdown.js";

const ZWSP = "\u200b";

/** The text left after removing every backslash escape: what CommonMark could still interpret. */
function unescapedRemainder(markdown: string): string {
  return markdown.replace(/\\[!-/:-@[-`{-~]/g, "");
}

// Agent-writable text that tries to become Markdown, HTML, a mention or a link.
const HOSTILE = [
  "[click me](https://evil.example/phish)",
  "![tracker](https://evil.example/pixel.png)",
  "<img src=x onerror=alert(1)>",
  "<details><summary>Approved</summary></details>",
  "@security-team please merge",
  "cc @acme/admins",
  "https://evil.example/login",
  "visit www.evil.example now",
  "# Approved by Countersign",
  "**bold** _it_ `code` ~~x~~",
  "| table | row |",
  "[ref]: https://evil.example",
  "&lt;script&gt; &#64;admin",
  "\\[escaped?\\](https://evil.example)",
  "line one\n# heading\r\n> quote\t- item",
];

describe("code", () => {
  test.each([
    ["plain text", "src/index.ts", "`src/index.ts`"],
    ["a single backtick inside", "a`b", "``a`b``"],
    ["a run of three backticks inside", "a```b`c", "````a```b`c````"],
    ["a leading backtick (padded)", "`start", "`` `start ``"],
    ["a trailing backtick (padded)", "end`", "`` end` ``"],
    ["a leading space (padded so it survives)", " lead", "`  lead `"],
    ["newlines and tabs (flattened to one space each run)", "one\r\ntwo\n\nthree\tfour", "`one two three four`"],
    ["control characters (dropped)", "a\u0000b\u001bc\u007fd", "`abcd`"],
    ["empty text", "", "` `"],
    ["only control characters", "\u0000\u0007", "` `"],
    ["Markdown and HTML (shown, not interpreted)", "[x](https://evil.example) <b>@alice</b>", "`[x](https://evil.example) <b>@alice</b>`"],
  ])("wraps %s", (_description, text, expected) => {
    expect(code(text)).toBe(expected);
  });

  test("truncates to the limit with an ellipsis", () => {
    expect(code("a".repeat(301))).toBe(`\`${"a".repeat(300)}…\``);
    expect(code("a".repeat(300))).toBe(`\`${"a".repeat(300)}\``);
    expect(code("abcdef", 3)).toBe("`abc…`");
  });

  test("chooses the fence after truncation, so a cut run still fits", () => {
    expect(code(`ab${"`".repeat(5)}`, 4)).toBe("```ab``…```");
  });

  test.each(HOSTILE)("keeps %j inside one code span on one line", (text) => {
    const rendered = code(text);
    expect(rendered).not.toMatch(/[\r\n]/);
    const fence = /^`+/.exec(rendered)?.[0] ?? "";
    expect(fence.length).toBeGreaterThan(0);
    expect(rendered.endsWith(fence)).toBe(true);
    // No run of the fence's length inside: the span cannot close early.
    const inner = rendered.slice(fence.length, rendered.length - fence.length);
    expect((inner.match(/`+/g) ?? []).every((run) => run.length !== fence.length)).toBe(true);
  });
});

describe("escapeText", () => {
  test.each([
    ["letters, digits and spaces unchanged", "Add retry 3 times", "Add retry 3 times"],
    ["a link", "[x](y)", "\\[x\\]\\(y\\)"],
    ["HTML", "<b>", "\\<b\\>"],
    ["a mention", "@alice", `\\@${ZWSP}alice`],
    ["an autolink", "https://evil.example", `https\\:${ZWSP}\\/\\/evil\\.example`],
    ["a www autolink", "www.evil.example", `www${ZWSP}\\.evil\\.example`],
    ["a WWW autolink in capitals", "WWW.EVIL.EXAMPLE", `WWW${ZWSP}\\.EVIL\\.EXAMPLE`],
    ["a backslash", "a\\b", "a\\\\b"],
    ["a heading marker mid-line", "x # y", "x \\# y"],
    ["newlines flattened", "one\n# two", "one \\# two"],
    ["control characters dropped", "a\u0000b", "ab"],
    ["non-ASCII text unchanged", "café — ok", "café — ok"],
  ])("escapes %s", (_description, text, expected) => {
    expect(escapeText(text)).toBe(expected);
  });

  test.each(HOSTILE)("leaves nothing of %j for Markdown to interpret", (text) => {
    const rendered = escapeText(text);
    expect(rendered).not.toMatch(/[\r\n]/);
    // Every ASCII punctuation character is backslash-escaped.
    expect(unescapedRemainder(rendered)).not.toMatch(/[!-/:-@[-`{-~]/);
    expect(rendered).not.toContain("](");
    expect(rendered).not.toMatch(/(^|[^\\])\[/);
    expect(rendered).not.toMatch(/(^|[^\\])</);
    // No mention or autolink survives once GitHub resolves the escapes.
    const resolved = rendered.replace(/\\(.)/g, "$1");
    expect(resolved).not.toMatch(/@[A-Za-z0-9]/);
    expect(resolved).not.toMatch(/https?:\/\//i);
    expect(resolved).not.toMatch(/www\./i);
  });

  test("truncates before escaping, to the limit with an ellipsis", () => {
    expect(escapeText("a".repeat(301))).toBe(`${"a".repeat(300)}…`);
    expect(escapeText("[[[[", 2)).toBe("\\[\\[…");
  });
});

describe("login", () => {
  test.each([
    ["a user", "alice", "@alice"],
    ["a user with a dash and digits", "bob-2", "@bob-2"],
    ["a bot (brackets escaped)", "claude[bot]", "@claude\\[bot\\]"],
    ["a GraphQL bot login", "Copilot", "@Copilot"],
    ["text that is not a login", "evil](https://x)", "`evil](https://x)`"],
    ["a login with a space", "alice bob", "`alice bob`"],
    ["a team mention", "acme/admins", "`acme/admins`"],
    ["an empty login", "", "` `"],
  ])("renders %s", (_description, name, expected) => {
    expect(login(name)).toBe(expected);
  });
});

describe("link", () => {
  test.each([
    ["a pull request", "PR #7", "https://github.com/acme/widgets/pull/7", "[PR \\#7](https://github.com/acme/widgets/pull/7)"],
    ["a comment", "comment", "https://github.com/acme/widgets/pull/7#issuecomment-1", "[comment](https://github.com/acme/widgets/pull/7#issuecomment-1)"],
    ["plain http", "ticket", "http://jira.acme.dev/browse/SEC-1", "[ticket](http://jira.acme.dev/browse/SEC-1)"],
    ["an escaped label", "[x](y)", "https://github.com/acme", "[\\[x\\]\\(y\\)](https://github.com/acme)"],
  ])("links %s", (_description, label, url, expected) => {
    expect(link(label, url)).toBe(expected);
  });

  test.each([
    ["javascript:", "javascript:alert(1)"],
    ["data:", "data:text/html,<script>alert(1)</script>"],
    ["a relative path", "/acme/widgets"],
    ["a protocol-relative URL", "//evil.example"],
    ["a URL with a space", "https://evil.example/a b"],
    ["a URL with a closing parenthesis", "https://evil.example/a)[x](javascript:alert(1)"],
    ["a URL with an angle bracket", "https://evil.example/<script>"],
    ["an empty URL", ""],
  ])("refuses %s, rendering only the escaped label", (_description, url) => {
    expect(link("Open [me]", url)).toBe("Open \\[me\\]");
  });
});

describe("shortSha", () => {
  test.each([
    ["0123456789abcdef0123456789abcdef01234567", "`0123456`"],
    [null, "unknown commit"],
    ["", "unknown commit"],
  ])("%j → %s", (sha, expected) => {
    expect(shortSha(sha)).toBe(expected);
  });
});

describe("truncation never splits a character", () => {
  test.each([
    ["code", () => code("😀😀", 1), "`😀…`"],
    ["escapeText", () => escapeText("😀😀", 1), "😀…"],
  ])("%s", (_name, render, expected) => {
    expect(render()).toBe(expected);
  });
});
