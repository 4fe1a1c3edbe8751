import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { code, escapeText, handle, link, plainLine, untrusted, visible } from "../../../src/evidence/markdown.js";
import { githubView, type ParsedView } from "../../helpers/github-markdown.js";

// Whatever an agent writes, the escaper's output, rendered as GitHub renders it (two GFM parsers, then
// GitHub's mention, autolink and reference filters over the text), is the input's visible text and
// nothing else: no link, mention, reference, HTML element, formatting, extra table cell or hidden
// character. Checked in every place the evidence puts such text: alone on a line, mid-sentence, in a
// list item, in a table cell.

// Pieces an attacker would reach for, mixed with arbitrary Unicode (lone surrogates included).
const PIECES = [
  "@", "@acme/security-team", "@alice", "www.", "www.evil.example/login", "WWW.EVIL.EXAMPLE", "http://", "https://evil.example/x", "mailto:", "a@b.co",
  "|", "\\|", "`", "``", "```", "<", ">", "<img src=x onerror=alert(1)>", "<!--", "&", "&amp;", "&#64;", "&#x40;", "\\", "*", "**", "_", "~~", "[", "]", "(", ")",
  "](http://x)", "[x](http://evil)", "![i](http://evil/p.png)", "[^1]", "[ ]", "#", "#12", "GH-7", "gh-7", "acme/widgets#1", "deadbeefcafe", "0123456789abcdef",
  "-", "- ", "* ", "1.", "1)", "12. ", "> ", "+ ", "= ", "---", "===", "***", "___", "~~~", "$$", "<https://x.y>", "<a@b.co>", "x\\[bot\\]", "!", ":", "$", "$x$", "{", "}", "^", "=", "\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068",
  "\u2069", "\u200e", "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u3164", "\u0000", "\u0007", "\u001b[31m", "\u007f", "\u0085",
  "\n", "\r\n", "\r", "\t", " ", "  ", "    ", "\u2028", "\u2029", "\u00a0", "\ud800", "\udfff", "👩‍💻", "❤️", "e\u0301", "\u{e0041}",
];
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PIECES) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 4 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 6 }) },
);
// Short enough that nothing is cut (the limit is 300 characters).
const hostile = fc.array(piece, { maxLength: 14 }).map((parts) => parts.join(""));
const RUNS = { numRuns: Number(process.env.COUNTERSIGN_PROPERTY_RUNS ?? 400) };

/** The text a reader should see for `input`: its visible form, spaces as the renderer leaves them. */
function expectedText(input: string, as: "text" | "code"): string {
  const shown = visible(input);
  return (as === "code" && !shown.includes("|") ? shown : shown.replace(/ {2,}/g, " ")).trim();
}

function inert(view: ParsedView): { live: string[]; filtered: string[]; hidden: string[] } {
  return { live: view.live, filtered: view.filtered, hidden: view.hidden };
}

const NOTHING_LIVE = { live: [], filtered: [], hidden: [] };

