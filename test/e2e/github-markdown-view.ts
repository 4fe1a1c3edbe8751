import { Marked, type RendererExtension, type TokenizerExtension } from "marked";

// Countersign's Markdown as a reviewer sees it on GitHub, for the pictures in docs/pictures: GFM
// rendered by `marked`, in a page styled after GitHub's light theme (the `markdown-body` rules of
// github-markdown-css, the check run's conclusion icon, a timeline comment). Close to GitHub, not
// GitHub: no emoji images, no syntax highlighting, no sanitiser (the pages are opened with JavaScript
// off, and what they show is the app's own output in a test). Each page is self-contained: no fonts,
// images or styles are fetched, so it renders the same with the network off.

/** The element of each page to screenshot. */
export const PICTURE_SELECTOR = "#picture";

/** A check run as GitHub received it: conclusion, title and summary Markdown. */
export interface CheckRunView {
  name: string;
  conclusion: string;
  title: string;
  summary: string;
}

/** A comment on the pull request's conversation. */
export interface CommentView {
  author: string;
  /** How GitHub labels the author: "bot" for an app, or a role such as "Member". */
  label: string;
  /** The date GitHub shows beside the author ("commented on …"). */
  date: string;
  body: string;
}

// GitHub links `@login` (and an app's `@name[bot]`, which the app writes with escaped brackets) to
// the account, in bold. Not inside code: marked does not run inline extensions there.
const mention: TokenizerExtension & RendererExtension = {
  name: "mention",
  level: "inline",
  start(src) {
    const found = /(^|[^\w`/@])@[A-Za-z0-9]/.exec(src);
    return found ? found.index + (found[1]?.length ?? 0) : undefined;
  },
  tokenizer(src) {
    const found = /^@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))(\\\[bot\\\]|\[bot\])?(?![\w-])/.exec(src);
    if (!found) return undefined;
    return { type: "mention", raw: found[0], login: `${found[1]}${found[2] ? "[bot]" : ""}` };
  },
  renderer(token) {
    return `<a class="user-mention" href="https://github.com/${encodeURIComponent(token.login)}">@${escapeHtml(token.login)}</a>`;
  },
};

// Comments keep single line breaks (GitHub renders issue and pull-request comments that way); a
// check run's summary is rendered as a document, like a Markdown file.
const documentMarkdown = new Marked({ gfm: true, breaks: false, extensions: [mention] });
const commentMarkdown = new Marked({ gfm: true, breaks: true, extensions: [mention] });

// GitHub shows emoji in the reader's emoji font; a machine without one (Debian's Chromium alone has
// none) would draw empty boxes, so the two Countersign writes are drawn here, after Noto Color Emoji.
const EMOJI: Record<string, string> = {
  "\u2705": `<svg class="emoji" viewBox="0 0 16 16" aria-label="check mark"><rect width="16" height="16" rx="3" fill="#4caf50"/><path d="M3.9 8.3l2.7 2.7 5.5-5.9" fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/></svg>`,
  "\u274c": `<svg class="emoji" viewBox="0 0 16 16" aria-label="cross mark"><path d="M3 3l10 10M13 3L3 13" stroke="#f44336" stroke-width="3.2" stroke-linecap="round"/></svg>`,
};

function withEmoji(html: string): string {
  return html.replace(/\u2705|\u274c/g, (emoji) => EMOJI[emoji] ?? emoji);
}

/** HTML-escapes text placed into a page outside the Markdown. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

// Octicons (MIT, github.com/primer/octicons), 16 px.
const OCTICONS = {
  success: "M8 16A8 8 0 1 1 8 0a8 8 0 0 1 0 16Zm3.78-9.72a.751.751 0 0 0-.018-1.042.751.751 0 0 0-1.042-.018L6.75 9.19 5.28 7.72a.751.751 0 0 0-1.042.018.751.751 0 0 0-.018 1.042l2 2a.75.75 0 0 0 1.06 0Z",
  failure:
    "M2.343 13.657A8 8 0 1 1 13.658 2.343 8 8 0 0 1 2.343 13.657ZM6.03 4.97a.751.751 0 0 0-1.042.018.751.751 0 0 0-.018 1.042L6.94 8 4.97 9.97a.749.749 0 0 0 .326 1.275.749.749 0 0 0 .734-.215L8 9.06l1.97 1.97a.749.749 0 0 0 1.275-.326.749.749 0 0 0-.215-.734L9.06 8l1.97-1.97a.749.749 0 0 0-.326-1.275.749.749 0 0 0-.734.215L8 6.94Z",
  neutral: "M0 2.75A2.75 2.75 0 0 1 2.75 0h10.5A2.75 2.75 0 0 1 16 2.75v10.5A2.75 2.75 0 0 1 13.25 16H2.75A2.75 2.75 0 0 1 0 13.25Z",
};

// How GitHub's checks list shows each conclusion Countersign uses: action_required is drawn as a
// failure (it blocks the merge as one), neutral as a grey square.
const CONCLUSIONS: Record<string, { icon: keyof typeof OCTICONS; color: string; words: string }> = {
  success: { icon: "success", color: "#1a7f37", words: "Successful" },
  failure: { icon: "failure", color: "#d1242f", words: "Failing" },
  action_required: { icon: "failure", color: "#d1242f", words: "Action required" },
  neutral: { icon: "neutral", color: "#59636e", words: "Neutral" },
};

function octicon(path: string, color: string, size = 16): string {
  return `<svg class="octicon" width="${size}" height="${size}" viewBox="0 0 16 16" aria-hidden="true"><path fill="${color}" d="${path}"></path></svg>`;
}

// github-markdown-css (MIT, github.com/sindresorhus/github-markdown-css), light theme, the rules the
// app's Markdown uses; plus the frame around it.
const STYLE = `
*{box-sizing:border-box}
body{margin:0;padding:16px;background:#fff;color:#1f2328;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif,"Apple Color Emoji","Segoe UI Emoji";font-size:14px;line-height:1.5}
a{color:#0969da;text-decoration:none}
.Box{border:1px solid #d1d9e0;border-radius:6px;background:#fff}
.Box-header{display:flex;align-items:center;gap:8px;padding:12px 16px;background:#f6f8fa;border-bottom:1px solid #d1d9e0;border-radius:6px 6px 0 0}
.Box-body{padding:16px 24px 24px}
.octicon{display:inline-block;vertical-align:text-bottom;flex:none}
.check-name{font-weight:600}
.muted{color:#59636e}
.Label{display:inline-block;padding:0 7px;font-size:12px;font-weight:500;line-height:18px;border:1px solid #d1d9e0;border-radius:2em;color:#59636e;white-space:nowrap}
.push{margin-left:auto}
.check-title{margin:0 0 16px;padding-bottom:8px;font-size:20px;font-weight:600;line-height:1.25;border-bottom:1px solid #d1d9e0b3}
.timeline{display:flex;flex-direction:column;gap:16px}
.comment{display:flex;gap:16px;align-items:flex-start}
.avatar{flex:none;width:40px;height:40px;border-radius:50%;display:flex;align-items:center;justify-content:center;font-weight:600;font-size:18px;color:#fff;background:#8250df}
.avatar.app{border-radius:6px;background:#1f2328}
.comment .Box{flex:1;min-width:0;position:relative}
.comment .Box-header{padding:8px 16px;gap:6px}
.comment .Box-body{padding:16px}
.author{font-weight:600;color:#1f2328}
.markdown-body{font-size:14px;line-height:1.5;word-wrap:break-word}
.markdown-body>*:first-child{margin-top:0!important}
.markdown-body>*:last-child{margin-bottom:0!important}
.markdown-body p,.markdown-body blockquote,.markdown-body ul,.markdown-body ol,.markdown-body table,.markdown-body pre{margin-top:0;margin-bottom:16px}
.markdown-body h1,.markdown-body h2,.markdown-body h3,.markdown-body h4{margin-top:24px;margin-bottom:16px;font-weight:600;line-height:1.25}
.markdown-body h1{font-size:2em;padding-bottom:.3em;border-bottom:1px solid #d1d9e0b3}
.markdown-body h2{font-size:1.5em;padding-bottom:.3em;border-bottom:1px solid #d1d9e0b3}
.markdown-body h3{font-size:1.25em}
.markdown-body h4{font-size:1em}
.markdown-body strong{font-weight:600}
.markdown-body ul,.markdown-body ol{padding-left:2em}
.markdown-body li+li{margin-top:.25em}
.markdown-body ul ul{margin-top:0;margin-bottom:0}
.markdown-body code,.markdown-body pre{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace}
.markdown-body code{padding:.2em .4em;margin:0;font-size:85%;white-space:break-spaces;background-color:#818b981f;border-radius:6px}
.markdown-body pre{padding:16px;overflow:auto;font-size:85%;line-height:1.45;color:#1f2328;background-color:#f6f8fa;border-radius:6px}
.markdown-body pre code{padding:0;margin:0;font-size:100%;white-space:pre;background:transparent;border:0}
.markdown-body table{display:block;width:max-content;max-width:100%;overflow:auto;border-spacing:0;border-collapse:collapse}
.markdown-body table th{font-weight:600}
.markdown-body table th,.markdown-body table td{padding:6px 13px;border:1px solid #d1d9e0}
.markdown-body table tr{background-color:#fff;border-top:1px solid #d1d9e0b3}
.markdown-body table tr:nth-child(2n){background-color:#f6f8fa}
.markdown-body hr{box-sizing:content-box;height:.25em;padding:0;margin:24px 0;background-color:#d1d9e0;border:0;overflow:hidden}
.markdown-body blockquote{padding:0 1em;color:#59636e;border-left:.25em solid #d1d9e0}
.markdown-body .emoji{width:1.2em;height:1.2em;vertical-align:-.22em}
.markdown-body .user-mention{font-weight:600;color:#1f2328;white-space:nowrap}
`;

function page(title: string, width: number, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><div id="picture" style="width:${width}px">${body}</div></body></html>`;
}

/** GFM to HTML, as GitHub renders a check run's summary. */
function summaryHtml(markdown: string): string {
  return withEmoji(documentMarkdown.parse(markdown, { async: false }));
}

/** A page showing a check run as on the pull request's Checks tab: conclusion, title, summary. */
export function checkRunPage(run: CheckRunView): string {
  const conclusion = CONCLUSIONS[run.conclusion] ?? { icon: "neutral", color: "#59636e", words: run.conclusion };
  return page(
    `${run.name}: ${run.title}`,
    920,
    `<div class="Box">
      <div class="Box-header">${octicon(OCTICONS[conclusion.icon], conclusion.color)}<span class="check-name">${escapeHtml(run.name)}</span><span style="color:${conclusion.color}">${escapeHtml(conclusion.words)}</span><span class="Label push">Required</span></div>
      <div class="Box-body"><h2 class="check-title">${escapeHtml(run.title)}</h2><div class="markdown-body">${summaryHtml(run.summary)}</div></div>
    </div>`,
  );
}

function commentBox(comment: CommentView): string {
  const app = comment.label === "bot";
  return `<div class="comment">
    <div class="avatar${app ? " app" : ""}">${escapeHtml(comment.author.slice(0, 1).toUpperCase())}</div>
    <div class="Box">
      <div class="Box-header"><span class="author">${escapeHtml(comment.author)}</span>${app ? `<span class="Label">bot</span>` : ""}<span class="muted">commented on ${escapeHtml(comment.date)}</span>${app ? "" : `<span class="Label push">${escapeHtml(comment.label)}</span>`}</div>
      <div class="Box-body markdown-body">${withEmoji(commentMarkdown.parse(comment.body, { async: false }))}</div>
    </div>
  </div>`;
}

/** A page showing comments as on the pull request's Conversation tab, one after the other. */
export function conversationPage(comments: CommentView[]): string {
  return page("Conversation", 860, `<div class="timeline">${comments.map(commentBox).join("")}</div>`);
}
