import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { commentEvent, pullRequestEvent, pushEvent, REPO, reviewEvent, type PayloadUser } from "../fixtures/payloads.js";
import { alice, bob, claude, erin } from "../fixtures/people.js";
import { API, contentsResponse, type FakeGitHub } from "../mocks/github.js";
import { renderedText } from "../helpers/github-markdown.js";
import { useApp } from "../helpers/use-app.js";

const ctx = useApp();
const HEAD = "70".repeat(20);
const sam: PayloadUser = { id: 1010, login: "sam", type: "User" }; // writer, in the security team

function agentPullRequest(github: FakeGitHub, files: string[], extra: { labels?: string[]; baseRef?: string } = {}): void {
  github.pulls.set(20, { number: 20, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Agent change", author: claude }], reviews: [], files, ...extra });
}

async function delegate(github: FakeGitHub, body = "/delegate SEC-20", extra: { memberships?: Array<[string, string]> } = {}): Promise<void> {
  github.expectPullRequestRead(20);
  github.expectPermissionRead("alice");
  for (const [team, login] of extra.memberships ?? []) github.expectMembershipRead(team, login);
  github.expectAppRead("claude[bot]");
  github.expectComment(20);
  github.expectEvaluation(20, { preloaded: true });
  await ctx.app().receive("issue_comment", commentEvent({ number: 20, onPullRequest: true, body, author: alice }));
}

function approve(github: FakeGitHub, reviewer: PayloadUser, id: number): Record<string, unknown> {
  const pr = github.mustGet(20);
  pr.reviews.push({ id, reviewer, state: "APPROVED", commitSha: pr.headSha, submittedAt: new Date(Date.UTC(2026, 10, 25, 12, id % 60)).toISOString() });
  return reviewEvent("submitted", pr, { id, reviewer, state: "approved", commitSha: pr.headSha });
}

describe("org policy with a repository override", () => {
  test("the org's .github policy is extended; the repository tightens it", async () => {
    const github = ctx.github();
    github.orgPolicyYaml = ["agents:", "  identities:", "    - name: Acme release agent", '      logins: ["acme-release[bot]"]', "approvals:", "  required: 1"].join("\n");
    github.policyYaml = "_extends: .github\napprovals:\n  required: 2\n";
    const agent: PayloadUser = { id: 777, login: "acme-release[bot]", type: "Bot" };
    github.pulls.set(21, { number: 21, author: agent, headSha: HEAD, commits: [{ sha: HEAD, message: "Release", author: agent }], reviews: [], files: ["src/a.ts"] });
    github.expectEvaluation(21);

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(21)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    // Recognised through the org's identity list, held to the repository's two approvals.
    expect(run?.summary).toContain("is **Acme release agent**, matched by login");
    // The requirement names the file that set it.
    expect(run?.summary).toContain("2 independent approvals of the head commit (0 counted) _(approvals.required (Codertocat/Hello-World:.github/countersign.yml))_");
    expect(run?.summary).toContain("policy: `Codertocat/.github:.github/countersign.yml extended by Codertocat/Hello-World:.github/countersign.yml@main` (version `");
    const decision = await ctx.app().db.prisma.decision.findFirstOrThrow();
    expect(decision.policyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(decision.policySource).toContain("extended by");
  });

  test("a broken org policy blocks, naming the org file and the key", async () => {
    const github = ctx.github();
    github.orgPolicyYaml = "approvals:\n  requird: 2\n";
    agentPullRequest(github, ["src/a.ts"]);
    github.expectEvaluation(20, { invalidPolicy: true });

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(20)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "failure", title: "Invalid .github/countersign.yml: approvals.requird" });
    expect(run?.summary).toContain("| `Codertocat/.github:.github/countersign.yml` | `approvals.requird` | unknown key |");
  });
});

describe("how the policy is read", () => {
  test("with the pull request, in the same GraphQL request: no further request for it", async () => {
    const github = ctx.github();
    github.policyYaml = "approvals:\n  required: 2\n";
    agentPullRequest(github, ["src/a.ts"]);
    github.expectEvaluation(20); // the PR read, the setup check, the check run: no contents request

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(20)));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(HEAD)?.summary).toContain("2 independent approvals of the head commit (0 counted) _(approvals.required (Codertocat/Hello-World:.github/countersign.yml))_");
  });

  test("an organization without a .github repository is no error: the defaults apply", async () => {
    const github = ctx.github();
    github.orgPolicyYaml = "missing"; // GitHub answers with data and a NOT_FOUND error for that field
    agentPullRequest(github, ["src/a.ts"]);
    github.expectEvaluation(20);

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(20)));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(HEAD)).toMatchObject({ conclusion: "action_required", title: "Needs a delegation" });
    expect(github.checkRunOn(HEAD)?.summary).toContain("policy: `built-in defaults (no .github/countersign.yml)`");
  });

  test("an _extends the query cannot follow is read through the contents API", async () => {
    const github = ctx.github();
    github.policyYaml = "_extends: other-org/policies:countersign.yml\napprovals:\n  required: 2\n";
    agentPullRequest(github, ["src/a.ts"]);
    github.expectEvaluation(20);
    // The repository's file again, the file it extends, and the organization's (the floor; none here).
    nock(API)
      .get(`/repos/${REPO.owner}/${REPO.name}/contents/.github%2Fcountersign.yml`)
      .query({ ref: "main" })
      .reply(200, contentsResponse(".github/countersign.yml", github.policyYaml));
    nock(API).get("/repos/other-org/policies/contents/countersign.yml").reply(200, contentsResponse("countersign.yml", "delegation:\n  implicit_owner: false\n"));
    nock(API).get(`/repos/${REPO.owner}/.github/contents/.github%2Fcountersign.yml`).reply(404, { message: "Not Found" });

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(20)));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(HEAD)?.summary).toContain("policy: `other-org/policies:countersign.yml extended by Codertocat/Hello-World:.github/countersign.yml@main`");
  });
});

