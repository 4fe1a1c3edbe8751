import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { issuePullRequestsGraphqlResponse, notFoundGraphqlResponse, pagesGraphqlResponse, pullRequestFilesPage, pullRequestGraphqlResponse, type FakePolicies, type FakePullRequest, type FakeRepository } from "./graphql-responses.js";
import {
  activityResponse,
  appResponse,
  branchResponse,
  branchRulesResponse,
  contentsResponse,
  installationRepositoriesResponse,
  installationToken,
  notFound,
  openPullRequestsResponse,
  permissionResponse,
  type ActivityEntry,
  type FakeApp,
  type InstallationRepository,
  type PermissionLevel,
  type RequiredCheck,
} from "./rest-responses.js";

// One GitHub, faked over HTTP for the processes that cannot be intercepted in-process: the end-to-end
// tests' GitHub Enterprise Server and the benchmark's. REST under /api/v3 and GraphQL at /api/graphql
// are answered from a model of the repositories (`FakeGitHubWorld`), which the caller changes as the
// story goes on; each answer is named by its kind, which the benchmark counts.

/** A repository of the model, with its pull requests and its activity log. */
export interface FakeRepositoryState extends FakeRepository {
  pulls: Map<number, FakePullRequest>;
  /** GitHub's activity log for the repository, newest first (none: an empty log). */
  activity?: ActivityEntry[];
  /** Issues' titles and bodies by number (`GET /repos/{o}/{r}/issues/{n}`); an unlisted issue is 404. */
  issues?: Map<number, FakeIssue>;
}

/** An issue as the fake GitHub serves it. */
export interface FakeIssue {
  title: string;
  body: string | null;
  /** Who opened it (the `user` GitHub reports); `octocat` when unset. */
  author?: string;
  state?: "open" | "closed";
}

/** A check run as the fake GitHub holds it after Countersign's writes. */
export interface FakeCheckRun {
  id: number;
  head_sha: string;
  conclusion: string;
  output: { title: string; summary: string; text?: string };
  details_url?: string;
}

/** What the fake GitHub knows and records; the caller owns it and changes it between deliveries. */
export interface FakeGitHubWorld {
  /** The app's id, which rulesets pin the required check to. */
  appId: number;
  /** How every base branch requires `Countersign`. */
  requiredCheck: RequiredCheck;
  /** The policy files the pull-request query reads with each pull request; none when unset. */
  policies?: FakePolicies;
  /** Collaborators' permissions by login, on every repository (unlisted: read). */
  permissions: Map<string, string>;
  checkRuns: Map<number, FakeCheckRun>;
  /** Every check-run write, in the order GitHub received them. */
  checkRunWrites: Array<{ id: number; headSha: string; conclusion: string }>;
  comments: Array<{ issue: number; body: string }>;
  /** The id the next check run created gets. */
  nextCheckRunId: number;
  /** The token an installation's access-token request is answered with. */
  token(installationId: number): Record<string, unknown>;
  repository(owner: string, name: string): FakeRepositoryState | undefined;
  /** The owner of the installation's repositories, and its repositories (`GET /installation/repositories`). */
  installation(): { owner: string; repositories: InstallationRepository[] };
  /** A GitHub App by slug (an agent's tool inventory); none: 404. */
  app(slug: string): FakeApp | undefined;
  /** The organization's installation of this app (`GET /orgs/{org}/installation`); unset: 404 for every organization. */
  orgInstallation?: { org: string; id: number };
  /** Members of that organization by login (`GET /orgs/{org}/memberships/{login}`); unlisted: 404. */
  orgMembers?: Map<string, { role: "admin" | "member"; state: "active" | "pending" }>;
}

/** The kinds of request answered, in the order the benchmark reports them. */
export const REQUEST_KINDS = ["token", "graphql", "graphql-page", "activity", "rules", "branch", "permission", "app", "check-run-create", "check-run-update", "comment", "files", "pulls", "repositories", "issue", "check-runs", "contents", "org", "unexpected"] as const;

