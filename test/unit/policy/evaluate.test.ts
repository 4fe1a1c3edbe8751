import { describe, expect, test } from "@jest/globals";
import { actorKey } from "../../../src/policy/agent-identities.js";
import { evaluatePullRequest, type Decision, type EvaluationInput } from "../../../src/policy/evaluate.js";
import { defaultPolicy, type RepoPolicy } from "../../../src/policy/repo-policy.js";
import type { PeopleFacts } from "../../../src/policy/approvals.js";
import type { Actor, CommitFacts, DelegationRecord, Permission, PullRequestFacts, ReviewFacts } from "../../../src/policy/types.js";
import { alice, bob, carol, claudeBot, HEAD, HOUR, NOW, OLD, pullRequest, REPO_URL, commit as sharedCommit, delegation as sharedDelegation, writers } from "./builders.js";

const codexConnector: Actor = { id: 199175422, login: "chatgpt-codex-connector[bot]", kind: "bot" };

/** A commit authored and committed by `author`. */
function commit(author: Actor, message = "Change the widget", sha = HEAD): CommitFacts {
  return sharedCommit(author, { message, sha });
}

let nextReviewId = 1;

/** A review submitted after every earlier one, of the head commit unless `commitSha` says otherwise. */
function review(reviewer: Actor, state: ReviewFacts["state"] = "APPROVED", commitSha: string = HEAD): ReviewFacts {
  const id = nextReviewId++;
  // Each review is submitted a second after the previous one, so list order is time order.
  const submittedAt = new Date(NOW.getTime() - HOUR + id * 1000).toISOString();
  return { id, reviewer, state, commitSha, submittedAt, url: `${REPO_URL}/pull/7#pullrequestreview-${id}` };
}

/** PR #7, opened by claude[bot] with one commit of its own; override any field. */
const facts = pullRequest;

/** An active delegation of PR #7 by alice, naming claude[bot], with no expiry; override any field. */
function delegation(overrides: Partial<DelegationRecord> = {}): DelegationRecord {
  return sharedDelegation({ agent: { id: claudeBot.id as number, login: claudeBot.login }, ...overrides });
}

/** An active delegation of issue `number` to `agent` by alice. */
function issueDelegation(number: number, agent: DelegationRecord["agent"], overrides: Partial<DelegationRecord> = {}): DelegationRecord {
  return delegation({ id: `del_issue_${number}`, subjectType: "issue", subjectNumber: number, agent, commentUrl: `${REPO_URL}/issues/${number}#issuecomment-2`, ...overrides });
}

/** The people facts of a repository where these permissions are known and no team was looked up. */
function people(permissions: Map<string, Permission>): PeopleFacts {
  return { permissions, memberships: new Map() };
}

/** Changes to the default input; `permissions` replaces the known permissions. */
type Overrides = Partial<Omit<EvaluationInput, "pr">> & { permissions?: Map<string, Permission> };

/** Evaluates PR facts with the default policy, no delegations and bob and carol as writers unless overridden. */
function evaluate(pr: PullRequestFacts, overrides: Overrides = {}): Decision {
  const { permissions, ...rest } = overrides;
  return evaluatePullRequest({ pr, policy: defaultPolicy(), delegations: [], people: people(permissions ?? writers(bob, carol)), now: NOW, ...rest });
}

/** The default policy with implicit owners switched off. */
function explicitOwnersOnly(): RepoPolicy {
  const defaults = defaultPolicy();
  return { ...defaults, delegation: { ...defaults.delegation, implicitOwner: false } };
}

/** The default policy requiring `required` approvals. */
function requiringApprovals(required: number): RepoPolicy {
  const defaults = defaultPolicy();
  return { ...defaults, approvals: { ...defaults.approvals, required } };
}

