import { commandWords, findVisibleCommand, mayHoldCommand as mayHoldWords, type CommandWords } from "./visible-command.js";

// The commands a comment can hold, told apart by the word their line starts with. Which lines are
// commands at all is visible-command.ts's call, the same for every command; what a command's line
// means is its own parser's. A command is added by giving the registry (services/commands.ts) one more
// entry: its name, its parser and usage, and the service that performs it and replies.

/** Where a command was written: a pull request's conversation or an issue's. */
export type CommandSubject = "pull_request" | "issue";

/** What a parser knows besides the line: where the command was written. */
export interface CommandPlace {
  subject: CommandSubject;
  /** The repository's web address (`https://github.com/o/r`, or the GHES host), for task links. */
  repoHtmlUrl: string;
}

/** A command's line, read: the command, or what is wrong with it (sent back with the usage). */
export type LineRead<C> = { ok: true; command: C } | { ok: false; error: string };

/** A command read from a comment, with the line it was read from. */
export type ParsedLine<C> = LineRead<C> & { line: string };

/**
 * How one command is written. Parsed commands are told apart by `kind`, which the audit log records.
 * Methods rather than function properties: an entry for a narrower command type then still fits a
 * registry of commands in general (the registry hands each entry only what its own parser returned).
 */
export interface CommandSyntax<C extends { kind: string }> {
  /** The word the command's line starts with, e.g. `/delegate`; matched ignoring case. */
  name: string;
  /** Parses the command's visible line (trimmed; it starts with `name`). */
  parse(line: string, place: CommandPlace): LineRead<C>;
  /** The usage text sent back with a malformed command. */
  usage(subject: CommandSubject): string;
}

/** Commands, by name, with the names compiled for reading comments. */
export interface CommandRegistry<E extends CommandSyntax<{ kind: string }>> {
  readonly entries: readonly E[];
  readonly words: CommandWords;
}

type CommandOf<E> = E extends CommandSyntax<infer C> ? C : never;

/** A registry of `entries`; their names must be distinct. */
export function commandRegistry<E extends CommandSyntax<{ kind: string }>>(entries: readonly E[]): CommandRegistry<E> {
  const names = entries.map((entry) => entry.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) throw new Error(`commandRegistry: ${repeated} is registered twice`);
  return { entries, words: commandWords(names) };
}

/** Whether a comment has a line that could be one of the commands (cheap: one linear search, no parsing). */
export function mayHoldCommand(registry: CommandRegistry<CommandSyntax<{ kind: string }>>, body: string): boolean {
  return mayHoldWords(body, registry.words);
}

/**
 * The first command a person visibly issued in a comment, with its entry, parsed (or why it could not
 * be read); null when the comment holds none.
 */
export function readCommand<E extends CommandSyntax<{ kind: string }>>(registry: CommandRegistry<E>, body: string, place: CommandPlace): { entry: E; parsed: ParsedLine<CommandOf<E>> } | null {
  const found = findVisibleCommand(body, registry.words);
  if (found.kind === "none") return null;
  const name = (found.line.split(/\s/, 1)[0] ?? "").toLowerCase();
  const entry = registry.entries.find((candidate) => candidate.name === name);
  // Every line found starts with a registered name; anything else is a bug, not a comment to ignore.
  if (!entry) throw new Error(`readCommand: no command is named ${name.slice(0, 40)}`);
  if (found.kind === "unreadable") return { entry, parsed: { ok: false, error: found.why, line: found.line } };
  return { entry, parsed: { ...(entry.parse(found.line, place) as LineRead<CommandOf<E>>), line: found.line } };
}
