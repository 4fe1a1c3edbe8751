import type { ProbotOctokit } from "probot";
import { AgentInventoryReader } from "./agent-inventory.js";
import { recentPushesToBranch } from "./branch-activity.js";
import { writeCheckRun } from "./check-runs.js";
import { postComment } from "./comments.js";
import { CredentialRulesDoctor, type CredentialAppClients } from "./credential-rules.js";
import { fileChangedBetween } from "./file-versions.js";
import type { GitHub } from "./github-client.js";
import { openPullRequestsReferencingIssue } from "./issue-pull-requests.js";
import { readIssueText } from "./issue-text.js";
import { readRepositoryById, readSubjectState } from "./credential-facts.js";
import { listInstallationRepositories, listOpenPullRequests, pullRequestBranch, pullRequestHeadSha } from "./open-pull-requests.js";
import { readOrgMembership } from "./org-access.js";
import { PermissionReader, TeamMembershipReader } from "./permissions.js";
import { readPolicyFile } from "./policy-files.js";
import { fetchPullRequestSnapshot } from "./pull-request-facts.js";
import { RequiredCheckDoctor } from "./required-check.js";

// The `GitHub` seam over Octokit: each operation is one of the REST or GraphQL modules beside this
// file, given the installation's client. Answers that outlive one event (people's standing, agents'
// grants, the required-check setup) are cached per process in `GitHubCaches`, which every client built
// in the process shares.

/** The per-process caches of GitHub answers, shared by every event's client. */
export interface GitHubCaches {
  permissions: PermissionReader;
  memberships: TeamMembershipReader;
  /** Whether `Countersign` is a required check on a branch. */
  doctor: RequiredCheckDoctor;
  /** Whether a ruleset keeps the credential app's bot off a branch (null: no credential app in this process). */
  credentialRules: CredentialRulesDoctor | null;
  /** What agents are able to do (their apps' grants), recorded with each delegation. */
  inventory: AgentInventoryReader;
}

/** How long cached answers are trusted, in milliseconds, and the clock they are timed by. */
export interface GitHubCacheSettings {
  peopleTtlMs: number;
  setupCheckTtlMs: number;
  /** How long an agent's inventory is trusted (an app's grants change rarely). */
  inventoryTtlMs?: number;
  clock?: () => number;
  /**
   * The credential app, when this process has one: its clients (null when only its slug is known, so
   * its bot cannot be asked and the doctor's answer is unknown).
   */
  credentialApp?: { clients: CredentialAppClients | null } | null;
}

/** Creates the caches once per process. */
export function createGitHubCaches(settings: GitHubCacheSettings): GitHubCaches {
  const clock = settings.clock ?? Date.now;
  const permissions = new PermissionReader(settings.peopleTtlMs, clock);
  return {
    permissions,
    memberships: new TeamMembershipReader(settings.peopleTtlMs, clock),
    doctor: new RequiredCheckDoctor(settings.setupCheckTtlMs, clock),
    credentialRules: settings.credentialApp ? new CredentialRulesDoctor(settings.credentialApp.clients, settings.setupCheckTtlMs, clock) : null,
    inventory: new AgentInventoryReader(permissions, settings.inventoryTtlMs ?? 3_600_000, clock),
  };
}

/** The installation's client as the app's `GitHub`. */
export function octokitGitHub(octokit: ProbotOctokit, caches: GitHubCaches): GitHub {
  return {
    readPullRequest: (repo, number, options) => fetchPullRequestSnapshot(octokit, repo, number, options),
    pullRequestHeadSha: (repo, number) => pullRequestHeadSha(octokit, repo, number),
    pullRequestBranch: (repo, number) => pullRequestBranch(octokit, repo, number),
    repositoryById: (id) => readRepositoryById(octokit, id),
    issueState: (repo, number) => readSubjectState(octokit, repo, number),
    issueText: (repo, number) => readIssueText(octokit, repo, number),
    openPullRequests: (repo, base) => listOpenPullRequests(octokit, repo, base),
    openPullRequestsReferencingIssue: (repo, issueNumber) => openPullRequestsReferencingIssue(octokit, repo, issueNumber),
    installationRepositories: () => listInstallationRepositories(octokit),
    readPolicyFile: (file, maxBytes) => readPolicyFile(octokit, file, maxBytes),
    fileChangedBetween: (repo, path, before, after) => fileChangedBetween(octokit, repo, path, before, after),
    recentPushesToBranch: (repo, branch) => recentPushesToBranch(octokit, repo, branch),
    requiredCheckStatus: (repo, branch, appId) => caches.doctor.check(octokit, repo, branch, appId),
    // Asked as the credential app's bot, not with this installation's client.
    credentialBotRules: async (repo, branch) => (caches.credentialRules ? caches.credentialRules.check(repo, branch) : null),
    permission: (repo, login, options) => caches.permissions.get(octokit, repo, login, options),
    isTeamMember: (team, login, options) => caches.memberships.isMember(octokit, team, login, options),
    // Not cached here: the dashboard's access check keeps its own, shorter-lived answer.
    orgMembership: (org, login) => readOrgMembership(octokit, org, login),
    agentInventory: (repo, agent, aliases) => caches.inventory.read(octokit, repo, agent, aliases),
    writeCheckRun: (repo, existingId, content) => writeCheckRun(octokit, repo, existingId, content),
    postComment: (repo, issueNumber, body) => postComment(octokit, repo, issueNumber, body),
  };
}