export type RequestKind = (typeof REQUEST_KINDS)[number];

/** One request, as the router sees it: the path below the API's root (`/repos/…`, `/graphql`). */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
}

/** An answer: its kind, status and body (a string is sent as it is). */
export interface FakeAnswer {
  kind: RequestKind;
  status: number;
  body: unknown;
}

// Answers about a pull request whose every change is `touch`ed are built once per version of it: a
// large one's take the fake longer to build than the app takes to read.
const built = new WeakMap<FakePullRequest, { version: number; byKey: Map<string, string> }>();
function memo(pr: FakePullRequest, key: string, build: () => unknown): unknown {
  if (pr.version === undefined) return build();
  let entry = built.get(pr);
  if (!entry || entry.version !== pr.version) {
    entry = { version: pr.version, byKey: new Map() };
    built.set(pr, entry);
  }
  let text = entry.byKey.get(key);
  if (text === undefined) {
    text = JSON.stringify(build());
    entry.byKey.set(key, text);
  }
  return text;
}

function answerGraphql(world: FakeGitHubWorld, body: { query?: string; variables?: Record<string, any> } | null): FakeAnswer {
  const query = body?.query ?? "";
  const variables = body?.variables ?? {};
  const repo = world.repository(String(variables.owner), String(variables.name));
  if (repo && query.includes("query CountersignIssuePullRequests(")) {
    // The open pull requests that close the issue (the model has no other cross-references).
    const closing = [...repo.pulls.values()].filter((pull) => pull.state !== "closed" && (pull.closingIssues ?? []).includes(Number(variables.number)));
    return { kind: "graphql", status: 200, body: issuePullRequestsGraphqlResponse(closing.map((pull) => pull.number), repo) };
  }
  const pr = repo?.pulls.get(variables.number);
  if (!repo || !pr) return { kind: "unexpected", status: 200, body: notFoundGraphqlResponse() };
  if (query.includes("query CountersignPullRequest_pages(")) {
    return { kind: "graphql-page", status: 200, body: memo(pr, `pages:${query}:${JSON.stringify(variables)}`, () => pagesGraphqlResponse(pr, query, variables, repo)) };
  }
  if (query.includes("query CountersignPullRequest(")) {
    return { kind: "graphql", status: 200, body: memo(pr, "query", () => pullRequestGraphqlResponse(pr, world.policies, repo)) };
  }
  return { kind: "unexpected", status: 200, body: notFoundGraphqlResponse() };
}

