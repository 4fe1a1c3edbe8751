// Characters that draw nothing, or that change how the text around them is drawn, shown instead as a
// visible `[U+XXXX]`. A right-to-left override (U+202E) in a file name makes `evil\u202Etxt.exe` read
// as `evilexe.txt`; a zero-width space makes two different names look the same. Agent-written text is
// shown to reviewers only through this, in Markdown (markdown.ts) and in HTML (html.ts).

// C0 and C1 controls, format characters (bidi marks, embeddings, overrides and isolates: U+061C,
// U+200E/F, U+202A–202E, U+2066–2069; zero-width spaces and joiners; the BOM; tag characters),
// unpaired surrogates, the line and paragraph separators, and the other default-ignorable code points
// (Hangul fillers, U+034F, U+180B–180F, ...), which are drawn as nothing.
const HIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu;

const LINE_BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;

// Kept, because they are part of an emoji: a variation selector right after an emoji character (❤️ is
// U+2764 U+FE0F), and a zero-width joiner between two pictographs (👩‍💻). Anywhere else they are hidden.
const VARIATION_SELECTOR = /^[\u{FE00}-\u{FE0F}]$/u;
const EMOJI_BEFORE = /\p{Emoji}$/u;
const PICTOGRAPH_BEFORE = /\p{Extended_Pictographic}[\u{FE0F}\u{1F3FB}-\u{1F3FF}]?$/u;
const PICTOGRAPH_AFTER = /^\p{Extended_Pictographic}/u;

/** The visible stand-in for a hidden character: `[U+202E]`. */
export function codePointName(char: string): string {
  return `[U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}]`;
}

/**
 * `text` with every hidden character shown as `[U+XXXX]`, except line breaks and tabs, which
 * `lineBreaks` decides: kept as they are (for HTML, where they are only whitespace) or each made a
 * space, a run of them one space (for inline Markdown, where a line break could start a new block).
 */
export function showHidden(text: string, lineBreaks: "keep" | "space"): string {
  const flat = lineBreaks === "space" ? text.replace(LINE_BREAKS, " ") : text;
  return flat.replace(HIDDEN, (char: string, offset: number, whole: string) => {
    if (/^[\t\n\v\f\r\u0085\u2028\u2029]$/.test(char)) return lineBreaks === "keep" && /^[\t\n\r]$/.test(char) ? char : " ";
    if (VARIATION_SELECTOR.test(char) && EMOJI_BEFORE.test(whole.slice(Math.max(0, offset - 2), offset))) return char;
    if (char === "\u200d" && PICTOGRAPH_BEFORE.test(whole.slice(Math.max(0, offset - 4), offset)) && PICTOGRAPH_AFTER.test(whole.slice(offset + 1, offset + 3))) return char;
    return codePointName(char);
  });
}
