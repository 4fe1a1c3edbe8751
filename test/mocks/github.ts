import nock from "nock";

// Body matchers must tolerate a missing body: nock 15.0.0 runs them against every request it is
// matching, a GET included, and a matcher that throws makes nock answer that request with a 500.
import { REPO } from "../fixtures/payloads.js";
import {
  fileVersionsGraphqlResponse,
  followUpRounds,
  issuePullRequestsGraphqlResponse,
  pagesGraphqlResponse,
  pullRequestFilesPage,
  pullRequestGraphqlResponse,
  restFileListPages,
  type FakePullRequest,
} from "../fakes/graphql-responses.js";
import {
  activityResponse,
  appResponse,
  branchResponse,
  branchRulesResponse,
  contentsResponse,
  installationRepositoriesResponse,
  installationToken,
  membershipResponse,
  notFound,
  openPullRequestsResponse,
  permissionResponse,
  type ActivityEntry,
  type FakeApp,
  type PermissionLevel,
  type RequiredCheck,
} from "../fakes/rest-responses.js";

export type { FakeCommit, FakePullRequest, FakeReview } from "../fakes/graphql-responses.js";
export { contentsResponse } from "../fakes/rest-responses.js";

// Typed nock builders for every GitHub endpoint Countersign calls, driven by a small model of the
// repository's state (the pull request, its commits and reviews, who has which permission), answered
// by the response builders the loopback fake GitHub uses too (test/fakes/). Each
// `expect*` call registers exactly the requests one step should make, so `nock.isDone()` proves that
// nothing expected was skipped and `disableNetConnect` proves that nothing else was called.

export const API = "https://api.github.com";
/** The app's id in the integration tests (test/helpers/test-app.ts), which rulesets pin the check to. */
const APP_ID = 123456;
const repoPath = `/repos/${REPO.owner}/${REPO.name}`;

export type Permission = PermissionLevel;

/** A check run as the fake GitHub holds it after Countersign's writes. */
export interface RecordedCheckRun {
  id: number;
  headSha: string;
  name: string;
  status: string;
  conclusion: string;
  title: string;
  summary: string;
  /** The output's text (the audit checkpoint), when the write had one. */
  text?: string;
  writes: number;
}

export interface RecordedComment {
  issueNumber: number;
  body: string;
}

/**
 * A reply whose body depends on the request's JSON body. nock 15.0.0 (the last release that runs on
 * Node 20) calls reply functions with the fetch `Request` only, and treats a two-argument function as
 * callback-style, so the documented `(uri, body)` form would hang.
 */
function replyFromBody<T>(build: (body: Record<string, any>) => T): (request: Request) => Promise<T> {
  return async (request: Request) => build(JSON.parse(await request.clone().text()) as Record<string, any>);
}

/**
 * A model of one repository on GitHub. Tests change its state (push a commit, add a review) and call
 * `expect*` to declare the API calls the next webhook should cause.
 */
export class FakeGitHub {
  readonly pulls = new Map<number, FakePullRequest>();
  readonly permissions = new Map<string, Permission>();
  readonly checkRuns: RecordedCheckRun[] = [];
  readonly comments: RecordedComment[] = [];
  /** The repository's `.github/countersign.yml` on its base branch, or null when it has none. */
  policyYaml: string | null = null;
  /** The organization's `.github` repository's `.github/countersign.yml`, null when it has none, or `missing` when there is no such repository. */
  orgPolicyYaml: string | null | "missing" = null;
  /** How the base branch requires `Countersign`: a ruleset (pinned to the app), branch protection, or not at all. */
  requiredCheck: RequiredCheck = "ruleset";
  /** Members of teams, by `slug`. */
  readonly teams = new Map<string, string[]>();
  private readonly doctorChecked = new Set<string>();
  /** GitHub Apps by slug, as `GET /apps/{slug}` returns them (the agents' tool inventories). */
  readonly apps = new Map<string, FakeApp>([
    ["claude", { name: "Claude", permissions: { contents: "write", issues: "write", metadata: "read", pull_requests: "write" }, events: ["issue_comment", "pull_request", "pull_request_review"] }],
  ]);
  private readonly appsRead = new Set<string>();
  /**
   * Every request the app made with its installation token, in order (`METHOD path`): the API budget
   * tests count them. The token exchange itself is not an installation request and is not listed.
   */
  readonly requestLog: string[] = [];

