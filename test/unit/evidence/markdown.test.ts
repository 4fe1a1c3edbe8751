import { describe, expect, test } from "@jest/globals";
import { code, escapeText, handle, link, login, plainLine, shortSha, untrusted, visible } from "../../../src/evidence/markdown.js";
import { githubView, liveParts, renderedText } from "../../helpers/github-markdown.js";

const ZWSP = "\u200b";
const INERT = { live: [], filtered: [], hidden: [] };

// Agent-writable text that tries to become Markdown, HTML, a mention, a reference or a link, or to
// read differently from what it is.
const HOSTILE = [
  "[click me](https://evil.example/phish)",
  "![tracker](https://evil.example/pixel.png)",
  "<img src=x onerror=alert(1)>",
  "<details><summary>Approved</summary></details>",
  "@security-team please merge",
  "cc @acme/admins",
  "@acme/security-team",
  "https://evil.example/login",
  "visit www.evil.example now",
  "www.evil.example/login",
  "12345+someone@users.noreply.github.com",
  "fixes #12, GH-7 and acme/widgets#1 at deadbeefcafe",
  "# Approved by Countersign",
  "**bold** _it_ `code` ~~x~~ $x^2$",
  "| table | row |",
  "a|b](http://x)",
  "[ref]: https://evil.example",
  "&lt;script&gt; &#64;admin",
  "\\[escaped?\\](https://evil.example)",
  "line one\n# heading\r\n> quote\t- item",
  "1. first",
  "- [ ] task",
  "evil\u202Etxt.exe",
  "\u2066admin\u2069 \u200Eleft\u200F \u061C \u202A\u202B\u202C\u202D",
  "pay\u200Bpal\u200D \uFEFF\u00AD",
];

describe("visible", () => {
  test.each([
    ["a right-to-left override", "evil\u202Etxt.exe", "evil[U+202E]txt.exe"],
    ["isolates and marks", "\u2066a\u2069\u200E\u200F\u061C", "[U+2066]a[U+2069][U+200E][U+200F][U+061C]"],
    ["embeddings", "\u202A\u202B\u202C\u202D", "[U+202A][U+202B][U+202C][U+202D]"],
    ["zero-width characters and the BOM", "a\u200Bb\u200Cc\u2060d\uFEFF", "a[U+200B]b[U+200C]c[U+2060]d[U+FEFF]"],
    ["controls", "a\u0000b\u001bc\u007fd\u0085e", "a[U+0000]b[U+001B]c[U+007F]d e"],
    ["an unpaired surrogate", "a\uD800b", "a[U+D800]b"],
    ["a tag character", "a\u{E0041}", "a[U+E0041]"],
    ["line breaks and tabs (a run is one space)", "one\r\ntwo\n\nthree\tfour\u2028five", "one two three four five"],
    ["emoji with their joiners and variation selectors (kept)", "👩‍💻 ❤️ 1️⃣", "👩‍💻 ❤️ 1️⃣"],
    ["a joiner or selector outside an emoji", "a\u200Db a\uFE0F", "a[U+200D]b a[U+FE0F]"],
    ["text with nothing hidden (unchanged)", "café — ok", "café — ok"],
  ])("shows %s", (_description, text, expected) => {
    expect(visible(text)).toBe(expected);
  });

  test("cuts before it shows, so a cut never splits an escape", () => {
    expect(visible("ab\u202Ecd", 3)).toBe("ab[U+202E]…");
  });
});

