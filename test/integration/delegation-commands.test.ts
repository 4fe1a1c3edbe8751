import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { commentEvent, pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { admin, alice, bob, carol, claude, dependabot } from "../fixtures/people.js";
import { API, type FakeGitHub } from "../mocks/github.js";
import { APP_ID } from "../helpers/test-app.js";
import { useApp } from "../helpers/use-app.js";
import { renderedText } from "../helpers/github-markdown.js";

const ctx = useApp();
const HEAD = "d1".repeat(20);

function agentPullRequest(github: FakeGitHub, number = 2, body = ""): void {
  github.pulls.set(number, {
    number,
    author: claude,
    headSha: HEAD,
    body,
    commits: [{ sha: HEAD, message: "Implement the task", author: claude }],
    reviews: [],
    files: ["src/index.ts"],
  });
}

/** Opens PR #2 by Claude and records alice's delegation on it; returns the delegation id. */
async function delegatedPullRequest(github: FakeGitHub): Promise<string> {
  const app = ctx.app();
  agentPullRequest(github);
  github.expectEvaluation(2);
  await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(2)));
  github.expectDelegation(2, "alice");
  await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "/delegate SEC-7 paths:src/** expires:7d", author: alice }));
  return (await app.db.prisma.delegation.findFirstOrThrow()).id;
}

describe("who may delegate", () => {
  test.each([
    { who: "the agent itself", author: claude, reads: false, why: "@claude[bot] is a bot account: only people can delegate or revoke." },
    { who: "another bot", author: dependabot, reads: false, why: "@dependabot[bot] is a bot account: only people can delegate or revoke." },
    { who: "a read-only user", author: carol, reads: true, why: "@carol has read permission on this repository; delegating needs write or higher." },
  ])("7. /delegate by $who is refused with a reply, and nothing is recorded", async ({ author, reads, why }) => {
    const github = ctx.github();
    const app = ctx.app();
    agentPullRequest(github);
    if (reads) {
      // A person: the PR and policy are read to rule out agent identities, then the permission asked.
      github.expectPullRequestCommand(2, { permissionOf: author.login, reevaluates: false });
    } else {
      github.expectComment(2); // a bot is refused from the authenticated sender alone
    }

    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "/delegate SEC-9", author }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toContain("Countersign did not record this command.");
    expect(renderedText(github.comments[0]?.body ?? "")).toContain(why);
    expect(await app.db.prisma.delegation.count()).toBe(0);
    expect(github.checkRuns).toEqual([]); // a refusal changes nothing else
    const events = await app.db.prisma.auditEvent.findMany();
    expect(events).toEqual([expect.objectContaining({ type: "delegation.refused", actorLogin: author.login, subjectNumber: 2 })]);
  });

  test("a machine user configured as an agent cannot delegate, even with write permission", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.policyYaml = "agents:\n  identities:\n    - name: Acme release agent\n      logins: [acme-agent]\n";
    agentPullRequest(github);
    github.permissions.set("acme-agent", "write");
    github.expectPullRequestCommand(2, { reevaluates: false });

    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "/delegate SEC-9", author: { id: 5555, login: "acme-agent", type: "User" } }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(renderedText(github.comments[0]?.body ?? "")).toContain("@acme-agent is an agent identity (Acme release agent): agents can never delegate or revoke.");
    expect(await app.db.prisma.delegation.count()).toBe(0);
  });
});

