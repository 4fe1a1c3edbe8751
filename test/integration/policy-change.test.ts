import nock from "nock";
import { parse } from "yaml";
import { describe, expect, test } from "@jest/globals";
import { compileRepoConfig } from "../../src/config/repo-policy-loader.js";
import { pullRequestEvent, pushEvent, REPO, type PayloadUser } from "../fixtures/payloads.js";
import { alice, claude, erin } from "../fixtures/people.js";
import { API, type FakeGitHub } from "../mocks/github.js";
import { pullRequestGraphqlResponse } from "../fakes/graphql-responses.js";
import { useApp } from "../helpers/use-app.js";

// A push that changes `.github/countersign.yml` re-evaluates the open pull requests it judges, at
// once: the repository's file on a branch judges the pull requests into that branch, and the
// organization's `.github` repository's file judges every pull request of the installation.

const ctx = useApp();
const OLD_POLICY = "approvals:\n  required: 1\n";
// Two approvals, and a machine user that is an agent: a pull request nobody took for agent-written becomes one.
const NEW_POLICY = 'approvals:\n  required: 2\nagents:\n  identities:\n    - name: Acme CI agent\n      logins: ["acme-ci-agent"]\n';
const ciAgent: PayloadUser = { id: 5150, login: "acme-ci-agent", type: "User" };
const sha = (prefix: string) => prefix.repeat(20);
const version = (policy: string) => {
  const compiled = compileRepoConfig(parse(policy), "test", REPO.owner);
  if (!compiled.ok) throw new Error("the test's policy is invalid");
  return compiled.policy.hash.slice(0, 12);
};

/** #40 by Claude and #41 by erin (a commit by acme-ci-agent) into main, #42 by Claude into release: each evaluated once. */
async function openPullRequests(github: FakeGitHub): Promise<void> {
  github.pulls.set(40, { number: 40, author: claude, headSha: sha("a4"), commits: [{ sha: sha("a4"), message: "Add the export", author: claude }], reviews: [], files: ["src/export.ts"] });
  github.pulls.set(41, { number: 41, author: erin, headSha: sha("b4"), commits: [{ sha: sha("b4"), message: "Bump the build", author: ciAgent }], reviews: [], files: ["src/build.ts"] });
  github.pulls.set(42, { number: 42, author: claude, headSha: sha("c4"), baseRef: "release", commits: [{ sha: sha("c4"), message: "Backport", author: claude }], reviews: [], files: ["src/backport.ts"] });
  for (const number of [40, 41, 42]) {
    github.expectEvaluation(number);
    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(number)));
  }
  expect(nock.pendingMocks()).toEqual([]);
}

/** A push to `ref` whose one commit changes `files` (a fast-forward of an existing branch unless told otherwise). */
function push(ref: string, files: { modified?: string[]; added?: string[]; removed?: string[] }, options: { forced?: boolean; commits?: number } = {}): Record<string, any> {
  const payload = pushEvent({ ref, after: sha("f0"), sender: alice, commits: Array.from({ length: options.commits ?? 1 }, (_, index) => ({ id: index === 0 ? sha("f0") : sha(`e${index % 10}`), message: "Tighten the policy" })) });
  payload.before = sha("0f");
  payload.created = false;
  payload.forced = options.forced ?? false;
  payload.commits = payload.commits.map((commit: Record<string, unknown>) => ({ ...commit, added: files.added ?? [], modified: files.modified ?? [], removed: files.removed ?? [] }));
  return payload;
}

