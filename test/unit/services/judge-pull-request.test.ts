import { describe, expect, test } from "@jest/globals";
import { stringify } from "yaml";
import { loadRepoPolicy } from "../../../src/config/repo-policy-loader.js";
import { recordIssuedCredential } from "../../../src/db/credentials.js";
import { judgePullRequest } from "../../../src/services/judge-pull-request.js";
import { bob, pullRequest, review } from "../policy/builders.js";
import { REPO, useServiceWorld } from "./service-harness.js";

// Judging reads everything through the seam and writes nothing: the pull request with its base
// branch's policy, the standing of only the reviewers whose approval matters, and whether the check
// is required.

const NO_DELEGATION = "delegation:\n  required: false\n";

describe("judgePullRequest", () => {
  const world = useServiceWorld();

  test.each([
    ["write", "success"],
    ["read", "action_required"],
  ] as const)("an approval counts by the reviewer's permission as GitHub gives it (%s gives %s)", async (permission, conclusion) => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest({ reviews: [review(bob)] })).setPolicy(REPO, NO_DELEGATION);
    github.permissions.set("bob", permission);
    const judgement = await judgePullRequest(services, event(), { prNumber: 7, headShaHint: null });
    expect(judgement).toMatchObject({ kind: "decided", decision: { conclusion } });
    expect(github.callsOf("permission")).toEqual([[expect.objectContaining({ id: REPO.id }), "bob", {}]]);
    expect(github.callsOf("requiredCheckStatus")).toEqual([[expect.objectContaining({ owner: "acme", name: "widgets" }), "main", 123456]]);
    expect(github.calls.map((call) => call.operation)).not.toContain("writeCheckRun");
  });

  test("the policy comes from the base branch, never the head's", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest({ reviews: [review(bob)] }));
    github.setPolicy(REPO, NO_DELEGATION, "claude/retry");
    github.permissions.set("bob", "write");
    const judgement = await judgePullRequest(services, event(), { prNumber: 7, headShaHint: null });
    expect(judgement).toMatchObject({ kind: "decided", decision: { conclusion: "action_required" } });
  });

  test("an invalid policy is an invalid-policy judgement whose output names the bad key, and nobody is looked up", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest({ reviews: [review(bob)] })).setPolicy(REPO, "approvals:\n  required: lots\n");
    const judgement = await judgePullRequest(services, event(), { prNumber: 7, headShaHint: null });
    expect(judgement.kind).toBe("invalid-policy");
    expect(judgement.kind === "invalid-policy" && judgement.output.title).toContain("approvals.required");
    expect(github.callsOf("permission")).toEqual([]);
  });

  test("where credentials are issued (an organization credentials: section), the doctor asks about the credential app's bot and the check run says what it found; elsewhere it is not asked", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest({ reviews: [review(bob)] })).setPolicy(REPO, NO_DELEGATION);
    github.permissions.set("bob", "write");
    github.credentialRules = { state: "not-in-force", bypassable: [] };
    const without = await judgePullRequest(services, event(), { prNumber: 7, headShaHint: null });
    expect(github.callsOf("credentialBotRules")).toEqual([]);
    expect(without.kind === "decided" && without.output.summary).not.toContain("credential app's bot");

    const ACTIONS = "https://token.actions.githubusercontent.com";
    github.setPolicy(
      { owner: REPO.owner, name: ".github" },
      stringify({ repositories_may_relax: ["delegation.required"], credentials: { issuers: [{ issuer: ACTIONS, jwks_url: `${ACTIONS}/.well-known/jwks`, audience: "https://countersign.acme.dev" }], permissions: { contents: "write" }, max_ttl: "30m", agents: [{ agent: "claude[bot]", issuer: ACTIONS, workflow: ".github/workflows/agent.yml", permissions: { contents: "write" } }] } }),
    );
    const judged = await judgePullRequest(services, event(), { prNumber: 7, headShaHint: null });
    expect(github.callsOf("credentialBotRules")).toEqual([[expect.objectContaining({ id: REPO.id }), "main"]]);
    expect(judged).toMatchObject({ kind: "decided", credentialRules: { state: "not-in-force" } });
    expect(judged.kind === "decided" && judged.output.summary).toContain("No ruleset keeps the credential app's bot off `main`");
  });

  test("a closed pull request is not judged", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest({ state: "CLOSED" }));
    expect(await judgePullRequest(services, event(), { prNumber: 7, headShaHint: null })).toMatchObject({ kind: "closed" });
    expect(github.calls.map((call) => call.operation)).toEqual(["readPullRequest"]);
  });

  test("facts a command already read are used as they are, without reading the pull request again", async () => {
    const { services, github, event } = world();
    const facts = pullRequest({ reviews: [review(bob)] });
    github.setPolicy(REPO, NO_DELEGATION);
    const policy = await loadRepoPolicy(github, REPO, "main");
    github.permissions.set("bob", "write");
    const judgement = await judgePullRequest(services, event(), { prNumber: 7, headShaHint: null, preloaded: { facts, policy } });
    expect(judgement).toMatchObject({ kind: "decided", decision: { conclusion: "success" } });
    expect(github.callsOf("readPullRequest")).toEqual([]);
  });

  test("a pull request GitHub cannot read is thrown, for the queue to fail closed", async () => {
    const { services, event } = world();
    await expect(judgePullRequest(services, event(), { prNumber: 99, headShaHint: null })).rejects.toThrow(/Could not resolve/);
  });

  test("a push by the credential app's bot makes a person's pull request agent-touched", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest({ reviews: [review(bob)] })).setPolicy(REPO, NO_DELEGATION);
    github.permissions.set("bob", "write");
    services.processAgentIdentities = async () => [{ name: "Countersign credential app", ids: [], logins: ["acme-agents[bot]"] }];
    const pushes = [{ pusher: { id: 777, login: "acme-agents[bot]", kind: "bot" as const }, beforeSha: "1".repeat(40), afterSha: "2".repeat(40), forced: false, deliveryId: null }];
    const judgement = await judgePullRequest(services, event(), { prNumber: 7, headShaHint: null, pushes });
    expect(judgement.facts.agentPushes).toEqual([expect.objectContaining({ identity: "Countersign credential app" })]);
    expect(judgement).toMatchObject({ kind: "decided", decision: { detection: { involvement: expect.not.stringMatching(/^none$/) } } });
  });

  test("the summary names the credential live when the credential app's bot pushed, and says plainly when none was", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest({ reviews: [review(bob)] })).setPolicy(REPO, NO_DELEGATION);
    github.permissions.set("bob", "write");
    services.processAgentIdentities = async () => [{ name: "Countersign credential app", ids: [], logins: ["acme-agents[bot]"] }];
    const pusher = { id: 777, login: "acme-agents[bot]", kind: "bot" as const };
    const push = (afterSha: string) => ({ pusher, beforeSha: "1".repeat(40), afterSha, forced: false, deliveryId: null });
    const unlisted = await judgePullRequest(services, event(), { prNumber: 7, headShaHint: null, pushes: [push("2".repeat(40))] });
    expect(unlisted.kind === "decided" && unlisted.output.summary).toContain("no credential Countersign issued was live when it was pushed");
    const now = services.clock();
    await recordIssuedCredential(services.db, {
      id: "cred_0123456789abcdef",
      delegationId: "dlg_one",
      repo: { id: REPO.id, fullName: "acme/widgets" },
      installationId: 5,
      tokenSha256: "a".repeat(64),
      tokenHashedBase64: "aGFzaA==",
      encryptedToken: "sealed",
      permissions: { contents: "write" },
      workload: { run_id: "4242", job_workflow_ref: "acme/widgets/.github/workflows/agent.yml@refs/heads/main" },
      githubExpiresAt: new Date(now.getTime() + 3_600_000),
      expiresAt: new Date(now.getTime() + 1_800_000),
      issuedAt: new Date(now.getTime() - 1000),
    });
    const named = await judgePullRequest(services, event(), { prNumber: 7, headShaHint: null, pushes: [push("3".repeat(40))] });
    const summary = named.kind === "decided" ? named.output.summary : "";
    expect(summary).toContain("pushed with the credential `cred_0123456789abcdef` (delegation `dlg_one`, run `4242`, workflow `acme/widgets/.github/workflows/agent.yml@refs/heads/main`)");
  });
});
