import type { ProbotOctokit } from "probot";
import { z } from "zod";

// An issue's text as GitHub has it now: what a delegation on the issue records as the task the agent
// was given (the issue can be edited or deleted afterwards; the snapshot is what the owner saw).

/** An issue's title and body (an absent body is the empty text). */
export interface IssueText {
  title: string;
  body: string;
}

const issueSchema = z.object({ title: z.string(), body: z.string().nullish() });

/** Reads issue `number`'s title and body; null when GitHub says there is none (404 or 410, a deleted issue). */
export async function readIssueText(octokit: ProbotOctokit, repo: { owner: string; name: string }, number: number): Promise<IssueText | null> {
  let data: unknown;
  try {
    ({ data } = await octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", { owner: repo.owner, repo: repo.name, issue_number: number }));
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 404 || status === 410) return null;
    throw error;
  }
  const issue = issueSchema.parse(data);
  return { title: issue.title, body: issue.body ?? "" };
}
