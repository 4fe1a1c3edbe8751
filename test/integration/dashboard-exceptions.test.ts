import { describe, expect, test } from "@jest/globals";
import { recordIssuedCredential } from "../../src/db/credentials.js";
import { markCredentialEnded } from "../../src/db/credentials.js";
import { createDelegation, revokeDelegation, type NewDelegation } from "../../src/db/delegations.js";
import { recordDecision } from "../../src/db/decisions.js";
import type { Actor } from "../../src/policy/types.js";
import { dashboardExceptions } from "../../src/services/dashboard-exceptions.js";
import { dashboardPageHtml } from "../../src/services/dashboard-page.js";
import { failClosed } from "../../src/services/fail-closed.js";
import { handlePush, type PushRequest } from "../../src/services/flag-direct-push.js";
import { evaluateAndPublish } from "../../src/services/publish-evaluation.js";
import { recordPullRequestClosed, type ClosedPullRequest } from "../../src/services/record-merge.js";
import { HEAD, pullRequest } from "../unit/policy/builders.js";
import { NOW, REPO, useServiceWorld } from "../unit/services/service-harness.js";

// The dashboard's exceptions, on a real database (SQLite, or PostgreSQL with
// COUNTERSIGN_TEST_DATABASE=postgres): each kind made by the app's own services, as a webhook would
// make it, next to its look-alike that is not an exception and must not be listed, then read back as
// the page reads it, and rendered.

const claude: Actor = { id: 209825114, login: "claude[bot]", kind: "bot" };
const alice: Actor = { id: 1001, login: "alice", kind: "user" };
const MINUTE = 60_000;
const at = (minutes: number) => new Date(NOW.getTime() + minutes * MINUTE);

const EVIDENCE = { publicUrl: "https://cs.acme.dev", secret: "s".repeat(40), ttlMs: 7 * 86_400_000 };
const GHE = "https://ghe.acme.dev";

function closed(overrides: Partial<ClosedPullRequest> = {}): ClosedPullRequest {
  return { number: 7, merged: true, headSha: HEAD, headRef: "claude/retry", headInRepo: true, baseRef: "main", mergeCommitSha: "6".repeat(40), mergedBy: alice, closedBy: alice, url: `${GHE}/acme/widgets/pull/7`, at: NOW, ...overrides };
}

function push(sender: Actor, ref: string, headSha: string): PushRequest {
  return { ref, defaultBranch: "main", headSha, deleted: false, sender, commits: [{ sha: headSha, message: "Fix it" }], compareUrl: null, beforeSha: "8".repeat(40), forced: false };
}

function delegationOn(subjectNumber: number): NewDelegation {
  return {
    installationId: 7,
    repo: { id: REPO.id, fullName: REPO.fullName },
    subjectType: "pull_request",
    subjectNumber,
    owner: { id: alice.id as number, login: alice.login },
    agent: { id: claude.id, login: claude.login },
    task: { kind: "none", ref: "", url: null },
    scopePaths: [],
    scopeBranches: [],
    expiresAt: null,
    agentInventory: [],
    comment: { id: 900 + subjectNumber, url: `${GHE}/acme/widgets/pull/${subjectNumber}#issuecomment-1` },
  };
}

let tokens = 0;
function credential(id: string, delegationId: string, expiresInMinutes: number) {
  tokens += 1;
  return {
    id,
    delegationId,
    repo: { id: REPO.id, fullName: REPO.fullName },
    installationId: 77,
    tokenSha256: String(tokens).padStart(64, "0"),
    tokenHashedBase64: `hashed-${id}`,
    encryptedToken: "sealed",
    permissions: { contents: "write" },
    workload: { run_id: "1" },
    githubExpiresAt: at(expiresInMinutes + 30),
    expiresAt: at(expiresInMinutes),
    issuedAt: at(expiresInMinutes - 60),
  };
}

