import type { CommandRegistry, CommandSubject, CommandSyntax } from "../commands/registry.js";
import { readCommand } from "../commands/registry.js";
import { appendAuditEvent, type AuditEventType } from "../db/audit-log.js";
import { malformedReply, refusedReply } from "../evidence/command-replies.js";
import type { CommentApp } from "../github/comment-app.schema.js";
import type { Store } from "../db/client.js";
import type { EventContext } from "./event-context.js";

// Runs the command a comment holds: finds it through the registry, refuses what no command may be
// (a comment an app performed, a command by a bot or an organization), answers a malformed one with
// its usage, and hands the rest to the command's own service. Every command gets these refusals.

/** A comment that may hold a command. */
export interface CommandRequest {
  subject: CommandSubject;
  number: number;
  /** The repository's web address (`https://github.com/o/r`, or the GHES host), for task links. */
  repoHtmlUrl: string;
  comment: { id: number; url: string; body: string };
  /** The comment's author, as GitHub authenticated it (never a name written in the comment). */
  sender: { id: number; login: string; type: string };
  /** The GitHub App the comment was performed through, if any (its `performed_via_github_app`). */
  performedVia: CommentApp | null;
}

/** What running any command needs: the audit log and the clock. */
export interface CommandServices {
  db: Store;
  clock: () => Date;
}

/** One command: how it is written, and the service that performs it and replies. */
export interface CommandEntry<C extends { kind: string }, S extends CommandServices = CommandServices> extends CommandSyntax<C> {
  /** What the command lets a person do, as refusals say it: "only people can <action>". */
  action: string;
  /** The audit event a refused command is recorded as. */
  refusedEvent: AuditEventType;
  /** Performs a well-formed command a person issued, and replies in the thread. */
  perform(services: S, event: EventContext, request: CommandRequest, command: C): Promise<void>;
}

/** Appends an audit event about a command, naming its comment. */
export async function auditCommand(services: CommandServices, event: EventContext, request: CommandRequest, type: AuditEventType, payload: Record<string, unknown>): Promise<void> {
  await appendAuditEvent(services.db, {
    type,
    repo: { id: event.repo.id, fullName: event.repo.fullName },
    subjectNumber: request.number,
    sha: null,
    actor: { id: request.sender.id, login: request.sender.login },
    deliveryId: event.deliveryId,
    payload: { commentId: request.comment.id, commentUrl: request.comment.url, ...payload },
    at: services.clock(),
  });
}

/**
 * A comment an app performed is never its author's command, whatever account it used: an agent app
 * holding a person's user token posts as that person, but the person did not type it. Any app, not
 * only known agents: what matters is that an app acted, and an app's name proves nothing about it.
 */
function refusePerformedViaApp(request: CommandRequest, action: string): string | null {
  const app = request.performedVia;
  if (!app) return null;
  // The reason goes through plainLine() (see command-replies.ts): a `quoted` part is shown as code,
  // and a name holding a backtick itself is shown as escaped prose instead.
  const quote = (text: string) => (text.includes("`") ? `"${text.slice(0, 100)}"` : `\`${text.slice(0, 100)}\``);
  const named = [app.name ? quote(app.name) : null, app.slug ? `(${quote(app.slug)})` : null].filter((part) => part !== null).join(" ");
  const author = `@${request.sender.login}`;
  return `this comment was posted through the GitHub App ${named || (app.id !== null ? `with id ${app.id}` : "that GitHub did not name")}, not typed by ${author}: an action an app (a coding agent, say) performs is never a person's authority, whichever account it used. To ${action}, ${author} must post the command themselves.`;
}

/** A bot or organization account can never issue a command: known from the authenticated sender alone. */
function refuseNonPerson(request: CommandRequest, action: string): string | null {
  if (request.sender.type === "User") return null;
  return `@${request.sender.login} is a ${request.sender.type.toLowerCase()} account: only people can ${action}.`;
}

/**
 * Runs the first command a person visibly issued in the comment, if it holds one: refuses it, answers
 * it with its usage, or has its service perform it. Returns false when the comment held no command.
 */
export async function runCommand<S extends CommandServices>(services: S, event: EventContext, commands: CommandRegistry<CommandEntry<{ kind: string }, S>>, request: CommandRequest): Promise<boolean> {
  const read = readCommand(commands, request.comment.body, { subject: request.subject, repoHtmlUrl: request.repoHtmlUrl });
  if (read === null) return false;
  const { entry, parsed } = read;
  const viaApp = refusePerformedViaApp(request, entry.action);
  if (viaApp) {
    await event.github.postComment(event.repo, request.number, refusedReply(viaApp));
    await auditCommand(services, event, request, entry.refusedEvent, { command: parsed.ok ? parsed.command.kind : "malformed", why: viaApp, performedViaApp: request.performedVia });
    return true;
  }
  if (!parsed.ok) {
    await event.github.postComment(event.repo, request.number, malformedReply(parsed.error, entry.usage(request.subject)));
    await auditCommand(services, event, request, "command.malformed", { line: parsed.line.slice(0, 500), error: parsed.error });
    return true;
  }
  const nonPerson = refuseNonPerson(request, entry.action);
  if (nonPerson) {
    await event.github.postComment(event.repo, request.number, refusedReply(nonPerson));
    await auditCommand(services, event, request, entry.refusedEvent, { command: parsed.command.kind, why: nonPerson });
    return true;
  }
  await entry.perform(services, event, request, parsed.command);
  return true;
}
