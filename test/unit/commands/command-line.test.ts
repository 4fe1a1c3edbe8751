import { describe, expect, test } from "@jest/globals";
import { findCommandLine, parseDelegateCommand, parseDuration, parseTask, splitGlobs } from "../../../src/commands/delegate-command.js";

const URL = "https://github.com/acme/app";

describe("findCommandLine: only text GitHub renders as a paragraph can be a command", () => {
  test.each([
    ["a tilde fence inside a backtick fence", "```\n~~~\n/delegate #1\n~~~\n```"],
    ["a shorter fence inside a longer one", "````\n```\n/delegate #1\n```\n````"],
    ["an indented code block", "Intro\n\n    /delegate #1"],
    ["a tab-indented code block", "Intro\n\n\t/delegate #1"],
    ["a quote's lazy continuation line", "> quoted\n/delegate #1"],
    ["a nested quote", "> > /delegate #1"],
    ["an HTML comment (invisible when rendered)", "<!--\n/delegate #1\n-->"],
    ["a one-line HTML comment", "<!-- /delegate #1 -->"],
    ["an unclosed fence", "```\n/delegate #1"],
  ])("%s is not a command", (_description, body) => {
    expect(findCommandLine(body)).toBeNull();
  });

  test.each([
    ["after inline code that merely looks like a fence", "```x```\n/delegate #1", "/delegate #1"],
    ["after a closed fence", "```sh\nrm -rf /\n```\n/delegate #1", "/delegate #1"],
    ["after a quote ended by a blank line", "> quoted\n\n/delegate #1", "/delegate #1"],
    ["after a closed HTML comment", "<!-- note -->\n/delegate #1", "/delegate #1"],
    ["indented by up to three spaces", "   /delegate #1", "/delegate #1"],
    ["with CRLF line ends", "Hi\r\n/delegate #1\r\n", "/delegate #1"],
  ])("a command %s is found", (_description, body, expected) => {
    expect(findCommandLine(body)).toBe(expected);
  });
});

describe("paths: globs", () => {
  test.each([
    ["src/**,docs/*.md", ["src/**", "docs/*.md"]],
    ["**/*.{ts,tsx}", ["**/*.{ts,tsx}"]],
    ["src/{a,b}/**,test/**", ["src/{a,b}/**", "test/**"]],
  ])("%s splits into %j", (text, expected) => {
    expect(splitGlobs(text)).toEqual(expected);
  });

  test("brace alternatives are accepted in a command", () => {
    expect(parseDelegateCommand("/delegate #1 paths:**/*.{ts,tsx}", "pull_request", URL)).toMatchObject({ ok: true, command: { scopePaths: ["**/*.{ts,tsx}"] } });
  });
});

describe("small parsing rules", () => {
  test("#0 is not an issue", () => {
    expect(parseTask("#0", URL)).toBeNull();
  });

  test("durations are case-insensitive, like the option names", () => {
    expect(parseDuration("7D")).toEqual({ text: "7D", milliseconds: 7 * 86_400_000 });
  });
});