describe("the policy is read from the base branch", () => {
  test("a PR that relaxes .github/countersign.yml is judged by the base branch's policy, as sensitive", async () => {
    const github = ctx.github();
    // On main, the policy requires 1 approval; the PR's own version (never read) would set mode: evaluate.
    github.policyYaml = "approvals:\n  required: 1\n";
    agentPullRequest(github, [".github/countersign.yml"]);
    github.expectEvaluation(20); // the policy read asks for ?ref=main

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(20)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(run?.conclusion).toBe("action_required");
    expect(run?.summary).toContain("This pull request changes `.github/countersign.yml`. It is judged by the policy on its base branch, never by the version it proposes.");
    expect(run?.summary).toContain("**sensitive** (built-in): applies because the pull request changes `.github/countersign.yml`. Requires 2 approvals.");
  });
});

describe("risk tiers", () => {
  const securityTier = ["tiers:", "  - name: sensitive", "    when:", "      paths: [\".github/workflows/**\"]", "    require:", "      approvals: 1", "      approver_teams: [security]"].join("\n");

  test("a workflow change needs an approval from the sensitive tier's team", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.policyYaml = securityTier;
    github.teams.set("security", ["sam"]);
    github.permissions.set("sam", "write");
    agentPullRequest(github, [".github/workflows/release.yml", "src/a.ts"]);
    github.expectEvaluation(20);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(20)));
    await delegate(github);

    // bob is an independent writer, but not in @security.
    github.expectEvaluation(20, { permissionLookups: ["bob"], membershipLookups: [["security", "bob"]] });
    await app.receive("pull_request_review", approve(github, bob, 31));
    expect(nock.pendingMocks()).toEqual([]);
    let run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "action_required", title: "Needs an approval from @Codertocat/security" });
    // The team is named, not mentioned: the check run pings no one.
    expect(run?.summary).toContain("**sensitive**: applies because the pull request changes `.github/workflows/release.yml`. Requires 1 approval, an approval from \\@\u200bCodertocat/security.");
    expect(run?.summary).toContain("- ✅ met: 1 independent approval of the head commit (1 counted)");
    expect(run?.summary).toContain("- ❌ not met: an approval from \\@\u200bCodertocat/security _(tier:sensitive (Codertocat/Hello-World:.github/countersign.yml))_");

    // sam is in @security: countersigned. (bob's answers are cached.)
    github.expectEvaluation(20, { permissionLookups: ["sam"], membershipLookups: [["security", "sam"]] });
    await app.receive("pull_request_review", approve(github, sam, 32));
    expect(nock.pendingMocks()).toEqual([]);
    run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "success", title: "Countersigned: delegated by @alice, approved by @bob, @sam" });
    expect(run?.summary).toContain("- ✅ met: an approval from \\@\u200bCodertocat/security (@sam) _(tier:sensitive (Codertocat/Hello-World:.github/countersign.yml))_");
  });

  test("a tier can forbid agents from changing some paths at all", async () => {
    const github = ctx.github();
    github.policyYaml = ["tiers:", "  - name: infra", "    when:", "      paths: [\"infra/**\"]", "    require:", "      agents_forbidden: true"].join("\n");
    agentPullRequest(github, ["infra/prod.tf", "src/a.ts"]);
    github.expectEvaluation(20);

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(20)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    // Both tiers apply (infra/prod.tf is also sensitive); the forbidding one decides.
    expect(run).toMatchObject({ conclusion: "failure", title: "Agents may not change this: tier infra" });
    expect(run?.summary).toContain("- ❌ not met: agents may change `infra/prod.tf` _(tier:infra (Codertocat/Hello-World:.github/countersign.yml))_");
  });

  test("a labelled PR into a release branch gets a shorter delegation limit", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.policyYaml = ["tiers:", "  - name: hotfix", "    when:", "      base_branches: [\"release/*\"]", "      labels: [hotfix]", "    require:", "      max_delegation_expiry: 24h"].join("\n");
    agentPullRequest(github, ["src/a.ts"], { labels: ["hotfix"], baseRef: "release/2.1" });
    github.expectEvaluation(20);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(20)));
    await delegate(github, "/delegate SEC-20 expires:7d");

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "action_required", title: "Needs a shorter delegation: at most 1d" });
    expect(run?.summary).toContain("**hotfix**: applies because the pull request targets `release/2.1`, and is labelled `hotfix`.");
    expect(run?.summary).toContain("- ❌ not met: the delegation lasts at most 1d (it lasts 1w) _(tier:hotfix (Codertocat/Hello-World:.github/countersign.yml))_");
  });
});

