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

/** REST's file statuses as the GraphQL list's change types. */
const CHANGE_TYPES: Record<string, string> = { added: "ADDED", removed: "DELETED", modified: "MODIFIED", renamed: "RENAMED", copied: "COPIED", changed: "CHANGED", unchanged: "CHANGED" };

/** A long pull request's files, and where its renamed files came from. */
export interface LongFileList {
  files: ListedFile[];
  renames: FileRename[];
}

/**
 * The files of a pull request longer than the GraphQL query's first page, read through the REST file
 * list instead of GraphQL follow-up pages: REST pages are GETs, which Octokit's throttling does not
 * space a second apart (every GraphQL query is a POST, which it does), so all of them are read at once.
 * The GraphQL query's first page (`firstPage`, up to 100 files) is kept and the REST pages after it
 * are read; REST's page 1 too when that page has a rename (for where it came from) or when the two
 * lists turn out not to list the files in the same order. Files are told apart by path, and the list
 * is complete only once it has as many distinct paths as GitHub says the change has (`changedFiles`):
 * otherwise it throws {@link IncompleteFileList}. The caller checks that the head did not move
 * meanwhile.
 */
export async function readLongFileList(octokit: ProbotOctokit, repo: Repo, number: number, changedFiles: number, firstPage: readonly ListedFile[]): Promise<LongFileList> {
  // More files than GitHub lists: refused before any page is read.
  if (changedFiles > MAX_LISTED_FILES) assertCompleteList(MAX_LISTED_FILES, changedFiles);
  const pageCount = Math.max(1, Math.ceil(changedFiles / PER_PAGE));
  const renamedOnFirst = firstPage.some((file) => file.changeType === "RENAMED");
  const read = async (pages: number[]) => (await Promise.all(pages.map((page) => readPage(octokit, repo, number, page)))).flat();
  const later = Array.from({ length: pageCount - 1 }, (_, index) => index + 2);
  let rest = await read(renamedOnFirst ? [1, ...later] : later);
  const merge = () => {
    const byPath = new Map<string, ListedFile>(firstPage.map((file) => [file.path, file]));
    for (const file of rest) byPath.set(file.filename, { path: file.filename, changeType: CHANGE_TYPES[file.status] ?? "CHANGED" });
    return [...byPath.values()];
  };
  let files = merge();
  // The two lists disagree on which files come first: REST's first page as well settles it.
  if (files.length < changedFiles && !renamedOnFirst) {
    rest = [...(await read([1])), ...rest];
    files = merge();
  }
  assertCompleteList(files.length, changedFiles);
  const renames = renamesIn(rest);
  const explained = new Set(renames.map((rename) => rename.to));
  const unexplained = files.filter((file) => file.changeType === "RENAMED" && !explained.has(file.path)).length;
  if (unexplained > 0) throw new IncompleteFileList(`GitHub's file list did not say where ${unexplained} renamed file${unexplained === 1 ? "" : "s"} of this pull request came from`);
  return { files, renames };
}