describe("evaluatePullRequest: no agent", () => {
  test("a human's PR with human commits passes without further checks", () => {
    const decision = evaluate(facts({ author: alice, commits: [commit(alice)], body: "Fixes #5" }));
    expect(decision).toEqual({
      outcome: "no-agent",
      conclusion: "success",
      enforcedConclusion: "success",
      mode: "enforce",
      detection: { involvement: "none", signals: [], agents: [] },
      referencedIssues: [5],
      tiers: [],
      requirements: [],
      owner: null,
      approvals: [],
      countedApprovals: 0,
      requiredApprovals: 0,
      excluded: [],
      outOfScope: [],
      changesPolicy: false,
      delegators: { minPermission: "write", teams: [], users: [] },
      pendingLookups: { reviewers: [], teams: [] },
      policyHash: "built-in",
      reasons: ["no-agent-signals"],
    });
  });

  test("a human's PR passes even with no approvals and a required count of 2 (nothing is required of it)", () => {
    const decision = evaluate(facts({ author: alice, commits: [commit(alice)] }), { policy: requiringApprovals(2) });
    expect(decision).toMatchObject({ outcome: "no-agent", conclusion: "success", requiredApprovals: 0, requirements: [] });
  });

  test("a human's PR changing a sensitive file passes: tiers are reported but apply only to agent changes", () => {
    const decision = evaluate(facts({ author: alice, commits: [commit(alice)], files: ["package.json"] }));
    expect(decision).toMatchObject({ outcome: "no-agent", conclusion: "success", tiers: [{ name: "sensitive", files: ["package.json"] }] });
  });
});

describe("evaluatePullRequest: an agent's PR", () => {
  test("without a delegation needs one", () => {
    const decision = evaluate(facts());
    expect(decision).toMatchObject({
      outcome: "needs-delegation",
      conclusion: "action_required",
      detection: { involvement: "authored", agents: [claudeBot] },
      owner: { kind: "missing", expired: null, revoked: null },
      countedApprovals: 0,
      excluded: [],
      reasons: ["agent-authored", "policy:built-in", "no-delegation", "approvals:0/1", "unmet:owner", "unmet:approvals"],
    });
  });

  test("an approval alone does not replace a delegation", () => {
    const decision = evaluate(facts({ reviews: [review(bob)] }));
    expect(decision).toMatchObject({ outcome: "needs-delegation", conclusion: "action_required", countedApprovals: 1 });
  });

  test("with an active delegation and no approval needs an approval", () => {
    const record = delegation();
    const decision = evaluate(facts(), { delegations: [record] });
    expect(decision).toMatchObject({
      outcome: "needs-approval",
      conclusion: "action_required",
      owner: { kind: "delegated", owner: { id: 1001, login: "alice" }, delegation: record },
      countedApprovals: 0,
      excluded: [{ actor: { id: 1001, login: "alice", kind: "user" }, why: "delegator" }],
      reasons: ["agent-authored", "policy:built-in", "delegated:del_pr", "approvals:0/1", "unmet:approvals"],
    });
  });

  test("with an active delegation and an independent writer's approval of the head is approved", () => {
    const decision = evaluate(facts({ reviews: [review(bob)] }), { delegations: [delegation()] });
    expect(decision).toMatchObject({
      outcome: "approved",
      conclusion: "success",
      countedApprovals: 1,
      approvals: [{ reviewer: bob, counted: true, objections: [], waived: [] }],
      reasons: ["agent-authored", "policy:built-in", "delegated:del_pr", "approvals:1/1"],
    });
  });

  test.each([
    ["the delegator approves", [review(alice)], writers(alice, bob), "delegator"],
    ["the agent approves", [review(claudeBot)], writers(bob), "agent"],
    ["the approval is of an older commit", [review(bob, "APPROVED", OLD)], writers(bob), "stale"],
    ["the approver can only read", [review(bob)], new Map<string, Permission>([[actorKey(bob), "read"]]), "insufficient-permission"],
    ["the approver's permission is not known yet", [review(bob)], new Map<string, Permission>(), "permission-unknown"],
    ["the approver then requested changes", [review(bob), review(bob, "CHANGES_REQUESTED")], writers(bob), "changes-requested"],
    ["the approval was dismissed", [review(bob, "DISMISSED")], writers(bob), "dismissed"],
  ])("with a delegation still needs approval when %s", (_description, reviews, permissions, code) => {
    const decision = evaluate(facts({ reviews }), { delegations: [delegation()], permissions });
    expect(decision.outcome).toBe("needs-approval");
    expect(decision.conclusion).toBe("action_required");
    expect(decision.countedApprovals).toBe(0);
    expect(decision.approvals.flatMap((verdict) => verdict.objections.map((objection) => objection.code))).toContain(code);
  });

  test("a commented review after the approval keeps it", () => {
    const decision = evaluate(facts({ reviews: [review(bob), review(bob, "COMMENTED")] }), { delegations: [delegation()] });
    expect(decision).toMatchObject({ outcome: "approved", countedApprovals: 1 });
  });

  test("a delegation on another PR does not apply", () => {
    const decision = evaluate(facts(), { delegations: [delegation({ subjectNumber: 8 })] });
    expect(decision).toMatchObject({ outcome: "needs-delegation", reasons: ["agent-authored", "policy:built-in", "no-delegation", "approvals:0/1", "unmet:owner", "unmet:approvals"] });
  });
});

