import type { PullRequestFacts } from "../policy/types.js";
import { payloadTitle } from "./task-snapshot.js";

// What a decision saw of the pull request, as its `decision` audit event records it: the title, the
// head and base commits, and the changed paths (kept in the content store, by hash). Built from the
// facts the judge already read: recording the context costs no request to GitHub. Agent-written
// text, kept as evidence only.

/** The most changed paths a decision's context keeps; the count says how many there were. */
export const CHANGED_PATHS_MAX = 3000;

/**
 * The stored text of a decision's changed paths: a JSON array of the paths (the first
 * `CHANGED_PATHS_MAX`, in GitHub's order), as `JSON.stringify` writes it. JSON rather than one path
 * a line, because a file name may itself hold a newline.
 */
export function changedPathsText(files: readonly string[]): { text: string; count: number; truncated: boolean } {
  const kept = files.slice(0, CHANGED_PATHS_MAX);
  return { text: JSON.stringify(kept), count: files.length, truncated: kept.length < files.length };
}

/** The `context` of a `decision` audit event. */
export interface DecisionContextRecord {
  /** The pull request's title, capped at 256 characters (`titleTruncated` when cut). */
  title: string;
  titleTruncated?: true;
  headSha: string;
  /** GitHub's base commit for the pull request; null when it did not say. */
  baseSha: string | null;
  changedFiles: {
    /** SHA-256 of the stored JSON list of paths (`texts` in an export). */
    hash: string;
    /** How many paths the change touches (the stored list has at most `CHANGED_PATHS_MAX`). */
    count: number;
    truncated: boolean;
  };
}

/** The context record, given the hash the changed paths' text was stored under. */
export function decisionContext(facts: Pick<PullRequestFacts, "title" | "headSha" | "baseSha" | "files">, changedFilesHash: string): DecisionContextRecord {
  const paths = changedPathsText(facts.files);
  return {
    ...payloadTitle(facts.title),
    headSha: facts.headSha,
    baseSha: facts.baseSha ?? null,
    changedFiles: { hash: changedFilesHash, count: paths.count, truncated: paths.truncated },
  };
}