/** Answers one request from the model; the caller serves it. */
export function routeGitHubRequest(world: FakeGitHubWorld, request: FakeRequest): FakeAnswer {
  const { method, path, query, body } = request;
  const answer = (kind: RequestKind, status: number, payload: unknown): FakeAnswer => ({ kind, status, body: payload });
  const token = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
  if (method === "POST" && token) return answer("token", 201, world.token(Number(token[1])));
  if (method === "POST" && path === "/graphql") return answerGraphql(world, body);
  const repoPath = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
  if (repoPath) {
    const owner = decodeURIComponent(repoPath[1]!);
    const name = decodeURIComponent(repoPath[2]!);
    const rest = repoPath[3] ?? "";
    const repo = world.repository(owner, name);
    // Policy files are served through the pull-request query only: the contents API has none, which
    // contradicts `policies` when they are set (so the benchmark counts such a read as unexpected).
    // The exception is the organization's own `.github` repository, whose policy a push to it is
    // judged under (there is no pull request to read it with).
    if (method === "GET" && name === ".github" && rest === "/contents/.github%2Fcountersign.yml" && typeof world.policies?.organization === "string" && world.policies.organization !== "missing") {
      return answer("contents", 200, contentsResponse(".github/countersign.yml", world.policies.organization));
    }
    if (method === "GET" && rest.startsWith("/contents/")) return answer("unexpected", 404, notFound());
    if (method === "GET" && rest === "/activity") return answer("activity", 200, repo ? activityResponse(repo.activity ?? [], query.get("ref")) : []);
    const rules = /^\/rules\/branches\/([^/]+)$/.exec(rest);
    if (method === "GET" && rules) return answer("rules", 200, branchRulesResponse(world.requiredCheck, world.appId));
    const branch = /^\/branches\/([^/]+)$/.exec(rest);
    if (method === "GET" && branch) return answer("branch", 200, branchResponse(decodeURIComponent(branch[1]!), world.requiredCheck, world.appId));
    const permission = /^\/collaborators\/([^/]+)\/permission$/.exec(rest);
    if (method === "GET" && permission) {
      const login = decodeURIComponent(permission[1]!);
      return answer("permission", 200, permissionResponse(login, (world.permissions.get(login) ?? "read") as PermissionLevel));
    }
    const issue = /^\/issues\/(\d+)$/.exec(rest);
    if (method === "GET" && issue) {
      const number = Number(issue[1]);
      const found = repo?.issues?.get(number);
      return found
        ? answer("issue", 200, { number, title: found.title, body: found.body, state: found.state ?? "open", user: { login: found.author ?? "octocat" }, html_url: `${repo?.htmlUrl}/issues/${number}` })
        : answer("issue", 404, notFound());
    }
    const comment = /^\/issues\/(\d+)\/comments$/.exec(rest);
    if (method === "POST" && comment) {
      world.comments.push({ issue: Number(comment[1]), body: body.body });
      return answer("comment", 201, { id: 500 + world.comments.length, body: body.body });
    }
    if (method === "POST" && rest === "/check-runs") {
      const run: FakeCheckRun = { id: world.nextCheckRunId++, head_sha: body.head_sha, conclusion: body.conclusion, output: body.output, details_url: body.details_url };
      world.checkRuns.set(run.id, run);
      world.checkRunWrites.push({ id: run.id, headSha: run.head_sha, conclusion: run.conclusion });
      return answer("check-run-create", 201, { id: run.id });
    }
    const update = /^\/check-runs\/(\d+)$/.exec(rest);
    if (method === "PATCH" && update) {
      const run = world.checkRuns.get(Number(update[1]));
      if (!run) return answer("unexpected", 404, notFound());
      Object.assign(run, { conclusion: body.conclusion, output: body.output, details_url: body.details_url });
      world.checkRunWrites.push({ id: run.id, headSha: run.head_sha, conclusion: run.conclusion });
      return answer("check-run-update", 200, { id: run.id });
    }
    // The check runs on a commit, as an auditor reads them back (`audit verify --checkpoints github:…`).
    const commitRuns = /^\/commits\/([^/]+)\/check-runs$/.exec(rest);
    if (method === "GET" && commitRuns) {
      const runs = [...world.checkRuns.values()].filter((run) => run.head_sha === decodeURIComponent(commitRuns[1]!));
      return answer("check-runs", 200, { total_count: runs.length, check_runs: runs.map((run) => ({ id: run.id, name: "Countersign", head_sha: run.head_sha, status: "completed", conclusion: run.conclusion, output: { title: run.output.title, summary: run.output.summary, text: run.output.text ?? null } })) });
    }
    const files = /^\/pulls\/(\d+)\/files$/.exec(rest);
    if (method === "GET" && files) {
      const pr = repo?.pulls.get(Number(files[1]));
      return pr ? answer("files", 200, pullRequestFilesPage(pr, Number(query.get("page") ?? 1), Number(query.get("per_page") ?? 30))) : answer("unexpected", 404, notFound());
    }
    const pull = /^\/pulls\/(\d+)$/.exec(rest);
    if (method === "GET" && pull && repo) {
      const pr = repo.pulls.get(Number(pull[1]));
      return pr ? answer("pulls", 200, { number: pr.number, state: "open", head: { sha: pr.headSha, ref: pr.headRef ?? "feature", repo: { id: repo.id } }, base: { ref: pr.baseRef ?? "main", repo: { id: repo.id } } }) : answer("unexpected", 404, notFound());
    }
    // One page of open pull requests (the model has fewer than a hundred per repository).
    if (method === "GET" && rest === "/pulls") return answer("pulls", 200, openPullRequestsResponse([...(repo?.pulls.values() ?? [])], query.get("base")));
  }
  const app = /^\/apps\/([^/]+)$/.exec(path);
  if (method === "GET" && app) {
    const found = world.app(decodeURIComponent(app[1]!));
    return found ? answer("app", 200, appResponse(decodeURIComponent(app[1]!), found)) : answer("unexpected", 404, notFound());
  }
  const orgInstallation = /^\/orgs\/([^/]+)\/installation$/.exec(path);
  if (method === "GET" && orgInstallation) {
    const found = world.orgInstallation && world.orgInstallation.org.toLowerCase() === decodeURIComponent(orgInstallation[1]!).toLowerCase() ? world.orgInstallation : null;
    return found ? answer("org", 200, { id: found.id, account: { login: found.org, type: "Organization" } }) : answer("org", 404, notFound());
  }
  const membership = /^\/orgs\/([^/]+)\/memberships\/([^/]+)$/.exec(path);
  if (method === "GET" && membership) {
    const member = world.orgInstallation?.org.toLowerCase() === decodeURIComponent(membership[1]!).toLowerCase() ? world.orgMembers?.get(decodeURIComponent(membership[2]!)) : undefined;
    return member ? answer("org", 200, { ...member, user: { login: decodeURIComponent(membership[2]!) } }) : answer("org", 404, notFound());
  }
  if (method === "GET" && path === "/installation/repositories") {
    const { owner, repositories } = world.installation();
    return answer("repositories", 200, installationRepositoriesResponse(owner, repositories));
  }
  return answer("unexpected", 404, notFound(`fake GitHub has no ${method} ${path}`));
}

