import { parseDuration, type Duration } from "../policy/duration.js";
import { globProblem } from "../policy/linear-glob.js";
import type { TaskRef } from "../policy/types.js";
import { findVisibleCommand } from "./visible-command.js";
import { commandRegistry, mayHoldCommand as mayHoldAny, readCommand, type CommandSubject, type CommandSyntax, type LineRead, type ParsedLine } from "./registry.js";

export { parseDuration, type Duration };
export type { CommandSubject };

export type DelegateCommand =
  | ({ kind: "delegate-pr"; task: TaskRef | null } & DelegateOptions)
  | ({ kind: "delegate-issue"; agentLogin: string } & DelegateOptions)
  | { kind: "revoke"; reason: string | null };

/** The options a delegation command may carry. */
export interface DelegateOptions {
  scopePaths: string[];
  scopeBranches: string[];
  expiresIn: Duration | null;
}

export type ParsedCommand = ParsedLine<DelegateCommand>;

/** The usage text sent back for a malformed command. */
export function usage(subject: CommandSubject): string {
  const lines =
    subject === "pull_request"
      ? [
          "/delegate <task> [paths:<glob>[,<glob>...]] [branches:<pattern>[,...]] [expires:<duration>]",
          "/delegate revoke [reason]",
          "",
          "<task>      #123, an issue URL (https://...), or a ticket key such as SEC-142",
          "paths:      globs the agent may change, e.g. paths:src/**,docs/*.md (default: whole repository)",
          "branches:   base branches the PR may target, e.g. branches:main,release/* (default: any)",
          "expires:    how long the delegation lasts: 30m, 12h, 7d, 2w (at most 365d; the policy may set a default and a maximum)",
        ]
      : [
          "/delegate @<agent-login> [paths:<glob>[,<glob>...]] [branches:<pattern>[,...]] [expires:<duration>]",
          "/delegate revoke [reason]",
          "",
          "@<agent-login>  the agent given this issue, e.g. @claude or @copilot-swe-agent[bot]",
          "paths:          globs the agent may change, e.g. paths:src/**,docs/*.md (default: whole repository)",
          "branches:       base branches the PR may target, e.g. branches:main,release/* (default: any)",
          "expires:        how long the delegation lasts: 30m, 12h, 7d, 2w (at most 365d; the policy may set a default and a maximum)",
        ];
  return lines.join("\n");
}

const MAX_GLOBS = 50;
const MAX_REASON = 500;

/** Parses a task reference; `repoHtmlUrl` turns `#123` into a link. */
export function parseTask(text: string, repoHtmlUrl: string): TaskRef | null {
  const issue = /^#([1-9]\d{0,8})$/.exec(text);
  if (issue) return { kind: "issue", ref: `#${issue[1]}`, url: `${repoHtmlUrl}/issues/${issue[1]}` };
  if (/^https?:\/\/[^\s/]+\/\S*$/.test(text) && text.length <= 500) {
    try {
      const url = new URL(text);
      if (url.protocol === "https:" || url.protocol === "http:") return { kind: "url", ref: url.href, url: url.href };
    } catch {
      return null;
    }
  }
  // Any key-shaped token; whether it is an acceptable ticket is the policy's call (delegation.task).
  if (/^[A-Za-z][A-Za-z0-9_]{0,31}-\d{1,9}$/.test(text)) return { kind: "ticket", ref: text, url: null };
  return null;
}

/** Splits a `paths:` value on the commas that separate globs, not those inside `{a,b}` alternatives. */
export function splitGlobs(text: string): string[] {
  const globs: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "{") depth += 1;
    if (char === "}") depth = Math.max(0, depth - 1);
    if (char === "," && depth === 0) {
      globs.push(current.trim());
      current = "";
      continue;
    }
    current += char;
  }
  globs.push(current.trim());
  return globs;
}

function parseGlobs(text: string): string[] | string {
  const globs = splitGlobs(text);
  if (globs.length === 0 || globs.some((glob) => glob.length === 0)) return "paths: needs at least one glob, separated by commas";
  if (globs.length > MAX_GLOBS) return `paths: takes at most ${MAX_GLOBS} globs`;
  for (const glob of globs) {
    if (glob.length > 200) return `paths: glob is too long: ${glob.slice(0, 40)}...`;
    if (glob.startsWith("/") || glob.split("/").includes("..")) return `paths: globs are relative to the repository root and may not use "..": ${glob}`;
    const problem = globProblem(glob);
    if (problem !== null) return `paths: not a valid glob: ${glob} (${problem})`;
  }
  return globs;
}

/** The `/delegate` command: how it is written. Its service is in services/handle-delegate-command.ts. */
export const DELEGATE_SYNTAX: CommandSyntax<DelegateCommand> = {
  name: "/delegate",
  parse(line, place) {
    return parseDelegateLine(line, place.subject, place.repoHtmlUrl);
  },
  usage,
};