describe("delegating on an issue", () => {
  test("9. a delegation on the task issue links the agent's pull request that references it", async () => {
    const github = ctx.github();
    const app = ctx.app();
    // alice delegates issue #12 to Claude before the agent opens anything.
    github.expectIssueCommand(12, { permissionOf: "alice", linkedPullRequests: [], inventoryOf: "claude[bot]" });
    await app.receive("issue_comment", commentEvent({ number: 12, onPullRequest: false, body: "/delegate @claude expires:14d", author: alice }));

    expect(nock.pendingMocks()).toEqual([]);
    const delegation = await app.db.prisma.delegation.findFirstOrThrow();
    expect(delegation).toMatchObject({ subjectType: "issue", subjectNumber: 12, agentLogin: "claude[bot]", agentId: 209825114n, taskKind: "issue", taskRef: "#12", ownerLogin: "alice" });
    expect(delegation.expiresAt?.toISOString()).toBe("2026-12-09T12:00:00.000Z");
    expect(github.comments[0]?.body).toContain("Agent: @claude\\[bot\\]");
    expect(github.comments[0]?.body).toContain("A pull request by this agent that references this issue is linked to this delegation.");

    // Claude opens PR #13 that closes #12: linked automatically, now awaiting an independent approval.
    agentPullRequest(github, 13, "Implements the retry policy.\n\nFixes #12");
    github.expectEvaluation(13);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(13)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "action_required", title: "Needs approval by someone other than @alice" });
    expect(run?.summary).toContain("delegated on issue #12 to @claude\\[bot\\]");
    expect(run?.summary).toContain(`Record: \`${delegation.id}\``);
  });

  test("a delegation on an issue does not cover another agent's pull request", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.apps.set("cursor", { name: "Cursor", permissions: { contents: "write" }, events: [] });
    github.expectIssueCommand(12, { permissionOf: "alice", linkedPullRequests: [], inventoryOf: "cursor[bot]" });
    await app.receive("issue_comment", commentEvent({ number: 12, onPullRequest: false, body: "/delegate @cursor", author: alice }));

    agentPullRequest(github, 13, "Fixes #12");
    github.expectEvaluation(13);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(13)));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(HEAD)).toMatchObject({ conclusion: "action_required", title: "Needs a delegation" });
  });

  test("delegating an issue to an account that is not a known agent is refused", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.expectIssueCommand(12, { permissionOf: "alice" });

    await app.receive("issue_comment", commentEvent({ number: 12, onPullRequest: false, body: "/delegate @bob", author: alice }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(renderedText(github.comments[0]?.body ?? "")).toContain("@bob is not a known agent identity");
    expect(await app.db.prisma.delegation.count()).toBe(0);
  });
});

describe("the delegation's scope", () => {
  test("a change outside paths: fails the check and lists the files, even when approved", async () => {
    const github = ctx.github();
    const app = ctx.app();
    await delegatedPullRequest(github); // paths:src/**
    const pr = github.mustGet(2);
    pr.files.push(".github/workflows/release.yml", "infra/prod.tf");
    pr.reviews.push({ id: 650, reviewer: bob, state: "APPROVED", commitSha: HEAD, submittedAt: "2026-11-25T12:40:00Z" });
    github.expectEvaluation(2, { permissionLookups: ["bob"] });

    await app.receive("pull_request_review", reviewEvent("submitted", pr, { id: 650, reviewer: bob, state: "approved", commitSha: HEAD }));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "failure", title: "Changes outside the delegated scope: 2 files" });
    expect(run?.summary).toContain("- Scope: `src/**`");
    expect(run?.summary).toContain("  - `.github/workflows/release.yml`\n  - `infra/prod.tf`");
  });
});

describe("the record outlives the comment", () => {
  test("editing or deleting the command comment changes nothing", async () => {
    const github = ctx.github();
    const app = ctx.app();
    const delegationId = await delegatedPullRequest(github);
    const edited = { ...commentEvent({ number: 2, onPullRequest: true, body: "/delegate revoke", author: alice }), action: "edited" };
    const deleted = { ...commentEvent({ number: 2, onPullRequest: true, body: "/delegate SEC-7", author: alice }), action: "deleted" };

    await app.receive("issue_comment", edited);
    await app.receive("issue_comment", deleted);

    expect(nock.pendingMocks()).toEqual([]);
    expect(await app.db.prisma.delegation.findUniqueOrThrow({ where: { id: delegationId } })).toMatchObject({ status: "active", taskRef: "SEC-7", scopePaths: '["src/**"]' });
  });
});