describe("code", () => {
  test.each([
    ["plain text", "src/index.ts", "`src/index.ts`"],
    ["a single backtick inside", "a`b", "``a`b``"],
    ["a run of three backticks inside", "a```b`c", "````a```b`c````"],
    ["a leading backtick (padded)", "`start", "`` `start ``"],
    ["a trailing backtick (padded)", "end`", "`` end` ``"],
    ["a leading space (padded so it survives)", " lead", "`  lead `"],
    ["only spaces (not padded: CommonMark keeps them)", "  ", "`  `"],
    ["newlines and tabs (flattened to one space each run)", "one\r\ntwo\n\nthree\tfour", "`one two three four`"],
    ["control characters (shown)", "a\u0000b\u001bc\u007fd", "`a[U+0000]b[U+001B]c[U+007F]d`"],
    ["a bidi override (shown)", "evil\u202Etxt.exe", "`evil[U+202E]txt.exe`"],
    ["empty text", "", "` `"],
    ["Markdown and HTML (shown, not interpreted)", "[x](https://evil.example) <b>@alice</b>", "`[x](https://evil.example) <b>@alice</b>`"],
    ["a pipe (escaped prose instead: a code span cannot hold an escape)", "a|b](http://x)", "a\\|b\\](http:\u200b//x)"],
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

  test.each(HOSTILE)("renders %j as its visible text, inert, alone and in a table cell", (text) => {
    const rendered = code(text);
    expect(rendered).not.toMatch(/[\r\n]/);
    expect(liveParts(rendered)).toEqual({ micromark: INERT, marked: INERT });
    expect(renderedText(rendered).trim()).toBe(visible(text).replace(/ {2,}/g, text.includes("|") ? " " : "$&").trim());
    const table = githubView(`| Key | Problem |\n| --- | --- |\n| ${rendered} | unknown key |`);
    for (const view of [table.micromark, table.marked]) expect(view.tables[0]?.[1]?.[1]).toBe("unknown key");
  });
});

describe("escapeText", () => {
  test.each([
    ["letters, digits and spaces unchanged", "Add retry 3 times", "Add retry 3 times"],
    ["punctuation that means nothing on its own, unchanged", "a, b; c: d? 'e' \"f\" g/h (i) {j} 50% k!", "a, b; c: d? 'e' \"f\" g/h (i) {j} 50% k!"],
    ["a link", "[x](y)", "\\[x\\](y)"],
    ["HTML", "<b>", "\\<b\\>"],
    ["an entity", "&amp;", "\\&amp;"],
    ["a mention", "@alice", `\\@${ZWSP}alice`],
    ["a team mention", "@acme/security-team", `\\@${ZWSP}acme/security-team`],
    ["a noreply address", "12345+someone@users.noreply.github.com", `12345+someone\\@${ZWSP}users.noreply.github.com`],
    ["an autolink", "https://evil.example", `https:${ZWSP}//evil.example`],
    ["a www autolink", "www.evil.example/login", `www${ZWSP}.evil.example/login`],
    ["a WWW autolink in capitals", "WWW.EVIL.EXAMPLE", `WWW${ZWSP}.EVIL.EXAMPLE`],
    ["issue references", "#12 GH-7 acme/widgets#1", `\\#${ZWSP}12 GH-${ZWSP}7 acme/widgets\\#${ZWSP}1`],
    ["a commit SHA (broken after every sixth hex digit)", "deadbeefcafe0", `deadbe${ZWSP}efcafe${ZWSP}0`],
    ["a table pipe", "a|b", "a\\|b"],
    ["a backslash before a pipe (an odd count keeps the cell whole)", "a\\|b", "a\\\\\\|b"],
    ["a backslash", "a\\b", "a\\\\b"],
    ["emphasis, strikethrough and math", "*a* _b_ ~c~ $d$", "\\*a\\* \\_b\\_ \\~c\\~ \\$d\\$"],
    ["a heading marker mid-line", "x # y", `x \\#${ZWSP} y`],
    ["a list marker where the text begins", "- x", "\\- x"],
    ["an ordered list marker", "1. x", "1\\. x"],
    ["a dash mid-line, unchanged", "a - b", "a - b"],
    ["newlines flattened", "one\n# two", `one \\#${ZWSP} two`],
    ["runs of spaces made one", "a    b", "a b"],
    ["control characters shown", "a\u0000b", "a\\[U+0000\\]b"],
    ["a bidi override shown", "evil\u202Etxt.exe", "evil\\[U+202E\\]txt.exe"],
    ["non-ASCII text unchanged", "café — ok", "café — ok"],
  ])("escapes %s", (_description, text, expected) => {
    expect(escapeText(text)).toBe(expected);
  });

  test.each(HOSTILE)("renders %j as its visible text, inert", (text) => {
    const rendered = escapeText(text);
    expect(rendered).not.toMatch(/[\r\n]/);
    expect(liveParts(rendered)).toEqual({ micromark: INERT, marked: INERT });
    expect(renderedText(rendered).trim()).toBe(visible(text).replace(/ {2,}/g, " ").trim());
  });

  test("truncates before escaping, to the limit with an ellipsis", () => {
    expect(escapeText("x".repeat(301))).toBe(`${"x".repeat(300)}…`);
    expect(escapeText("[[[[", 2)).toBe("\\[\\[…");
  });

  test("is untrusted() as text; code() is untrusted() as code", () => {
    expect(escapeText("@x|`y`")).toBe(untrusted("@x|`y`"));
    expect(code("@x`y`")).toBe(untrusted("@x`y`", { as: "code" }));
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

describe("handle", () => {
  test.each([
    ["a login a noreply address named", "evil", "@evil"],
    ["a bot", "claude[bot]", "@claude[bot]"],
    ["a team", "acme/security-team", "@acme/security-team"],
    ["something that is not a login", "x](http://evil) @y", "@x](http://evil) @y"],
  ])("shows %s as @name, mentioning nobody", (_description, name, shown) => {
    const rendered = handle(name);
    expect(liveParts(rendered)).toEqual({ micromark: INERT, marked: INERT });
    expect(renderedText(rendered)).toBe(shown);
  });
});

describe("link", () => {
  test.each([
    ["a pull request", "PR #7", "https://github.com/acme/widgets/pull/7", `[PR \\#${ZWSP}7](https://github.com/acme/widgets/pull/7)`],
    ["a comment", "comment", "https://github.com/acme/widgets/pull/7#issuecomment-1", "[comment](https://github.com/acme/widgets/pull/7#issuecomment-1)"],
    ["plain http", "ticket", "http://jira.acme.dev/browse/SEC-1", "[ticket](http://jira.acme.dev/browse/SEC-1)"],
    ["an escaped label", "[x](y)", "https://github.com/acme", "[\\[x\\]\\(y\\)](https://github.com/acme)"],
    ["a label that is a URL (no autolink inside)", "www.evil.example", "https://tracker.example/T-1", `[www${ZWSP}.evil.example](https://tracker.example/T-1)`],
  ])("links %s", (_description, label, url, expected) => {
    expect(link(label, url)).toBe(expected);
    // One link, the one asked for; nothing in its label is linked or mentioned.
    for (const view of Object.values(githubView(expected))) expect({ links: view.live.length, filtered: view.filtered }).toEqual({ links: 1, filtered: [] });
  });

  test.each([
    ["javascript:", "javascript:alert(1)"],
    ["data:", "data:text/html,<script>alert(1)</script>"],
    ["a relative path", "/acme/widgets"],
    ["a protocol-relative URL", "//evil.example"],
    ["a URL with a space", "https://evil.example/a b"],
    ["a URL with a closing parenthesis", "https://evil.example/a)[x](javascript:alert(1)"],
    ["a URL with an angle bracket", "https://evil.example/<script>"],
    ["a URL with a pipe (would split a table cell)", "https://evil.example/a|b"],
    ["a URL with a backslash, quote or backtick", "https://evil.example/a\\b\"c`d"],
    ["a URL with a bidi override", "https://evil.example/\u202Eexe.txt"],
    ["a URL that does not parse", "https://"],
    ["an empty URL", ""],
  ])("refuses %s, rendering only the escaped label", (_description, url) => {
    expect(link("Open [me]", url)).toBe("Open \\[me\\]");
  });
});

describe("plainLine", () => {
  test("keeps a sentence's code parts as code, and the rest inert", () => {
    expect(plainLine("only @acme/leads may delegate here (`delegation.delegators`).")).toBe(`only \\@${ZWSP}acme/leads may delegate here (\`delegation.delegators\`).`);
  });

  test.each(HOSTILE)("lets nothing of %j go live, even where it breaks the backtick pairs", (text) => {
    const rendered = plainLine(`Base branch ${text} and \`${text}\` is not allowed`);
    expect(liveParts(rendered)).toEqual({ micromark: INERT, marked: INERT });
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
