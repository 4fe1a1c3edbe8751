// The typed interface between the GitHub data layer and the pure policy engine. Everything here is a
// plain value: the engine never sees Octokit, Prisma or a webhook payload, so it can be tested with
// hand-written facts and reasoned about without I/O.

/** What kind of GitHub account an actor is, as GitHub says (never as the actor's text claims). */
export type ActorKind = "user" | "bot" | "organization" | "mannequin" | "unknown";

/** A GitHub account. `login` is as REST spells it (bots keep their `[bot]` suffix). */
export interface Actor {
  id: number | null;
  login: string;
  kind: ActorKind;
}

/** A person on a commit: git's name and email, and the GitHub account GitHub resolved, if any. */
export interface CommitPerson {
  name: string;
  email: string;
  account: Actor | null;
}

/** One commit of a pull request. `authors` includes co-authors from `Co-authored-by` trailers. */
export interface CommitFacts {
  sha: string;
  message: string;
  authors: CommitPerson[];
  committer: CommitPerson | null;
}

export type ReviewState = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";

/** A submitted pull-request review. `commitSha` is the head the review was given on. */
export interface ReviewFacts {
  id: number;
  reviewer: Actor;
  state: ReviewState;
  commitSha: string | null;
  submittedAt: string | null;
  url: string;
}

/** The repository a subject lives in. */
export interface RepoRef {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  htmlUrl: string;
}

/** A file the pull request moves from one path to another. */
export interface FileRename {
  from: string;
  to: string;
}

/** Everything the engine needs to know about a pull request, read from GitHub. */
export interface PullRequestFacts {
  repo: RepoRef;
  number: number;
  url: string;
  title: string;
  body: string;
  author: Actor;
  headSha: string;
  headRef: string;
  baseRef: string;
  /** The base commit GitHub reports for the pull request (GraphQL `baseRefOid`); absent when unknown. */
  baseSha?: string;
  /** Whether the head branch lives in another repository (a fork); absent when unknown. */
  crossRepository?: boolean;
  isDraft: boolean;
  state: "OPEN" | "CLOSED" | "MERGED";
  commits: CommitFacts[];
  reviews: ReviewFacts[];
  /**
   * Every path the change touches: added, modified and deleted files, and both paths of a renamed
   * file (a rename deletes its old path as surely as a deletion does). Tiers, scope and the policy-file
   * check all read this list, so none of them can be escaped by moving a file.
   */
  files: string[];
  /** The renamed files (both paths are in `files` already), for the evidence to show as `from → to`; absent means none. */
  renames?: FileRename[];
  /** The pull request's labels (set by people with triage permission, or by the agent if it may). */
  labels: string[];
  /** Issue numbers in the same repository that GitHub links as closed by this PR. */
  closingIssues: number[];
  /**
   * Pushes to this pull request's head branch by agent identities, as GitHub named the pusher (never
   * from commit metadata, which the agent writes). Absent or empty: none recorded.
   */
  agentPushes?: readonly AgentPush[];
}

/** A push by an agent identity to a branch, from the webhook's sender or GitHub's activity API. */
export interface AgentPush {
  id: string;
  branch: string;
  beforeSha: string;
  afterSha: string;
  forced: boolean;
  pusher: Actor;
  /** The agent identity the pusher matched when the push was recorded. */
  identity: string;
  /** The commits the push added, when the event listed them (a push event lists at most 20). */
  commits: string[];
  source: "push" | "pull_request.synchronize" | "activity";
  pushedAt: Date;
  /**
   * For a push by the credential app's bot: the credentials Countersign had issued that were live
   * when the push was recorded (the tokens that could have made it; empty: none was, so a token from
   * elsewhere pushed). Null for other pushers.
   */
  credentials: PushCredential[] | null;
}

/** An issued credential a push by the credential app's bot can be traced to: its delegation and workload. */
export interface PushCredential {
  id: string;
  delegationId: string;
  /** The workload's run id and workflow, as its verified OIDC claims named them. */
  runId: string | null;
  workflowRef: string | null;
}

/** Repository permission levels, lowest first, as GitHub's collaborator-permission API reports them. */
export const PERMISSION_LEVELS = ["none", "read", "triage", "write", "maintain", "admin"] as const;

/** A repository permission level. */
export type Permission = (typeof PERMISSION_LEVELS)[number];

/** Whether `permission` is `minimum` or higher. */
export function atLeast(permission: Permission, minimum: Permission): boolean {
  return PERMISSION_LEVELS.indexOf(permission) >= PERMISSION_LEVELS.indexOf(minimum);
}

/** Whether `permission` is write or higher. */
export function canWrite(permission: Permission): boolean {
  return atLeast(permission, "write");
}

/** How a task was referenced in a `/delegate` command (`none` when the policy lets it be left out). */
export interface TaskRef {
  kind: "issue" | "url" | "ticket" | "none";
  ref: string;
  url: string | null;
}

/** `expired` is set once the expiry sweep has acted on a delegation past its `expiresAt`. */
export type DelegationStatus = "active" | "revoked" | "expired";

/** A recorded delegation, as the engine sees it. */
export interface DelegationRecord {
  id: string;
  subjectType: "pull_request" | "issue";
  subjectNumber: number;
  owner: { id: number; login: string };
  agent: { id: number | null; login: string } | null;
  task: TaskRef;
  scopePaths: string[];
  /** Base branches (patterns) the delegation covers; empty = any. */
  scopeBranches: string[];
  expiresAt: Date | null;
  commentUrl: string;
  status: DelegationStatus;
  createdAt: Date;
  revokedAt: Date | null;
  revokedByLogin: string | null;
  revokeReason: string | null;
}