describe.each(["text", "code"] as const)("untrusted(…, { as: %j }) renders as its input's visible text, inert", (as) => {
  const render = (input: string) => untrusted(input, { as });

  test("alone in a paragraph", () => {
    fc.assert(
      fc.property(hostile, (input) => {
        for (const view of Object.values(githubView(render(input)))) {
          expect(inert(view)).toEqual(NOTHING_LIVE);
          expect(view.text.trim()).toBe(expectedText(input, as));
          expect(view.tables).toEqual([]);
          expect(view.items).toEqual([]);
        }
      }),
      RUNS,
    );
  });

  test("mid-sentence", () => {
    fc.assert(
      fc.property(hostile, (input) => {
        for (const view of Object.values(githubView(`Branch ${render(input)} is not allowed`))) {
          expect(inert(view)).toEqual(NOTHING_LIVE);
          // Spaces at the text's ends merge with the sentence's.
          expect(view.text.trim().replace(/\s+/g, " ")).toBe(`Branch ${expectedText(input, as)} is not allowed`.replace(/\s+/g, " "));
        }
      }),
      RUNS,
    );
  });

  test("in a list item", () => {
    fc.assert(
      fc.property(hostile, (input) => {
        for (const view of Object.values(githubView(`- first\n- ${render(input)}\n- last`))) {
          expect(inert(view)).toEqual(NOTHING_LIVE);
          expect(view.items).toEqual(["first", expectedText(input, as), "last"]);
        }
      }),
      RUNS,
    );
  });

  test("in a table cell, the row keeps its cells", () => {
    fc.assert(
      fc.property(hostile, (input) => {
        for (const view of Object.values(githubView(`| File | Key | Problem |\n| --- | --- | --- |\n| a.yml | ${render(input)} | unknown key |`))) {
          expect(inert(view)).toEqual(NOTHING_LIVE);
          expect(view.tables).toEqual([[["File", "Key", "Problem"], ["a.yml", expectedText(input, as), "unknown key"]]]);
        }
      }),
      RUNS,
    );
  });
});

describe("visible", () => {
  test("shows every hidden character as [U+XXXX], and nothing else changes but line breaks (a run is one space)", () => {
    const withoutBrackets = hostile.filter((input) => !input.includes("["));
    fc.assert(
      fc.property(withoutBrackets, (input) => {
        const shown = visible(input);
        const back = shown.replace(/\[U\+([0-9A-F]{4,6})\]/g, (_match, hex: string) => String.fromCodePoint(parseInt(hex, 16)));
        expect(back).toBe(input.replace(/[\t\n\v\f\r\u0085\u2028\u2029]+/g, " "));
        expect(shown).not.toMatch(/[\u061c\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff\u0000-\u001f\u007f-\u009f]/);
      }),
      RUNS,
    );
  });
});

describe("the other renderings built on it", () => {
  test("handle() shows @name but mentions nobody", () => {
    fc.assert(
      fc.property(hostile, (input) => {
        for (const view of Object.values(githubView(`by someone other than ${handle(input)}`))) {
          expect(inert(view)).toEqual(NOTHING_LIVE);
          expect(view.text.trim().replace(/\s+/g, " ")).toBe(`by someone other than ${expectedText(`@${input}`, "text")}`.replace(/\s+/g, " "));
        }
      }),
      RUNS,
    );
  });

  test("link() makes one link, to the URL given, whatever its label holds", () => {
    fc.assert(
      fc.property(hostile, (label) => {
        for (const view of Object.values(githubView(`- Record: from ${link(label, "https://github.com/acme/widgets/pull/7#issuecomment-1")} at noon`))) {
          expect({ live: view.live.length, filtered: view.filtered, hidden: view.hidden }).toEqual({ live: 1, filtered: [], hidden: [] });
          expect(view.items[0]?.replace(/\s+/g, " ")).toBe(`Record: from ${expectedText(label, "text")} at noon`.replace(/\s+/g, " "));
        }
      }),
      RUNS,
    );
  });

  test("plainLine() keeps a sentence's code parts and lets nothing it embeds go live", () => {
    fc.assert(
      fc.property(hostile, hostile, (a, b) => {
        for (const view of Object.values(githubView(`| x |\n| --- |\n| ${plainLine(`${a} \`${b}\` ${a}`)} |`))) {
          expect(inert(view)).toEqual(NOTHING_LIVE);
          expect(view.tables[0]?.length).toBe(2);
          expect(view.tables[0]?.[1]?.length).toBe(1);
        }
      }),
      RUNS,
    );
  });

  test("code() and escapeText() are untrusted() as code and as text", () => {
    fc.assert(
      fc.property(hostile, (input) => {
        expect(code(input)).toBe(untrusted(input, { as: "code" }));
        expect(escapeText(input)).toBe(untrusted(input));
      }),
    );
  });
});
