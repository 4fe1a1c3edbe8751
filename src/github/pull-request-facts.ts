import type { ProbotOctokit } from "probot";
import { z } from "zod";
import { ORGANIZATION_POLICY_REPO, POLICY_PATH } from "../policy/policy-file.js";
import type { Actor, CommitFacts, CommitPerson, PullRequestFacts, ReviewFacts } from "../policy/types.js";
import { assertCompleteList, readLongFileList, readRenames, touchedPaths, type ListedFile } from "./changed-files.js";
import { pullRequestHeadSha } from "./open-pull-requests.js";
import { addRound, nextRequests, PAGE_SIZE, startRead, type ConnectionRead, type PageRequest } from "./connection-pages.js";

// One GraphQL request reads everything a decision needs: the PR, its commits with every author
// (GitHub resolves `Co-authored-by` trailers into `Commit.authors`), its reviews with the commit each
// was given on, its files and the issues it closes. Connections past 100 items are read on with
// follow-up queries that carry the next pages of every long connection at once, from both ends
// (connection-pages.ts): a PR with 1,000 files and 250 commits takes 1 + 5 queries, not 1 + 11.
// A PR that renames files also reads the REST file list, for the paths they were renamed from
// (changed-files.ts); one without renames does not.

const PAGE = PAGE_SIZE;

const ACTOR_FIELDS = `__typename login
  ... on User { databaseId }
  ... on Bot { databaseId }
  ... on Mannequin { databaseId }
  ... on Organization { databaseId }`;

const COMMIT_NODES = `nodes { commit {
  oid message
  authors(first: 50) { nodes { name email user { login databaseId } } }
  committer { name email user { login databaseId } }
} }`;

const REVIEW_NODES = `nodes { databaseId state submittedAt url commit { oid } author { ${ACTOR_FIELDS} } }`;

// A rename is listed by its new path; where it came from is read apart (changed-files.ts).
const FILE_NODES = "nodes { path changeType }";

const PAGE_INFO = "pageInfo { hasNextPage endCursor }";

// The policy file rides along in the same request: the repository's on the PR's base branch, and the
// organization's `.github` repository's (its fallback and usual `_extends` target), by blob.
const POLICY_BLOB = "oid object { ... on Blob { text isTruncated } }";

const PULL_REQUEST_QUERY = `query CountersignPullRequest($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    databaseId nameWithOwner url
    owner { login }
    name
    pullRequest(number: $number) {
      number url title body state isDraft headRefOid headRefName baseRefName baseRefOid isCrossRepository changedFiles
      author { ${ACTOR_FIELDS} }
      commits(first: ${PAGE}) { totalCount ${PAGE_INFO} ${COMMIT_NODES} }
      reviews(first: ${PAGE}) { totalCount ${PAGE_INFO} ${REVIEW_NODES} }
      files(first: ${PAGE}) { totalCount ${PAGE_INFO} ${FILE_NODES} }
      closingIssuesReferences(first: 50) { nodes { number repository { databaseId } } }
      labels(first: 100) { nodes { name } }
      baseRef { target { oid ... on Commit { policyFile: file(path: "${POLICY_PATH}") { ${POLICY_BLOB} } } } }
    }
  }
  orgPolicyRepository: repository(owner: $owner, name: "${ORGANIZATION_POLICY_REPO}") {
    nameWithOwner
    defaultBranchRef { target { oid ... on Commit { policyFile: file(path: "${POLICY_PATH}") { ${POLICY_BLOB} } } } }
  }
}`;

const actorSchema = z.object({
  __typename: z.string(),
  login: z.string(),
  databaseId: z.number().int().nullish(),
});

const gitActorSchema = z.object({
  name: z.string().nullish(),
  email: z.string().nullish(),
  user: z.object({ login: z.string(), databaseId: z.number().int().nullish() }).nullish(),
});

const pageInfoSchema = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() });

const commitNodeSchema = z.object({
  commit: z.object({
    oid: z.string(),
    message: z.string(),
    authors: z.object({ nodes: z.array(gitActorSchema.nullable()) }),
    committer: gitActorSchema.nullish(),
  }),
});

