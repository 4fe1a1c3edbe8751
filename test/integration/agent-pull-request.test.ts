import nock from "nock";
import { afterEach, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import { pullRequestEvent, type PayloadUser } from "../fixtures/payloads.js";
import { FakeGitHub } from "../mocks/github.js";
import { createTestApp, type TestApp } from "../helpers/test-app.js";

const alice: PayloadUser = { id: 1001, login: "alice", type: "User" };
const claude: PayloadUser = { id: 209825114, login: "claude[bot]", type: "Bot" };

describe("agent pull requests", () => {
  let app: TestApp;
  let github: FakeGitHub;

  beforeAll(() => {
    nock.disableNetConnect();
  });
  beforeEach(async () => {
    app = await createTestApp();
    github = new FakeGitHub();
  });
  afterEach(async () => {
    github.dispose();
    await app.close();
  });

  test("1. a human's pull request with no agent signals passes", async () => {
    const head = "a".repeat(40);
    github.pulls.set(1, { number: 1, author: alice, headSha: head, commits: [{ sha: head, message: "Fix typo", author: alice }], reviews: [], files: ["README.md"] });
    github.expectEvaluation(1);

    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(1)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(head);
    expect(run).toMatchObject({ name: "Countersign", status: "completed", conclusion: "success" });
    expect(run?.title).toMatch(/No agent activity/);
  });

  test("2. an agent's pull request without a delegation is blocked", async () => {
    const head = "b".repeat(40);
    github.pulls.set(2, { number: 2, author: claude, headSha: head, commits: [{ sha: head, message: "Add retry", author: claude }], reviews: [], files: ["src/retry.ts"] });
    github.expectEvaluation(2);

    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(2)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(head);
    expect(run).toMatchObject({ conclusion: "action_required", title: "Needs a delegation" });
    expect(run?.summary).toContain("/delegate <task>");
  });
});
