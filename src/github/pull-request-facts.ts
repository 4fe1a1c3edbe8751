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
    }
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

const pullRequestResponseSchema = z.object({
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

/** Reads a pull request and everything the policy needs about it. Throws when it does not exist. */
export async function fetchPullRequestFacts(octokit: ProbotOctokit, repo: Repo, number: number): Promise<PullRequestFacts> {
  const raw = await octokit.graphql(PULL_REQUEST_QUERY, { owner: repo.owner, name: repo.name, number });
  const { repository } = pullRequestResponseSchema.parse(raw);
  const pr = repository.pullRequest;
  if (!pr) throw new Error(`pull request ${repository.nameWithOwner}#${number} not found`);

  const nonNull = <T>(items: Array<T | null>): T[] => items.filter((item): item is T => item !== null);
  const commitNodes = [...nonNull(pr.commits.nodes), ...(await remainingPages(octokit, repo, number, "commits", COMMIT_NODES, commitNodeSchema, pr.commits.pageInfo))];
  const reviewNodes = [...nonNull(pr.reviews.nodes), ...(await remainingPages(octokit, repo, number, "reviews", REVIEW_NODES, reviewNodeSchema, pr.reviews.pageInfo))];
  const fileNodes = pr.files
    ? [...nonNull(pr.files.nodes), ...(await remainingPages(octokit, repo, number, "files", "nodes { path }", fileNodeSchema, pr.files.pageInfo))]
    : [];

  return {
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
}