describe("the dashboard's exceptions", () => {
  const world = useServiceWorld();

  test("lists each kind of exception made by the app's own services, and none of their look-alikes", async () => {
    const { services, github, event } = world();
    const db = services.db;

    // 1. An agent's pull request merged without a countersign (GitHub shows it agent-authored at merge),
    //    and one merged with a countersign on its head (not an exception).
    github.addPullRequest(pullRequest({ state: "MERGED" }));
    await recordPullRequestClosed(services, event(), closed());
    await recordDecision(db, { repo: { id: REPO.id, fullName: REPO.fullName }, prNumber: 8, headSha: "2".repeat(40), conclusion: "success", title: "Countersigned", reasons: ["agent-authored"], deliveryId: null, delegationId: null, checkRunId: null, errorId: null, policy: null, evaluatedAt: at(-5) });
    await recordPullRequestClosed(services, event(), closed({ number: 8, headSha: "2".repeat(40), headRef: "claude/other", url: `${GHE}/acme/widgets/pull/8` }));

    // 2. An agent's push straight to the default branch, and its push to a branch of its own (not protected).
    expect(await handlePush(services, event(), push(claude, "refs/heads/main", "9".repeat(40)))).toBe(true);
    // The same push handled again (a redelivery) is one push, listed once.
    expect(await handlePush(services, event({ deliveryId: "delivery-2" }), push(claude, "refs/heads/main", "9".repeat(40)))).toBe(true);
    expect(await handlePush(services, event(), push(claude, "refs/heads/claude/feature", "a".repeat(40)))).toBe(false);
    // Another organization's flagged push is not this organization's exception.
    await handlePush(services, event({ repo: { owner: "other", name: "widgets", id: 99, fullName: "other/widgets" } }), push(claude, "refs/heads/main", "b".repeat(40)));

    // 4. An evaluation that could not run and nothing since (PR 9), and one superseded by a later one that ran (PR 10).
    await failClosed(services, event(), { prNumber: 9, headSha: "3".repeat(40) }, new Error("boom"));
    await failClosed(services, event(), { prNumber: 10, headSha: "4".repeat(40) }, new Error("boom"));
    await recordDecision(db, { repo: { id: REPO.id, fullName: REPO.fullName }, prNumber: 10, headSha: "4".repeat(40), conclusion: "action_required", title: "Waiting", reasons: ["agent-authored"], deliveryId: null, delegationId: null, checkRunId: null, errorId: null, policy: null, evaluatedAt: at(1) });

    // 3. A policy that does not validate, evaluated on an open pull request (last: a later valid load would mark it fixed).
    github.addPullRequest(pullRequest({ number: 13, url: `${GHE}/acme/widgets/pull/13`, headSha: "5".repeat(40), headRef: "claude/policy" }));
    github.setPolicy(REPO, "approvals:\n  required: lots\n");
    expect(await evaluateAndPublish({ ...services, evidence: EVIDENCE }, event(), { prNumber: 13, headShaHint: null })).toMatchObject({ status: "invalid-config" });

    // 5. Credentials: one still live half an hour past its expiry, one revoked 20 minutes after its
    //    delegation was revoked (late), one revoked on time, one not yet due.
    const delegation = await createDelegation(db, delegationOn(11), at(-120));
    const revoked = await createDelegation(db, delegationOn(12), at(-120));
    await recordIssuedCredential(db, credential("cred_live_late", delegation.id, -30));
    await recordIssuedCredential(db, credential("cred_on_time", delegation.id, -40));
    expect(await markCredentialEnded(db, "cred_on_time", "revoked", at(-39))).toBe(true);
    await recordIssuedCredential(db, credential("cred_not_due", delegation.id, 20));
    await recordIssuedCredential(db, credential("cred_revoked_late", revoked.id, 10));
    expect(await revokeDelegation(db, revoked.id, alice, "done", at(-50))).toBe(true);
    expect(await markCredentialEnded(db, "cred_revoked_late", "revoked", at(-30))).toBe(true);

    const deps = { db, evidence: EVIDENCE, webUrl: GHE, clock: () => at(2) };
    const exceptions = await dashboardExceptions(deps, "acme");

    expect(exceptions.unverifiedMerges.rows.map((row) => [row.repository, row.number, row.mergedBy, row.agents, row.gate])).toEqual([["acme/widgets", 7, "alice", ["claude[bot]"], "bypassed-required-check"]]);
    expect(exceptions.unverifiedMerges.rows[0]?.links.subject).toBe(`${GHE}/acme/widgets/pull/7`);
    expect(exceptions.unverifiedMerges.rows[0]?.links.evidence).toMatch(/^https:\/\/cs\.acme\.dev\/countersign\/evidence\/acme\/widgets\/7\?expires=\d+&signature=[0-9a-f]{64}$/);

    expect(exceptions.directPushes.rows.map((row) => [row.repository, row.branch, row.pusher, row.mode])).toEqual([["acme/widgets", "main", "claude[bot]", "enforce"]]);
    expect(exceptions.directPushes.rows[0]?.links).toEqual({ subject: `${GHE}/acme/widgets/commit/${"9".repeat(40)}`, evidence: null });

    expect(exceptions.invalidPolicies.rows.map((row) => [row.repository, row.number, row.evaluations, row.problems.map((problem) => problem.path)])).toEqual([["acme/widgets", 13, 1, ["approvals.required"]]]);

    expect(exceptions.failedEvaluations.rows.map((row) => [row.number, row.errorId?.startsWith("cs-"), row.failures])).toEqual([[9, true, 1]]);
    expect(exceptions.failedEvaluations.resolved).toBe(1);

    expect(exceptions.lateCredentials.rows.map((row) => [row.id, row.endedAs, row.subject, row.agent])).toEqual([
      ["cred_live_late", null, { type: "pull_request", number: 11 }, "claude[bot]"],
      ["cred_revoked_late", "revoked", { type: "pull_request", number: 12 }, "claude[bot]"],
    ]);
    expect(exceptions.lateCredentials.rows[1]?.dueAt).toEqual(at(-50));

    // The page lists them first, each kind with its count, and links on the app's GitHub.
    const page = await dashboardPageHtml(deps, "acme", "octocat");
    expect(page.indexOf('id="exceptions"')).toBeGreaterThan(-1);
    expect(page.indexOf('id="exceptions"')).toBeLessThan(page.indexOf('id="figures"'));
    for (const [id, count] of [["ex-merges", 1], ["ex-pushes", 1], ["ex-policies", 1], ["ex-failures", 1], ["ex-credentials", 2]] as const) {
      expect(page).toMatch(new RegExp(`<h3 id="${id}">[^<]*: <span class="count">${count}</span></h3>`));
    }
    expect(page).toContain(`<a href="${GHE}/acme/widgets/pull/7" rel="noopener noreferrer">#7</a>`);
    expect(page).not.toContain("other/widgets");
    expect(page).not.toContain("cred_on_time");
    expect(page).not.toContain("cred_not_due");

    // Another organization has none of them, and says so for each kind.
    const elsewhere = await dashboardExceptions(deps, "nobody");
    expect([elsewhere.unverifiedMerges, elsewhere.directPushes, elsewhere.invalidPolicies, elsewhere.failedEvaluations, elsewhere.lateCredentials].map((listed) => listed.rows.length)).toEqual([0, 0, 0, 0, 0]);
    // A window before any of it shows none of the ended ones, but a credential still live past its end is late whatever the window.
    const before = await dashboardExceptions(deps, "acme", { from: at(-10_000), to: at(-9_000) });
    expect(before.unverifiedMerges.rows).toEqual([]);
    expect(before.lateCredentials.rows.map((row) => row.id)).toEqual(["cred_live_late"]);
    // One repository: another repository's name shows nothing.
    expect((await dashboardExceptions(deps, "acme", { from: at(-100), to: at(5), repo: "gadgets" })).directPushes.rows).toEqual([]);
    expect((await dashboardExceptions(deps, "acme", { from: at(-100), to: at(5), repo: "widgets" })).directPushes.rows).toHaveLength(1);
  });

  test("a policy is no longer listed once a later decision in its repository loaded a valid one, and is counted as fixed", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest({ number: 13, url: `${GHE}/acme/widgets/pull/13`, headSha: "5".repeat(40), headRef: "claude/policy" }));
    github.setPolicy(REPO, "approvals:\n  required: lots\n");
    await evaluateAndPublish({ ...services, evidence: EVIDENCE }, event(), { prNumber: 13, headShaHint: null });
    const deps = { db: services.db, evidence: EVIDENCE, webUrl: GHE, clock: () => at(2) };
    expect((await dashboardExceptions(deps, "acme")).invalidPolicies).toMatchObject({ rows: [expect.objectContaining({ number: 13 })], resolved: 0 });

    await recordDecision(services.db, { repo: { id: REPO.id, fullName: REPO.fullName }, prNumber: 14, headSha: "6".repeat(40), conclusion: "success", title: "Countersigned", reasons: ["agent-authored"], deliveryId: null, delegationId: null, checkRunId: null, errorId: null, policy: { hash: "f".repeat(64), source: "acme/widgets:.github/countersign.yml@main" }, evaluatedAt: at(1) });
    const fixed = await dashboardExceptions(deps, "acme");
    expect(fixed.invalidPolicies).toEqual({ rows: [], more: false, resolved: 1 });
    expect(await dashboardPageHtml(deps, "acme", "octocat")).toContain("<p class=\"none\">None in this window.</p><p class=\"resolved\">1 was fixed since");
  });
});
