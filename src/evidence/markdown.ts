import { showHidden } from "./visible-text.js";

// Rendering helpers for text that reaches GitHub Markdown (check runs, comments, the CLI's evidence).
// Anything Countersign did not write itself — PR titles and bodies, branch names, commit messages and
// trailers, file names, logins read from git metadata or noreply addresses, labels, task references,
// a command's free text, and the policy's own names, keys and problem messages — goes through
// `untrusted()` (or its two spellings, `code()` and `escapeText()`), so it is shown as the text it is
// and never becomes a mention, a link, a cross-reference, HTML, formatting, a table cell or a line of
// its own. The output is safe in any inline place: a paragraph, a list item, a heading, emphasis, or
// a table cell. GitHub renders Markdown in two passes, and both are defeated:
//
// 1. The CommonMark/GFM parse: every character that can start or end syntax is backslash-escaped —
//    `\`, backtick, `*`, `_`, `~`, `[`, `]`, `<`, `>`, `&`, `|`, `#`, `@`, `$` (GitHub's math) always;
//    `.` and `)` after a digit (`1.` starts a list); `-`, `+` and `=` where the text begins (the only
//    place it can begin a line). Runs of spaces become one, line breaks become spaces, so nothing can
//    start a block. A backslash before `|` keeps a table cell whole, in cmark-gfm and other GFM
//    parsers alike, because an escaped backslash always precedes it with an odd count. The rest of
//    ASCII punctuation (`:`, `,`, `.`, `'`, `/`, ...) means nothing on its own and is left readable.
// 2. The filters GitHub runs on the rendered text, after the escapes are resolved: `@user` and
//    `@org/team` mentions, extended autolinks (`www.`, `http(s)://`, bare emails), `#123`,
//    `GH-123` and `owner/repo#1` references, and commit-SHA links. A zero-width space is put after
//    every `@` and `#`, inside `://`, `www.` and `GH-`, and into every run of seven or more hex digits
//    (after each sixth), so none of those patterns is left in the text.
//
// Characters that are drawn as nothing or that reorder the text (bidi controls, zero-width characters,
// other controls) are shown as `[U+202E]` (visible-text.ts), never passed through and never dropped.

const MAX_INLINE = 300;
const ZWSP = "\u200b";
const LOGIN = /^[A-Za-z0-9][A-Za-z0-9-]*(\[bot\])?$/;

/** Cuts text to `limit` characters (code points, so no emoji is split in half), marking the cut. */
function truncate(text: string, limit: number): string {
  const chars = Array.from(text);
  return chars.length > limit ? `${chars.slice(0, limit).join("")}…` : text;
}

/**
 * Untrusted text as plain text that shows everything in it: cut to `limit`, line breaks and tabs
 * made spaces, hidden characters made `[U+XXXX]`. For places that are not Markdown (a check run's
 * title); in Markdown use `untrusted()`.
 */
export function visible(text: string, limit: number = MAX_INLINE): string {
  return showHidden(truncate(text, limit), "space");
}

