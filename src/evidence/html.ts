import { showHidden } from "./visible-text.js";

// HTML the app serves itself (the evidence page, the setup page): every value escaped, and one
// document shell: no scripts, no external resources, its style inline (the pages' Content-Security-
// Policy allows nothing else), kept out of search engines.

/**
 * Escapes text for HTML element content and quoted attribute values. Hidden and reordering characters
 * (bidi controls, zero-width characters, other controls) are shown as `[U+XXXX]`, as in Markdown.
 */
export function html(text: unknown): string {
  return showHidden(String(text ?? ""), "keep")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A link to `url` when it is an absolute http(s) address; anything else (none, `javascript:`, relative) is shown as text. */
export function externalLink(label: string, url: string | null | undefined): string {
  if (!url || !/^https?:\/\/[^\s"'<>]+$/.test(url)) return html(label);
  return `<a href="${html(url)}" rel="noopener noreferrer">${html(label)}</a>`;
}

/** An ISO 8601 UTC time shown to the minute (`2026-11-25 12:00Z`), the exact value kept for machines and hovering; anything else as text. */
export function minuteTime(iso: string): string {
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d):\d\d(?:\.\d+)?Z$/.exec(iso);
  return match ? `<time datetime="${html(iso)}" title="${html(iso)}">${match[1]} ${match[2]}Z</time>` : html(iso);
}

/** A whole page: `title` is text (escaped here), `style` CSS and `body` HTML, both the caller's own. */
export function htmlDocument(page: { title: string; style: string; body: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${html(page.title)}</title>
<style>${page.style}</style>
</head>
<body>
${page.body}
</body>
</html>`;
}