// `/delegate` read as if it were the only command: how a comment reads for it alone.
const DELEGATE_ALONE = commandRegistry([DELEGATE_SYNTAX]);

/** Whether a comment has a line that could be a `/delegate` command (cheap: no parsing). */
export function mayHoldCommand(body: string): boolean {
  return mayHoldAny(DELEGATE_ALONE, body);
}

/**
 * The first `/delegate` line of a comment that a person visibly issued as a command (see
 * visible-command.ts for which lines those are), trimmed; null when there is none or the comment could
 * not be read safely.
 */
export function findCommandLine(body: string): string | null {
  const found = findVisibleCommand(body, DELEGATE_ALONE.words);
  return found.kind === "found" ? found.line : null;
}

/** Parses the `/delegate` command in a comment; null when the comment has none. */
export function parseDelegateCommand(body: string, subject: CommandSubject, repoHtmlUrl: string): ParsedCommand | null {
  return readCommand(DELEGATE_ALONE, body, { subject, repoHtmlUrl })?.parsed ?? null;
}

/** Parses a `/delegate` line (trimmed; it starts with `/delegate`). */
function parseDelegateLine(line: string, subject: CommandSubject, repoHtmlUrl: string): LineRead<DelegateCommand> {
  const fail = (error: string): LineRead<DelegateCommand> => ({ ok: false, error });
  const [, ...tokens] = line.split(/\s+/);
  const first = tokens[0];
  if (first === undefined && subject === "issue") return fail("missing the agent");

  if (first?.toLowerCase() === "revoke") {
    const reason = tokens.slice(1).join(" ").trim();
    if (reason.length > MAX_REASON) return fail(`the reason is longer than ${MAX_REASON} characters`);
    return { ok: true, command: { kind: "revoke", reason: reason || null } };
  }

  // The target first: a command whose task (or agent) is wrong is reported as such, not as a stray
  // word. On a pull request the task may be left out; whether that is acceptable is the policy's call.
  const isOption = (token: string | undefined) => token !== undefined && OPTION.test(token);
  let target: { kind: "agent"; login: string } | { kind: "task"; task: TaskRef | null };
  let rest = tokens.slice(1);
  if (subject === "issue") {
    const agent = /^@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?)$/.exec(first ?? "");
    if (!agent) return fail(`on an issue, the first argument is the agent to delegate to, as @login (got "${(first ?? "").slice(0, 60)}")`);
    target = { kind: "agent", login: agent[1] as string };
  } else if (first === undefined || isOption(first)) {
    target = { kind: "task", task: null };
    rest = tokens;
  } else {
    const task = parseTask(first, repoHtmlUrl);
    if (!task) return fail(`"${first.slice(0, 60)}" is not a task: use #123, an issue URL, or a ticket key such as SEC-142`);
    target = { kind: "task", task };
  }

  const options = parseOptions(rest);
  if (typeof options === "string") return fail(options);
  if (target.kind === "agent") return { ok: true, command: { kind: "delegate-issue", agentLogin: target.login, ...options } };
  return { ok: true, command: { kind: "delegate-pr", task: target.task, ...options } };
}

const OPTION = /^(paths|branches|expires):(.*)$/i;

/** Parses `paths:`, `branches:` and `expires:`; a string is the error. */
function parseOptions(tokens: readonly string[]): DelegateOptions | string {
  let scopePaths: string[] | undefined;
  let scopeBranches: string[] | undefined;
  let expiresIn: Duration | undefined;
  for (const token of tokens) {
    const option = OPTION.exec(token);
    if (!option) return `unexpected "${token.slice(0, 60)}"`;
    const name = (option[1] as string).toLowerCase();
    const value = option[2] as string;
    if (name === "paths") {
      if (scopePaths) return "paths: given twice";
      const globs = parseGlobs(value);
      if (typeof globs === "string") return globs;
      scopePaths = globs;
    } else if (name === "branches") {
      if (scopeBranches) return "branches: given twice";
      const branches = value.split(",").map((branch) => branch.trim());
      if (branches.some((branch) => branch.length === 0 || branch.length > 255)) return "branches: needs branch names or patterns, separated by commas";
      for (const branch of branches) {
        const problem = globProblem(branch);
        if (problem !== null) return `branches: not a valid pattern: ${branch} (${problem})`;
      }
      scopeBranches = branches;
    } else {
      if (expiresIn) return "expires: given twice";
      const duration = parseDuration(value);
      if (!duration) return `expires: "${value.slice(0, 20)}" is not a duration like 30m, 12h, 7d or 2w (at most 365d)`;
      expiresIn = duration;
    }
  }
  return { scopePaths: scopePaths ?? [], scopeBranches: scopeBranches ?? [], expiresIn: expiresIn ?? null };
}
