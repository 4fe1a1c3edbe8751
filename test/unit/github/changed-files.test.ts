import { describe, expect, test } from "@jest/globals";
import type { ProbotOctokit } from "probot";
import { assertCompleteList, IncompleteFileList, readRenames, touchedPaths } from "../../../src/github/changed-files.js";
import { erin } from "../../fixtures/people.js";
import { pullRequestFilesPage, type FakePullRequest } from "../../fakes/graphql-responses.js";

// Where renamed files came from, from GitHub's REST file list, against a fake Octokit that answers the
// pages from a model of the pull request and records when each was asked for and answered.

const repo = { owner: "acme", name: "widgets" };

function pullRequest(files: number, renamedFrom: Record<string, string>): FakePullRequest {
  return { number: 7, author: erin, headSha: "a".repeat(40), commits: [], reviews: [], files: Array.from({ length: files }, (_, index) => `src/file-${index}.ts`), renamedFrom };
}

function fakeOctokit(current: () => FakePullRequest) {
  const events: string[] = [];
  const request = async (route: string, params: { pull_number: number; per_page: number; page: number }) => {
    expect(route).toBe("GET /repos/{owner}/{repo}/pulls/{pull_number}/files");
    events.push(`ask ${params.page}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    events.push(`answer ${params.page}`);
    return { data: pullRequestFilesPage(current(), params.page, params.per_page) };
  };
  return { octokit: { request } as unknown as ProbotOctokit, events };
}

describe("reading where renamed files came from", () => {
  test("the pages are asked for at once, and every rename's old path is found", async () => {
    const pr = pullRequest(250, { "src/file-249.ts": ".github/workflows/scan.yml", "src/file-3.ts": "lib/old.ts" });
    const { octokit, events } = fakeOctokit(() => pr);
    const renames = await readRenames(octokit, repo, 7, 250, ["src/file-3.ts", "src/file-249.ts"]);
    expect(renames).toEqual([
      { from: "lib/old.ts", to: "src/file-3.ts" },
      { from: ".github/workflows/scan.yml", to: "src/file-249.ts" },
    ]);
    expect(events.slice(0, 3)).toEqual(["ask 1", "ask 2", "ask 3"]);
  });

  test("a rename REST does not explain is an incomplete list (the evaluation fails closed)", async () => {
    const pr = pullRequest(10, {});
    const { octokit } = fakeOctokit(() => pr);
    await expect(readRenames(octokit, repo, 7, 10, ["src/file-1.ts"])).rejects.toThrow(new IncompleteFileList("GitHub's file list did not say where 1 renamed file of this pull request came from"));
  });

  test("files added since the count: the list is read on while a rename is unexplained and the last page was full", async () => {
    const pr = pullRequest(130, { "src/file-129.ts": "ci/deploy.yml" });
    const { octokit, events } = fakeOctokit(() => pr);
    // GitHub counted 100 changed files when the pull request was read; a push added 30 since.
    await expect(readRenames(octokit, repo, 7, 100, ["src/file-129.ts"])).resolves.toEqual([{ from: "ci/deploy.yml", to: "src/file-129.ts" }]);
    expect(events.filter((event) => event.startsWith("ask"))).toEqual(["ask 1", "ask 2"]);
  });

  test("a copy is not a rename: its source is not a touched path", async () => {
    const pr: FakePullRequest = { ...pullRequest(1, {}), files: ["src/scan.yml", "src/moved.ts"], copiedFrom: { "src/scan.yml": ".github/workflows/scan.yml" }, renamedFrom: { "src/moved.ts": "src/old.ts" } };
    const { octokit } = fakeOctokit(() => pr);
    const renames = await readRenames(octokit, repo, 7, 2, ["src/moved.ts"]);
    expect(renames).toEqual([{ from: "src/old.ts", to: "src/moved.ts" }]);
    expect(touchedPaths([{ path: "src/scan.yml", changeType: "COPIED" }, { path: "src/moved.ts", changeType: "RENAMED" }], renames)).toEqual(["src/scan.yml", "src/moved.ts", "src/old.ts"]);
  });
});

describe("a file list that is not the whole change", () => {
  test.each([
    [3000, 3412, "this pull request changes 3412 files and GitHub lists only the first 3000: Countersign cannot judge files it cannot see; split the pull request"],
    [90, 100, "GitHub listed 90 of this pull request's 100 changed files"],
  ])("%i listed of %i changed is refused", (listed, changed, message) => {
    expect(() => assertCompleteList(listed, changed)).toThrow(new IncompleteFileList(message));
  });

  test("a complete list passes", () => {
    expect(() => assertCompleteList(3000, 3000)).not.toThrow();
    expect(() => assertCompleteList(0, 0)).not.toThrow();
  });
});
