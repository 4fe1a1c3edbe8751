import { describe, expect, test } from "@jest/globals";
import {
  findCommandLine,
  parseDelegateCommand,
  parseDuration,
  parseTask,
  usage,
  type DelegateCommand,
  type ParsedCommand,
} from "../../../src/commands/delegate-command.js";

const REPO = "https://github.com/acme/widgets";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** Parses a comment written on a pull request. */
function onPullRequest(body: string): ParsedCommand | null {
  return parseDelegateCommand(body, "pull_request", REPO);
}

/** Parses a comment written on an issue. */
function onIssue(body: string): ParsedCommand | null {
  return parseDelegateCommand(body, "issue", REPO);
}

/** The command of a parse that must have succeeded. */
function command(parsed: ParsedCommand | null): DelegateCommand {
  if (parsed === null || !parsed.ok) throw new Error(`expected a parsed command, got ${JSON.stringify(parsed)}`);
  return parsed.command;
}

/** The error of a parse that must have failed. */
function error(parsed: ParsedCommand | null): string {
  if (parsed === null || parsed.ok) throw new Error(`expected a parse error, got ${JSON.stringify(parsed)}`);
  return parsed.error;
}

describe("parseDuration", () => {
  test.each([
    ["30m", 30 * MINUTE],
    ["1m", MINUTE],
    ["12h", 12 * HOUR],
    ["7d", 7 * DAY],
    ["2w", 2 * WEEK],
    ["365d", 365 * DAY],
    ["52w", 52 * WEEK],
    ["8760h", 365 * DAY],
    ["525600m", 365 * DAY],
    ["007d", 7 * DAY],
  ])("%s lasts %d ms", (text, milliseconds) => {
    expect(parseDuration(text)).toEqual({ text, milliseconds });
  });

  test.each([
    ["0m", "zero"],
    ["0d", "zero"],
    ["366d", "over a year"],
    ["53w", "over a year"],
    ["8761h", "over a year"],
    ["999999m", "over a year"],
    ["1000000m", "more than six digits"],
    ["", "empty"],
    ["d", "no number"],
    ["7", "no unit"],
    ["7y", "unknown unit"],
    ["-1d", "negative"],
    ["1.5h", "fraction"],
    [" 7d", "leading space"],
    ["7d ", "trailing space"],
    ["7 d", "inner space"],
    ["7dd", "trailing garbage"],
  ])("%j is rejected (%s)", (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe("parseTask", () => {
  test.each([
    ["#123", { kind: "issue", ref: "#123", url: `${REPO}/issues/123` }],
    ["#1", { kind: "issue", ref: "#1", url: `${REPO}/issues/1` }],
    [
      "https://github.com/acme/widgets/issues/42",
      { kind: "url", ref: "https://github.com/acme/widgets/issues/42", url: "https://github.com/acme/widgets/issues/42" },
    ],
    ["http://jira.acme.dev/browse/SEC-1", { kind: "url", ref: "http://jira.acme.dev/browse/SEC-1", url: "http://jira.acme.dev/browse/SEC-1" }],
    ["SEC-142", { kind: "ticket", ref: "SEC-142", url: null }],
    ["A-1", { kind: "ticket", ref: "A-1", url: null }],
    ["PROJ_2-99", { kind: "ticket", ref: "PROJ_2-99", url: null }],
    // Any key-shaped token parses; whether the key is acceptable is the policy's call (delegation.task.ticket_pattern).
    ["sec-142", { kind: "ticket", ref: "sec-142", url: null }],
    ["Proj2-7", { kind: "ticket", ref: "Proj2-7", url: null }],
  ])("%s", (text, expected) => {
    expect(parseTask(text, REPO)).toEqual(expected);
  });

  test.each([
    ["a bare number", "123"],
    ["a hash alone", "#"],
    ["a hash with letters", "#12a"],
    ["an issue number over nine digits", "#1234567890"],
    ["a ticket key without a dash", "SEC142"],
    ["a ticket key without a number", "SEC-"],
    ["a ticket key starting with a digit", "1SEC-2"],
    ["a javascript: URL", "javascript:alert(1)"],
    ["a non-http URL", "ftp://example.com/file"],
    ["a URL without a path", "https://example.com"],
    ["a URL over 500 characters", `https://example.com/${"a".repeat(500)}`],
    ["empty text", ""],
  ])("rejects %s", (_description, text) => {
    expect(parseTask(text, REPO)).toBeNull();
  });
});

describe("findCommandLine", () => {
  test.each([
    ["/delegate #1", "/delegate #1"],
    ["  /delegate #1  ", "/delegate #1"],
    ["Thanks!\r\n/delegate SEC-1 expires:7d\r\nmore text", "/delegate SEC-1 expires:7d"],
    ["/DELEGATE #1", "/DELEGATE #1"],
    ["/delegate", "/delegate"],
    ["/delegate\t#7", "/delegate\t#7"],
    ["/delegate #1\n/delegate #2", "/delegate #1"],
    ["```\n/delegate #1\n```\n/delegate #2", "/delegate #2"],
    ["> /delegate #1\n\n/delegate #2", "/delegate #2"],
  ])("finds the command in %j", (body, expected) => {
    expect(findCommandLine(body)).toBe(expected);
  });

  test.each([
    ["", "an empty comment"],
    ["Looks good to me", "no command"],
    ["please /delegate #1", "a command mid-line"],
    ["/delegated #1", "a longer word"],
    ["/delegates", "a longer word without arguments"],
    ["> /delegate #1", "a quoted reply"],
    [">/delegate #1", "a quoted reply without a space"],
    ["> > /delegate #1", "a nested quote"],
    ["```\n/delegate #1\n```", "a backtick fence"],
    ["```md\n/delegate #1\n```", "a fence with an info string"],
    ["~~~\n/delegate #1\n~~~", "a tilde fence"],
    ["  ```\n  /delegate #1\n  ```", "an indented fence"],
    ["```\n/delegate #1", "an unclosed fence"],
    ["Usage:\n```\n/delegate #123 paths:src/**\n/delegate revoke\n```\nThat is all.", "documentation in a fence"],
  ])("ignores %j (%s)", (body) => {
    expect(findCommandLine(body)).toBeNull();
  });
});

describe("parseDelegateCommand on a pull request", () => {
  test.each([
    ["/delegate #123", { kind: "issue", ref: "#123", url: `${REPO}/issues/123` }],
    [
      "/delegate https://github.com/acme/widgets/issues/9",
      { kind: "url", ref: "https://github.com/acme/widgets/issues/9", url: "https://github.com/acme/widgets/issues/9" },
    ],
    ["/delegate SEC-142", { kind: "ticket", ref: "SEC-142", url: null }],
  ])("%s names its task, with the whole repository, any base branch and no expiry by default", (body, task) => {
    expect(onPullRequest(body)).toEqual({
      ok: true,
      command: { kind: "delegate-pr", task, scopePaths: [], scopeBranches: [], expiresIn: null },
      line: body,
    });
  });

  test.each([
    ["/delegate #1 paths:src/**", ["src/**"]],
    ["/delegate #1 paths:src/**,docs/*.md", ["src/**", "docs/*.md"]],
    ["/delegate #1 PATHS:src/[a-z]*.ts", ["src/[a-z]*.ts"]],
    ["/delegate #1 paths:README.md", ["README.md"]],
    ["/delegate #1 paths:./src/**", ["./src/**"]],
  ])("%s scopes the delegation to %j", (body, scopePaths) => {
    expect(command(onPullRequest(body))).toMatchObject({ kind: "delegate-pr", scopePaths });
  });

  test.each([
    ["30m", 30 * MINUTE],
    ["12h", 12 * HOUR],
    ["7d", 7 * DAY],
    ["2w", 2 * WEEK],
  ])("expires:%s lasts %d ms", (text, milliseconds) => {
    expect(command(onPullRequest(`/delegate #1 expires:${text}`))).toMatchObject({ expiresIn: { text, milliseconds } });
  });

  test("takes paths and expires in either order, option names case-insensitively", () => {
    const expected = { kind: "delegate-pr", scopePaths: ["src/**"], expiresIn: { text: "7d", milliseconds: 7 * DAY } };
    expect(command(onPullRequest("/delegate #5 paths:src/** expires:7d"))).toMatchObject(expected);
    expect(command(onPullRequest("/delegate #5 Expires:7d Paths:src/**"))).toMatchObject(expected);
  });

  test("reads the first command line after prose and reports that line", () => {
    const parsed = onPullRequest("LGTM, handing this to the agent.\n\n/delegate SEC-9 expires:12h\n\nThanks");
    expect(parsed).toEqual({
      ok: true,
      command: { kind: "delegate-pr", task: { kind: "ticket", ref: "SEC-9", url: null }, scopePaths: [], scopeBranches: [], expiresIn: { text: "12h", milliseconds: 12 * HOUR } },
      line: "/delegate SEC-9 expires:12h",
    });
  });

  test.each([
    ["/delegate 123", '"123" is not a task: use #123, an issue URL, or a ticket key such as SEC-142'],
    ["/delegate @claude", '"@claude" is not a task: use #123, an issue URL, or a ticket key such as SEC-142'],
    ["/delegate javascript:alert(1)", '"javascript:alert(1)" is not a task: use #123, an issue URL, or a ticket key such as SEC-142'],
    ["/delegate 123 paths:../x", '"123" is not a task: use #123, an issue URL, or a ticket key such as SEC-142'],
    ["/delegate #1 for the release", 'unexpected "for"'],
    ["/delegate #1 scope:src/**", 'unexpected "scope:src/**"'],
    ["/delegate #1 paths:", "paths: needs at least one glob, separated by commas"],
    ["/delegate #1 paths:src/**,", "paths: needs at least one glob, separated by commas"],
    ["/delegate #1 paths:,src/**", "paths: needs at least one glob, separated by commas"],
    ["/delegate #1 paths:src/**,,docs/**", "paths: needs at least one glob, separated by commas"],
    ["/delegate #1 paths:../secrets/**", 'paths: globs are relative to the repository root and may not use "..": ../secrets/**'],
    ["/delegate #1 paths:src/../../etc", 'paths: globs are relative to the repository root and may not use "..": src/../../etc'],
    ["/delegate #1 paths:src/**/..", 'paths: globs are relative to the repository root and may not use "..": src/**/..'],
    ["/delegate #1 paths:/etc/passwd", 'paths: globs are relative to the repository root and may not use "..": /etc/passwd'],
    ["/delegate #1 paths:src/**,/abs", 'paths: globs are relative to the repository root and may not use "..": /abs'],
    ["/delegate #1 paths:src/[a", "paths: not a valid glob: src/[a (a [ is never closed (write \\[ for the character))"],
    ["/delegate #1 paths:src/a]", "paths: not a valid glob: src/a] (a ] has no matching [ (write \\] for the character))"],
    ["/delegate #1 paths:**/*.{ts", "paths: not a valid glob: **/*.{ts (a { is never closed)"],
    ["/delegate #1 paths:src/**,[]", "paths: not a valid glob: [] (a [ is never closed (write \\[ for the character))"],
    ["/delegate #1 paths:src/!(gen)", "paths: not a valid glob: src/!(gen) (!(...) patterns are not supported; list the paths instead)"],
    [`/delegate #1 paths:${"a".repeat(201)}`, `paths: glob is too long: ${"a".repeat(40)}...`],
    [`/delegate #1 paths:${Array.from({ length: 51 }, (_, i) => `d${i}/**`).join(",")}`, "paths: takes at most 50 globs"],
    ["/delegate #1 expires:", 'expires: "" is not a duration like 30m, 12h, 7d or 2w (at most 365d)'],
    ["/delegate #1 expires:0d", 'expires: "0d" is not a duration like 30m, 12h, 7d or 2w (at most 365d)'],
    ["/delegate #1 expires:366d", 'expires: "366d" is not a duration like 30m, 12h, 7d or 2w (at most 365d)'],
    ["/delegate #1 expires:53w", 'expires: "53w" is not a duration like 30m, 12h, 7d or 2w (at most 365d)'],
    ["/delegate #1 expires:tomorrow", 'expires: "tomorrow" is not a duration like 30m, 12h, 7d or 2w (at most 365d)'],
    ["/delegate #1 expires:1y", 'expires: "1y" is not a duration like 30m, 12h, 7d or 2w (at most 365d)'],
    ["/delegate #1 paths:src/** paths:docs/**", "paths: given twice"],
    ["/delegate #1 expires:7d expires:2w", "expires: given twice"],
    ["/delegate #1 expires:7d paths:a/** EXPIRES:1d", "expires: given twice"],
  ])("%s fails with %j", (body, message) => {
    expect(error(onPullRequest(body))).toBe(message);
  });

  test.each([
    ["/delegate", { scopePaths: [], scopeBranches: [], expiresIn: null }],
    ["/delegate paths:src/**", { scopePaths: ["src/**"], scopeBranches: [], expiresIn: null }],
    ["/delegate expires:7d branches:main", { scopePaths: [], scopeBranches: ["main"], expiresIn: { text: "7d", milliseconds: 7 * DAY } }],
  ])("%s leaves the task out (task: null): whether that is acceptable is the policy's call", (body, options) => {
    expect(command(onPullRequest(body))).toEqual({ kind: "delegate-pr", task: null, ...options });
  });

  test.each([
    ["/delegate #1 branches:main", ["main"]],
    ["/delegate #1 branches:main,release/*", ["main", "release/*"]],
    ["/delegate #1 BRANCHES:release/**", ["release/**"]],
  ])("%s limits the base branches to %j", (body, scopeBranches) => {
    expect(command(onPullRequest(body))).toMatchObject({ kind: "delegate-pr", scopeBranches });
  });

  test.each([
    ["/delegate #1 branches:", "branches: needs branch names or patterns, separated by commas"],
    ["/delegate #1 branches:main,", "branches: needs branch names or patterns, separated by commas"],
    // The value follows the colon directly: a space ends the option.
    ["/delegate #1 branches: main", "branches: needs branch names or patterns, separated by commas"],
    [`/delegate #1 branches:${"b".repeat(256)}`, "branches: needs branch names or patterns, separated by commas"],
    ["/delegate #1 branches:main branches:dev", "branches: given twice"],
    ["/delegate #1 branches:main,release/[0-9", "branches: not a valid pattern: release/[0-9 (a [ is never closed (write \\[ for the character))"],
    ["/delegate #1 branches:!(main)", "branches: not a valid pattern: !(main) (!(...) patterns are not supported; list the paths instead)"],
  ])("%s fails with %j", (body, message) => {
    expect(error(onPullRequest(body))).toBe(message);
  });

  test("an issue delegation takes branches: too", () => {
    expect(command(onIssue("/delegate @claude branches:main"))).toEqual({ kind: "delegate-issue", agentLogin: "claude", scopePaths: [], scopeBranches: ["main"], expiresIn: null });
  });

  test("quotes at most 60 characters of an unexpected token", () => {
    const token = "x".repeat(100);
    expect(error(onPullRequest(`/delegate #1 ${token}`))).toBe(`unexpected "${"x".repeat(60)}"`);
  });

  test("reports the command line with a failure", () => {
    expect(onPullRequest("hi\n/delegate #1 nope")).toEqual({ ok: false, error: 'unexpected "nope"', line: "/delegate #1 nope" });
  });
});

describe("parseDelegateCommand on an issue", () => {
  test.each([
    ["/delegate @claude", "claude"],
    ["/delegate @Copilot", "Copilot"],
    ["/delegate @copilot-swe-agent[bot]", "copilot-swe-agent[bot]"],
    ["/delegate @acme-release-agent", "acme-release-agent"],
    [`/delegate @${"a".repeat(39)}`, "a".repeat(39)],
  ])("%s delegates to %s", (body, agentLogin) => {
    expect(onIssue(body)).toEqual({
      ok: true,
      command: { kind: "delegate-issue", agentLogin, scopePaths: [], scopeBranches: [], expiresIn: null },
      line: body,
    });
  });

  test("takes paths and expires after the agent", () => {
    expect(command(onIssue("/delegate @claude paths:docs/** expires:2w"))).toEqual({
      kind: "delegate-issue",
      agentLogin: "claude",
      scopePaths: ["docs/**"],
      scopeBranches: [],
      expiresIn: { text: "2w", milliseconds: 2 * WEEK },
    });
  });

  test.each([
    ["/delegate", "missing the agent"],
    ["/delegate claude", 'on an issue, the first argument is the agent to delegate to, as @login (got "claude")'],
    ["/delegate #12", 'on an issue, the first argument is the agent to delegate to, as @login (got "#12")'],
    ["/delegate @", 'on an issue, the first argument is the agent to delegate to, as @login (got "@")'],
    ["/delegate @-claude", 'on an issue, the first argument is the agent to delegate to, as @login (got "@-claude")'],
    ["/delegate @claude[Bot]x", 'on an issue, the first argument is the agent to delegate to, as @login (got "@claude[Bot]x")'],
    [`/delegate @${"a".repeat(40)}`, `on an issue, the first argument is the agent to delegate to, as @login (got "@${"a".repeat(40)}")`],
    ["/delegate claude expires:0m", 'on an issue, the first argument is the agent to delegate to, as @login (got "claude")'],
    ["/delegate @claude paths:../x", 'paths: globs are relative to the repository root and may not use "..": ../x'],
    ["/delegate @claude expires:0m", 'expires: "0m" is not a duration like 30m, 12h, 7d or 2w (at most 365d)'],
    ["/delegate @claude please", 'unexpected "please"'],
  ])("%s fails with %j", (body, message) => {
    expect(error(onIssue(body))).toBe(message);
  });
});

describe("parseDelegateCommand revoke", () => {
  test.each([
    ["pull_request", "/delegate revoke", null],
    ["issue", "/delegate revoke", null],
    ["pull_request", "/delegate REVOKE", null],
    ["pull_request", "/delegate revoke   ", null],
    ["pull_request", "/delegate revoke the agent went off task", "the agent went off task"],
    ["issue", "/delegate revoke wrong   agent", "wrong agent"],
    ["pull_request", "/delegate revoke paths:src/**", "paths:src/**"],
  ] as const)("on a %s, %j revokes with reason %j", (subject, body, reason) => {
    expect(command(parseDelegateCommand(body, subject, REPO))).toEqual({ kind: "revoke", reason });
  });

  test("a reason of exactly 500 characters is kept", () => {
    expect(command(onPullRequest(`/delegate revoke ${"r".repeat(500)}`))).toEqual({ kind: "revoke", reason: "r".repeat(500) });
  });

  test("a reason over 500 characters is refused", () => {
    expect(error(onPullRequest(`/delegate revoke ${"r".repeat(501)}`))).toBe("the reason is longer than 500 characters");
  });
});

describe("parseDelegateCommand without a command", () => {
  test.each([
    ["", "an empty comment"],
    ["LGTM", "no command"],
    ["I will /delegate #1 later", "a command mid-line"],
    ["> /delegate #1", "a quoted command"],
    ["On Monday, alice wrote:\n> /delegate #1 expires:7d\n\nAgreed.", "a quote reply"],
    ["```\n/delegate #1\n```", "a fenced command"],
    ["~~~\n/delegate revoke\n~~~", "a fenced revoke"],
    ["```sh\n/delegate @claude\n```", "a fenced issue command"],
  ])("returns null for %j (%s)", (body) => {
    expect(onPullRequest(body)).toBeNull();
    expect(onIssue(body)).toBeNull();
  });
});

describe("usage", () => {
  test.each([
    ["pull_request", "/delegate <task>"],
    ["issue", "/delegate @<agent-login>"],
  ] as const)("on a %s starts with %s and explains revoke", (subject, first) => {
    const text = usage(subject);
    expect(text.split("\n")[0]).toBe(`${first} [paths:<glob>[,<glob>...]] [branches:<pattern>[,...]] [expires:<duration>]`);
    expect(text).toContain("/delegate revoke [reason]");
  });
});