describe("revoking", () => {
  test("10. /delegate revoke blocks the pull request again, replacing the earlier success on the same commit", async () => {
    const github = ctx.github();
    const app = ctx.app();
    const delegationId = await delegatedPullRequest(github);
    const pr = github.mustGet(2);
    pr.reviews.push({ id: 601, reviewer: bob, state: "APPROVED", commitSha: HEAD, submittedAt: "2026-11-25T12:30:00Z" });
    github.expectEvaluation(2, { permissionLookups: ["bob"] });
    await app.receive("pull_request_review", reviewEvent("submitted", pr, { id: 601, reviewer: bob, state: "approved", commitSha: HEAD }));
    expect(github.checkRunOn(HEAD)?.conclusion).toBe("success");

    github.expectPullRequestCommand(2, { reevaluates: true }); // alice owns it: no permission lookup; bob's is cached
    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "/delegate revoke the agent went out of scope", author: alice }));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(github.checkRuns).toHaveLength(1);
    expect(run).toMatchObject({ conclusion: "action_required", title: "Needs a delegation" });
    expect(run?.summary).toContain(`Delegation \`${delegationId}\` was revoked by @alice`);
    expect(run?.summary).toContain("`the agent went out of scope`");
    expect(github.comments.at(-1)?.body).toContain("Countersign revoked a delegation");
    expect(await app.db.prisma.delegation.findUniqueOrThrow({ where: { id: delegationId } })).toMatchObject({ status: "revoked", revokedByLogin: "alice", revokeReason: "the agent went out of scope" });
    const types = (await app.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } })).map((event) => event.type);
    expect(types).toContain("delegation.revoked");
  });

  test("only the owner or an admin may revoke; an admin can", async () => {
    const github = ctx.github();
    const app = ctx.app();
    const delegationId = await delegatedPullRequest(github);

    // bob (write, not the owner) is refused.
    github.expectPullRequestCommand(2, { permissionOf: "bob", reevaluates: false });
    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "/delegate revoke", author: bob }));
    expect(nock.pendingMocks()).toEqual([]);
    expect(renderedText(github.comments.at(-1)?.body ?? "")).toContain("only the delegation's owner (@alice) or a repository admin may revoke it.");
    expect((await app.db.prisma.delegation.findUniqueOrThrow({ where: { id: delegationId } })).status).toBe("active");

    // The repository admin may.
    github.expectPullRequestCommand(2, { permissionOf: "root-admin", reevaluates: true });
    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "/delegate revoke", author: admin }));
    expect(nock.pendingMocks()).toEqual([]);
    expect((await app.db.prisma.delegation.findUniqueOrThrow({ where: { id: delegationId } })).status).toBe("revoked");
    expect(github.checkRunOn(HEAD)?.title).toBe("Needs a delegation");
  });
});

describe("malformed commands", () => {
  test("11. /delegate without a task gets the usage, because the policy requires a task", async () => {
    const github = ctx.github();
    const app = ctx.app();
    agentPullRequest(github);
    github.expectPullRequestCommand(2, { permissionOf: "alice", reevaluates: false });

    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "/delegate", author: alice }));

    expect(nock.pendingMocks()).toEqual([]);
    const reply = github.comments[0]?.body ?? "";
    expect(renderedText(reply)).toContain("this repository's policy requires a task");
    expect(reply).toContain("Usage:");
    expect(await app.db.prisma.delegation.count()).toBe(0);
  });

  test.each([
    { body: "/delegate SEC-1 expires:forever", error: "is not a duration like 30m" },
    { body: "/delegate SEC-1 paths:../secrets/**", error: "may not use" },
    { body: "/delegate please do the thing", error: "is not a task" },
  ])("11. $body gets the usage and changes nothing", async ({ body, error }) => {
    const github = ctx.github();
    const app = ctx.app();
    github.expectComment(2);

    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body, author: alice }));

    expect(nock.pendingMocks()).toEqual([]);
    const reply = github.comments[0]?.body ?? "";
    expect(reply).toContain("Countersign could not read this command");
    expect(reply).toContain(error);
    expect(reply).toContain("Usage:");
    expect(reply).toContain("/delegate <task> [paths:<glob>[,<glob>...]] [branches:<pattern>[,...]] [expires:<duration>]");
    expect(await app.db.prisma.delegation.count()).toBe(0);
    expect((await app.db.prisma.auditEvent.findMany()).map((event) => event.type)).toEqual(["command.malformed"]);
  });

  test("Countersign's own comments are never read as commands", async () => {
    const app = ctx.app();
    const own = commentEvent({ number: 2, onPullRequest: true, body: "/delegate SEC-1", author: { id: 99, login: "countersign[bot]", type: "Bot" } });
    own.comment.performed_via_github_app = { id: APP_ID, slug: "countersign", name: "Countersign" };

    await app.receive("issue_comment", own);

    expect(nock.pendingMocks()).toEqual([]);
    expect(ctx.github().comments).toEqual([]);
  });

  test("a quoted or fenced command, or an ordinary comment, is not a command", async () => {
    const app = ctx.app();
    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "> /delegate SEC-1\n\nwhy was this delegated?", author: alice }));
    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "Run:\n```\n/delegate SEC-1\n```", author: alice }));
    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "Looks good to me", author: alice }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(ctx.github().comments).toEqual([]);
    expect(await app.db.prisma.auditEvent.count()).toBe(0);
  });
});

