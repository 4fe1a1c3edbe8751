import { createHash } from "node:crypto";
import { touch } from "../../build/fakes/test/fakes/bench-github.js";
import { commentEvent as testCommentEvent, pullRequestEvent as testPullRequestEvent, pushEvent as testPushEvent, reviewEvent as testReviewEvent, siteFor } from "../../build/fakes/test/fixtures/payloads.js";

// The benchmark's workloads: pull requests and the sequence of deliveries each receives, as GitHub
// would send them over an agent pull request's life. A step changes the model first (a push, a
// review), then yields the delivery GitHub sends about it; the app's evaluation later reads the model
// as it is then, as it would read GitHub.

export const claude = { id: 209825114, login: "claude[bot]", type: "Bot" };
/** What `GET /apps/{slug}` answers for every agent: Claude's GitHub App. */
export const AGENT_APP = { id: 1236702, name: "Claude", permissions: { contents: "write", issues: "write", metadata: "read", pull_requests: "write" }, events: ["issue_comment", "pull_request", "pull_request_review"] };
const alice = { id: 1001, login: "alice", type: "User" }; // writer: delegates
const bob = { id: 1002, login: "bob", type: "User" }; // writer: reviews
const carol = { id: 1003, login: "carol", type: "User" }; // read: comments
const dave = { id: 1004, login: "dave", type: "User" }; // writer: reviews
const frank = { id: 1006, login: "frank", type: "User" }; // writer: co-authors some commits
/** Reviewers of the large pull request; every fifth has read access only, so does not count. */
const reviewers = Array.from({ length: 12 }, (_, index) => ({ id: 2000 + index, login: `reviewer-${String(index + 1).padStart(2, "0")}`, type: "User" }));

/** Who can do what on every benchmark repository. */
export function grantPermissions(world) {
  for (const person of [alice, bob, dave, frank]) world.permissions.set(person.login, "write");
  world.permissions.set(carol.login, "read");
  reviewers.forEach((reviewer, index) => world.permissions.set(reviewer.login, index % 5 === 4 ? "read" : "write"));
}

/**
 * The organization policy every repository inherits (no repository file): the README's example
 * without team requirements, which would add membership lookups the fake does not model.
 */
export const ORG_POLICY = `mode: enforce
agents:
  identities:
    - name: Acme release agent
      ids: [123456789]
      logins: ["acme-release[bot]", acme-ci-agent]
  trailers:
    - name: Acme agent
      key: Co-authored-by
      pattern: "<agent@acme\\\\.dev>"
delegation:
  required: true
  implicit_owner: true
  delegators:
    min_permission: write
  task:
    required: true
    forms: [issue, ticket]
    ticket_pattern: "^(SEC|OPS)-\\\\d+$"
  default_expiry: 7d
  max_expiry: 30d
approvals:
  required: 1
  approvers:
    min_permission: write
  exclude:
    delegator: true
    pr_author: true
    commit_authors: true
tiers:
  - name: sensitive
    when:
      paths: [".github/workflows/**", ".github/countersign.yml", "CODEOWNERS", "**/*.tf", "**/package-lock.json"]
    require:
      approvals: 2
      max_delegation_expiry: 24h
  - name: payments-core
    when:
      paths: ["services/payments/**"]
    require:
      approvals: 2
scope:
  enforce_paths: false
  base_branches: ["main", "release/*"]
protected_branches: ["main", "release/*"]
`;

// Webhook payloads as GitHub sends them: the tests' (test/fixtures/payloads.ts, from the documented
// examples of @octokit/webhooks-examples, about 13–23 kB each, like real deliveries), for the
// benchmark's repositories on its Enterprise Server, with the pull request's real counts.
const GHES = "https://ghes.example";
const sites = new Map();
const site = (repo) => sites.get(repo.fullName) ?? sites.set(repo.fullName, siteFor(repo, GHES)).get(repo.fullName);
function withCounts(payload, pr) {
  payload.pull_request.commits = pr.commits.length;
  payload.pull_request.changed_files = pr.files.length;
  return payload;
}

/** A `pull_request` event (`opened`, `synchronize`). */
function pullRequestEvent(repo, action, pr) {
  return withCounts(testPullRequestEvent(action, pr, pr.author, { site: site(repo), before: pr.commits.at(-2)?.sha }), pr);
}

/** A `pull_request_review.submitted` event. */
function reviewEvent(repo, pr, review) {
  return withCounts(testReviewEvent("submitted", pr, { ...review, state: review.state.toLowerCase() }, site(repo)), pr);
}

