import { createRequire } from "node:module";

// Webhook payloads as GitHub sends them: the documented examples of @octokit/webhooks-examples
// (about 13–23 kB each, like real deliveries), adapted to the benchmark's repositories and pull
// requests. Follows test/fixtures/payloads.ts.

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples");

function example(name, predicate) {
  const found = examples.find((entry) => entry.name === name)?.examples.find(predicate);
  if (!found) throw new Error(`no ${name} example matches`);
  return found;
}

const TEMPLATES = {
  pullRequest: example("pull_request", (payload) => payload.action === "opened"),
  review: example("pull_request_review", (payload) => payload.action === "submitted"),
  comment: example("issue_comment", (payload) => payload.action === "created"),
};

/** A repository of the benchmark, installed in its own installation. */
export function benchRepository(index, installationId) {
  const owner = `bench-org-${index}`;
  const name = `service-${index}`;
  return { id: 700_000 + index, owner, name, fullName: `${owner}/${name}`, htmlUrl: `https://ghes.example/${owner}/${name}`, installationId };
}

function repositoryPayload(repo) {
  const base = structuredClone(TEMPLATES.pullRequest.repository);
  return {
    ...base,
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: repo.fullName,
    html_url: repo.htmlUrl,
    url: `https://ghes.example/api/v3/repos/${repo.fullName}`,
    owner: { ...base.owner, login: repo.owner, id: repo.id + 1_000_000, type: "Organization" },
    default_branch: "main",
    master_branch: "main",
  };
}

function userPayload(user) {
  return {
    login: user.login,
    id: user.id,
    node_id: `U_${user.id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    gravatar_id: "",
    url: `https://ghes.example/api/v3/users/${user.login}`,
    html_url: `https://ghes.example/${user.login}`,
    type: user.type,
    site_admin: false,
  };
}

function withRepo(payload, repo) {
  payload.repository = repositoryPayload(repo);
  payload.installation = { id: repo.installationId, node_id: `MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${repo.installationId}` };
  return payload;
}

function pullRequestPayload(repo, pr, base) {
  const out = base;
  out.number = pr.number;
  out.title = pr.title;
  out.body = pr.body ?? "";
  out.state = "open";
  out.user = userPayload(pr.author);
  out.html_url = `${repo.htmlUrl}/pull/${pr.number}`;
  out.commits = pr.commits.length;
  out.changed_files = pr.files.length;
  out.head = { ...out.head, sha: pr.headSha, ref: pr.headRef, repo: repositoryPayload(repo) };
  out.base = { ...out.base, ref: "main", repo: repositoryPayload(repo) };
  return out;
}

/** A `pull_request` event (`opened`, `synchronize`). */
export function pullRequestEvent(repo, action, pr, sender = pr.author) {
  const payload = withRepo(structuredClone(TEMPLATES.pullRequest), repo);
  payload.action = action;
  payload.number = pr.number;
  payload.pull_request = pullRequestPayload(repo, pr, payload.pull_request);
  payload.sender = userPayload(sender);
  if (action === "synchronize") {
    payload.before = pr.commits.at(-2)?.sha ?? "0".repeat(40);
    payload.after = pr.headSha;
  }
  return payload;
}

/** A `pull_request_review.submitted` event. */
export function reviewEvent(repo, pr, review) {
  const payload = withRepo(structuredClone(TEMPLATES.review), repo);
  payload.action = "submitted";
  payload.pull_request = pullRequestPayload(repo, pr, payload.pull_request);
  payload.review = { ...payload.review, id: review.id, user: userPayload(review.reviewer), state: review.state.toLowerCase(), commit_id: review.commitSha };
  payload.sender = userPayload(review.reviewer);
  return payload;
}

/** An `issue_comment.created` event on a pull request's conversation. */
export function commentEvent(repo, pr, { body, author, commentId }) {
  const payload = withRepo(structuredClone(TEMPLATES.comment), repo);
  payload.issue.number = pr.number;
  payload.issue.html_url = `${repo.htmlUrl}/pull/${pr.number}`;
  payload.issue.pull_request = {
    url: `https://ghes.example/api/v3/repos/${repo.fullName}/pulls/${pr.number}`,
    html_url: `${repo.htmlUrl}/pull/${pr.number}`,
    diff_url: `${repo.htmlUrl}/pull/${pr.number}.diff`,
    patch_url: `${repo.htmlUrl}/pull/${pr.number}.patch`,
  };
  payload.comment = { ...payload.comment, id: commentId, body, user: userPayload(author), html_url: `${repo.htmlUrl}/pull/${pr.number}#issuecomment-${commentId}` };
  payload.sender = userPayload(author);
  return payload;
}
