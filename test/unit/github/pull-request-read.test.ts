import { describe, expect, test } from "@jest/globals";
import type { ProbotOctokit } from "probot";
import { fetchPullRequestSnapshot } from "../../../src/github/pull-request-facts.js";
import { REPO } from "../../fixtures/payloads.js";
import { erin } from "../../fixtures/people.js";
import { ORG_POLICY_COMMIT, pagesGraphqlResponse, pullRequestGraphqlResponse, type FakePullRequest } from "../../fakes/graphql-responses.js";

// Reading a pull request whose connections need follow-up queries, against a GitHub whose answers are
// built from a model (no HTTP): the follow-ups carry every long connection, and a push between the
// first query and a follow-up makes the read start over rather than mix two versions of the PR.

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

/** A fake Octokit whose `graphql` answers from `current()`, recording each query's name. */
function fakeGitHub(current: () => FakePullRequest, afterEach: (name: string) => void = () => undefined) {
  const asked: string[] = [];
  const graphql = async (query: string, variables: Record<string, unknown>) => {
    const name = /query (\w+)/.exec(query)![1]!;
    asked.push(name);
    const answer = name === "CountersignPullRequest_pages" ? pagesGraphqlResponse(current(), query, variables) : pullRequestGraphqlResponse(current());
    afterEach(name);
    return answer.data;
  };
  const octokit = { graphql } as unknown as ProbotOctokit;
  return { octokit, asked };
}

const repo = { owner: REPO.owner, name: REPO.name };

describe("reading a pull request past the first page", () => {
  test("1,000 files take the first query and five follow-ups, in order and complete", async () => {
    const pr = largePullRequest("aa".repeat(20), 1000);
    const { octokit, asked } = fakeGitHub(() => pr);
    const { facts } = await fetchPullRequestSnapshot(octokit, repo, 7);
    expect(asked).toEqual(["CountersignPullRequest", ...Array(5).fill("CountersignPullRequest_pages")]);
    expect(facts.files).toEqual(pr.files);
  });

  test("a push between the first query and a follow-up starts the read over, on the new head", async () => {
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
    expect(asked).toEqual(["CountersignPullRequest", "CountersignPullRequest_pages", "CountersignPullRequest", "CountersignPullRequest_pages"]);
    expect(facts.headSha).toBe("bb".repeat(20));
    expect(facts.files).toEqual(pushed.files);
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