describe("exactly once", () => {
  test("a redelivered command (same X-GitHub-Delivery id) records nothing twice and replies once", async () => {
    const github = ctx.github();
    const app = ctx.app();
    agentPullRequest(github);
    github.expectEvaluation(2);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(2)), "delivery-open");
    github.expectDelegation(2, "alice");
    const command = commentEvent({ number: 2, onPullRequest: true, body: "/delegate SEC-5", author: alice });
    await app.receive("issue_comment", command, "delivery-command");
    const events = await app.db.prisma.auditEvent.count();

    // GitHub's "Redeliver": the same delivery id, the same payload. No API call is expected.
    await app.receive("issue_comment", command, "delivery-command");
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(2)), "delivery-open");

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.comments).toHaveLength(1);
    expect(await app.db.prisma.delegation.count()).toBe(1);
    expect(await app.db.prisma.auditEvent.count()).toBe(events);
    expect(github.checkRunOn(HEAD)?.writes).toBe(2);
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "delivery-command" } })).toMatchObject({ status: "done", attempts: 1 });
  });

  test("a delivery whose evaluation failed is processed again when redelivered", async () => {
    const github = ctx.github();
    const app = ctx.app();
    agentPullRequest(github);
    nock(API).post("/graphql").reply(502, { message: "Server Error" });
    github.expectCheckRunWrite(HEAD);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(2)), "delivery-flaky");
    // The failed evaluation's own retry is not what this test is about: cancelled, so that on a slow
    // machine it cannot take the redelivery's answers first.
    app.services.retries.dispose();
    await app.services.retries.settled();
    expect(github.checkRunOn(HEAD)?.conclusion).toBe("failure");
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "delivery-flaky" } })).toMatchObject({ status: "failed" });

    github.expectEvaluation(2);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(2)), "delivery-flaky");

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(HEAD)).toMatchObject({ conclusion: "action_required", title: "Needs a delegation" });
    expect(await app.db.prisma.delivery.findUniqueOrThrow({ where: { id: "delivery-flaky" } })).toMatchObject({ status: "done", attempts: 2 });
  });
});

describe("a command performed again", () => {
  test("its delivery taken over after its process died: the delegation it recorded stands, none is recorded twice", async () => {
    const github = ctx.github();
    const app = ctx.app();
    agentPullRequest(github);
    github.expectEvaluation(2);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(2)));
    const comment = commentEvent({ number: 2, onPullRequest: true, body: "/delegate SEC-7", author: alice, commentId: 5151 });
    github.expectDelegation(2, "alice");
    await app.receive("issue_comment", comment, "first-attempt");
    // The same comment again, as a replica taking over the stored delivery would perform it.
    github.expectDelegation(2, "alice");
    await app.receive("issue_comment", comment, "taken-over");

    // Everything was read and replied to again; the check run already said this, so it was not rewritten.
    expect(nock.pendingMocks()).toEqual([expect.stringMatching(/^PATCH .*\/check-runs\/\d+$/)]);
    expect(await app.db.prisma.delegation.count()).toBe(1);
    const created = await app.db.prisma.auditEvent.findMany({ where: { type: "delegation.created" } });
    expect(created).toHaveLength(1);
    expect(github.checkRunOn(HEAD)?.title).toBe("Needs approval by someone other than @alice");
  });

  test("a process that died between recording the delegation and its event: the event is recorded when it is performed again", async () => {
    const github = ctx.github();
    const app = ctx.app();
    agentPullRequest(github);
    github.expectEvaluation(2);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(2)));
    const comment = commentEvent({ number: 2, onPullRequest: true, body: "/delegate SEC-7", author: alice, commentId: 5152 });
    github.expectDelegation(2, "alice");
    await app.receive("issue_comment", comment, "first-attempt");
    // As if it had died right after recording the delegation: its event is not in the chain.
    await app.database.dropAuditGuards();
    await app.database.rawSql(`DELETE FROM "AuditEvent" WHERE "type" = 'delegation.created'`);
    github.expectDelegation(2, "alice");
    await app.receive("issue_comment", comment, "taken-over");

    expect(await app.db.prisma.delegation.count()).toBe(1);
    const delegation = await app.db.prisma.delegation.findFirstOrThrow();
    const created = await app.db.prisma.auditEvent.findMany({ where: { type: "delegation.created" } });
    expect(created.map((event) => JSON.parse(event.payload).delegationId)).toEqual([delegation.id]);
  });
});
