// Builders shared by the policy-key tables and the property tests: plain facts about a pull request in
// acme/widgets, the people around it, and policies compiled from YAML-shaped objects (so every policy
// a test uses has also passed the schema).
import { compileRepoConfig } from "../../../src/config/repo-policy-loader.js";
import { actorKey } from "../../../src/policy/agent-identities.js";
import type { PeopleFacts } from "../../../src/policy/approvals.js";
import { evaluatePullRequest, type Decision } from "../../../src/policy/evaluate.js";
import { defaultPolicy, type RepoPolicy } from "../../../src/policy/repo-policy.js";
import type { Actor, CommitFacts, CommitPerson, DelegationRecord, Permission, PullRequestFacts, ReviewFacts } from "../../../src/policy/types.js";

export const NOW = new Date("2025-06-01T12:00:00Z");
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const HEAD = "1".repeat(40);
export const OLD = "2".repeat(40);
export const REPO_URL = "https://github.com/acme/widgets";

export const alice: Actor = { id: 1001, login: "alice", kind: "user" };
export const bob: Actor = { id: 1002, login: "bob", kind: "user" };
export const carol: Actor = { id: 1003, login: "carol", kind: "user" };
export const dave: Actor = { id: 1004, login: "dave", kind: "user" };
export const erin: Actor = { id: 1005, login: "erin", kind: "user" };
export const claudeBot: Actor = { id: 209825114, login: "claude[bot]", kind: "bot" };
export const cursorBot: Actor = { id: 206951365, login: "cursor[bot]", kind: "bot" };
export const dependabot: Actor = { id: 49699333, login: "dependabot[bot]", kind: "bot" };
export const renovate: Actor = { id: 29139614, login: "renovate[bot]", kind: "bot" };

/** A commit person backed by an account, with the account's noreply address. */
export function personOf(account: Actor): CommitPerson {
  return { name: account.login, email: `${account.id ?? 0}+${account.login}@users.noreply.github.com`, account };
}

/** A commit on the head by `author` (who also commits it), with optional co-authors. */
export function commit(author: Actor, options: { message?: string; sha?: string; coAuthors?: Actor[]; committer?: Actor | null } = {}): CommitFacts {
  const committer = options.committer === undefined ? author : options.committer;
  return {
    sha: options.sha ?? HEAD,
    message: options.message ?? "Change the widget",
    authors: [personOf(author), ...(options.coAuthors ?? []).map(personOf)],
    committer: committer ? personOf(committer) : null,
  };
}

let nextReviewId = 1;

/** A review, submitted a second after every review built before it, of the head unless told otherwise. */
export function review(reviewer: Actor, state: ReviewFacts["state"] = "APPROVED", commitSha: string | null = HEAD): ReviewFacts {
  const id = nextReviewId++;
  const submittedAt = new Date(NOW.getTime() - DAY + id * 1000).toISOString();
  return { id, reviewer, state, commitSha, submittedAt, url: `${REPO_URL}/pull/7#pullrequestreview-${id}` };
}

/** PR #7 into main, opened by claude[bot] with one commit of its own, changing src/client.ts. */
export function pullRequest(overrides: Partial<PullRequestFacts> = {}): PullRequestFacts {
  return {
    repo: { id: 42, owner: "acme", name: "widgets", fullName: "acme/widgets", htmlUrl: REPO_URL },
    number: 7,
    url: `${REPO_URL}/pull/7`,
    title: "Add retry to the client",
    body: "",
    author: claudeBot,
    headSha: HEAD,
    headRef: "claude/retry",
    baseRef: "main",
    isDraft: false,
    state: "OPEN",
    commits: [commit(claudeBot)],
    reviews: [],
    files: ["src/client.ts"],
    labels: [],
    closingIssues: [],
    ...overrides,
  };
}

/** An agent-assisted PR: opened by `author`, whose one commit carries a Claude co-author trailer. */
export function assistedPullRequest(author: Actor, overrides: Partial<PullRequestFacts> = {}): PullRequestFacts {
  return pullRequest({ author, commits: [commit(author, { message: "Add retry\n\nCo-Authored-By: Claude <noreply@anthropic.com>" })], ...overrides });
}

/** An active delegation of PR #7 by alice, given an hour ago, with no expiry and no scope. */
export function delegation(overrides: Partial<DelegationRecord> = {}): DelegationRecord {
  return {
    id: "del_pr",
    subjectType: "pull_request",
    subjectNumber: 7,
    owner: { id: 1001, login: "alice" },
    agent: null,
    task: { kind: "ticket", ref: "SEC-142", url: null },
    scopePaths: [],
    scopeBranches: [],
    expiresAt: null,
    commentUrl: `${REPO_URL}/pull/7#issuecomment-1`,
    status: "active",
    createdAt: new Date(NOW.getTime() - HOUR),
    revokedAt: null,
    revokedByLogin: null,
    revokeReason: null,
    ...overrides,
  };
}

/** Repository permissions by actor key. */
export function permissions(entries: Array<[Actor, Permission]>): Map<string, Permission> {
  return new Map(entries.map(([actor, permission]) => [actorKey(actor), permission]));
}

/** Write permission for every listed actor. */
export function writers(...actors: Actor[]): Map<string, Permission> {
  return permissions(actors.map((actor) => [actor, "write"]));
}

/** What is known about people: permissions, and per team (`org/slug`) who is or is not a member. */
export function peopleFacts(known: Map<string, Permission>, teams: Record<string, Array<[Actor, boolean]>> = {}): PeopleFacts {
  return {
    permissions: known,
    memberships: new Map(Object.entries(teams).map(([team, members]) => [team, new Map(members.map(([actor, member]) => [actorKey(actor), member]))])),
  };
}

/** Compiles a YAML-shaped policy for the acme organization, failing the test with its problems if it does not compile. */
export function policyFrom(config: unknown, owner = "acme"): RepoPolicy {
  const result = compileRepoConfig(config, "acme/widgets:.github/countersign.yml", owner);
  if (!result.ok) throw new Error(`expected the policy to compile, got ${JSON.stringify(result.problems)}`);
  return result.policy;
}

export interface Situation {
  policy?: RepoPolicy;
  delegations?: DelegationRecord[];
  people?: PeopleFacts;
  now?: Date;
}

/** Evaluates a PR under the default policy, with no delegations, and bob, carol and dave as writers, unless told otherwise. */
export function evaluate(pr: PullRequestFacts, situation: Situation = {}): Decision {
  return evaluatePullRequest({
    pr,
    policy: situation.policy ?? defaultPolicy(),
    delegations: situation.delegations ?? [],
    people: situation.people ?? peopleFacts(writers(bob, carol, dave)),
    now: situation.now ?? NOW,
  });
}
