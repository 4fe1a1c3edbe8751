import type { ProbotOctokit } from "probot";
import { z } from "zod";
import { CHECK_NAME } from "./check-runs.js";

// Where an auditor finds the app's audit checkpoints on GitHub: the text of Countersign's check runs
// (each write carries the newest checkpoint, docs/audit.md). GitHub keeps them where the database's
// owner cannot edit them, so `countersign audit verify --checkpoints github:owner/repo` reads them
// from there rather than from a file someone handed over.

/** How many of the most recently updated pull requests are read when no commit is named. */
export const RECENT_PULL_REQUESTS = 20;

const pullsSchema = z.array(z.object({ head: z.object({ sha: z.string() }) }));
const checkRunsSchema = z.object({ check_runs: z.array(z.object({ output: z.object({ text: z.string().nullable().optional() }).passthrough() }).passthrough()) });

/**
 * The text of every `Countersign` check run on `ref` (a commit SHA, branch or tag), or, with no ref,
 * on the heads of the repository's most recently updated pull requests. Returns the texts and the
 * commits read.
 */
export async function countersignCheckRunTexts(octokit: ProbotOctokit, repo: { owner: string; name: string }, ref: string | null): Promise<{ texts: string[]; commits: string[] }> {
  let commits: string[];
  if (ref !== null) commits = [ref];
  else {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/pulls", { owner: repo.owner, repo: repo.name, state: "all", sort: "updated", direction: "desc", per_page: RECENT_PULL_REQUESTS });
    commits = [...new Set(pullsSchema.parse(data).map((pull) => pull.head.sha))];
  }
  const texts: string[] = [];
  for (const commit of commits) {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { owner: repo.owner, repo: repo.name, ref: commit, check_name: CHECK_NAME, per_page: 100 });
    for (const run of checkRunsSchema.parse(data).check_runs) if (run.output.text) texts.push(run.output.text);
  }
  return { texts, commits };
}