const reviewNodeSchema = z.object({
  databaseId: z.number().int().nullish(),
  state: z.enum(["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]),
  submittedAt: z.string().nullish(),
  url: z.string(),
  commit: z.object({ oid: z.string() }).nullish(),
  author: actorSchema.nullish(),
});

const fileNodeSchema = z.object({ path: z.string(), changeType: z.string() });

const connection = <T extends z.ZodTypeAny>(node: T) =>
  z.object({ totalCount: z.number().int().nonnegative().nullish(), pageInfo: pageInfoSchema, nodes: z.array(node.nullable()) });
const backwardConnection = <T extends z.ZodTypeAny>(node: T) =>
  z.object({ pageInfo: z.object({ hasPreviousPage: z.boolean(), startCursor: z.string().nullish() }), nodes: z.array(node.nullable()) });

const policyFileSchema = z
  .object({ oid: z.string(), object: z.object({ text: z.string().nullish(), isTruncated: z.boolean().nullish() }).nullish() })
  .nullish();

const commitTargetSchema = z.object({ oid: z.string().nullish(), policyFile: policyFileSchema }).passthrough().nullish();

const pullRequestResponseSchema = z.object({
  orgPolicyRepository: z.object({ nameWithOwner: z.string(), defaultBranchRef: z.object({ target: commitTargetSchema }).nullish() }).nullish(),
  repository: z.object({
    databaseId: z.number().int(),
    nameWithOwner: z.string(),
    url: z.string(),
    owner: z.object({ login: z.string() }),
    name: z.string(),
    pullRequest: z
      .object({
        number: z.number().int(),
        url: z.string(),
        title: z.string(),
        body: z.string().nullish(),
        state: z.enum(["OPEN", "CLOSED", "MERGED"]),
        isDraft: z.boolean(),
        headRefOid: z.string(),
        headRefName: z.string(),
        baseRefName: z.string(),
        baseRefOid: z.string().nullish(),
        isCrossRepository: z.boolean().nullish(),
        changedFiles: z.number().int().nonnegative(),
        author: actorSchema.nullish(),
        commits: connection(commitNodeSchema),
        reviews: connection(reviewNodeSchema),
        files: connection(fileNodeSchema).nullish(),
        closingIssuesReferences: z
          .object({ nodes: z.array(z.object({ number: z.number().int(), repository: z.object({ databaseId: z.number().int() }) }).nullable()) })
          .nullish(),
        labels: z.object({ nodes: z.array(z.object({ name: z.string() }).nullable()) }).nullish(),
        baseRef: z.object({ target: commitTargetSchema }).nullish(),
      })
      .nullable(),
  }),
});

type ActorNode = z.infer<typeof actorSchema>;
type GitActorNode = z.infer<typeof gitActorSchema>;

/** Maps a GraphQL actor to the REST spelling: GraphQL drops the `[bot]` suffix of bot logins. */
export function toActor(node: ActorNode | null | undefined): Actor {
  // A deleted account shows as null; GitHub calls it "ghost". It is nobody: not a human approver.
  if (!node) return { id: null, login: "ghost", kind: "unknown" };
  const kinds: Record<string, Actor["kind"]> = { User: "user", Bot: "bot", Organization: "organization", Mannequin: "mannequin" };
  const kind = kinds[node.__typename] ?? "unknown";
  const login = kind === "bot" && !/\[bot\]$/i.test(node.login) ? `${node.login}[bot]` : node.login;
  return { id: node.databaseId ?? null, login, kind };
}

function toCommitPerson(node: GitActorNode): CommitPerson {
  return {
    name: node.name ?? "",
    email: node.email ?? "",
    account: node.user ? { id: node.user.databaseId ?? null, login: node.user.login, kind: "user" } : null,
  };
}

function toCommit(node: z.infer<typeof commitNodeSchema>): CommitFacts {
  return {
    sha: node.commit.oid,
    message: node.commit.message,
    authors: node.commit.authors.nodes.filter((author): author is GitActorNode => author !== null).map(toCommitPerson),
    committer: node.commit.committer ? toCommitPerson(node.commit.committer) : null,
  };
}

function toReview(node: z.infer<typeof reviewNodeSchema>): ReviewFacts {
  return {
    id: node.databaseId ?? 0,
    reviewer: toActor(node.author),
    state: node.state,
    commitSha: node.commit?.oid ?? null,
    submittedAt: node.submittedAt ?? null,
    url: node.url,
  };
}

type Repo = { owner: string; name: string };

type ConnectionName = "commits" | "reviews" | "files";

/** How each paginated connection is asked for, checked, and told apart item by item. */
const CONNECTIONS = {
  commits: { nodes: COMMIT_NODES, forward: connection(commitNodeSchema), backward: backwardConnection(commitNodeSchema), key: (node: unknown) => (node as z.infer<typeof commitNodeSchema>).commit.oid },
  reviews: { nodes: REVIEW_NODES, forward: connection(reviewNodeSchema), backward: backwardConnection(reviewNodeSchema), key: (node: unknown) => (node as z.infer<typeof reviewNodeSchema>).url },
  files: { nodes: FILE_NODES, forward: connection(fileNodeSchema), backward: backwardConnection(fileNodeSchema), key: (node: unknown) => (node as z.infer<typeof fileNodeSchema>).path },
} as const;

type Planned = { connection: ConnectionName; request: PageRequest };

const alias = ({ connection, request }: Planned) => `${connection}${request.direction === "forward" ? "Forward" : "Backward"}`;

/** One follow-up query: the next page from each end still to read, of every connection not yet complete. */
function roundQuery(plan: Planned[]): { query: string; cursors: Record<string, string> } {
  const declarations: string[] = [];
  const cursors: Record<string, string> = {};
  const fields = plan.map((planned) => {
    const { connection: name, request } = planned;
    const forward = request.direction === "forward";
    let cursor = "";
    if (request.cursor !== null) {
      declarations.push(`$${alias(planned)}: String!`);
      cursors[alias(planned)] = request.cursor;
      cursor = `, ${forward ? "after" : "before"}: $${alias(planned)}`;
    }
    const pageInfo = forward ? "pageInfo { hasNextPage endCursor }" : "pageInfo { hasPreviousPage startCursor }";
    return `${alias(planned)}: ${name}(${forward ? "first" : "last"}: ${request.count}${cursor}) { ${pageInfo} ${CONNECTIONS[name].nodes} }`;
  });
  const query = `query CountersignPullRequest_pages($owner: String!, $name: String!, $number: Int!${declarations.map((item) => `, ${item}`).join("")}) {
  repository(owner: $owner, name: $name) { pullRequest(number: $number) { headRefOid ${fields.join(" ")} } }
}`;
  return { query, cursors };
}

const roundResponseSchema = z.object({
  repository: z.object({ pullRequest: z.object({ headRefOid: z.string() }).passthrough().nullable() }).nullable(),
});

/** The pull request's head moved while its pages were being read: the pages may not fit together. */
class PullRequestMoved extends Error {}

/** Reads the rest of every long connection, a round (one query) at a time, until each is complete. */
async function readRemainingPages(octokit: ProbotOctokit, repo: Repo, number: number, headSha: string, reads: Partial<Record<ConnectionName, ConnectionRead<unknown>>>): Promise<number> {
  const names = Object.keys(reads) as ConnectionName[];
  for (let rounds = 0; ; rounds += 1) {
    const plan = names.flatMap((name) => nextRequests(reads[name] as ConnectionRead<unknown>).map((request) => ({ connection: name, request })));
    if (plan.length === 0) return rounds;
    const { query, cursors } = roundQuery(plan);
    const raw = await octokit.graphql<unknown>(query, { owner: repo.owner, name: repo.name, number, ...cursors });
    const pr = roundResponseSchema.parse(raw).repository?.pullRequest;
    if (!pr) throw new Error(`pull request ${repo.owner}/${repo.name}#${number} disappeared while it was read`);
    if (pr.headRefOid !== headSha) throw new PullRequestMoved();
    const fields = pr as Record<string, unknown>;
    for (const name of new Set(plan.map((planned) => planned.connection))) {
      const spec = CONNECTIONS[name];
      const front = spec.forward.parse(fields[`${name}Forward`]);
      const back = plan.some((planned) => planned.connection === name && planned.request.direction === "backward") ? spec.backward.parse(fields[`${name}Backward`]) : null;
      reads[name] = addRound(reads[name] as ConnectionRead<unknown>, spec.key, front, back);
    }
  }
}

/**
 * A policy file as the pull-request query read it: its blob, and the commit its branch pointed at in
 * the same query (null when GitHub did not say), or null when there is none.
 */
export type PolicyBlob = { oid: string; text: string; commitSha?: string | null } | null;

/**
 * The policy files read with the pull request: `complete` is false when a file could not be read in
 * full this way (too large, binary, or the base branch is gone), and the contents API must be used.
 */
export interface PolicyBlobs {
  complete: boolean;
  /** The repository's policy on the PR's base branch. */
  repository: PolicyBlob;
  /** The organization `.github` repository's policy on its default branch; null when absent or unreadable. */
  organization: PolicyBlob;
}

/** A pull request read in one request, with the policy files that judge it. */
export interface PullRequestSnapshot {
  facts: PullRequestFacts;
  policy: PolicyBlobs;
}

function blob(target: z.infer<typeof commitTargetSchema>): { blob: PolicyBlob; complete: boolean } {
  const file = target?.policyFile;
  if (!file) return { blob: null, complete: true };
  const text = file.object?.text;
  if (typeof text !== "string" || file.object?.isTruncated) return { blob: null, complete: false };
  return { blob: { oid: file.oid, text, commitSha: target?.oid ?? null }, complete: true };
}

/**
 * Runs the pull-request query. The organization's `.github` repository may not exist or may not be
 * readable by this installation: GitHub then answers with data and a NOT_FOUND error for that field
 * alone, which is an absent org policy, not a failure. Any other error is.
 */
async function queryPullRequest(octokit: ProbotOctokit, repo: Repo, number: number): Promise<unknown> {
  try {
    return await octokit.graphql<unknown>(PULL_REQUEST_QUERY, { owner: repo.owner, name: repo.name, number });
  } catch (error) {
    const response = error as { errors?: Array<{ path?: Array<string | number>; type?: string }>; data?: unknown };
    const onlyOrgMissing = Array.isArray(response.errors) && response.errors.length > 0 && response.errors.every((item) => item.path?.[0] === "orgPolicyRepository");
    if (onlyOrgMissing && response.data) return { ...(response.data as Record<string, unknown>), orgPolicyRepository: null };
    throw error;
  }
}

/**
 * Reads a pull request, everything the policy needs about it, and its policy files, in one GraphQL
 * request (plus follow-ups for connections past 100 items: each brings up to 200 more of every long
 * connection). Throws when it does not exist.
 */
/** What the first page tells of a pull request, before the rest of its long connections is read. */
export type PullRequestHead = Pick<PullRequestFacts, "repo" | "number" | "body" | "closingIssues" | "headSha">;

export interface SnapshotOptions {
  /**
   * Called once the first query has answered, while any further pages are still to be read: work that
   * needs only the head can start then (the evaluation reads the PR's delegations), overlapping the
   * wait for a long PR's follow-up queries. Called again if the read starts over.
   */
  onHead?: (head: PullRequestHead) => void;
}

export async function fetchPullRequestSnapshot(octokit: ProbotOctokit, repo: Repo, number: number, options: SnapshotOptions = {}): Promise<PullRequestSnapshot> {
  // A push between the first query and the follow-ups would mix two versions of the PR: start over
  // (a push during three reads in a row is an error, and the evaluation fails closed).
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await readSnapshot(octokit, repo, number, options);
    } catch (error) {
      if (!(error instanceof PullRequestMoved)) throw error;
      if (attempt >= 3) throw new Error(`pull request ${repo.owner}/${repo.name}#${number} kept changing while it was read`);
    }
  }
}

