import type { Context } from "probot";
import type { AppServices } from "../services/create-services.js";
import { failClosed } from "../services/fail-closed.js";
import { handlePush } from "../services/flag-direct-push.js";
import { reevaluateAfterPolicyChange } from "../services/reevaluate-after-policy-change.js";
import { toWebhookActor } from "../github/webhook-actor.js";
import { eventContext } from "./event-context.js";

/**
 * push: record agents' pushes to any branch, flag those straight to a protected branch, and re-judge
 * open pull requests when the push changes the policy.
 */
export async function onPush(services: AppServices, context: Context<"push">): Promise<void> {
  const { payload } = context;
  // Tags and branch deletions are not changes to review; which branches are protected is policy.
  if (payload.deleted || !payload.ref.startsWith("refs/heads/")) return;
  const event = eventContext(services, context, payload);
  const sender = payload.sender;
  try {
    await handlePush(services, event, {
      ref: payload.ref,
      defaultBranch: payload.repository.default_branch,
      headSha: payload.after,
      deleted: payload.deleted,
      // The account GitHub authenticated for the push; `pusher` is only git's name and email.
      sender: toWebhookActor(sender),
      beforeSha: payload.before,
      forced: payload.forced,
      commits: payload.commits.map((commit) => ({ sha: commit.id, message: commit.message })),
      compareUrl: payload.compare ?? null,
    });
  } catch (error) {
    await failClosed(services, event, { prNumber: null, headSha: payload.after }, error);
  }
  // A push that changes `.github/countersign.yml` re-judges the open pull requests under it.
  await reevaluateAfterPolicyChange(services, event, payload);
}
