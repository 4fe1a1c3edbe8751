// GitHub's answers to Countersign's pull-request query, built from a model of the pull request.
// Copied from test/mocks/graphql-responses.ts (TypeScript, not compiled to lib/) and generalised to
// many repositories; the shapes must stay those of that file, which the test suites check against
// the app's query.

/** GitHub's page size for the connections Countersign reads. */
const PAGE = 100;

/** A git author or committer: bots commit with their noreply address and no GitHub user. */
function gitActor(user) {
  if (user.type === "Bot") return { name: user.login, email: `${user.id}+${user.login}@users.noreply.github.com`, user: null };
  return { name: user.login, email: `${user.login}@example.com`, user: { login: user.login, databaseId: user.id } };
}

/** GraphQL spells bot logins without the `[bot]` suffix. */
function graphqlActor(user) {
  return { __typename: user.type, login: user.login.replace(/\[bot\]$/, ""), databaseId: user.id };
}

function commitNode(commit) {
  return {
    commit: {
      oid: commit.sha,
      message: commit.message,
      authors: { nodes: [commit.author, ...(commit.coAuthors ?? [])].map(gitActor) },
      committer: gitActor(commit.committer ?? commit.author),
    },
  };
}

function reviewNode(repo, pr, review) {
  return {
    databaseId: review.id,
    state: review.state,
    submittedAt: review.submittedAt,
    url: `${repo.htmlUrl}/pull/${pr.number}#pullrequestreview-${review.id}`,
    commit: { oid: review.commitSha },
    author: graphqlActor(review.reviewer),
  };
}

/** All nodes of a connection (`commits`, `reviews`, `files`), before paging. */
function connectionNodes(repo, pr, name) {
  if (name === "commits") return pr.commits.map(commitNode);
  if (name === "reviews") return pr.reviews.map((review) => reviewNode(repo, pr, review));
  return pr.files.map((path) => ({ path, changeType: "MODIFIED" }));
}

/** A cursor names an item by its position: GitHub's are opaque; Countersign only passes them back. */
const cursorOf = (index) => `cursor:${index}`;
const positionOf = (cursor) => Number(String(cursor).replace(/^cursor:/, ""));

/** The first page of a connection, GitHub-style: at most 100 nodes, the total, and a cursor when more follow. */
function firstPage(repo, pr, name) {
  const all = connectionNodes(repo, pr, name);
  const nodes = all.slice(0, PAGE);
  return { totalCount: all.length, pageInfo: { hasNextPage: PAGE < all.length, endCursor: nodes.length > 0 ? cursorOf(nodes.length - 1) : null }, nodes };
}

function policyFile(text) {
  return text === null ? null : { oid: `blob-${text.length}`, object: { text, isTruncated: false } };
}

/** The answer to `query CountersignPullRequest`: the pull request and both policy files. */
export function pullRequestGraphqlResponse(repo, pr, policies) {
  return {
    data: {
      orgPolicyRepository: { nameWithOwner: `${repo.owner}/.github`, defaultBranchRef: { target: { policyFile: policyFile(policies.organization) } } },
      repository: {
        databaseId: repo.id,
        nameWithOwner: repo.fullName,
        url: repo.htmlUrl,
        owner: { login: repo.owner },
        name: repo.name,
        pullRequest: {
          number: pr.number,
          url: `${repo.htmlUrl}/pull/${pr.number}`,
          title: pr.title,
          body: pr.body ?? "",
          state: "OPEN",
          isDraft: false,
          headRefOid: pr.headSha,
          headRefName: pr.headRef,
          baseRefName: "main",
          changedFiles: pr.files.length,
          author: graphqlActor(pr.author),
          commits: firstPage(repo, pr, "commits"),
          reviews: firstPage(repo, pr, "reviews"),
          files: firstPage(repo, pr, "files"),
          labels: { nodes: [] },
          baseRef: { target: { policyFile: policyFile(policies.repository) } },
          closingIssuesReferences: { nodes: [] },
        },
      },
    },
  };
}

/**
 * The answer to a follow-up query (`CountersignPullRequest_pages`): every aliased page it asks for,
 * `<connection>Forward: <connection>(first: n, after: $var)` or `<connection>Backward: <connection>(last:
 * n[, before: $var])`, read from the query text and its variables as GitHub would.
 */
export function pagesResponse(repo, pr, query, variables) {
  const pullRequest = { headRefOid: pr.headSha };
  const field = /(\w+): (commits|reviews|files)\((first|last): (\d+)(?:, (?:after|before): \$(\w+))?\)/g;
  for (const [, alias, name, size, count, variable] of query.matchAll(field)) {
    const all = connectionNodes(repo, pr, name);
    if (size === "first") {
      const start = positionOf(variables[variable]) + 1;
      const nodes = all.slice(start, start + Number(count));
      pullRequest[alias] = { pageInfo: { hasNextPage: start + Number(count) < all.length, endCursor: nodes.length > 0 ? cursorOf(start + nodes.length - 1) : null }, nodes };
    } else {
      const end = variable === undefined ? all.length : positionOf(variables[variable]);
      const start = Math.max(0, end - Number(count));
      pullRequest[alias] = { pageInfo: { hasPreviousPage: start > 0, startCursor: end > start ? cursorOf(start) : null }, nodes: all.slice(start, end) };
    }
  }
  return { data: { repository: { pullRequest } } };
}