describe("evaluatePullRequest: expired and revoked delegations", () => {
  test.each([
    ["expires exactly now", delegation({ expiresAt: NOW })],
    ["expired a minute ago but is not swept yet", delegation({ expiresAt: new Date(NOW.getTime() - 60_000) })],
    ["was marked expired by the sweep", delegation({ status: "expired", expiresAt: new Date(NOW.getTime() - HOUR) })],
  ])("a delegation that %s needs a new one, noting the expiry", (_description, record) => {
    const decision = evaluate(facts({ reviews: [review(bob)] }), { delegations: [record] });
    expect(decision).toMatchObject({
      outcome: "needs-delegation",
      conclusion: "action_required",
      owner: { kind: "missing", expired: record, revoked: null },
      reasons: ["agent-authored", "policy:built-in", "delegation-expired", "approvals:1/1", "unmet:owner"],
    });
  });

  test("a delegation expiring after now still applies", () => {
    const decision = evaluate(facts({ reviews: [review(bob)] }), { delegations: [delegation({ expiresAt: new Date(NOW.getTime() + 1) })] });
    expect(decision).toMatchObject({ outcome: "approved", conclusion: "success" });
  });

  test("a revoked delegation needs a new one, noting the revocation", () => {
    const record = delegation({ status: "revoked", revokedAt: NOW, revokedByLogin: "alice", revokeReason: "off task" });
    const decision = evaluate(facts({ reviews: [review(bob)] }), { delegations: [record] });
    expect(decision).toMatchObject({
      outcome: "needs-delegation",
      conclusion: "action_required",
      owner: { kind: "missing", expired: null, revoked: record },
      reasons: ["agent-authored", "policy:built-in", "delegation-revoked", "approvals:1/1", "unmet:owner"],
    });
  });

  test("a newer active delegation replaces a revoked one", () => {
    const revoked = delegation({ id: "del_old", status: "revoked", createdAt: new Date(NOW.getTime() - 2 * HOUR) });
    const active = delegation({ id: "del_new", owner: { id: 1003, login: "carol" } });
    const decision = evaluate(facts({ reviews: [review(bob)] }), { delegations: [revoked, active] });
    expect(decision).toMatchObject({ outcome: "approved", owner: { kind: "delegated", delegation: { id: "del_new" } }, reasons: ["agent-authored", "policy:built-in", "delegated:del_new", "approvals:1/1"] });
  });
});

