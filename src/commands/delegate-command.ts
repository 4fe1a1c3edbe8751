import picomatch from "picomatch";
import type { TaskRef } from "../policy/types.js";

/** Where a command was written: a pull request's conversation or an issue's. */
export type CommandSubject = "pull_request" | "issue";

export type DelegateCommand =
  | { kind: "delegate-pr"; task: TaskRef; scopePaths: string[]; expiresIn: Duration | null }
  | { kind: "delegate-issue"; agentLogin: string; scopePaths: string[]; expiresIn: Duration | null }
  | { kind: "revoke"; reason: string | null };

/** A parsed `expires:` value. */
export interface Duration {
  text: string;
  milliseconds: number;
}

export type ParsedCommand =
  | { ok: true; command: DelegateCommand; line: string }
  | { ok: false; error: string; line: string };

/** The usage text sent back for a malformed command. */
export function usage(subject: CommandSubject): string {
  const lines =
    subject === "pull_request"
      ? [
          "/delegate <task> [paths:<glob>[,<glob>...]] [expires:<duration>]",
          "/delegate revoke [reason]",
          "",
          "<task>      #123, an issue URL (https://...), or a ticket key such as SEC-142",
          "paths:      globs the agent may change, e.g. paths:src/**,docs/*.md (default: whole repository)",
          "expires:    how long the delegation lasts: 30m, 12h, 7d, 2w (at most 365d)",
        ]
      : [
          "/delegate @<agent-login> [paths:<glob>[,<glob>...]] [expires:<duration>]",
          "/delegate revoke [reason]",
          "",
          "@<agent-login>  the agent given this issue, e.g. @claude or @copilot-swe-agent[bot]",
          "paths:          globs the agent may change, e.g. paths:src/**,docs/*.md (default: whole repository)",
          "expires:        how long the delegation lasts: 30m, 12h, 7d, 2w (at most 365d)",
        ];
  return lines.join("\n");
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const MAX_DURATION_MS = 365 * UNIT_MS.d;
const MAX_GLOBS = 50;
const MAX_REASON = 500;

/** Parses `30m`, `12h`, `7d`, `2w`; null when malformed or out of range. */
export function parseDuration(text: string): Duration | null {
  const match = /^(\d{1,6})([mhdw])$/.exec(text.toLowerCase());
  if (!match) return null;
  const milliseconds = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (milliseconds <= 0 || milliseconds > MAX_DURATION_MS) return null;
  return { text, milliseconds };
}

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
  if (/^[A-Z][A-Z0-9_]{0,31}-\d{1,9}$/.test(text)) return { kind: "ticket", ref: text, url: null };
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
    try {
      picomatch.makeRe(glob, { strictBrackets: true });
    } catch {
      return `paths: not a valid glob: ${glob}`;
    }
  }
  return globs;
}

/**
 * The first `/delegate` line of a comment that GitHub renders as ordinary text. Lines that GitHub shows
 * as code (fenced blocks of either fence type and any length, indented blocks), inside a block quote
 * (including a quote's lazy continuation lines) or inside an HTML comment (invisible when rendered)
 * are not commands: quoting, documenting or hiding a command never runs it.
 */
export function findCommandLine(body: string): string | null {
  let fence: { char: string; length: number } | null = null;
  let inQuote = false;
  let inHtmlComment = false;
  for (const raw of body.split(/\r?\n/)) {
    if (inHtmlComment) {
      if (raw.includes("-->")) inHtmlComment = false;
      continue;
    }
    if (fence) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(raw);
      if (close && close[1]?.[0] === fence.char && (close[1]?.length ?? 0) >= fence.length) fence = null;
      continue;
    }
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(raw);
    // A backtick fence's info string cannot contain a backtick: "```x```" is inline code, not a fence.
    if (open && !(open[1]?.[0] === "`" && open[2]?.includes("`"))) {
      fence = { char: open[1]?.[0] ?? "`", length: open[1]?.length ?? 3 };
      continue;
    }
    if (raw.trim() === "") {
      inQuote = false;
      continue;
    }
    if (/^ {0,3}>/.test(raw)) {
      inQuote = true;
      continue;
    }
    if (inQuote) continue; // a lazy continuation line still belongs to the quote
    if (/^ {0,3}<!--/.test(raw)) {
      if (!raw.includes("-->")) inHtmlComment = true;
      continue;
    }
    // Four spaces (or a tab) of indentation make a code block: a command starts within three.
    const command = /^ {0,3}(\/delegate(?:\s.*)?)$/i.exec(raw);
    if (command) return (command[1] as string).trim();
  }
  return null;
}

/** Parses the `/delegate` command in a comment; null when the comment has none. */
export function parseDelegateCommand(body: string, subject: CommandSubject, repoHtmlUrl: string): ParsedCommand | null {
  const line = findCommandLine(body);
  if (line === null) return null;
  const fail = (error: string): ParsedCommand => ({ ok: false, error, line });
  const [, ...tokens] = line.split(/\s+/);
  const first = tokens[0];
  if (first === undefined) return fail(subject === "pull_request" ? "missing the task" : "missing the agent");

  if (first.toLowerCase() === "revoke") {
    const reason = tokens.slice(1).join(" ").trim();
    if (reason.length > MAX_REASON) return fail(`the reason is longer than ${MAX_REASON} characters`);
    return { ok: true, command: { kind: "revoke", reason: reason || null }, line };
  }

  // The target first: a command whose task (or agent) is wrong is reported as such, not as a stray word.
  let target: { kind: "agent"; login: string } | { kind: "task"; task: TaskRef };
  if (subject === "issue") {
    const agent = /^@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?)$/.exec(first);
    if (!agent) return fail(`on an issue, the first argument is the agent to delegate to, as @login (got "${first.slice(0, 60)}")`);
    target = { kind: "agent", login: agent[1] as string };
  } else {
    const task = parseTask(first, repoHtmlUrl);
    if (!task) return fail(`"${first.slice(0, 60)}" is not a task: use #123, an issue URL, or a ticket key such as SEC-142`);
    target = { kind: "task", task };
  }

  let scopePaths: string[] | undefined;
  let expiresIn: Duration | undefined;
  for (const token of tokens.slice(1)) {
    const option = /^(paths|expires):(.*)$/i.exec(token);
    if (!option) return fail(`unexpected "${token.slice(0, 60)}"`);
    const name = (option[1] as string).toLowerCase();
    const value = option[2] as string;
    if (name === "paths") {
      if (scopePaths) return fail("paths: given twice");
      const globs = parseGlobs(value);
      if (typeof globs === "string") return fail(globs);
      scopePaths = globs;
    } else {
      if (expiresIn) return fail("expires: given twice");
      const duration = parseDuration(value);
      if (!duration) return fail(`expires: "${value.slice(0, 20)}" is not a duration like 30m, 12h, 7d or 2w (at most 365d)`);
      expiresIn = duration;
    }
  }

  const options = { scopePaths: scopePaths ?? [], expiresIn: expiresIn ?? null };
  if (target.kind === "agent") return { ok: true, command: { kind: "delegate-issue", agentLogin: target.login, ...options }, line };
  return { ok: true, command: { kind: "delegate-pr", task: target.task, ...options }, line };
}
