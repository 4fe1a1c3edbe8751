import type { ProbotOctokit } from "probot";

/** Posts a comment on an issue or pull request conversation. */
export async function postComment(
  octokit: ProbotOctokit,
  repo: { owner: string; name: string },
  issueNumber: number,
  body: string,
): Promise<void> {
  await octokit.rest.issues.createComment({ owner: repo.owner, repo: repo.name, issue_number: issueNumber, body });
}