/** An `issue_comment.created` event on a pull request's conversation. */
function commentEvent(repo, pr, { body, author, commentId }) {
  return testCommentEvent({ number: pr.number, onPullRequest: true, body, author, commentId }, site(repo));
}

/** A repository of the benchmark, installed in its own installation. */
export function benchRepository(index, installationId) {
  const owner = `bench-org-${index}`;
  const name = `service-${index}`;
  return { id: 700_000 + index, owner, name, fullName: `${owner}/${name}`, htmlUrl: `${GHES}/${owner}/${name}`, installationId };
}

/** A deterministic 40-hex-digit SHA from a label. */
function sha(label) {
  return createHash("sha1").update(label).digest("hex");
}

let nextId = 1;
const id = () => nextId++;
const at = (minute) => new Date(Date.UTC(2026, 10, 25, 9, minute % 60, 0)).toISOString();

function pullRequest(repo, number, shape) {
  const pr = { number, author: claude, headRef: `claude/task-${number}`, title: shape.title, body: shape.body ?? "Generated with Claude Code.", commits: [], reviews: [], files: shape.files, version: 0 };
  repo.pulls.set(number, pr);
  return pr;
}

function push(pr, label, options = {}) {
  const commit = { sha: sha(`${label}`), message: options.message ?? `Update ${label}`, author: claude, ...(options.coAuthors ? { coAuthors: options.coAuthors } : {}) };
  pr.commits.push(commit);
  if (options.keep && pr.commits.length > options.keep) pr.commits.shift();
  pr.headSha = commit.sha;
  touch(pr);
}

function review(pr, reviewer, state, options = {}) {
  const entry = { id: id(), reviewer, state, commitSha: options.commitSha ?? pr.headSha, submittedAt: at(pr.reviews.length) };
  pr.reviews.push(entry);
  if (options.keep && pr.reviews.length > options.keep) pr.reviews.shift();
  touch(pr);
  return entry;
}

/** A delivery: the event name and its payload. */
const delivery = (event, payload) => ({ event, payload });

const SMALL_FILES = ["src/client.ts", "src/retry.ts", "test/retry.test.ts", "README.md", "docs/usage.md", "src/config.ts", "src/http/agent.ts"];

/**
 * A small agent pull request and its life: opened by claude[bot] (one commit, a few files), delegated
 * by a writer, sometimes commented on by a reader, approved, pushed to again (the approval goes
 * stale), approved again. Six or seven deliveries; the check run is created twice and updated on most
 * steps, while a comment-only review leaves it unchanged (no write). One pull request in eight
 * changes a workflow (the sensitive tier: two approvals), so it stays blocked.
 */
export function smallPullRequestScript(repo, number) {
  const variant = number % 4;
  const files = Array.from({ length: 1 + (number % 5) }, (_, index) => SMALL_FILES[(number + index * 3) % SMALL_FILES.length]);
  if (number % 8 === 0) files.push(".github/workflows/ci.yml");
  let pr;
  const steps = [
    () => {
      pr = pullRequest(repo, number, { title: `Add retries to the client (#${number})`, files: [...new Set(files)] });
      push(pr, `${repo.fullName}#${number}/1`, { message: "Add retries to the client" });
      return delivery("pull_request", pullRequestEvent(repo, "opened", pr));
    },
    () => delivery("issue_comment", commentEvent(repo, pr, { body: `/delegate SEC-${number} expires:24h`, author: alice, commentId: id() })),
  ];
  if (variant === 1) steps.push(() => delivery("pull_request_review", reviewEvent(repo, pr, review(pr, carol, "COMMENTED"))));
  steps.push(() => delivery("pull_request_review", reviewEvent(repo, pr, review(pr, bob, "APPROVED"))));
  steps.push(() => {
    push(pr, `${repo.fullName}#${number}/2`, { message: "Address review comments" });
    if (variant === 2) push(pr, `${repo.fullName}#${number}/3`, { message: "Fix the test" });
    return delivery("pull_request", pullRequestEvent(repo, "synchronize", pr));
  });
  steps.push(() => delivery("pull_request_review", reviewEvent(repo, pr, review(pr, variant === 3 ? bob : dave, "APPROVED"))));
  return steps;
}

/**
 * A large agent pull request: 250 commits (every tenth co-authored by a human), 1,000 files in 40
 * directories (one in the sensitive tier), 40 reviews by 12 reviewers. Opened and delegated, then
 * a stream of reviews and pushes: commits and reviews stay at 250 and 40 (the oldest drop off, as if
 * the connection's first pages moved on), so every evaluation reads the same amount.
 */