  /** A nock scope whose requests are logged in `requestLog`. */
  private api(): nock.Scope {
    const scope = nock(API);
    scope.on("request", (_request: unknown, interceptor: { method: string; path: string }) => {
      this.requestLog.push(`${interceptor.method} ${interceptor.path}`);
    });
    return scope;
  }
  /**
   * GitHub's repository activity log (`GET /repos/{o}/{r}/activity`), newest first, as the app reads it
   * when a pull request is opened or reopened: who pushed to its branch before Countersign saw it.
   */
  readonly activity: ActivityEntry[] = [];
  private nextCheckRunId = 5_000_000_001;
  private tokenScope: nock.Scope | null = null;

  constructor() {
    // Probot fetches one installation token and caches it; allow it to be asked for at any point.
    this.tokenScope = nock(API)
      .persist()
      .post(/\/app\/installations\/\d+\/access_tokens/)
      .optionally()
      .reply(201, installationToken("ghs_test"));
    // Read on every opened or reopened pull request; answered from `activity`, filtered by `ref`.
    this.api()
      .persist()
      .get(/\/repos\/[^/]+\/[^/]+\/activity/)
      .optionally()
      .reply(200, (uri: string) => activityResponse(this.activity, new URL(uri, API).searchParams.get("ref")));
  }

  /** The latest check run Countersign wrote on a commit. */
  checkRunOn(headSha: string): RecordedCheckRun | undefined {
    return this.checkRuns.filter((run) => run.headSha === headSha).at(-1);
  }

  /**
   * The GraphQL read of a pull request: one query, plus the follow-up queries that read the rest of
   * any connection (commits, reviews, files) longer than 100 items, from both ends; and when the pull
   * request renames files, the pages of its REST file list.
   */
  expectPullRequestRead(number: number, options: { delayMs?: number } = {}): void {
    const matches = (body: { query: string; variables: { number: number } } | undefined) => body?.query?.includes("query CountersignPullRequest(") === true && body.variables.number === number;
    const answer = () => pullRequestGraphqlResponse(this.mustGet(number), { repository: this.policyYaml, organization: this.orgPolicyYaml });
    if (options.delayMs !== undefined) {
      // A slow answer, as GitHub had the pull request when the read was sent (the caller sends it
      // before changing the model): taken now, delivered after `delayMs`.
      const now = answer();
      this.api().post("/graphql", matches).delay(options.delayMs).reply(200, now);
    } else {
      this.api().post("/graphql", matches).reply(200, answer);
    }
    // The REST file list: the pages past GraphQL's first for a long pull request, every page for the
    // old paths of one that renames files.
    for (const page of restFileListPages(this.mustGet(number))) {
      this.api()
        .get(`${repoPath}/pulls/${number}/files`)
        .query({ per_page: "100", page: String(page) })
        .reply(200, () => pullRequestFilesPage(this.mustGet(number), page));
    }
    const rounds = followUpRounds(this.mustGet(number));
    // A long file list read with no GraphQL follow-up (which would check the head): the head alone.
    const pr = this.mustGet(number);
    if (rounds === 0 && pr.files.length > 100 && (pr.changedFiles ?? pr.files.length) <= 3000) this.api().get(`${repoPath}/pulls/${number}`).reply(200, () => ({ number, head: { sha: this.mustGet(number).headSha } }));
    if (rounds === 0) return;
    // Each answer depends on the query's text and cursors: the matcher keeps the body for the reply.
    const asked: Array<{ query: string; variables: Record<string, unknown> }> = [];
    this.api()
      .post("/graphql", (body: { query: string; variables: { number: number } } | undefined) => {
        const matches = body?.query?.includes("query CountersignPullRequest_pages(") === true && body.variables.number === number;
        if (matches) asked.push(body as { query: string; variables: Record<string, unknown> });
        return matches;
      })
      .times(rounds)
      .reply(200, () => {
        const request = asked.shift()!;
        return pagesGraphqlResponse(this.mustGet(number), request.query, request.variables);
      });
  }

  /**
   * The policy read through the contents API: the repository's file, from the base branch (`ref`)
   * when given, and the organization `.github` repository's (the floor), always.
   */
  expectPolicyRead(ref?: string): void {
    const query = ref ? { ref } : true;
    const path = `${repoPath}/contents/.github%2Fcountersign.yml`;
    const orgPath = `/repos/${REPO.owner}/.github/contents/.github%2Fcountersign.yml`;
    if (this.orgPolicyYaml === null || this.orgPolicyYaml === "missing") this.api().get(orgPath).reply(404, notFound());
    else this.api().get(orgPath).reply(200, contentsResponse(".github/countersign.yml", this.orgPolicyYaml));
    if (this.policyYaml === null) this.api().get(path).query(query).reply(404, notFound());
    else this.api().get(path).query(query).reply(200, contentsResponse(".github/countersign.yml", this.policyYaml));
  }