describe("evaluatePullRequest: issue delegations", () => {
  const claudeOnIssue5 = issueDelegation(5, { id: 209825114, login: "claude[bot]" });

  test.each([
    ["GitHub links the issue as closed by the PR", { closingIssues: [5] }],
    ["the body says Fixes #5", { body: "Fixes #5" }],
    ["the body says closes: #5 among other text", { body: "Some change.\n\nThis closes: #5 and more." }],
    ["the body links the issue", { body: `See ${REPO_URL}/issues/5 for details` }],
  ])("applies when %s and it names the PR's agent", (_description, overrides) => {
    const decision = evaluate(facts({ ...overrides, reviews: [review(bob)] }), { delegations: [claudeOnIssue5] });
    expect(decision).toMatchObject({
      outcome: "approved",
      referencedIssues: [5],
      owner: { kind: "delegated", delegation: claudeOnIssue5 },
      reasons: ["agent-authored", "policy:built-in", "delegated:del_issue_5", "approvals:1/1"],
    });
  });

  test.each([
    ["the PR does not reference the issue", facts({ body: "Fixes #6" }), claudeOnIssue5],
    ["the PR mentions the issue without a closing keyword", facts({ body: "Related to #5" }), claudeOnIssue5],
    ["the PR links the same issue number in another repository", facts({ body: "https://github.com/acme/other/issues/5" }), claudeOnIssue5],
    ["the PR closes an issue of another repository", facts({ body: "Fixes acme/other#5" }), claudeOnIssue5],
    ["the delegation names another agent", facts({ closingIssues: [5] }), issueDelegation(5, { id: 206951365, login: "cursor[bot]" })],
    ["the delegation names no agent", facts({ closingIssues: [5] }), issueDelegation(5, null)],
    [
      "the agent on the PR only left a trailer",
      facts({ author: bob, commits: [commit(bob, "Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>")], closingIssues: [5] }),
      claudeOnIssue5,
    ],
  ])("does not apply when %s", (_description, pr, record) => {
    const decision = evaluate(pr, { delegations: [record], policy: explicitOwnersOnly() });
    expect(decision).toMatchObject({
      outcome: "needs-delegation",
      conclusion: "action_required",
      reasons: [expect.stringMatching(/^agent-/), "policy:built-in", "no-delegation", "approvals:0/1", "unmet:owner", "unmet:approvals"],
    });
  });

  test("applies to another account of the same agent (openai-codex[bot] for chatgpt-codex-connector[bot])", () => {
    const record = issueDelegation(9, { id: null, login: "openai-codex[bot]" });
    const pr = facts({ author: codexConnector, commits: [commit(codexConnector)], closingIssues: [9], reviews: [review(bob)] });
    const decision = evaluate(pr, { delegations: [record] });
    expect(decision).toMatchObject({ outcome: "approved", owner: { kind: "delegated", delegation: record } });
  });

  test("applies when the agent is known by its GraphQL login", () => {
    const graphqlClaude: Actor = { id: null, login: "claude", kind: "bot" };
    const pr = facts({ author: graphqlClaude, commits: [commit(graphqlClaude)], closingIssues: [5], reviews: [review(bob)] });
    expect(evaluate(pr, { delegations: [claudeOnIssue5] })).toMatchObject({ outcome: "approved" });
  });

  test("a delegation on the PR itself beats a newer one on its issue", () => {
    const onPr = delegation({ createdAt: new Date(NOW.getTime() - 2 * HOUR) });
    const onIssue = issueDelegation(5, { id: 209825114, login: "claude[bot]" }, { owner: { id: 1003, login: "carol" } });
    const decision = evaluate(facts({ closingIssues: [5] }), { delegations: [onIssue, onPr] });
    expect(decision).toMatchObject({ owner: { kind: "delegated", owner: { login: "alice" }, delegation: { id: "del_pr" } } });
  });

  test("the issue delegator cannot approve", () => {
    const decision = evaluate(facts({ closingIssues: [5], reviews: [review(alice)] }), { delegations: [claudeOnIssue5], permissions: writers(alice) });
    expect(decision).toMatchObject({ outcome: "needs-approval", countedApprovals: 0, approvals: [{ objections: [{ code: "delegator" }] }] });
  });

  test("an expired issue delegation is noted", () => {
    const record = issueDelegation(5, { id: 209825114, login: "claude[bot]" }, { expiresAt: new Date(NOW.getTime() - 1) });
    const decision = evaluate(facts({ closingIssues: [5] }), { delegations: [record] });
    expect(decision).toMatchObject({
      outcome: "needs-delegation",
      owner: { kind: "missing", expired: record },
      reasons: ["agent-authored", "policy:built-in", "delegation-expired", "approvals:0/1", "unmet:owner", "unmet:approvals"],
    });
  });
});

