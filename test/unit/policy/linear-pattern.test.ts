import { describe, expect, test } from "@jest/globals";
import { BUILT_IN_TRAILER_RULES } from "../../../src/policy/agent-identities.js";
import { compileLinearPattern, linearPatternProblem, MAX_PATTERN_INSTRUCTIONS, PatternError } from "../../../src/policy/linear-pattern.js";

describe("compileLinearPattern", () => {
  test("tests anywhere in the text, as RegExp.prototype.test does", () => {
    const pattern = compileLinearPattern("<bot@acme\\.dev>");
    expect(pattern.source).toBe("<bot@acme\\.dev>");
    expect(pattern.test("Acme <bot@acme.dev> (release)")).toBe(true);
    expect(pattern.test("Acme <bot@acmexdev>")).toBe(false);
    expect(pattern.test("Acme <BOT@ACME.DEV>")).toBe(false);
    expect(compileLinearPattern("<bot@acme\\.dev>", { caseInsensitive: true }).test("Acme <BOT@ACME.DEV>")).toBe(true);
  });

  test("anchors and classes mean what they mean in JavaScript for the patterns policies use", () => {
    const ticket = compileLinearPattern("^[A-Z][A-Z0-9_]+-\\d+$");
    expect(["SEC-142", "OPS_2-7"].map((text) => ticket.test(text))).toEqual([true, true]);
    expect(["sec-142", "SEC-", "xSEC-1", "SEC-1\nx"].map((text) => ticket.test(text))).toEqual([false, false, false, false]);
  });

  // Shapes that backtrack exponentially (or polynomially with a high degree) in JavaScript's RegExp.
  test.each([
    ["^([a-z0-9]|[a-z-])+$", `${"a".repeat(5000)}!`],
    ["(a+)+$", `${"a".repeat(5000)}!`],
    ["^(a|aa)+$", `${"a".repeat(5000)}b`],
    ["(.*a){20}b", "a".repeat(5000)],
    ["(x+x+)+y", "x".repeat(5000)],
  ])("%s answers on a long hostile value", (source, text) => {
    expect(compileLinearPattern(source).test(text)).toBe(false);
  });

  test.each([
    ["(?<=a)b", /lookarounds/],
    ["(?!x)a", /lookarounds/],
    ["(a)\\1", /backreferences/],
    ["a++", /not a valid RE2 regular expression: invalid nested repetition operator/],
    ["[a-", /not a valid RE2 regular expression/],
    ["a{1001}", /invalid repeat count/],
    ["[\\p{L}\\p{N}]{1,1000}x", /too large to match quickly \(\d+ instructions, at most 1000\)/],
  ])("refuses %s, saying why", (source, message) => {
    expect(() => compileLinearPattern(source)).toThrow(PatternError);
    expect(linearPatternProblem(source)).toMatch(message);
  });

  test("accepts what fits the instruction budget", () => {
    expect(MAX_PATTERN_INSTRUCTIONS).toBe(1000);
    expect(linearPatternProblem("[\\p{L}\\p{N}]{1,400}x")).toBeNull();
  });
});

describe("built-in trailer rules", () => {
  // They are compiled at load by the same engine as configured rules: loading this module proves
  // each compiles; these prove each still matches what the tools write.
  test.each([
    ["Claude", "Claude Opus 4.1 <noreply@anthropic.com>"],
    ["GitHub Copilot", "Copilot <175728472+Copilot@users.noreply.github.com>"],
    ["GitHub Copilot", "copilot-swe-agent[bot] <198982749+copilot-swe-agent[bot]@users.noreply.github.com>"],
    ["Cursor", "Cursor Agent <cursoragent@cursor.com>"],
    ["Aider", "aider (gpt-4o) <noreply@aider.chat>"],
    ["Assisted-by trailer", "Claude:claude-opus-4"],
  ])("%s matches %s", (name, value) => {
    expect(BUILT_IN_TRAILER_RULES.filter((rule) => rule.pattern.test(value)).map((rule) => rule.name)).toContain(name);
  });

  test("none matches a person's address", () => {
    expect(BUILT_IN_TRAILER_RULES.filter((rule) => rule.key === "co-authored-by" && rule.pattern.test("Alice <alice@example.com>"))).toEqual([]);
  });
});
