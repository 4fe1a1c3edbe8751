// Rendering helpers for text that reaches GitHub Markdown. Anything an agent can write (PR titles and
// bodies, branch names, commit messages, file names, and a command's free text) goes through `code()`
// or `escapeText()`, so it can never forge links, images, headings, mentions or HTML in the evidence.

const MAX_INLINE = 300;

/** Cuts text to `limit` characters (code points, so no emoji is split in half), marking the cut. */
function truncate(text: string, limit: number): string {
  const chars = Array.from(text);
  return chars.length > limit ? `${chars.slice(0, limit).join("")}…` : text;
}

/**
 * Untrusted text as an inline code span: Markdown, links and HTML inside a code span are shown, not
 * interpreted. The fence is one backtick longer than the longest run inside, as CommonMark requires.
 */
export function code(text: string, limit: number = MAX_INLINE): string {
  const flat = truncate(text.replace(/[\r\n\t]+/g, " ").replace(/[\u0000-\u001f\u007f]/g, ""), limit);
  if (flat.length === 0) return "` `";
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") || flat.startsWith(" ") ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/**
 * Untrusted text as plain prose: every ASCII punctuation character is backslash-escaped (CommonMark
 * then shows it literally, HTML included), and a zero-width space is put after `@` and inside `://`
 * and `www.`, because GitHub's mention and autolink passes run on the text after escapes are resolved.
 */
export function escapeText(text: string, limit: number = MAX_INLINE): string {
  return truncate(text.replace(/[\r\n\t]+/g, " ").replace(/[\u0000-\u001f\u007f]/g, ""), limit)
    .replace(/[!-/:-@[-`{-~]/g, (char) => `\\${char}`)
    .replace(/@/g, "@\u200b")
    .replace(/:\\\/\\\//g, ":\u200b\\/\\/")
    .replace(/www\\\./gi, (match) => `${match.slice(0, 3)}\u200b${match.slice(3)}`);
}

/** A GitHub login as a mention-style reference. Logins are GitHub-controlled (`[A-Za-z0-9-]` and `[bot]`). */
export function login(name: string): string {
  return /^[A-Za-z0-9-]+(\[bot\])?$/.test(name) ? `@${name.replace(/\[bot\]$/, "\\[bot\\]")}` : code(name);
}

/** A link whose target Countersign or GitHub produced (never an agent). The label is escaped. */
export function link(label: string, url: string): string {
  if (!/^https?:\/\/[^\s()<>]+$/.test(url)) return escapeText(label);
  return `[${escapeText(label)}](${url})`;
}

/** The first 7 characters of a commit SHA, as GitHub shows it. */
export function shortSha(sha: string | null): string {
  return sha ? code(sha.slice(0, 7)) : "unknown commit";
}

/**
 * Countersign's own sentence that embeds GitHub-controlled names (logins, team slugs, ref names):
 * Markdown's active characters are escaped, while `@mentions`, `/` and `:` read naturally. Not for
 * free text an agent writes (use `code()` or `escapeText()`).
 */
export function plainLine(text: string): string {
  return truncate(text.replace(/[\r\n\t]+/g, " "), 500).replace(/[\\`*_[\]<>|~!#]/g, (char) => `\\${char}`);
}