/** How a served fake GitHub behaves beyond its model. */
export interface ServeOptions {
  /** Milliseconds each answer is delayed by (asked per request); none by default. */
  latencyMs?: () => number;
  /** Called with every request the model answers, before it is answered. */
  onRequest?: (request: { method: string; url: string; body: any }, answer: FakeAnswer) => void;
  /**
   * Routes of the caller's own (GitHub's web pages, say): called first with the raw body; answering
   * the request and returning true takes it over.
   */
  routes?: (req: IncomingMessage, raw: string, res: ServerResponse) => boolean;
}

/** A GitHub Enterprise Server answering from `world`: REST under /api/v3, GraphQL at /api/graphql. Starts answering; the caller listens on a port. */
export function serveFakeGitHub(world: FakeGitHubWorld, options: ServeOptions = {}): Server {
  return createServer((req: IncomingMessage, res) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      if (options.routes?.(req, raw, res)) return;
      const body = raw ? JSON.parse(raw) : null;
      const url = req.url ?? "";
      const parsed = new URL(url, "http://fake-github");
      // Below the API's root; anything else is a path GitHub's API does not have.
      const path = parsed.pathname === "/api/graphql" ? "/graphql" : parsed.pathname.startsWith("/api/v3/") ? parsed.pathname.slice("/api/v3".length) : `/not-the-api${parsed.pathname}`;
      const answer = routeGitHubRequest(world, { method: req.method ?? "GET", path, query: parsed.searchParams, body });
      options.onRequest?.({ method: req.method ?? "", url, body }, answer);
      const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
      const send = () => {
        res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
        res.end(text);
      };
      const delay = options.latencyMs?.() ?? 0;
      if (delay > 0) setTimeout(send, delay);
      else send();
    });
  });
}
