import type { ProbotOctokit } from "probot";
import { z } from "zod";
import type { Conclusion } from "../policy/evaluate.js";

/** The one check run Countersign owns on a commit. Rulesets can pin it to this app as its source. */
export const CHECK_NAME = "Countersign";

// GitHub's limits on check-run output; longer text is rejected, so it is cut with a note.
const MAX_TITLE = 1000;
const MAX_MARKDOWN = 65_535;

export interface CheckRunContent {
  headSha: string;
  conclusion: Conclusion;
  title: string;
  summary: string;
  /** The output's `text` (below the summary on GitHub): the audit checkpoint, when there is one. */
  text?: string;
  detailsUrl?: string;
  externalId?: string;
}

/** The part of GitHub's answer to a check-run write that Countersign keeps. */
const checkRunSchema = z.object({ id: z.number().int().positive() });

function clip(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const note = "\n\n_(truncated: output exceeded GitHub's limit)_";
  return text.slice(0, limit - note.length) + note;
}

/**
 * Writes the Countersign check run: updates `existingId` when given (so the commit keeps one check
 * run), otherwise creates one. Returns the check run's id. An update of a check run that no longer
 * exists falls back to creating a new one.
 */
export async function writeCheckRun(
  octokit: ProbotOctokit,
  repo: { owner: string; name: string },
  existingId: number | null,
  content: CheckRunContent,
): Promise<number> {
  const body = {
    name: CHECK_NAME,
    status: "completed" as const,
    conclusion: content.conclusion,
    completed_at: new Date().toISOString(),
    ...(content.detailsUrl ? { details_url: content.detailsUrl } : {}),
    ...(content.externalId ? { external_id: content.externalId } : {}),
    output: { title: clip(content.title, MAX_TITLE), summary: clip(content.summary, MAX_MARKDOWN), ...(content.text ? { text: clip(content.text, MAX_MARKDOWN) } : {}) },
  };
  const params = { owner: repo.owner, repo: repo.name };
  if (existingId !== null) {
    try {
      const updated = await octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", { ...params, check_run_id: existingId, ...body });
      return checkRunSchema.parse(updated.data).id;
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
    }
  }
  const created = await octokit.request("POST /repos/{owner}/{repo}/check-runs", { ...params, ...body, head_sha: content.headSha });
  return checkRunSchema.parse(created.data).id;
}
