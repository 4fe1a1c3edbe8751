import type { ProbotOctokit } from "probot";
import { z } from "zod";
import type { Actor, CommitFacts, CommitPerson, PullRequestFacts, ReviewFacts } from "../policy/types.js";

// One GraphQL request reads everything a decision needs: the PR, its commits with every author
// (GitHub resolves `Co-authored-by` trailers into `Commit.authors`), its reviews with the commit each
// was given on, its files and the issues it closes. Connections past 100 items are paginated with
// follow-up queries for that connection only.

const PAGE = 100;

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

const PAGE_INFO = "pageInfo { hasNextPage endCursor }";

// The policy file rides along in the same request: the repository's on the PR's base branch, and the
// organization's `.github` repository's (its fallback and usual `_extends` target), by blob.
const POLICY_PATH = ".github/countersign.yml";
const POLICY_BLOB = "oid object { ... on Blob { text isTruncated } }";

const PULL_REQUEST_QUERY = `query CountersignPullRequest($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    databaseId nameWithOwner url
    owner { login }
    name
    pullRequest(number: $number) {
      number url title body state isDraft headRefOid headRefName baseRefName
      author { ${ACTOR_FIELDS} }
      commits(first: ${PAGE}) { ${PAGE_INFO} ${COMMIT_NODES} }
      reviews(first: ${PAGE}) { ${PAGE_INFO} ${REVIEW_NODES} }
      files(first: ${PAGE}) { ${PAGE_INFO} nodes { path } }
      closingIssuesReferences(first: 50) { nodes { number repository { databaseId } } }
      labels(first: 100) { nodes { name } }
      baseRef { target { ... on Commit { policyFile: file(path: "${POLICY_PATH}") { ${POLICY_BLOB} } } } }
    }
  }
  orgPolicyRepository: repository(owner: $owner, name: ".github") {
    nameWithOwner
    defaultBranchRef { target { ... on Commit { policyFile: file(path: "${POLICY_PATH}") { ${POLICY_BLOB} } } } }
  }
}`;

function pageQuery(connection: "commits" | "reviews" | "files", nodes: string): string {
  return `query CountersignPullRequest_${connection}($owner: String!, $name: String!, $number: Int!, $after: String!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) { ${connection}(first: ${PAGE}, after: $after) { ${PAGE_INFO} ${nodes} } }
  }
}`;
}

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

const fileNodeSchema = z.object({ path: z.string() });

const connection = <T extends z.ZodTypeAny>(node: T) => z.object({ pageInfo: pageInfoSchema, nodes: z.array(node.nullable()) });

const policyFileSchema = z
  .object({ oid: z.string(), object: z.object({ text: z.string().nullish(), isTruncated: z.boolean().nullish() }).nullish() })
  .nullish();

const commitTargetSchema = z.object({ policyFile: policyFileSchema }).passthrough().nullish();

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

async function remainingPages<T extends z.ZodTypeAny>(
  octokit: ProbotOctokit,
  repo: Repo,
  number: number,
  name: "commits" | "reviews" | "files",
  nodes: string,
  node: T,
  first: z.infer<typeof pageInfoSchema>,
): Promise<Array<z.infer<T>>> {
  const items: Array<z.infer<T>> = [];
  let pageInfo = first;
  const schema = z.object({ repository: z.object({ pullRequest: z.object({ [name]: connection(node) }) }) });
  while (pageInfo.hasNextPage && pageInfo.endCursor) {
    const raw = await octokit.graphql(pageQuery(name, nodes), { owner: repo.owner, name: repo.name, number, after: pageInfo.endCursor });
    const page = (schema.parse(raw).repository.pullRequest as Record<string, z.infer<ReturnType<typeof connection<T>>>>)[name];
    if (!page) break;
    items.push(...page.nodes.filter((item): item is z.infer<T> => item !== null));
    pageInfo = page.pageInfo;
  }
  return items;
}

/** A policy file as the pull-request query read it: its blob, or null when there is none. */
export type PolicyBlob = { oid: string; text: string } | null;

