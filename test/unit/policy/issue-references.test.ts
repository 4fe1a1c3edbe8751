import { describe, expect, test } from "@jest/globals";
import { referencedIssues } from "../../../src/policy/issue-references.js";
import type { PullRequestFacts } from "../../../src/policy/types.js";

const REPO_URL = "https://github.com/acme/widgets";

/** The fields referencedIssues reads, for acme/widgets. */
function pr(body: string, closingIssues: number[] = []): Pick<PullRequestFacts, "repo" | "body" | "closingIssues"> {
  return { repo: { id: 42, owner: "acme", name: "widgets", fullName: "acme/widgets", htmlUrl: REPO_URL }, body, closingIssues };
}

describe("referencedIssues", () => {
  test.each([
    ["closing issues GitHub linked", pr("", [12, 3]), [3, 12]],
    ["Fixes #5", pr("Fixes #5"), [5]],
    ["every closing keyword", pr("close #1, closes #2, closed #3, fix #4, fixes #5, fixed #6, resolve #7, resolves #8, resolved #9"), [1, 2, 3, 4, 5, 6, 7, 8, 9]],
    ["keywords in any case", pr("FIXES #5\nResolves #6"), [5, 6]],
    ["a colon after the keyword", pr("Closes: #5"), [5]],
    ["a keyword on its own line in a longer body", pr("## Summary\n\nAdds retry.\n\nFixes #77\n"), [77]],
    ["an issue link of this repository", pr(`See ${REPO_URL}/issues/8`), [8]],
    ["an issue link in another case", pr("See HTTPS://GITHUB.COM/ACME/WIDGETS/issues/8"), [8]],
    ["an issue link inside Markdown", pr(`[the bug](${REPO_URL}/issues/8)`), [8]],
    ["duplicates once, sorted", pr(`Fixes #9 and fixes #2, see ${REPO_URL}/issues/9`, [2]), [2, 9]],
  ])("finds %s", (_description, input, expected) => {
    expect(referencedIssues(input)).toEqual(expected);
  });

  test.each([
    ["an empty body", pr("")],
    ["a plain mention", pr("Related to #5")],
    ["a keyword without a space", pr("fixes#5")],
    ["a keyword inside another word", pr("prefix #5, unfixed #6, enclosed #7")],
    ["an issue of another repository", pr("Fixes acme/other#5")],
    ["a link to another repository's issue", pr("https://github.com/acme/other/issues/5")],
    ["a link to a repository with a longer name", pr("https://github.com/acme/widgets-fork/issues/5")],
    ["a link to a pull request", pr(`${REPO_URL}/pull/5`)],
    ["an issue number over nine digits", pr("Fixes #1234567890")],
    ["a number followed by letters", pr("Fixes #5abc")],
  ])("ignores %s", (_description, input) => {
    expect(referencedIssues(input)).toEqual([]);
  });

  test("reads only the first 64 KiB of the body", () => {
    expect(referencedIssues(pr(`${" ".repeat(64 * 1024)}Fixes #5`))).toEqual([]);
    expect(referencedIssues(pr(`${" ".repeat(64 * 1024 - 10)}Fixes #5`))).toEqual([5]);
  });

  test("treats regex characters in the repository URL literally", () => {
    const dotted = { ...pr("https://github.com/acme/a.b/issues/3 https://github.com/acme/aXb/issues/4"), repo: { id: 1, owner: "acme", name: "a.b", fullName: "acme/a.b", htmlUrl: "https://github.com/acme/a.b" } };
    expect(referencedIssues(dotted)).toEqual([3]);
  });
});
