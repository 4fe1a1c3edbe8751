import { createHash } from "node:crypto";
import { addRound, nextRequests, startRead, type BackwardPage, type ForwardPage } from "../../src/github/connection-pages.js";
import { REPO, type PayloadUser, type PullRequestShape } from "../fixtures/payloads.js";

// GraphQL responses built from a small model of a pull request, shared by the nock-based fake GitHub
// (test/mocks/github.ts), the loopback GitHub Enterprise Server of the end-to-end tests and the
// benchmark's (both served by github-server.ts). No nock here: those two run without request
// interception.

/** A repository as the responses name it; the tests' is `REPO`. */
export interface FakeRepository {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  htmlUrl: string;
}

/** A commit of the fake pull request. Bots commit with their noreply address and no GitHub user. */
export interface FakeCommit {
  sha: string;
  message: string;
  author: PayloadUser;
  /** Accounts GitHub resolves from `Co-authored-by` trailers (humans only; bots show as email). */
  coAuthors?: PayloadUser[];
  committer?: PayloadUser;
}

export interface FakeReview {
  id: number;
  reviewer: PayloadUser;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED";
  commitSha: string;
  submittedAt: string;
}

export interface FakePullRequest extends PullRequestShape {
  commits: FakeCommit[];
  reviews: FakeReview[];
  /** The paths GitHub lists: a renamed or copied file by its new path. */
  files: string[];
  labels?: string[];
  closingIssues?: number[];
  /** Renamed files: new path → the path it was renamed from (the new path is in `files`). */
  renamedFrom?: Record<string, string>;
  /** Copied files: new path → the path it was copied from (the new path is in `files`). */
  copiedFrom?: Record<string, string>;
  /** The base commit GitHub reports (`baseRefOid`), which the base branch also points at; `BASE_SHA` when unset. */
  baseSha?: string;
  /** What GitHub counts as changed files, when it is more than it lists (`files.length` otherwise). */
  changedFiles?: number;
  /**
   * Set by a caller that changes the pull request only through `touch`: answers about it are then
   * built once per version (the benchmark's fake shares the cores with the app it measures).
   */
  version?: number;
}

/** Marks a pull request changed: answers built for its previous version are stale. */
export function touch(pr: FakePullRequest): void {
  pr.version = (pr.version ?? 0) + 1;
}

function gitActor(user: PayloadUser): Record<string, unknown> {
  if (user.type === "Bot") {
    return { name: user.login, email: `${user.id}+${user.login}@users.noreply.github.com`, user: null };
  }
  return { name: user.login, email: `${user.login}@example.com`, user: { login: user.login, databaseId: user.id } };
}

function graphqlActor(user: PayloadUser): Record<string, unknown> {
  // GraphQL spells bot logins without the `[bot]` suffix.
  return { __typename: user.type, login: user.login.replace(/\[bot\]$/, ""), databaseId: user.id };
}

/** GitHub's page size for the connections Countersign reads. */
const PAGE = 100;

function commitNode(commit: FakeCommit): Record<string, unknown> {
  return {
    commit: {
      oid: commit.sha,
      message: commit.message,
      authors: { nodes: [commit.author, ...(commit.coAuthors ?? [])].map(gitActor) },
      committer: gitActor(commit.committer ?? commit.author),
    },
  };
}

function reviewNode(repo: FakeRepository, pr: FakePullRequest, review: FakeReview): Record<string, unknown> {
  return {
    databaseId: review.id,
    state: review.state,
    submittedAt: review.submittedAt,
    url: `${repo.htmlUrl}/pull/${pr.number}#pullrequestreview-${review.id}`,
    commit: { oid: review.commitSha },
    author: graphqlActor(review.reviewer),
  };
}

export type Connection = "commits" | "reviews" | "files";

/** All nodes of a connection, before paging. */
function connectionNodes(pr: FakePullRequest, name: Connection, repo: FakeRepository = REPO): unknown[] {
  if (name === "commits") return pr.commits.map(commitNode);
  if (name === "reviews") return pr.reviews.map((review) => reviewNode(repo, pr, review));
  return pr.files.map((path) => ({ path, changeType: changeType(pr, path) }));
}

/** A file's `changeType`, as GitHub's GraphQL names it. */
function changeType(pr: FakePullRequest, path: string): string {
  if (pr.renamedFrom?.[path] !== undefined) return "RENAMED";
  if (pr.copiedFrom?.[path] !== undefined) return "COPIED";
  return "MODIFIED";
}

/** The REST file list's page size Countersign asks for. */
export const REST_FILES_PER_PAGE = 100;

/** How many pages of the REST file list (`per_page=100`) the fake pull request has (GitHub stops at 3,000 files). */
export function restFilePages(pr: FakePullRequest): number {
  return Math.max(1, Math.ceil(Math.min(pr.files.length, 3_000) / REST_FILES_PER_PAGE));
}