describe("evaluatePullRequest: an agent-assisted PR by a person", () => {
  const assisted = (overrides: Partial<PullRequestFacts> = {}) =>
    facts({ author: carol, commits: [commit(carol, "Add retry\n\nCo-Authored-By: Claude Opus 4.1 <noreply@anthropic.com>")], ...overrides });

  test("is owned by its author without a delegation, and needs someone else's approval", () => {
    const decision = evaluate(assisted());
    expect(decision).toMatchObject({
      outcome: "needs-approval",
      conclusion: "action_required",
      detection: {
        involvement: "assisted",
        signals: [{ kind: "trailer", sha: HEAD, trailer: "Co-Authored-By: Claude Opus 4.1 <noreply@anthropic.com>", rule: "Claude" }],
      },
      owner: { kind: "implicit", owner: { id: 1003, login: "carol" } },
      excluded: [{ actor: { id: 1003, login: "carol", kind: "user" }, why: "delegator" }],
      reasons: ["agent-assisted", "policy:built-in", "implicit-owner", "approvals:0/1", "unmet:approvals"],
    });
  });

  test("the author's own approval does not count", () => {
    const decision = evaluate(assisted({ reviews: [review(carol)] }));
    expect(decision).toMatchObject({ outcome: "needs-approval", approvals: [{ counted: false, objections: [{ code: "delegator" }, { code: "pr-author" }, { code: "commit-participant", sha: HEAD, role: "author" }] }] });
  });

  test("is approved by an independent writer", () => {
    expect(evaluate(assisted({ reviews: [review(bob)] }))).toMatchObject({ outcome: "approved", conclusion: "success", reasons: ["agent-assisted", "policy:built-in", "implicit-owner", "approvals:1/1"] });
  });

  test("commits by an agent account also make it assisted", () => {
    const decision = evaluate(assisted({ commits: [commit(carol, "Start", OLD), commit(claudeBot)], reviews: [review(bob)] }));
    expect(decision).toMatchObject({ outcome: "approved", detection: { involvement: "assisted", agents: [claudeBot] } });
  });

  test("needs a delegation when the policy turns implicit owners off", () => {
    const decision = evaluate(assisted({ reviews: [review(bob)] }), { policy: explicitOwnersOnly() });
    expect(decision).toMatchObject({ outcome: "needs-delegation", conclusion: "action_required", reasons: ["agent-assisted", "policy:built-in", "no-delegation", "approvals:1/1", "unmet:owner"] });
  });

  test("with implicit owners off, a delegation on the PR makes it approvable", () => {
    const decision = evaluate(assisted({ reviews: [review(bob)] }), {
      policy: explicitOwnersOnly(),
      delegations: [delegation({ agent: null })],
    });
    expect(decision).toMatchObject({ outcome: "approved", reasons: ["agent-assisted", "policy:built-in", "delegated:del_pr", "approvals:1/1"] });
  });
});

describe("evaluatePullRequest: two required approvals", () => {
  const policy: RepoPolicy = requiringApprovals(2);

  test.each([
    ["no approvals", [], "needs-approval", "approvals:0/2"],
    ["one approval", [review(bob)], "needs-approval", "approvals:1/2"],
    ["one approval and one stale", [review(bob), review(carol, "APPROVED", OLD)], "needs-approval", "approvals:1/2"],
    ["one approval counted twice by the same reviewer", [review(bob), review(bob)], "needs-approval", "approvals:1/2"],
    ["two independent approvals", [review(bob), review(carol)], "approved", "approvals:2/2"],
  ] as const)("%s → %s", (_description, reviews, outcome, approvalsReason) => {
    const decision = evaluate(facts({ reviews: [...reviews] }), { policy, delegations: [delegation()] });
    expect(decision.outcome).toBe(outcome);
    expect(decision.conclusion).toBe(outcome === "approved" ? "success" : "action_required");
    expect(decision.requiredApprovals).toBe(2);
    expect(decision.reasons).toEqual(["agent-authored", "policy:built-in", "delegated:del_pr", approvalsReason, ...(outcome === "approved" ? [] : ["unmet:approvals"])]);
  });
});