  /**
   * The setup doctor's reads for a base branch: once per branch, then cached by the app (`again` for a
   * new process, such as the CLI, that has no cache).
   */
  expectSetupCheck(branch: string, options: { again?: boolean } = {}): void {
    if (this.doctorChecked.has(branch) && !options.again) return;
    this.doctorChecked.add(branch);
    this.api().get(`${repoPath}/rules/branches/${encodeURIComponent(branch)}`).query(true).reply(200, branchRulesResponse(this.requiredCheck, APP_ID));
    this.api().get(`${repoPath}/branches/${encodeURIComponent(branch)}`).reply(200, branchResponse(branch, this.requiredCheck, APP_ID));
  }

  /** The repository itself (`GET /repos/{owner}/{repo}`). */
  expectRepositoryRead(): void {
    this.api().get(repoPath).reply(200, { ...REPO.payload });
  }

  /** A team-membership lookup (active member or 404). */
  expectMembershipRead(team: string, login: string): void {
    const members = this.teams.get(team) ?? [];
    const scope = this.api().get(`/orgs/${REPO.owner}/teams/${team}/memberships/${encodeURIComponent(login)}`);
    if (members.includes(login)) scope.reply(200, membershipResponse());
    else scope.reply(404, notFound());
  }

  /** A collaborator-permission lookup for `login`. */
  expectPermissionRead(login: string): void {
    this.api()
      .get(`${repoPath}/collaborators/${encodeURIComponent(login)}/permission`)
      .reply(200, () => permissionResponse(login, this.permissions.get(login) ?? "read"));
  }

  /** The check-run write on `headSha`: an update if Countersign already has one there, else a create. */
  expectCheckRunWrite(headSha: string): void {
    const existing = this.checkRunOn(headSha);
    const record = (body: Record<string, any>, id: number) => {
      const run = existing ?? { id, headSha, name: "", status: "", conclusion: "", title: "", summary: "", writes: 0 };
      Object.assign(run, { name: body.name, status: body.status, conclusion: body.conclusion, title: body.output?.title, summary: body.output?.summary, text: body.output?.text });
      run.writes += 1;
      if (!existing) this.checkRuns.push(run);
      return run;
    };
    if (existing) {
      this.api()
        .patch(`${repoPath}/check-runs/${existing.id}`)
        .reply(200, replyFromBody((body) => ({ id: record(body, existing.id).id })));
    } else {
      const id = this.nextCheckRunId++;
      this.api()
        .post(`${repoPath}/check-runs`, (body: Record<string, any> | undefined) => body?.head_sha === headSha)
        .reply(201, replyFromBody((body) => ({ id: record(body, id).id })));
    }
  }

  /** A reply comment on an issue or pull request. */
  expectComment(issueNumber: number): void {
    this.api()
      .post(`${repoPath}/issues/${issueNumber}/comments`)
      .reply(
        201,
        replyFromBody((body) => {
          this.comments.push({ issueNumber, body: body.body });
          return { id: 7000 + this.comments.length, body: body.body };
        }),
      );
  }

  /** The GraphQL read of the open pull requests that reference an issue. */
  expectIssuePullRequestsRead(issueNumber: number, prNumbers: number[]): void {
    this.api()
      .post("/graphql", (body: { query: string; variables: { number: number } } | undefined) => body?.query?.includes("CountersignIssuePullRequests") === true && body.variables.number === issueNumber)
      .reply(200, issuePullRequestsGraphqlResponse(prNumbers));
  }

  /**
   * Everything one evaluation of PR `number` reads and writes: the PR with its policy files (one
   * GraphQL request), the permission (and `memberships`: team → logins) of reviewers whose approval
   * could count, the setup check (first time per branch), and the check-run write.
   */
  expectEvaluation(
    number: number,
    options: { permissionLookups?: string[]; membershipLookups?: Array<[team: string, login: string]>; preloaded?: boolean; invalidPolicy?: boolean } = {},
  ): void {
    const pr = this.mustGet(number);
    if (!options.preloaded) this.expectPullRequestRead(number);
    for (const login of options.permissionLookups ?? []) this.expectPermissionRead(login);
    for (const [team, login] of options.membershipLookups ?? []) this.expectMembershipRead(team, login);
    // An invalid policy blocks before anything else is looked at.
    if (!options.invalidPolicy) this.expectSetupCheck(pr.baseRef ?? "main");
    this.expectCheckRunWrite(pr.headSha);
  }