// What inertText escapes; in a link's label, parentheses too (some parsers, marked among them, end a
// label early at an escaped `]` followed by `(`).
const ACTIVE = /[\\`*_~[\]<>&|#@$]|(?<=[0-9])[.)]|^ ?[-+=]/g;
const ACTIVE_IN_LABEL = /[\\`*_~[\]<>&|#@$()]|(?<=[0-9])\.|^ ?[-+=]/g;

/** Visible text as inert Markdown prose (see the header: escapes for the parse, breaks for the filters). */
function inertText(shown: string, active: RegExp = ACTIVE): string {
  return shown
    .replace(/ {2,}/g, " ")
    .replace(active, (match) => `${match.slice(0, -1)}\\${match.slice(-1)}`)
    .replace(/[@#]/g, (char) => `${char}${ZWSP}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/www\./gi, (match) => `${match.slice(0, 3)}${ZWSP}.`)
    .replace(/GH-(?=[0-9])/gi, (match) => `${match}${ZWSP}`)
    .replace(/[0-9a-f]{7,}/gi, (run) => (run.match(/.{1,6}/g) ?? [run]).join(ZWSP));
}

/**
 * Visible text as an inline code span: nothing inside one is interpreted, linked or mentioned. The
 * fence is one backtick longer than the longest run inside, as CommonMark requires, and padded with
 * a space where the content starts or ends with a backtick or a space (CommonMark strips one).
 */
function codeSpan(shown: string): string {
  if (shown.length === 0) return "` `";
  const longestRun = Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  const pad = /[^ ]/.test(shown) && (shown.startsWith("`") || shown.endsWith("`") || shown.startsWith(" ")) ? " " : "";
  return `${fence}${pad}${shown}${pad}${fence}`;
}

/**
 * The one way untrusted text enters Countersign's Markdown: as escaped prose (`as: "text"`, the
 * default) or as a code span (`as: "code"`). A code span cannot hold an escape, and a `|` in one
 * would still split a table cell, so text with a `|` is shown as escaped prose even when a code span
 * was asked for: the output is safe in a table cell either way.
 */
export function untrusted(text: string, options: { as?: "text" | "code"; limit?: number } = {}): string {
  const shown = visible(text, options.limit ?? MAX_INLINE);
  return options.as === "code" && !shown.includes("|") ? codeSpan(shown) : inertText(shown);
}

/** Untrusted text as an inline code span (prose when it holds a `|`): `untrusted(text, { as: "code" })`. */
export function code(text: string, limit: number = MAX_INLINE): string {
  return untrusted(text, { as: "code", limit });
}

/** Untrusted text as escaped prose: `untrusted(text)`. */
export function escapeText(text: string, limit: number = MAX_INLINE): string {
  return untrusted(text, { as: "text", limit });
}

/**
 * A login GitHub authenticated (a review's or a comment's author, the webhook's sender, the pull
 * request's author) as a mention, for where linking the account is meant. Never for a login read
 * from git metadata or a noreply address, or written in the policy: use `handle()`. Anything that is
 * not login-shaped is shown as code.
 */
export function login(name: string): string {
  return LOGIN.test(name) ? `@${name.replace(/\[bot\]$/, "\\[bot\\]")}` : code(name);
}

/**
 * A login or team shown as `@name` that mentions nobody: no link, no notification. For accounts
 * Countersign did not see GitHub authenticate (commit authors, committers and co-authors, whoever a
 * noreply address names) and for the policy's teams and users.
 */
export function handle(name: string): string {
  return escapeText(`@${name}`);
}

// Only printable ASCII that means nothing to Markdown inside a link destination: no spaces, no
// parentheses or angle brackets, no quotes, backslashes, backticks or pipes.
const LINK_TARGET = /^https?:\/\/[A-Za-z0-9\-._~:/?#[\]@!$&*+,;=%]+$/;

/**
 * An explicit link, only to an `http(s)` URL made of characters that cannot end the link early; the
 * label is escaped. Any other URL is not linked: only the escaped label is shown.
 */
export function link(label: string, url: string): string {
  if (!LINK_TARGET.test(url) || !/^https?:$/.test(safeProtocol(url))) return escapeText(label);
  return `[${inertText(visible(label), ACTIVE_IN_LABEL)}](${url})`;
}

function safeProtocol(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return "";
  }
}

/** The first 7 characters of a commit SHA, as GitHub shows it. */
export function shortSha(sha: string | null): string {
  return sha ? code(sha.slice(0, 7)) : "unknown commit";
}

/**
 * Countersign's own sentence that embeds names and other text it did not write (a check run's title,
 * a refusal's reason): backtick-quoted parts are shown as code, everything else as escaped prose, all
 * through `untrusted()`, so whatever the sentence embeds stays inert, mentions included.
 */
export function plainLine(text: string): string {
  return truncate(text, 500)
    .split(/(`[^`]+`)/)
    .map((part) => (/^`[^`]+`$/.test(part) ? code(part.slice(1, -1), Infinity) : escapeText(part, Infinity)))
    .join("");
}
