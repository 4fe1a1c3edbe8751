import { describe, expect, test } from "@jest/globals";
import type { ProbotOctokit } from "probot";
import { fetchPullRequestSnapshot } from "../../../src/github/pull-request-facts.js";
import { REPO } from "../../fixtures/payloads.js";
import { erin } from "../../fixtures/people.js";
import { ORG_POLICY_COMMIT, pagesGraphqlResponse, pullRequestFilesPage, pullRequestGraphqlResponse, type FakePullRequest } from "../../fakes/graphql-responses.js";

// Reading a pull request whose connections need more than the first query, against a GitHub whose
// answers are built from a model (no HTTP): files past the first page come from the REST file list
// (GETs, read at once), commits and reviews from GraphQL follow-ups; a push in between makes the read
// start over rather than mix two versions of the PR.

function largePullRequest(head: string, files: number): FakePullRequest {
  return {
    number: 7,
    author: erin,
    headSha: head,
    commits: [{ sha: head, message: "Change", author: erin }],
    reviews: [],
    files: Array.from({ length: files }, (_, index) => `src/file-${index}.ts`),
  };
}

/**
 * A fake Octokit answering from `current()`: `graphql` (the query and its follow-ups), the REST file
 * list's pages (`order` may serve them in another order than GraphQL's) and the pull request's head;
 * it records each call (`files:N` for a file-list page, `head` for the head read).
 */
function fakeGitHub(current: () => FakePullRequest, afterEach: (name: string) => void = () => undefined, order: (files: string[]) => string[] = (files) => files) {
  const asked: string[] = [];
  const graphql = async (query: string, variables: Record<string, unknown>) => {
    const name = /query (\w+)/.exec(query)![1]!;
    asked.push(name);
    const answer = name === "CountersignPullRequest_pages" ? pagesGraphqlResponse(current(), query, variables) : pullRequestGraphqlResponse(current());
    afterEach(name);
    return answer.data;
  };
  const request = async (route: string, params: { page: number }) => {
    if (route !== "GET /repos/{owner}/{repo}/pulls/{pull_number}/files") throw new Error(`unexpected ${route}`);
    asked.push(`files:${params.page}`);
    const pr = current();
    return { data: pullRequestFilesPage({ ...pr, files: order(pr.files) }, params.page) };
  };
  const get = async () => {
    asked.push("head");
    return { data: { head: { sha: current().headSha } } };
  };
  const octokit = { graphql, request, rest: { pulls: { get } } } as unknown as ProbotOctokit;
  return { octokit, asked };
}

const repo = { owner: REPO.owner, name: REPO.name };
const pages = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => `files:${from + index}`);

