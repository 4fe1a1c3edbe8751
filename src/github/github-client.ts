import type { Actor, Permission } from "../policy/types.js";
import type { AgentInventory } from "./agent-inventory.js";
import type { BranchPush } from "./branch-activity.js";
import type { CheckRunContent } from "./check-runs.js";
import type { CredentialRulesStatus } from "./credential-rules.js";
import type { IssueText } from "./issue-text.js";
import type { OrgMembership } from "./org-access.js";
import type { InstallationRepository, OpenPullRequest } from "./open-pull-requests.js";
import type { PolicyFileSource } from "./policy-files.js";
import type { PullRequestSnapshot, SnapshotOptions } from "./pull-request-facts.js";
import type { RequiredCheckStatus } from "./required-check.js";

// The one seam between Countersign's services and GitHub, as policy-bot's `pull.Context` is: every
// read and write the app makes, named by what it means to the app. Services are given a `GitHub`
// (through their event context) and never see Octokit; octokit-github.ts implements it over the
// REST and GraphQL modules beside this file, and tests use an in-memory one.

/** A repository by owner and name: what a read that needs no id is asked with. */
export interface RepoName {
  owner: string;
  name: string;
}

/** A repository with its numeric id, which per-repository answers are cached under. */
export interface RepoRef extends RepoName {
  id: number;
}

/** A repository as GitHub has it now: what the credential exchange checks a workload's claims against. */
export interface RepositoryFacts {
  id: number;
  fullName: string;
  ownerId: number;
  defaultBranch: string;
}

/** A team, by organization and slug. */
export interface TeamRef {
  org: string;
  slug: string;
}

/** Asking for a person's standing at this moment instead of a recently cached answer. */
export interface Freshness {
  fresh?: boolean;
}

/** What Countersign reads from and writes to GitHub, as one installation. */
export interface GitHub extends PolicyFileSource {
  /** A pull request, everything the policy needs about it, and its policy files (one query, plus pages). */
  readPullRequest(repo: RepoName, number: number, options?: SnapshotOptions): Promise<PullRequestSnapshot>;
  /** The head commit of a pull request, from the REST API: what a failed evaluation blocks. */
  pullRequestHeadSha(repo: RepoName, number: number): Promise<string>;
  /** A pull request's head branch, and whether it is in the same repository (null: no such pull request). */
  pullRequestBranch(repo: RepoName, number: number): Promise<{ ref: string; sameRepository: boolean } | null>;
  /** The repository with id `id` as GitHub has it now (its name, owner's id, default branch); null when GitHub knows none. */
  repositoryById(id: number): Promise<RepositoryFacts | null>;
  /** Whether issue or pull request `number` is open, and who opened it; null when there is none. */
  issueState(repo: RepoName, number: number): Promise<{ open: boolean; authorLogin: string } | null>;
  /** Issue `number`'s title and body as they are now (a delegation's task snapshot); null when there is none. */
  issueText(repo: RepoName, number: number): Promise<IssueText | null>;
  /** The repository's open pull requests, on `base` only when given. */
  openPullRequests(repo: RepoName, base?: string): Promise<OpenPullRequest[]>;
  /** Open pull requests of the same repository that reference an issue. */
  openPullRequestsReferencingIssue(repo: RepoName, issueNumber: number): Promise<number[]>;
  /** The repositories this installation can read, archived ones left out. */
  installationRepositories(): Promise<InstallationRepository[]>;
  /** Whether `path` differs between `before` (null: nothing before) and `after`. */
  fileChangedBetween(repo: RepoName, path: string, before: string | null, after: string): Promise<boolean>;
  /** The latest pushes to a branch, from the repository's activity log. */
  recentPushesToBranch(repo: RepoName, branch: string): Promise<BranchPush[]>;
  /** Whether the `Countersign` check is required on `branch`; `appId` tells whether a ruleset pins it to this app. */
  requiredCheckStatus(repo: RepoRef, branch: string, appId: number | null): Promise<RequiredCheckStatus>;
  /**
   * Whether the rules on `branch` keep the credential app's bot from pushing to it directly, asked as
   * that bot; null when this process has no credential app.
   */
  credentialBotRules(repo: RepoRef, branch: string): Promise<CredentialRulesStatus | null>;
  /** A person's permission on the repository (`none` when GitHub knows no such user). */
  permission(repo: RepoRef, login: string, options?: Freshness): Promise<Permission>;
  /** Whether `login` is an active member of the team. */
  isTeamMember(team: TeamRef, login: string, options?: Freshness): Promise<boolean>;
  /** `login`'s membership of organization `org` (role and state) as GitHub has it now; null when not a member. */
  orgMembership(org: string, login: string): Promise<OrgMembership | null>;
  /** What an agent is able to do (its app's grants, or a machine user's permission); `aliases` are its other logins. */
  agentInventory(repo: RepoRef, agent: Pick<Actor, "login" | "kind">, aliases?: readonly string[]): Promise<AgentInventory>;
  /** Writes the `Countersign` check run (updating `existingId` when given) and returns its id. */
  writeCheckRun(repo: RepoName, existingId: number | null, content: CheckRunContent): Promise<number>;
  /** Posts a comment on an issue or pull request conversation. */
  postComment(repo: RepoName, issueNumber: number, body: string): Promise<void>;
}