/**
 * The REST file-list pages Countersign reads for a pull request, in order: for one longer than the
 * GraphQL query's first page, the pages after it (and page 1 too when that page has a rename); for a
 * shorter one, every page when it renames files (for where they came from), else none.
 */
export function restFileListPages(pr: FakePullRequest): number[] {
  // More files than GitHub lists: the read refuses before asking for any page.
  if ((pr.changedFiles ?? pr.files.length) > 3_000) return [];
  const all = Array.from({ length: restFilePages(pr) }, (_, index) => index + 1);
  const renames = (files: readonly string[]) => files.some((file) => pr.renamedFrom?.[file] !== undefined);
  if (pr.files.length <= PAGE) return renames(pr.files) ? all : [];
  return renames(pr.files.slice(0, PAGE)) ? all : all.slice(1);
}

/**
 * A page of `GET /repos/{o}/{r}/pulls/{n}/files`, GitHub-style: `status` and, for a rename or a copy,
 * `previous_filename`; at most 3,000 files in all.
 */
export function pullRequestFilesPage(pr: FakePullRequest, page: number, perPage = REST_FILES_PER_PAGE): Array<Record<string, unknown>> {
  const start = (page - 1) * perPage;
  return pr.files.slice(0, 3_000).slice(start, start + perPage).map((filename) => {
    const renamed = pr.renamedFrom?.[filename];
    const copied = pr.copiedFrom?.[filename];
    const status = renamed !== undefined ? "renamed" : copied !== undefined ? "copied" : "modified";
    const previous = renamed ?? copied;
    return { sha: "f".repeat(40), filename, status, additions: 0, deletions: 0, changes: 0, ...(previous !== undefined ? { previous_filename: previous } : {}) };
  });
}

/** A cursor names an item by its position: GitHub's are opaque; Countersign only passes them back. */
const cursorOf = (index: number) => `cursor:${index}`;
const positionOf = (cursor: string) => Number(cursor.replace(/^cursor:/, ""));

/** The first page of a connection, GitHub-style: at most 100 nodes, the total, and a cursor when more follow. */
function firstPage(pr: FakePullRequest, name: Connection, repo: FakeRepository = REPO): Record<string, unknown> {
  const all = connectionNodes(pr, name, repo);
  const nodes = all.slice(0, PAGE);
  return { totalCount: all.length, pageInfo: { hasNextPage: PAGE < all.length, endCursor: nodes.length > 0 ? cursorOf(nodes.length - 1) : null }, nodes };
}

/** `first: count, after: cursor`: the items after the cursor's. */
function forwardPage(all: unknown[], count: number, after: string): Record<string, unknown> {
  const start = positionOf(after) + 1;
  const nodes = all.slice(start, start + count);
  return { pageInfo: { hasNextPage: start + count < all.length, endCursor: nodes.length > 0 ? cursorOf(start + nodes.length - 1) : null }, nodes };
}

/** `last: count, before: cursor` (or from the end without one): the items before the cursor's. */
function backwardPage(all: unknown[], count: number, before: string | undefined): Record<string, unknown> {
  const end = before === undefined ? all.length : positionOf(before);
  const start = Math.max(0, end - count);
  return { pageInfo: { hasPreviousPage: start > 0, startCursor: end > start ? cursorOf(start) : null }, nodes: all.slice(start, end) };
}

/**
 * The answer to a follow-up query (`CountersignPullRequest_pages`): every aliased page it asks for,
 * `<connection>Forward: <connection>(first: n, after: $var)` or `<connection>Backward: <connection>(last:
 * n[, before: $var])`, read from the query text and its variables as GitHub would.
 */
export function pagesGraphqlResponse(pr: FakePullRequest, query: string, variables: Record<string, unknown>, repo: FakeRepository = REPO): Record<string, unknown> {
  const pullRequest: Record<string, unknown> = { headRefOid: pr.headSha };
  const field = /(\w+): (commits|reviews|files)\((first|last): (\d+)(?:, (?:after|before): \$(\w+))?\)/g;
  for (const match of query.matchAll(field)) {
    const [, alias, name, size, count, variable] = match;
    const all = connectionNodes(pr, name as Connection, repo);
    const cursor = variable === undefined ? undefined : String(variables[variable]);
    pullRequest[alias!] = size === "first" ? forwardPage(all, Number(count), cursor!) : backwardPage(all, Number(count), cursor);
  }
  return { data: { repository: { pullRequest } } };
}

/**
 * How many follow-up queries Countersign makes for this pull request: its own page planner, run
 * against this fake's pages (the request-budget tests assert the resulting totals independently).
 */
