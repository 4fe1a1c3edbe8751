import { describe, expect, test } from "@jest/globals";
import { reevaluateAfterPolicyChange, type PolicyPush } from "../../../src/services/reevaluate-after-policy-change.js";
import { pullRequest } from "../policy/builders.js";
import { REPO, useServiceWorld } from "./service-harness.js";

// A change to the policy file re-judges, at once, every open pull request it judges: those into the
// changed branch, or, for the organization's `.github` repository, every repository's.

const PATH = ".github/countersign.yml";
const HEAD_7 = "7".repeat(40);
const HEAD_8 = "8".repeat(40);

function push(overrides: Partial<PolicyPush> = {}): PolicyPush {
  return { ref: "refs/heads/main", before: "a".repeat(40), after: "b".repeat(40), created: false, deleted: false, forced: false, repository: { default_branch: "main" }, commits: [{ modified: [PATH] }], ...overrides };
}

describe("reevaluateAfterPolicyChange", () => {
  const world = useServiceWorld();

  test("re-judges the open pull requests into the changed branch, and records the change", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest({ number: 7, headSha: HEAD_7 })).addPullRequest(pullRequest({ number: 8, headSha: HEAD_8, baseRef: "release" }));
    const outcome = await reevaluateAfterPolicyChange(services, event(), push());
    expect(outcome).toMatchObject({ scope: "repository", pullRequests: 1 });
    expect(github.callsOf("openPullRequests")).toEqual([[expect.objectContaining({ name: "widgets" }), "main"]]);
    expect(github.checkRunsOn(HEAD_7)).toHaveLength(1);
    expect(github.checkRunsOn(HEAD_8)).toHaveLength(0);
    expect((await services.db.prisma.auditEvent.findMany()).map((row) => row.type)).toContain("policy.changed");
  });

  test("a force-push is compared through GitHub, and an unchanged file re-judges nothing", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest({ number: 7, headSha: HEAD_7 }));
    github.policyChanged = false;
    expect(await reevaluateAfterPolicyChange(services, event(), push({ forced: true, commits: [{ modified: ["README.md"] }] }))).toBeNull();
    expect(github.callsOf("fileChangedBetween")).toEqual([[expect.objectContaining({ name: "widgets" }), PATH, "a".repeat(40), "b".repeat(40)]]);
    expect(github.calls.map((call) => call.operation)).toEqual(["fileChangedBetween"]);
  });

  test("the organization's file re-judges every repository of the installation", async () => {
    const { services, github, event } = world();
    const other = { id: 43, owner: "acme", name: "gadgets", fullName: "acme/gadgets" };
    github.repositories = [{ ...REPO }, other];
    github.addPullRequest(pullRequest({ number: 7, headSha: HEAD_7 }));
    github.addPullRequest(pullRequest({ number: 3, headSha: HEAD_8, repo: { ...other, htmlUrl: "https://github.com/acme/gadgets" } }));
    const outcome = await reevaluateAfterPolicyChange(services, event({ repo: { owner: "acme", name: ".github", id: 1, fullName: "acme/.github" } }), push());
    expect(outcome).toMatchObject({ scope: "organization", repositories: 2, pullRequests: 2 });
    expect(github.checkRunsOn(HEAD_7)).toEqual([expect.objectContaining({ repo: "acme/widgets" })]);
    expect(github.checkRunsOn(HEAD_8)).toEqual([expect.objectContaining({ repo: "acme/gadgets" })]);
  });
});