describe("a change to the repository's policy", () => {
  test("a push to main that changes the policy re-evaluates every open pull request into main, and only those", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.policyYaml = OLD_POLICY;
    await openPullRequests(github);
    expect(github.checkRunOn(sha("a4"))?.summary).toContain(`(version \`${version(OLD_POLICY)}\`)`);
    expect(github.checkRunOn(sha("b4"))).toMatchObject({ conclusion: "success", title: "No agent activity: nothing to countersign" });
    const releaseWrites = github.checkRunOn(sha("c4"))?.writes;

    github.policyYaml = NEW_POLICY;
    github.expectPolicyRead(); // the direct-push check's
    github.expectOpenPullRequestsList({ base: "main" });
    github.expectEvaluation(40);
    github.expectEvaluation(41);
    const delivery = await app.receive("push", push("refs/heads/main", { modified: [".github/countersign.yml"] }));

    expect(nock.pendingMocks()).toEqual([]);
    const claudes = github.checkRunOn(sha("a4"));
    expect(claudes?.summary).toContain(`(version \`${version(NEW_POLICY)}\`)`);
    expect(claudes?.summary).toContain("2 independent approvals of the head commit");
    // erin's pull request has a commit by an identity the new policy names: now agent-assisted.
    expect(github.checkRunOn(sha("b4"))).toMatchObject({ conclusion: "action_required" });
    expect(github.checkRunOn(sha("b4"))?.summary).toContain(`(version \`${version(NEW_POLICY)}\`)`);
    expect(github.checkRunOn(sha("c4"))?.writes).toBe(releaseWrites);

    const changed = await app.db.prisma.auditEvent.findFirstOrThrow({ where: { type: "policy.changed" } });
    expect(changed).toMatchObject({ repoFullName: REPO.fullName, sha: sha("f0"), actorLogin: "alice", deliveryId: delivery, subjectNumber: null });
    expect(JSON.parse(changed.payload)).toEqual({ path: ".github/countersign.yml", ref: "refs/heads/main", scope: "repository", before: sha("0f"), after: sha("f0"), detectedBy: "commits", repositories: 1, pullRequests: 2 });
    // The decisions name the push that caused them, and come after the policy change in the chain.
    const decisions = await app.db.prisma.auditEvent.findMany({ where: { type: "decision", deliveryId: delivery } });
    expect(decisions.map((event) => event.subjectNumber).sort()).toEqual([40, 41]);
    expect(decisions.every((event) => event.seq > changed.seq)).toBe(true);
  });

  test("a pull request the new policy decides the same for still gets its check run under the new version", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.policyYaml = OLD_POLICY;
    github.pulls.set(43, { number: 43, author: erin, headSha: sha("d4"), commits: [{ sha: sha("d4"), message: "Docs", author: erin }], reviews: [], files: ["docs/a.md"] });
    github.expectEvaluation(43);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(43)));

    github.policyYaml = NEW_POLICY;
    github.expectPolicyRead();
    github.expectOpenPullRequestsList({ base: "main" });
    github.expectEvaluation(43);
    await app.receive("push", push("refs/heads/main", { modified: [".github/countersign.yml"] }));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(sha("d4"));
    expect(run).toMatchObject({ conclusion: "success", title: "No agent activity: nothing to countersign", writes: 2 });
    expect(run?.summary).toContain(`(version \`${version(NEW_POLICY)}\`)`);
  });

  test("a push that does not touch the policy re-evaluates nothing", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.policyYaml = OLD_POLICY;
    await openPullRequests(github);
    github.expectPolicyRead();
    await app.receive("push", push("refs/heads/main", { modified: ["README.md"], added: ["docs/countersign.yml"] }));
    expect(nock.pendingMocks()).toEqual([]);
    expect(await app.db.prisma.auditEvent.count({ where: { type: "policy.changed" } })).toBe(0);
  });

  test("a push to another branch re-evaluates the pull requests into that branch", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.policyYaml = OLD_POLICY;
    await openPullRequests(github);
    github.policyYaml = NEW_POLICY;
    github.expectPolicyRead();
    github.expectOpenPullRequestsList({ base: "release" });
    github.expectEvaluation(42);
    await app.receive("push", push("refs/heads/release", { removed: [".github/countersign.yml"] }));
    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(sha("c4"))?.summary).toContain(`(version \`${version(NEW_POLICY)}\`)`);
  });

  test.each([
    ["a force-push (its commits need not name the change)", { forced: true, commits: 1 }],
    ["a push of 20 commits (the payload may not list them all)", { forced: false, commits: 20 }],
  ])("%s is compared with the commit before it: a different policy re-evaluates, the same does not", async (_name, options) => {
    const github = ctx.github();
    const app = ctx.app();
    github.policyYaml = OLD_POLICY;
    await openPullRequests(github);

    github.expectPolicyRead();
    github.expectFileVersionsRead({ before: "1".repeat(40), after: "1".repeat(40) });
    await app.receive("push", push("refs/heads/main", { modified: ["README.md"] }, options));
    expect(nock.pendingMocks()).toEqual([]);
    expect(await app.db.prisma.auditEvent.count({ where: { type: "policy.changed" } })).toBe(0);

    github.policyYaml = NEW_POLICY;
    github.expectPolicyRead();
    github.expectFileVersionsRead({ before: "1".repeat(40), after: "2".repeat(40) });
    github.expectOpenPullRequestsList({ base: "main" });
    github.expectEvaluation(40);
    github.expectEvaluation(41);
    await app.receive("push", push("refs/heads/main", { modified: ["README.md"] }, options));
    expect(nock.pendingMocks()).toEqual([]);
    const changed = await app.db.prisma.auditEvent.findFirstOrThrow({ where: { type: "policy.changed" } });
    expect(JSON.parse(changed.payload)).toMatchObject({ detectedBy: "comparison", pullRequests: 2 });
  });
});

