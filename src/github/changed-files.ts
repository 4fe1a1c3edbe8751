import type { ProbotOctokit } from "probot";
import { z } from "zod";
import type { FileRename } from "../policy/types.js";

// The paths a pull request touches. GitHub's GraphQL file list (read with the pull request) names a
// renamed file by its new path only, with `changeType: RENAMED`, and never says where it came from; a
// rule judged on that list alone would let a change escape a scope or a tier by moving a file out of
// it (`.github/workflows/deploy.yml` → `src/deploy.yml` deletes a workflow). The REST file list
// (`GET /repos/{o}/{r}/pulls/{n}/files`) has `previous_filename`, so it is read, only when the
// GraphQL list has a rename: a pull request without one costs no extra request.
//
// A copy (`COPIED`) leaves its source as it was: the change adds the new path and touches nothing
// else, so it is judged by its new path and needs no extra read.
//
// Both lists stop at 3,000 files. A pull request with more changed files cannot be judged on what
// GitHub shows (the rest could be anything), so reading it fails and the evaluation fails closed.

/** GitHub's largest REST page. */
const PER_PAGE = 100;

/** Neither GitHub's REST nor its GraphQL file list of a pull request goes past this many files. */
export const MAX_LISTED_FILES = 3_000;

/** The file list GitHub gave is not the whole change: the pull request cannot be judged on it. */
export class IncompleteFileList extends Error {
  override readonly name = "IncompleteFileList";
}

/** One file of a pull request as its GraphQL `files` connection lists it. */
export interface ListedFile {
  path: string;
  /** ADDED, CHANGED, COPIED, DELETED, MODIFIED or RENAMED. */
  changeType: string;
}

const restFileSchema = z.object({ filename: z.string(), status: z.string(), previous_filename: z.string().optional() });
const restPageSchema = z.array(restFileSchema);

type Repo = { owner: string; name: string };

/** Throws unless the list read is every changed file GitHub counts (`changedFiles`). */
export function assertCompleteList(listed: number, changedFiles: number): void {
  if (listed >= changedFiles) return;
  const capped = changedFiles > MAX_LISTED_FILES;
  throw new IncompleteFileList(
    capped
      ? `this pull request changes ${changedFiles} files and GitHub lists only the first ${MAX_LISTED_FILES}: Countersign cannot judge files it cannot see; split the pull request`
      : `GitHub listed ${listed} of this pull request's ${changedFiles} changed files`,
  );
}

/** One page of the REST file list. */
async function readPage(octokit: ProbotOctokit, repo: Repo, number: number, page: number): Promise<Array<z.infer<typeof restFileSchema>>> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", { owner: repo.owner, repo: repo.name, pull_number: number, per_page: PER_PAGE, page });
  return restPageSchema.parse(data);
}

/** The renames a page of the REST file list reports. */
function renamesIn(files: ReadonlyArray<z.infer<typeof restFileSchema>>): FileRename[] {
  return files.filter((file) => file.status === "renamed" && file.previous_filename !== undefined).map((file) => ({ from: file.previous_filename as string, to: file.filename }));
}

/**
 * Where the renamed files came from, from the REST file list: its pages are read at once (their number
 * is known from `changedFiles`), and on while a rename is still unexplained and the last page was full
 * (files added by a push since). Throws {@link IncompleteFileList} when a file the GraphQL list calls
 * renamed has no previous path there.
 */
export async function readRenames(octokit: ProbotOctokit, repo: Repo, number: number, changedFiles: number, renamedPaths: readonly string[]): Promise<FileRename[]> {
  const maxPages = MAX_LISTED_FILES / PER_PAGE;
  const planned = Math.max(1, Math.ceil(Math.min(changedFiles, MAX_LISTED_FILES) / PER_PAGE));
  const pages = await Promise.all(Array.from({ length: planned }, (_, index) => readPage(octokit, repo, number, index + 1)));
  // Every rename REST reports counts, even one the GraphQL list did not call a rename (a push in
  // between): an extra path can only tighten the decision, and the push brings its own evaluation.
  const renames = pages.flatMap(renamesIn);
  const unexplained = () => {
    const found = new Set(renames.map((rename) => rename.to));
    return renamedPaths.filter((path) => !found.has(path));
  };
  while (unexplained().length > 0 && pages.length < maxPages && pages.at(-1)?.length === PER_PAGE) {
    const page = await readPage(octokit, repo, number, pages.length + 1);
    pages.push(page);
    renames.push(...renamesIn(page));
  }
  const missing = unexplained().length;
  if (missing > 0) throw new IncompleteFileList(`GitHub's file list did not say where ${missing} renamed file${missing === 1 ? "" : "s"} of this pull request came from`);
  return renames;
}

/** Every path the change touches: the listed paths, and the old path of each renamed file. */
export function touchedPaths(listed: readonly ListedFile[], renames: readonly FileRename[]): string[] {
  return [...new Set([...listed.map((file) => file.path), ...renames.map((rename) => rename.from)])];
}
