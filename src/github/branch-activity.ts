import type { ProbotOctokit } from "probot";
import { z } from "zod";
import type { Actor } from "../policy/types.js";
import { toWebhookActor } from "./webhook-actor.js";

/** One push to a branch as GitHub's repository activity log records it. */
export interface BranchPush {
  beforeSha: string;
  afterSha: string;
  forced: boolean;
  /** The account that pushed, as GitHub authenticated it (not the commits' authors). */
  actor: Actor;
  at: Date;
}

const activitySchema = z.array(
  z.object({
    before: z.string(),
    after: z.string(),
    ref: z.string(),
    timestamp: z.string(),
    activity_type: z.string(),
    actor: z.object({ id: z.number().int(), login: z.string(), type: z.string().optional() }).nullable(),
  }),
);

/**
 * The latest pushes to `branch` (up to 100), from `GET /repos/{owner}/{repo}/activity`: how pushes the
 * app never received a webhook for (before it was installed, while it was down) are still attributed
 * to whoever made them. Branch creation counts as a push: it brings the branch's first commits.
 */
export async function recentPushesToBranch(octokit: ProbotOctokit, repo: { owner: string; name: string }, branch: string): Promise<BranchPush[]> {
  const response = await octokit.request("GET /repos/{owner}/{repo}/activity", { owner: repo.owner, repo: repo.name, ref: `refs/heads/${branch}`, per_page: 100 });
  return activitySchema
    .parse(response.data)
    .filter((entry) => entry.actor !== null && ["push", "force_push", "branch_creation"].includes(entry.activity_type))
    .map((entry) => ({
      beforeSha: entry.before,
      afterSha: entry.after,
      forced: entry.activity_type === "force_push",
      actor: toWebhookActor(entry.actor as { id: number; login: string; type?: string }),
      at: new Date(entry.timestamp),
    }));
}
