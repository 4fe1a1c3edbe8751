import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { parse } from "yaml";
import { compileRepoConfig } from "../../src/config/repo-policy-loader.js";
import { pullRequestEvent, pushEvent, REPO } from "../fixtures/payloads.js";
import { alice, claude } from "../fixtures/people.js";
import type { FakePullRequest } from "../fakes/graphql-responses.js";
import { deliverWebhook, launchEnterpriseApp, waitFor, type EnterpriseApp } from "./app-process.js";
import { fakeGhesState } from "./fake-ghes.js";

// The built app, signed webhooks, a fake GitHub Enterprise Server: when a push changes the policy,
// the open pull requests it judges get a new check run under the new policy, with no other event:
// the repository's own file on main judges the pull requests into main, and the organization's
// `.github` repository's file judges those of every repository in the installation.

const SECRET = "e2e-policy-change-secret";
const REPO_POLICY = "approvals:\n  required: 1\n";
const TIGHTER_REPO_POLICY = "approvals:\n  required: 2\n";
const ORG_POLICY = "approvals:\n  required: 3\n";
const version = (policy: string) => {
  const compiled = compileRepoConfig(parse(policy), "e2e", REPO.owner);
  if (!compiled.ok) throw new Error("the test's policy is invalid");
  return `(version \`${compiled.policy.hash.slice(0, 12)}\`)`;
};

describe("a policy change, end to end", () => {
  const state = fakeGhesState();
  let running: EnterpriseApp | undefined;
  let delivery = 0;
  const heads = ["c1".repeat(20), "c2".repeat(20)];

  async function deliver(event: string, payload: Record<string, unknown>): Promise<void> {
    delivery += 1;
    const response = await deliverWebhook(running!.url, SECRET, event, `policy-${delivery}`, payload);
    expect(response.status).toBe(200);
  }

  const latestOn = (headSha: string) => [...state.checkRuns.values()].filter((run) => run.head_sha === headSha).at(-1);
  const underPolicy = (policy: string) => heads.every((head) => latestOn(head)?.output.summary.includes(version(policy)) === true);

  /** alice merges a change to `.github/countersign.yml` into main of `repository` (this one, or `.github`). */
  function policyPush(repository: { id: number; name: string }): Record<string, any> {
    const payload = pushEvent({ ref: "refs/heads/main", after: "f1".repeat(20), sender: alice, commits: [{ id: "f1".repeat(20), message: "Tighten the policy" }] });
    payload.repository = { ...payload.repository, id: repository.id, name: repository.name, full_name: `${REPO.owner}/${repository.name}` };
    payload.before = "f0".repeat(20);
    payload.created = false;
    payload.commits[0] = { ...payload.commits[0], added: [], removed: [], modified: [".github/countersign.yml"] };
    return payload;
  }

  beforeAll(async () => {
    state.policies = { repository: REPO_POLICY, organization: null };
    state.otherRepositories = [{ id: 9_001, name: ".github" }];
    running = await launchEnterpriseApp(state, { webhookSecret: SECRET });
    // Two open pull requests by Claude into main, each evaluated once under the repository's policy.
    for (const [index, head] of heads.entries()) {
      const pr: FakePullRequest = { number: 40 + index, author: claude, headSha: head, commits: [{ sha: head, message: "Change", author: claude }], reviews: [], files: [`src/change-${index}.ts`] };
      state.pulls.set(pr.number, pr);
      await deliver("pull_request", pullRequestEvent("opened", pr));
    }
    await waitFor(() => underPolicy(REPO_POLICY), 20_000);
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
  });

  test("a push to main that changes the repository's policy re-evaluates both pull requests under the new policy", async () => {
    const writes = state.checkRunWrites.length;
    state.policies = { repository: TIGHTER_REPO_POLICY, organization: null };
    await deliver("push", policyPush({ id: REPO.id, name: REPO.name }));

    await waitFor(() => underPolicy(TIGHTER_REPO_POLICY), 20_000);
    expect(state.checkRunWrites.length).toBe(writes + 2);
    for (const head of heads) expect(latestOn(head)?.output.summary).toContain("2 independent approvals of the head commit");
    const events = await running!.database.rows(`SELECT "repoFullName", "payload" FROM "AuditEvent" WHERE "type" = 'policy.changed'`);
    expect(events.map((event) => ({ repo: event.repoFullName, ...JSON.parse(String(event.payload)) }))).toEqual([
      expect.objectContaining({ repo: REPO.fullName, scope: "repository", ref: "refs/heads/main", pullRequests: 2 }),
    ]);
  }, 30_000);

  test("a push to the organization's .github repository re-evaluates the pull requests of another repository in the installation", async () => {
    // The repository's own file is removed: the organization's policy is the one in force for it.
    state.policies = { repository: null, organization: ORG_POLICY };
    await deliver("push", policyPush({ id: 9_001, name: ".github" }));

    await waitFor(() => underPolicy(ORG_POLICY), 20_000);
    for (const head of heads) expect(latestOn(head)?.output.summary).toContain("3 independent approvals of the head commit");
    expect(state.requests.some((request) => request.url.startsWith("/api/v3/installation/repositories"))).toBe(true);
    const events = await running!.database.rows(`SELECT "repoFullName", "payload" FROM "AuditEvent" WHERE "type" = 'policy.changed' ORDER BY "seq"`);
    expect(events.map((event) => ({ repo: event.repoFullName, ...JSON.parse(String(event.payload)) })).at(-1)).toEqual(
      expect.objectContaining({ repo: `${REPO.owner}/.github`, scope: "organization", repositories: 2, pullRequests: 2 }),
    );
  }, 30_000);
});