export function followUpRounds(pr: FakePullRequest): number {
  // Files past the first page are read through the REST file list (restFileListPages), not GraphQL.
  const connections = (["commits", "reviews"] as const).map((name) => {
    const first = firstPage(pr, name) as unknown as ForwardPage<unknown> & { totalCount: number };
    return { all: connectionNodes(pr, name), read: startRead(first, first.totalCount) };
  });
  for (let rounds = 0; ; rounds += 1) {
    const pending = connections.map((connection) => ({ connection, requests: nextRequests(connection.read) })).filter((item) => item.requests.length > 0);
    if (pending.length === 0) return rounds;
    for (const { connection, requests } of pending) {
      const [front, back] = requests;
      connection.read = addRound(
        connection.read,
        (node) => JSON.stringify(node),
        forwardPage(connection.all, front!.count, front!.cursor!) as unknown as ForwardPage<unknown>,
        back ? (backwardPage(connection.all, back.count, back.cursor ?? undefined) as unknown as BackwardPage<unknown>) : null,
      );
    }
  }
}

/** The commit a pull request's base branch points at, unless it says otherwise. */
export const BASE_SHA = "ba5e".repeat(10);

/** The commit the organization `.github` repository's default branch points at. */
export const ORG_POLICY_COMMIT = "0d".repeat(20);

/** The policy files the pull-request query reads along with the pull request. */
export interface FakePolicies {
  /** The repository's `.github/countersign.yml` on the base branch. */
  repository: string | null;
  /** The organization `.github` repository's, or `missing` when that repository does not exist. */
  organization: string | null | "missing";
}

function policyFile(text: string | null): Record<string, unknown> | null {
  // The oid is git's blob id of the text, as GitHub reports it: the app caches policies by it, so two
  // texts of one length must not share one.
  if (text === null) return null;
  const oid = createHash("sha1").update(`blob ${Buffer.byteLength(text)}\0${text}`).digest("hex");
  return { oid, object: { text, isTruncated: false } };
}

/**
 * The GraphQL response for Countersign's pull-request query, built from the fake state. A missing
 * organization `.github` repository is answered as GitHub does: data with that field null, and a
 * NOT_FOUND error for it.
 */
export function pullRequestGraphqlResponse(pr: FakePullRequest, policies: FakePolicies = { repository: null, organization: null }, repo: FakeRepository = REPO): Record<string, unknown> {
  const orgMissing = policies.organization === "missing";
  return {
    ...(orgMissing ? { errors: [{ type: "NOT_FOUND", path: ["orgPolicyRepository"], message: `Could not resolve to a Repository with the name '${repo.owner}/.github'.` }] } : {}),
    data: {
      orgPolicyRepository: orgMissing
        ? null
        : { nameWithOwner: `${repo.owner}/.github`, defaultBranchRef: { target: { oid: ORG_POLICY_COMMIT, policyFile: policyFile(policies.organization as string | null) } } },
      repository: {
        databaseId: repo.id,
        nameWithOwner: repo.fullName,
        url: repo.htmlUrl,
        owner: { login: repo.owner },
        name: repo.name,
        pullRequest: {
          number: pr.number,
          url: `${repo.htmlUrl}/pull/${pr.number}`,
          title: pr.title ?? "Update the README",
          body: pr.body ?? "",
          state: pr.state === "closed" ? "CLOSED" : "OPEN",
          isDraft: false,
          headRefOid: pr.headSha,
          headRefName: pr.headRef ?? "feature",
          baseRefName: pr.baseRef ?? "main",
          baseRefOid: pr.baseSha ?? BASE_SHA,
          changedFiles: pr.changedFiles ?? pr.files.length,
          author: graphqlActor(pr.author),
          commits: firstPage(pr, "commits", repo),
          reviews: firstPage(pr, "reviews", repo),
          files: firstPage(pr, "files", repo),
          labels: { nodes: (pr.labels ?? []).map((name) => ({ name })) },
          baseRef: { target: { oid: pr.baseSha ?? BASE_SHA, policyFile: policyFile(policies.repository) } },
          closingIssuesReferences: { nodes: (pr.closingIssues ?? []).map((number) => ({ number, repository: { databaseId: repo.id } })) },
        },
      },
    },
  };
}


/** The answer to `CountersignIssuePullRequests`: the open pull requests `numbers` that close the issue. */
export function issuePullRequestsGraphqlResponse(numbers: number[], repo: FakeRepository = REPO): Record<string, unknown> {
  return {
    data: {
      repository: {
        databaseId: repo.id,
        issue: {
          closedByPullRequestsReferences: { nodes: numbers.map((number) => ({ number, state: "OPEN", repository: { databaseId: repo.id } })) },
          timelineItems: { nodes: [] },
        },
      },
    },
  };
}

/** The answer to `CountersignFileVersions`: the policy file's blob oid at each commit (null: absent). */
export function fileVersionsGraphqlResponse(oids: { before: string | null; after: string | null }): Record<string, unknown> {
  const file = (oid: string | null) => ({ file: oid === null ? null : { oid } });
  return { data: { repository: { after: file(oids.after), before: file(oids.before) } } };
}

/** GitHub's answer to a query about a repository or pull request it does not have. */
export function notFoundGraphqlResponse(): Record<string, unknown> {
  return { data: { repository: null }, errors: [{ type: "NOT_FOUND", message: "not found" }] };
}