async function readSnapshot(octokit: ProbotOctokit, repo: Repo, number: number, options: SnapshotOptions): Promise<PullRequestSnapshot> {
  const raw = await queryPullRequest(octokit, repo, number);
  const { repository, orgPolicyRepository } = pullRequestResponseSchema.parse(raw);
  const pr = repository.pullRequest;
  if (!pr) throw new Error(`pull request ${repository.nameWithOwner}#${number} not found`);

  const nonNull = <T>(items: Array<T | null>): T[] => items.filter((item): item is T => item !== null);
  const repoFacts: PullRequestFacts["repo"] = {
    id: repository.databaseId,
    owner: repository.owner.login,
    name: repository.name,
    fullName: repository.nameWithOwner,
    htmlUrl: repository.url,
  };
  const closingIssues = nonNull(pr.closingIssuesReferences?.nodes ?? [])
    .filter((issue) => issue.repository.databaseId === repository.databaseId)
    .map((issue) => issue.number);
  options.onHead?.({ repo: repoFacts, number: pr.number, body: pr.body ?? "", closingIssues, headSha: pr.headRefOid });
  const emptyFiles = { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] };
  // Files past the first page are read through REST's file list, whose pages are GETs read at once,
  // rather than GraphQL follow-ups, each a POST that Octokit's throttling holds a second behind the last
  // (changed-files.ts). That is read first, so the follow-ups below (commits, reviews), which check the
  // head, come after it; when there are none, the head is checked on its own.
  const longFiles = pr.files?.pageInfo.hasNextPage === true ? await readLongFileList(octokit, repo, number, pr.changedFiles, nonNull(pr.files.nodes)) : null;
  const reads: Partial<Record<ConnectionName, ConnectionRead<unknown>>> = {
    commits: startRead<unknown>(pr.commits, pr.commits.totalCount),
    reviews: startRead<unknown>(pr.reviews, pr.reviews.totalCount),
    ...(longFiles ? {} : { files: startRead<unknown>(pr.files ?? emptyFiles, pr.files?.totalCount) }),
  };
  const rounds = await readRemainingPages(octokit, repo, number, pr.headRefOid, reads);
  if (longFiles && rounds === 0 && (await pullRequestHeadSha(octokit, repo, number)) !== pr.headRefOid) throw new PullRequestMoved();
  const commitNodes = reads.commits?.items as Array<z.infer<typeof commitNodeSchema>>;
  const reviewNodes = reads.reviews?.items as Array<z.infer<typeof reviewNodeSchema>>;
  const fileNodes: ListedFile[] = longFiles ? longFiles.files : (reads.files?.items as Array<z.infer<typeof fileNodeSchema>>);
  // A change is judged on every file it touches, or not at all (see changed-files.ts).
  assertCompleteList(fileNodes.length, pr.changedFiles);
  const renamedPaths = fileNodes.filter((file) => file.changeType === "RENAMED").map((file) => file.path);
  const renames = longFiles ? longFiles.renames : renamedPaths.length > 0 ? await readRenames(octokit, repo, number, pr.changedFiles, renamedPaths) : [];

  const repositoryPolicy = pr.baseRef ? blob(pr.baseRef.target) : { blob: null, complete: false };
  const organizationPolicy = blob(orgPolicyRepository?.defaultBranchRef?.target);
  const policy: PolicyBlobs = {
    complete: repositoryPolicy.complete && organizationPolicy.complete,
    repository: repositoryPolicy.blob,
    organization: organizationPolicy.blob,
  };
  const facts: PullRequestFacts = {
    repo: repoFacts,
    number: pr.number,
    url: pr.url,
    title: pr.title,
    body: pr.body ?? "",
    author: toActor(pr.author),
    headSha: pr.headRefOid,
    headRef: pr.headRefName,
    baseRef: pr.baseRefName,
    ...(pr.baseRefOid ? { baseSha: pr.baseRefOid } : {}),
    crossRepository: pr.isCrossRepository ?? false,
    isDraft: pr.isDraft,
    state: pr.state,
    commits: commitNodes.map(toCommit),
    // Pending reviews are the reviewer's unsubmitted draft: not an opinion yet.
    reviews: reviewNodes.map(toReview).filter((review) => review.state !== "PENDING"),
    files: touchedPaths(fileNodes, renames),
    ...(renames.length > 0 ? { renames } : {}),
    labels: nonNull(pr.labels?.nodes ?? []).map((label) => label.name),
    closingIssues,
  };
  return { facts, policy };
}
