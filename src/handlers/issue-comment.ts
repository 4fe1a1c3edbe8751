import type { Context } from "probot";
import { mayHoldCommand, type CommandRegistry } from "../commands/registry.js";
import { parseCommentApp } from "../github/comment-app.schema.js";
import { COMMANDS } from "../services/commands.js";
import type { AppServices as Services } from "../services/create-services.js";
import { failClosed } from "../services/fail-closed.js";
import { runCommand, type CommandEntry } from "../services/run-command.js";
import { code } from "../evidence/markdown.js";
import { eventContext } from "./event-context.js";

/**
 * issue_comment.created, for the commands in `commands`, on pull requests and on issues. Only
 * `created`: editing or deleting a command later never changes what was recorded.
 */
export function issueCommentHandler(commands: CommandRegistry<CommandEntry<{ kind: string }>>): (services: Services, context: Context<"issue_comment.created">) => Promise<void> {
  return async (services, context) => {
    const { issue, comment, sender, repository } = context.payload;
    // Cheap early return for the vast majority of comments, before any API call (linear: no parsing).
    if (!mayHoldCommand(commands, comment.body)) return;
    const performedVia = parseCommentApp(comment.performed_via_github_app);
    // Countersign's own replies quote usage; never let them loop back as commands.
    if (services.appId !== null && performedVia?.id === services.appId) return;
    const event = eventContext(services, context, context.payload);
    const subject = issue.pull_request ? "pull_request" : "issue";
    try {
      await runCommand(services, event, commands, {
        subject,
        number: issue.number,
        repoHtmlUrl: repository.html_url,
        comment: { id: comment.id, url: comment.html_url, body: comment.body },
        sender: { id: sender.id, login: sender.login, type: sender.type },
        performedVia,
      });
    } catch (error) {
      // The command could not be processed: block the PR (if it is one) and say so in the thread.
      const errorId = await failClosed(services, event, { prNumber: subject === "pull_request" ? issue.number : null, headSha: null }, error);
      await event.github.postComment(event.repo, issue.number, `**Countersign could not process this command** (error ${code(errorId)}). It may not have taken effect, or only in part (the error can come after the delegation was recorded): the pull request's \`Countersign\` check run says what is in force. Check it before giving the command again.`).catch(
        (replyError: unknown) => event.log.error({ err: replyError, errorId }, "countersign: could not reply to the command"),
      );
    }
  };
}

/** issue_comment.created: Countersign's commands (services/commands.ts). */
export const onIssueComment = issueCommentHandler(COMMANDS);