/**
 * The policy files read with the pull request: `complete` is false when a file could not be read in
 * full this way (too large, binary, or the base branch is gone), and the config loader must be used.
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

function blob(file: z.infer<typeof policyFileSchema>): { blob: PolicyBlob; complete: boolean } {
  if (!file) return { blob: null, complete: true };
  const text = file.object?.text;
  if (typeof text !== "string" || file.object?.isTruncated) return { blob: null, complete: false };
  return { blob: { oid: file.oid, text }, complete: true };
}

/**
 * Runs the pull-request query. The organization's `.github` repository may not exist or may not be
 * readable by this installation: GitHub then answers with data and a NOT_FOUND error for that field
 * alone, which is an absent org policy, not a failure. Any other error is.
 */
async function queryPullRequest(octokit: ProbotOctokit, repo: Repo, number: number): Promise<unknown> {
  try {
    return await octokit.graphql(PULL_REQUEST_QUERY, { owner: repo.owner, name: repo.name, number });
  } catch (error) {
    const response = error as { errors?: Array<{ path?: Array<string | number>; type?: string }>; data?: unknown };
    const onlyOrgMissing = Array.isArray(response.errors) && response.errors.length > 0 && response.errors.every((item) => item.path?.[0] === "orgPolicyRepository");
    if (onlyOrgMissing && response.data) return { ...(response.data as Record<string, unknown>), orgPolicyRepository: null };
    throw error;
  }
}

/** Reads a pull request and everything the policy needs about it. Throws when it does not exist. */
export async function fetchPullRequestFacts(octokit: ProbotOctokit, repo: Repo, number: number): Promise<PullRequestFacts> {
  return (await fetchPullRequestSnapshot(octokit, repo, number)).facts;
}

/**
 * Reads a pull request, everything the policy needs about it, and its policy files, in one GraphQL
 * request (plus one per further page of commits, reviews or files past 100). Throws when it does not
 * exist.
 */
export async function fetchPullRequestSnapshot(octokit: ProbotOctokit, repo: Repo, number: number): Promise<PullRequestSnapshot> {
  const raw = await queryPullRequest(octokit, repo, number);
  const { repository, orgPolicyRepository } = pullRequestResponseSchema.parse(raw);
  const pr = repository.pullRequest;
  if (!pr) throw new Error(`pull request ${repository.nameWithOwner}#${number} not found`);

  const nonNull = <T>(items: Array<T | null>): T[] => items.filter((item): item is T => item !== null);
  const commitNodes = [...nonNull(pr.commits.nodes), ...(await remainingPages(octokit, repo, number, "commits", COMMIT_NODES, commitNodeSchema, pr.commits.pageInfo))];
  const reviewNodes = [...nonNull(pr.reviews.nodes), ...(await remainingPages(octokit, repo, number, "reviews", REVIEW_NODES, reviewNodeSchema, pr.reviews.pageInfo))];
  const fileNodes = pr.files
    ? [...nonNull(pr.files.nodes), ...(await remainingPages(octokit, repo, number, "files", "nodes { path }", fileNodeSchema, pr.files.pageInfo))]
    : [];

  const repositoryPolicy = pr.baseRef ? blob(pr.baseRef.target?.policyFile) : { blob: null, complete: false };
  const organizationPolicy = blob(orgPolicyRepository?.defaultBranchRef?.target?.policyFile);
  const policy: PolicyBlobs = {
    complete: repositoryPolicy.complete && organizationPolicy.complete,
    repository: repositoryPolicy.blob,
    organization: organizationPolicy.blob,
  };
  const facts: PullRequestFacts = {
    repo: {
      id: repository.databaseId,
      owner: repository.owner.login,
      name: repository.name,
      fullName: repository.nameWithOwner,
      htmlUrl: repository.url,
    },
    number: pr.number,
    url: pr.url,
    title: pr.title,
    body: pr.body ?? "",
    author: toActor(pr.author),
    headSha: pr.headRefOid,
    headRef: pr.headRefName,
    baseRef: pr.baseRefName,
    isDraft: pr.isDraft,
    state: pr.state,
    commits: commitNodes.map(toCommit),
    // Pending reviews are the reviewer's unsubmitted draft: not an opinion yet.
    reviews: reviewNodes.map(toReview).filter((review) => review.state !== "PENDING"),
    files: fileNodes.map((file) => file.path),
    labels: nonNull(pr.labels?.nodes ?? []).map((label) => label.name),
    closingIssues: nonNull(pr.closingIssuesReferences?.nodes ?? [])
      .filter((issue) => issue.repository.databaseId === repository.databaseId)
      .map((issue) => issue.number),
  };
  return { facts, policy };
}
