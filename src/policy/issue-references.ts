import type { PullRequestFacts } from "./types.js";

// GitHub's closing keywords (close, closes, closed, fix, fixes, fixed, resolve, resolves, resolved).
const CLOSING_KEYWORD = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d{1,9})\b/gi;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Issues of the same repository that a pull request references: those GitHub links as closed by it,
 * plus closing keywords and issue links in its body (GitHub only links closing references for PRs
 * into the default branch). The body is agent-written: these references only choose which issue
 * delegation to look at, and that delegation must name the same agent, so they grant nothing.
 */
export function referencedIssues(pr: Pick<PullRequestFacts, "repo" | "body" | "closingIssues">): number[] {
  const found = new Set<number>(pr.closingIssues);
  const body = pr.body.slice(0, 64 * 1024);
  for (const match of body.matchAll(CLOSING_KEYWORD)) found.add(Number(match[1]));
  const issueUrl = new RegExp(`${escapeRegExp(pr.repo.htmlUrl)}/issues/(\\d{1,9})\\b`, "gi");
  for (const match of body.matchAll(issueUrl)) found.add(Number(match[1]));
  return [...found].sort((a, b) => a - b);
}