describe("reading a pull request past the first page", () => {
  test("1,000 files: the first query, then the REST file list past its first page, at once (GETs, which the throttle does not space); complete and in order", async () => {
    const pr = largePullRequest("aa".repeat(20), 1000);
    const { octokit, asked } = fakeGitHub(() => pr);
    const { facts } = await fetchPullRequestSnapshot(octokit, repo, 7);
    // No GraphQL follow-up checked the head after the file list: it is read on its own.
    expect(asked).toEqual(["CountersignPullRequest", ...pages(2, 10), "head"]);
    expect(facts.files).toEqual(pr.files);
  });

  test("250 commits and 1,000 files: the commits' follow-up query comes after the file list, and checks the head", async () => {
    const head = "ac".repeat(20);
    const pr: FakePullRequest = { ...largePullRequest(head, 1000), commits: Array.from({ length: 250 }, (_, index) => ({ sha: index === 249 ? head : index.toString(16).padStart(40, "0"), message: "Change", author: erin })) };
    const { octokit, asked } = fakeGitHub(() => pr);
    const { facts } = await fetchPullRequestSnapshot(octokit, repo, 7);
    expect(asked).toEqual(["CountersignPullRequest", ...pages(2, 10), "CountersignPullRequest_pages"]);
    expect(facts.commits).toHaveLength(250);
    expect(facts.files).toEqual(pr.files);
  });

  test("when REST lists the files in another order than GraphQL, its first page is read too, and the list is still complete", async () => {
    const pr = largePullRequest("ad".repeat(20), 300);
    const { octokit, asked } = fakeGitHub(() => pr, undefined, (files) => [...files].reverse());
    const { facts } = await fetchPullRequestSnapshot(octokit, repo, 7);
    expect(asked).toEqual(["CountersignPullRequest", ...pages(2, 3), "files:1", "head"]);
    expect(new Set(facts.files)).toEqual(new Set(pr.files));
    expect(facts.files).toHaveLength(300);
  });

  test("a rename on the first page: REST's first page is read with the others, for where it came from", async () => {
    const pr: FakePullRequest = { ...largePullRequest("ae".repeat(20), 150), renamedFrom: { "src/file-3.ts": ".github/workflows/deploy.yml" } };
    const { octokit, asked } = fakeGitHub(() => pr);
    const { facts } = await fetchPullRequestSnapshot(octokit, repo, 7);
    expect(asked).toEqual(["CountersignPullRequest", ...pages(1, 2), "head"]);
    expect(facts.renames).toEqual([{ from: ".github/workflows/deploy.yml", to: "src/file-3.ts" }]);
    expect(facts.files).toContain(".github/workflows/deploy.yml");
  });

  test("a push between the first query and the file list starts the read over, on the new head", async () => {
    let pr = largePullRequest("aa".repeat(20), 150);
    const pushed = { ...largePullRequest("bb".repeat(20), 150), files: [...pr.files.slice(0, 149), "src/added-by-the-push.ts"] };
    // The push lands right after the first query is answered, once.
    const { octokit, asked } = fakeGitHub(
      () => pr,
      (name) => {
        if (name === "CountersignPullRequest" && pr !== pushed) pr = pushed;
      },
    );
    const { facts } = await fetchPullRequestSnapshot(octokit, repo, 7);
    expect(asked).toEqual(["CountersignPullRequest", "files:2", "head", "CountersignPullRequest", "files:2", "head"]);
    expect(facts.headSha).toBe("bb".repeat(20));
    expect(facts.files).toEqual(pushed.files);
  });

  test("a push between the first query and a follow-up query starts the read over too", async () => {
    const many = (head: string) => ({ ...largePullRequest(head, 1), commits: Array.from({ length: 150 }, (_, index) => ({ sha: index === 149 ? head : index.toString(16).padStart(40, "0"), message: "Change", author: erin })) });
    let pr: FakePullRequest = many("aa".repeat(20));
    const pushed = many("bb".repeat(20));
    const { octokit, asked } = fakeGitHub(
      () => pr,
      (name) => {
        if (name === "CountersignPullRequest" && pr !== pushed) pr = pushed;
      },
    );
    const { facts } = await fetchPullRequestSnapshot(octokit, repo, 7);
    expect(asked).toEqual(["CountersignPullRequest", "CountersignPullRequest_pages", "CountersignPullRequest", "CountersignPullRequest_pages"]);
    expect(facts.headSha).toBe("bb".repeat(20));
  });

  test("a pull request that keeps moving while it is read is an error (the evaluation fails closed)", async () => {
    let pushes = 0;
    const { octokit } = fakeGitHub(() => largePullRequest(`${String(pushes).padStart(2, "0")}`.repeat(20), 150), (name) => {
      if (name === "CountersignPullRequest") pushes += 1;
    });
    await expect(fetchPullRequestSnapshot(octokit, repo, 7)).rejects.toThrow(/kept changing while it was read/);
  });
});

describe("the commits the pull-request query names", () => {
  test("the base commit, and the commits each policy file was read at, come from the one query", async () => {
    const pr: FakePullRequest = { ...largePullRequest("ab".repeat(20), 1), baseSha: "cd".repeat(20) };
    const asked: string[] = [];
    const graphql = async (query: string) => {
      asked.push(/query (\w+)/.exec(query)![1]!);
      return pullRequestGraphqlResponse(pr, { repository: "approvals:\n  required: 2\n", organization: "mode: enforce\n" }).data;
    };
    const { facts, policy } = await fetchPullRequestSnapshot({ graphql } as unknown as ProbotOctokit, repo, 7);
    expect(asked).toEqual(["CountersignPullRequest"]);
    expect(facts.baseSha).toBe("cd".repeat(20));
    expect(policy.repository).toMatchObject({ text: "approvals:\n  required: 2\n", commitSha: "cd".repeat(20) });
    expect(policy.organization).toMatchObject({ text: "mode: enforce\n", commitSha: ORG_POLICY_COMMIT });
  });
});