describe("dry run", () => {
  test("mode: evaluate reports what it would block as neutral", async () => {
    const github = ctx.github();
    github.policyYaml = "mode: evaluate\n";
    agentPullRequest(github, ["src/a.ts"]);
    github.expectEvaluation(20);

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(20)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "neutral", title: "Would block: Needs a delegation" });
    expect(run?.summary).toContain("**Decision: would block (dry run, `mode: evaluate`)**");
    expect(await ctx.app().db.prisma.decision.findFirstOrThrow()).toMatchObject({ conclusion: "neutral" });
  });
});

describe("setup doctor", () => {
  test.each([
    ["no ruleset or branch protection requires it", "none", true],
    ["a ruleset requires it", "ruleset", false],
    ["branch protection requires it", "branch-protection", false],
  ] as const)("when %s, the warning is %s", async (_description, requiredCheck, warned) => {
    const github = ctx.github();
    github.requiredCheck = requiredCheck;
    agentPullRequest(github, ["src/a.ts"]);
    github.expectEvaluation(20);

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(20)));

    expect(nock.pendingMocks()).toEqual([]);
    const summary = github.checkRunOn(HEAD)?.summary ?? "";
    expect(summary.includes("**Merge is not blocked by this check: make it required.**")).toBe(warned);
    if (warned) expect(summary).toContain("*Settings → Rules → Rulesets → New branch ruleset*, target `main`");
  });
});