describe("pacing", () => {
  test("the pull requests are re-evaluated a few at a time (four), not all at once", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.policyYaml = NEW_POLICY;
    const numbers = Array.from({ length: 12 }, (_, index) => 100 + index);
    for (const number of numbers) {
      const head = number.toString(16).padStart(4, "0").repeat(10);
      github.pulls.set(number, { number, author: claude, headSha: head, commits: [{ sha: head, message: "Change", author: claude }], reviews: [], files: ["src/a.ts"] });
    }
    github.expectPolicyRead();
    github.expectOpenPullRequestsList({ base: "main" });
    // Every read answers after a moment; the most that wait at once is how many run at once.
    let reading = 0;
    let most = 0;
    const isRead = (body: { query?: string } | undefined) => body?.query?.includes("query CountersignPullRequest(") === true;
    nock(API)
      .post("/graphql", isRead)
      .times(numbers.length)
      .reply(200, async (request: Request) => {
        const { variables } = (await request.clone().json()) as { variables: { number: number } };
        reading += 1;
        most = Math.max(most, reading);
        await new Promise((resolve) => setTimeout(resolve, 30));
        reading -= 1;
        return pullRequestGraphqlResponse(github.mustGet(variables.number), { repository: NEW_POLICY, organization: null });
      });
    for (const number of numbers) github.expectEvaluation(number, { preloaded: true });
    await app.receive("push", push("refs/heads/main", { modified: [".github/countersign.yml"] }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(most).toBe(4);
    expect(numbers.map((number) => github.checkRunOn(github.mustGet(number).headSha)?.conclusion)).toEqual(numbers.map(() => "action_required"));
  });
});

describe("a change to the organization's policy", () => {
  test("a push to the default branch of the organization's .github repository re-evaluates the open pull requests of every repository", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.orgPolicyYaml = OLD_POLICY;
    await openPullRequests(github);
    expect(github.checkRunOn(sha("a4"))?.summary).toContain(`(version \`${version(OLD_POLICY)}\`)`);

    github.orgPolicyYaml = NEW_POLICY;
    const payload = push("refs/heads/main", { modified: [".github/countersign.yml"] });
    payload.repository = { ...payload.repository, id: 9_001, name: ".github", full_name: `${REPO.owner}/.github` };
    // The direct-push check reads the .github repository's own policy.
    nock(API).get(`/repos/${REPO.owner}/.github/contents/.github%2Fcountersign.yml`).reply(200, NEW_POLICY, { "content-type": "application/vnd.github.raw; charset=utf-8" });
    github.expectInstallationRepositoriesList([{ name: ".github", id: 9_001 }, { name: "old-monolith", id: 9_002, archived: true }]);
    github.expectOpenPullRequestsList();
    github.expectOpenPullRequestsList({ repo: ".github" });
    for (const number of [40, 41, 42]) github.expectEvaluation(number);
    await app.receive("push", payload);

    expect(nock.pendingMocks()).toEqual([]);
    for (const head of ["a4", "b4", "c4"]) expect(github.checkRunOn(sha(head))?.summary).toContain(`(version \`${version(NEW_POLICY)}\`)`);
    const changed = await app.db.prisma.auditEvent.findFirstOrThrow({ where: { type: "policy.changed" } });
    expect(changed.repoFullName).toBe(`${REPO.owner}/.github`);
    expect(JSON.parse(changed.payload)).toMatchObject({ scope: "organization", repositories: 2, pullRequests: 3 });
  });

  test("a push to another branch of the .github repository judges only that repository's pull requests into the branch", async () => {
    const github = ctx.github();
    const app = ctx.app();
    const payload = push("refs/heads/experiment", { modified: [".github/countersign.yml"] });
    payload.repository = { ...payload.repository, id: 9_001, name: ".github", full_name: `${REPO.owner}/.github` };
    nock(API).get(`/repos/${REPO.owner}/.github/contents/.github%2Fcountersign.yml`).reply(404, { message: "Not Found" });
    github.expectOpenPullRequestsList({ repo: ".github", base: "experiment" });
    await app.receive("push", payload);
    expect(nock.pendingMocks()).toEqual([]);
    expect(JSON.parse((await app.db.prisma.auditEvent.findFirstOrThrow({ where: { type: "policy.changed" } })).payload)).toMatchObject({ scope: "repository", pullRequests: 0 });
  });
});