export function largePullRequestScript(repo, number, { timedSteps }) {
  let pr;
  const label = (n) => `${repo.fullName}#${number}/${n}`;
  let pushes = 0;
  let turn = 0;
  const steps = [
    () => {
      const files = Array.from({ length: 1000 }, (_, index) => (index === 0 ? ".github/workflows/release.yml" : `services/area-${index % 40}/src/module-${Math.floor(index / 40)}/file-${index}.ts`));
      pr = pullRequest(repo, number, { title: `Migrate the services to the new client (#${number})`, files });
      for (pushes = 1; pushes <= 250; pushes += 1) push(pr, label(pushes), { message: `Migrate module ${pushes}\n\nPart of the client migration.`, coAuthors: pushes % 10 === 0 ? [frank] : undefined });
      const states = ["COMMENTED", "COMMENTED", "CHANGES_REQUESTED", "COMMENTED", "APPROVED"];
      for (let index = 0; index < 40; index += 1) {
        review(pr, reviewers[index % reviewers.length], states[index % states.length], { commitSha: pr.commits[Math.floor((index * 250) / 40)].sha });
      }
      return delivery("pull_request", pullRequestEvent(repo, "opened", pr));
    },
    () => delivery("issue_comment", commentEvent(repo, pr, { body: `/delegate OPS-${number} expires:24h`, author: alice, commentId: id() })),
  ];
  for (let step = 0; step < timedSteps; step += 1) {
    steps.push(() => {
      turn += 1;
      const reviewer = reviewers[turn % reviewers.length];
      switch (turn % 5) {
        case 1:
          return delivery("pull_request_review", reviewEvent(repo, pr, review(pr, reviewer, "APPROVED", { keep: 40 })));
        case 2:
          return delivery("pull_request_review", reviewEvent(repo, pr, review(pr, reviewers[(turn + 5) % reviewers.length], "APPROVED", { keep: 40 })));
        case 3:
          push(pr, label(++pushes), { keep: 250, message: "Address review comments" });
          return delivery("pull_request", pullRequestEvent(repo, "synchronize", pr));
        case 4:
          return delivery("pull_request_review", reviewEvent(repo, pr, review(pr, reviewer, "COMMENTED", { keep: 40 })));
        default:
          return delivery("pull_request_review", reviewEvent(repo, pr, review(pr, reviewer, "CHANGES_REQUESTED", { keep: 40 })));
      }
    });
  }
  return steps;
}

/** A repository of an organization whose repositories share one installation (the policy-change run). */
export function organizationRepository(org, index, installationId) {
  const name = index === 0 ? ".github" : `service-${index}`;
  return { id: 800_000 + index, owner: org, name, fullName: `${org}/${name}`, htmlUrl: `${GHES}/${org}/${name}`, installationId };
}

/**
 * The first steps of a small pull request's life, up to its first approval: opened, delegated, (a
 * reader's comment,) approved, so that the organization policy's one approval countersigns it.
 */
export function approvedPullRequestScript(repo, number) {
  return smallPullRequestScript(repo, number).slice(0, number % 4 === 1 ? 4 : 3);
}

/**
 * The `push` of a commit that changes `.github/countersign.yml` on the organization `.github`
 * repository's default branch, as an administrator merging a policy change: the documented example,
 * for that repository.
 */
export function policyPushDelivery(repo, { before, after }) {
  const payload = testPushEvent({ ref: "refs/heads/main", after, sender: alice, commits: [{ id: after, message: "Require two approvals" }] });
  const where = site(repo);
  payload.before = before;
  payload.created = false;
  payload.forced = false;
  payload.repository = { ...payload.repository, ...where.repository, default_branch: "main", master_branch: "main" };
  payload.installation = where.installation;
  if (payload.organization) payload.organization = { ...payload.organization, login: repo.owner };
  payload.commits = payload.commits.map((commit) => ({ ...commit, added: [], removed: [], modified: [".github/countersign.yml"] }));
  payload.head_commit = payload.commits.at(-1);
  payload.compare = `${repo.htmlUrl}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`;
  return delivery("push", payload);
}

/** A step: bob, who has reviewed before, comments on pull request `number` (nothing to decide anew). */
export function remarkStep(repo, number) {
  return () => {
    const pr = repo.pulls.get(number);
    return delivery("pull_request_review", reviewEvent(repo, pr, review(pr, bob, "COMMENTED")));
  };
}