describe("evaluatePullRequest is pure", () => {
  test("the same input gives the same decision and is left unchanged", () => {
    const pr = facts({ reviews: [review(bob, "APPROVED", OLD), review(bob)], closingIssues: [3] });
    const input: EvaluationInput = { pr, policy: defaultPolicy(), delegations: [delegation()], people: people(writers(bob)), now: NOW };
    const before = JSON.stringify(input.pr);
    expect(evaluatePullRequest(input)).toEqual(evaluatePullRequest(input));
    expect(JSON.stringify(input.pr)).toBe(before);
  });
});

describe("evaluatePullRequest: the delegation's paths scope", () => {
  test.each([
    ["every file in scope, approved", ["src/a.ts", "src/b/c.ts"], ["src/**"], "approved", "success", []],
    ["a workflow file outside src/**, even though approved", ["src/a.ts", ".github/workflows/release.yml"], ["src/**"], "out-of-scope", "failure", [".github/workflows/release.yml"]],
    ["no scope given: the whole repository", ["infra/scripts/deploy.sh"], [], "approved", "success", []],
  ] as const)("%s", (_description, files, scopePaths, outcome, conclusion, outOfScope) => {
    const decision = evaluate(facts({ files: [...files], reviews: [review(bob)] }), { delegations: [delegation({ scopePaths: [...scopePaths] })] });
    expect(decision).toMatchObject({ outcome, conclusion, outOfScope: [...outOfScope] });
    if (outOfScope.length > 0) expect(decision.reasons).toContain("unmet:scope-paths");
  });

  test("a sensitive file is within a whole-repository scope, and the sensitive tier asks for a second approval", () => {
    const one = evaluate(facts({ files: ["infra/main.tf"], reviews: [review(bob)] }), { delegations: [delegation()] });
    expect(one).toMatchObject({ outcome: "needs-approval", conclusion: "action_required", outOfScope: [], requiredApprovals: 2, countedApprovals: 1, tiers: [{ name: "sensitive", files: ["infra/main.tf"] }] });
    const two = evaluate(facts({ files: ["infra/main.tf"], reviews: [review(bob), review(carol)] }), { delegations: [delegation()] });
    expect(two).toMatchObject({ outcome: "approved", conclusion: "success", requiredApprovals: 2, countedApprovals: 2 });
  });

  test("an implicit owner has no scope to break", () => {
    const decision = evaluate(facts({ author: alice, commits: [commit(alice, "x\n\nAssisted-by: Claude:opus")], files: ["anything.ts"], reviews: [review(bob)] }));
    expect(decision).toMatchObject({ outcome: "approved", outOfScope: [] });
  });
});

describe("evaluatePullRequest: the most recent lapse explains the block", () => {
  test.each([
    ["revoked after the other expired", NOW.getTime() - HOUR, NOW.getTime() - 60_000, "delegation-revoked"],
    ["expired after the other was revoked", NOW.getTime() - 60_000, NOW.getTime() - HOUR, "delegation-expired"],
  ])("%s", (_description, expiresAt, revokedAt, reason) => {
    const expired = delegation({ id: "old", expiresAt: new Date(expiresAt), createdAt: new Date(NOW.getTime() - 3 * HOUR) });
    const revoked = delegation({ id: "new", status: "revoked", revokedAt: new Date(revokedAt), revokedByLogin: "alice", createdAt: new Date(NOW.getTime() - 2 * HOUR) });
    const decision = evaluate(facts(), { delegations: [expired, revoked] });
    expect(decision.outcome).toBe("needs-delegation");
    expect(decision.reasons).toContain(reason);
  });
});
