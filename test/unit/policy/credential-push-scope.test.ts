import { describe, expect, test } from "@jest/globals";
import { credentialPushOutside, type CredentialDelegationScope } from "../../../src/policy/credential-push-scope.js";

const onPullRequest = (head: string | null, scopeBranches: string[] = []): CredentialDelegationScope => ({
  delegation: { id: "dlg_00000000000000aa", subjectType: "pull_request", subjectNumber: 40, scopeBranches },
  pullRequestHead: head,
});
const onIssue = (scopeBranches: string[] = []): CredentialDelegationScope => ({
  delegation: { id: "dlg_00000000000000bb", subjectType: "issue", subjectNumber: 7, scopeBranches },
  pullRequestHead: null,
});

describe("credentialPushOutside", () => {
  test("a push to the delegation's pull request branch is inside it", () => {
    expect(credentialPushOutside("agent/ledger", [onPullRequest("agent/ledger")])).toEqual([]);
  });

  test("a push to another branch than the delegation's pull request's is outside, naming the branch it was for", () => {
    expect(credentialPushOutside("release/1.0", [onPullRequest("agent/ledger")])).toEqual([{ kind: "other-branch", delegationId: "dlg_00000000000000aa", pullRequest: 40, head: "agent/ledger" }]);
  });

  test("a pull request head that could not be confirmed (a fork, or gone) is not taken as the branch", () => {
    expect(credentialPushOutside("agent/ledger", [onPullRequest(null)])).toEqual([{ kind: "head-unconfirmed", delegationId: "dlg_00000000000000aa", pullRequest: 40 }]);
  });

  test("a push straight to one of the delegation's base branches is outside it, on an issue as on a pull request", () => {
    expect(credentialPushOutside("release/2.0", [onIssue(["main", "release/*"])])).toEqual([{ kind: "base-branch", delegationId: "dlg_00000000000000bb", patterns: ["main", "release/*"] }]);
    expect(credentialPushOutside("main", [onPullRequest("main", ["main"])])).toEqual([expect.objectContaining({ kind: "base-branch" })]);
  });

  test("an issue's delegation leaves the working branch to the agent", () => {
    expect(credentialPushOutside("agent/issue-7", [onIssue(["main"])])).toEqual([]);
  });

  test("inside any one of the live credentials' delegations is inside; outside all lists each", () => {
    expect(credentialPushOutside("agent/issue-7", [onPullRequest("agent/ledger"), onIssue()])).toEqual([]);
    expect(credentialPushOutside("main", [onPullRequest("agent/ledger"), onIssue(["main"])])).toHaveLength(2);
  });

  test("with no credential live, any push is outside", () => {
    expect(credentialPushOutside("agent/ledger", [])).toEqual([{ kind: "no-credential" }]);
  });
});