  /**
   * A `/delegate` command on pull request `number` by a person: the PR and its base-branch policy are
   * read, then the commenter's permission when `permissionOf` is given, then the reply is posted; when
   * the command changes something (`reevaluates`), the check run is rewritten from the same reads.
   */
  expectPullRequestCommand(number: number, options: { permissionOf?: string; reevaluates: boolean }): void {
    this.expectPullRequestRead(number);
    if (options.permissionOf) this.expectPermissionRead(options.permissionOf);
    this.expectComment(number);
    if (options.reevaluates) this.expectEvaluation(number, { preloaded: true });
  }

  /**
   * A `/delegate` command on issue `number`: the default branch's policy, the commenter's permission,
   * the reply, and (when `linkedPullRequests` is given) the read of the PRs that reference the issue.
   */
  expectIssueCommand(number: number, options: { permissionOf: string; linkedPullRequests?: number[]; inventoryOf?: string }): void {
    this.expectPolicyRead();
    this.expectPermissionRead(options.permissionOf);
    if (options.inventoryOf) this.expectAppRead(options.inventoryOf);
    this.expectComment(number);
    if (options.linkedPullRequests) this.expectIssuePullRequestsRead(number, options.linkedPullRequests);
  }

  /** `GET /apps/{slug}` for an agent's tool inventory: once per slug, then cached by the app. */
  expectAppRead(login: string): void {
    const slug = login.replace(/\[bot\]$/, "").toLowerCase();
    if (this.appsRead.has(slug)) return;
    this.appsRead.add(slug);
    const app = this.apps.get(slug);
    const scope = this.api().get(`/apps/${slug}`);
    if (app) scope.reply(200, appResponse(slug, app));
    else scope.reply(404, notFound());
  }

  /**
   * A `/delegate` command on PR `number` that is recorded: the PR and policy reads, `by`'s permission,
   * the tool inventory of the PR's bot agents, the reply, and the re-evaluation from the same reads.
   */
  expectDelegation(number: number, by: string): void {
    const pr = this.mustGet(number);
    this.expectPullRequestRead(number);
    this.expectPermissionRead(by);
    const bots = [pr.author, ...pr.commits.flatMap((commit) => [commit.author, commit.committer ?? commit.author])].filter((user) => user.type === "Bot");
    for (const bot of new Set(bots.map((user) => user.login))) this.expectAppRead(bot);
    this.expectComment(number);
    this.expectEvaluation(number, { preloaded: true });
  }

  /**
   * The list of the repository's open pull requests (`GET /repos/{o}/{r}/pulls?state=open`), on `base`
   * when given; `repo` is another repository of the installation (its list is `pulls`, empty by default).
   */
  expectOpenPullRequestsList(options: { base?: string; repo?: string; pulls?: FakePullRequest[] } = {}): void {
    const path = options.repo ? `/repos/${REPO.owner}/${options.repo}/pulls` : `${repoPath}/pulls`;
    const pulls = () => (options.repo ? (options.pulls ?? []) : [...this.pulls.values()]);
    this.api()
      .get(path)
      .query({ state: "open", per_page: "100", ...(options.base !== undefined ? { base: options.base } : {}) })
      .reply(200, () => openPullRequestsResponse(pulls(), options.base ?? null));
  }

  /** The installation's repositories (`GET /installation/repositories`): this one, and `others` by name. */
  expectInstallationRepositoriesList(others: Array<{ name: string; id: number; archived?: boolean }>): void {
    this.api()
      .get("/installation/repositories")
      .query({ per_page: "100" })
      .reply(200, installationRepositoriesResponse(REPO.owner, [{ id: REPO.id, name: REPO.name }, ...others]));
  }

  /** The GraphQL comparison of `.github/countersign.yml` between two commits: its blob oid in each (null: absent). */
  expectFileVersionsRead(oids: { before: string | null; after: string | null }): void {
    this.api()
      .post("/graphql", (body: { query: string } | undefined) => body?.query?.includes("query CountersignFileVersions(") === true)
      .reply(200, fileVersionsGraphqlResponse(oids));
  }

  mustGet(number: number): FakePullRequest {
    const pr = this.pulls.get(number);
    if (!pr) throw new Error(`fake GitHub has no PR #${number}`);
    return pr;
  }

  /** Stops answering the installation-token request (after a test). */
  dispose(): void {
    this.tokenScope?.persist(false);
    nock.cleanAll();
  }
}