describe("who may delegate, and with what", () => {
  test("delegators restricted to a team: a writer outside it is refused", async () => {
    const github = ctx.github();
    github.policyYaml = "delegation:\n  delegators:\n    teams: [leads]\n";
    github.teams.set("leads", ["erin"]);
    agentPullRequest(github, ["src/a.ts"]);
    github.expectPullRequestRead(20);
    github.expectPermissionRead("alice");
    github.expectMembershipRead("leads", "alice");
    github.expectComment(20);

    await ctx.app().receive("issue_comment", commentEvent({ number: 20, onPullRequest: true, body: "/delegate SEC-1", author: alice }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(renderedText(github.comments[0]?.body ?? "")).toContain("only @Codertocat/leads may delegate here (delegation.delegators).");
    expect(await ctx.app().db.prisma.delegation.count()).toBe(0);
  });

  test.each([
    ["a ticket key that does not match the pattern", "/delegate ops-7", "is not a ticket key this repository accepts"],
    ["a URL where only tickets are accepted", "/delegate https://example.com/x", "is not accepted here; use ticket"],
    ["an expiry beyond the maximum", "/delegate SEC-1 expires:30d", "at most 1w (delegation.max_expiry)"],
  ])("%s is refused", async (_description, body, why) => {
    const github = ctx.github();
    github.policyYaml = ["delegation:", "  max_expiry: 7d", "  task:", "    forms: [ticket]", "    ticket_pattern: \"^SEC-\\\\d+$\""].join("\n");
    agentPullRequest(github, ["src/a.ts"]);
    github.expectPullRequestCommand(20, { permissionOf: "alice", reevaluates: false });

    await ctx.app().receive("issue_comment", commentEvent({ number: 20, onPullRequest: true, body, author: alice }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(renderedText(github.comments[0]?.body ?? "")).toContain(why);
    expect(await ctx.app().db.prisma.delegation.count()).toBe(0);
  });

  test("the policy's default expiry applies when the command gives none", async () => {
    const github = ctx.github();
    github.policyYaml = "delegation:\n  default_expiry: 3d\n";
    agentPullRequest(github, ["src/a.ts"]);
    await delegate(github);

    expect(nock.pendingMocks()).toEqual([]);
    expect((await ctx.app().db.prisma.delegation.findFirstOrThrow()).expiresAt?.toISOString()).toBe("2026-11-28T12:00:00.000Z");
  });
});

describe("protected branches", () => {
  test("an agent's direct push to a branch listed in protected_branches is flagged", async () => {
    const github = ctx.github();
    github.policyYaml = "protected_branches: [main, \"release/*\"]\n";
    const sha = "7e".repeat(20);
    github.expectPolicyRead();
    github.expectCheckRunWrite(sha);

    await ctx.app().receive("push", pushEvent({ ref: "refs/heads/release/3.0", after: sha, sender: claude }));
    github.expectPolicyRead();
    await ctx.app().receive("push", pushEvent({ ref: "refs/heads/feature/x", after: "7f".repeat(20), sender: claude }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRuns).toEqual([expect.objectContaining({ headSha: sha, conclusion: "failure", title: "Direct push by an agent, not reviewed" })]);
  });

  test("with solo-maintainer exclusions loosened, the evidence says so", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.policyYaml = "approvals:\n  exclude:\n    delegator: false\n    pr_author: false\n    commit_authors: false\n";
    github.pulls.set(22, { number: 22, author: erin, headSha: HEAD, commits: [{ sha: HEAD, message: "x\n\nCo-authored-by: Claude <noreply@anthropic.com>", author: erin }], reviews: [], files: ["src/a.ts"] });
    github.mustGet(22).reviews.push({ id: 40, reviewer: erin, state: "APPROVED", commitSha: HEAD, submittedAt: "2026-11-25T12:00:00Z" });
    github.expectEvaluation(22, { permissionLookups: ["erin"] });

    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(22)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "success", title: "Countersigned: owned by @erin, approved by @erin" });
    expect(run?.summary).toContain("counted although they opened the PR: the policy allows it (`approvals.exclude.pr_author: false`)");
  });
});
