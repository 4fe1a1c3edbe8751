import { createHash } from "node:crypto";
import type { AgentInventory } from "../../src/github/agent-inventory.js";
import type { BranchPush } from "../../src/github/branch-activity.js";
import type { CheckRunContent } from "../../src/github/check-runs.js";
import type { CredentialRulesStatus } from "../../src/github/credential-rules.js";
import type { Freshness, GitHub, RepoName, RepoRef, RepositoryFacts, TeamRef } from "../../src/github/github-client.js";
import type { InstallationRepository, OpenPullRequest } from "../../src/github/open-pull-requests.js";
import type { OrgMembership } from "../../src/github/org-access.js";
import type { PolicyFileRead, PolicyFileRef } from "../../src/github/policy-files.js";
import type { PullRequestSnapshot, SnapshotOptions } from "../../src/github/pull-request-facts.js";
import type { RequiredCheckStatus } from "../../src/github/required-check.js";
import { ORGANIZATION_POLICY_REPO, POLICY_PATH } from "../../src/policy/policy-file.js";
import type { Actor, Permission, PullRequestFacts } from "../../src/policy/types.js";

// The `GitHub` seam held in memory, for services' unit tests (as policy-bot's `pulltest` fakes
// `pull.Context`): a test stores what GitHub knows (pull requests, policy files, people), runs a
// service, and reads back what the service wrote (check runs, comments) and which operations it asked.
// Any operation can be made to fail with an error shaped like Octokit's (`status`), to test failing
// closed. Nothing is cached: the caching is Octokit-side (octokit-github.ts) and tested through it.

/** The operations of the seam, by name. */
export type Operation = keyof GitHub;

/** A check run as the fake holds it: what was written last, and how many writes it took. */
export interface StoredCheckRun extends CheckRunContent {
  id: number;
  repo: string;
  writes: number;
}

/** One call a service made, with its arguments. */
export interface Call {
  operation: Operation;
  args: unknown[];
}

/** An error like the ones Octokit throws for an HTTP status. */
export function httpError(status: number, message = `HTTP ${status}`): Error & { status: number } {
  return Object.assign(new Error(message), { status, name: "HttpError" });
}

const repoKey = (repo: RepoName) => `${repo.owner}/${repo.name}`.toLowerCase();

/** A GitHub installation in memory. */
export class InMemoryGitHub implements GitHub {
  /** Pull requests by `owner/name#number`. */
  readonly pullRequests = new Map<string, PullRequestFacts>();
  /** Policy files by `owner/repo:path` (any ref) or `owner/repo:path@ref` (that ref only), as text. */
  readonly files = new Map<string, string>();
  /** Repository permissions by login (lower case); anyone else has `none`. */
  readonly permissions = new Map<string, Permission>();
  /** Team members by `org/slug` (lower case). */
  readonly teams = new Map<string, Set<string>>();
  /** Organization memberships by `org:login` (lowercase); unlisted: not a member. */
  readonly orgMemberships = new Map<string, OrgMembership>();
  /** Pushes in each branch's activity log, by branch. */
  readonly activity = new Map<string, BranchPush[]>();
  /** Open pull requests referencing an issue, by issue number. */
  readonly issueReferences = new Map<number, number[]>();
  /** The installation's repositories. */
  repositories: InstallationRepository[] = [];
  /** Whether `.github/countersign.yml` differs between two commits. */
  policyChanged = true;
  requiredCheck: RequiredCheckStatus = { state: "required", via: ["ruleset"], pinnedToApp: true };
  /** Repositories by id, as `repositoryById` answers (none: GitHub knows no such repository). */
  readonly repositoriesById = new Map<number, RepositoryFacts>();
  /** Issues (and pull requests) by `owner/name#number`; a stored pull request answers as open, by its author. */
  readonly issues = new Map<string, { open: boolean; authorLogin: string }>();
  /** Issues' titles and bodies by `owner/name#number`, as `issueText` answers (none: no such issue). */
  readonly issueTexts = new Map<string, { title: string; body: string }>();
  /** What the setup doctor finds of the credential app's bot on a base branch (null: no credential app). */
  credentialRules: CredentialRulesStatus | null = null;
  /** Agents' inventories by login (lower case); others are `unknown`. */
  readonly inventories = new Map<string, AgentInventory>();

  /** What services wrote. */
  readonly checkRuns = new Map<number, StoredCheckRun>();
  readonly comments: Array<{ repo: string; issueNumber: number; body: string }> = [];
  /** Every call, in order. */
  readonly calls: Call[] = [];

  private readonly failures = new Map<Operation, unknown>();
  private nextCheckRunId = 1;

  /** Makes every later call of `operation` throw `error` (until `heal`). */
  fail(operation: Operation, error: unknown = httpError(502, "Bad Gateway")): this {
    this.failures.set(operation, error);
    return this;
  }

  /** Lets `operation` succeed again. */
  heal(operation: Operation): this {
    this.failures.delete(operation);
    return this;
  }

  /** Stores a pull request (read back with its base branch's policy file and the organization's). */
  addPullRequest(facts: PullRequestFacts): this {
    this.pullRequests.set(`${repoKey(facts.repo)}#${facts.number}`, facts);
    return this;
  }

  /** Stores the repository's `.github/countersign.yml` (on every branch unless `ref` is given). */
  setPolicy(repo: RepoName, text: string, ref?: string): this {
    this.files.set(`${repoKey({ owner: repo.owner, name: repo.name })}:${POLICY_PATH}${ref ? `@${ref}` : ""}`, text);
    return this;
  }

  /** The calls of one operation, in order. */
  callsOf(operation: Operation): unknown[][] {
    return this.calls.filter((call) => call.operation === operation).map((call) => call.args);
  }

  /** The check runs written on a commit. */
  checkRunsOn(headSha: string): StoredCheckRun[] {
    return [...this.checkRuns.values()].filter((run) => run.headSha === headSha);
  }

  private enter(operation: Operation, args: unknown[]): void {
    this.calls.push({ operation, args });
    if (this.failures.has(operation)) throw this.failures.get(operation);
  }

  private fileText(file: PolicyFileRef): string | undefined {
    const key = `${file.owner}/${file.repo}:${file.path}`.toLowerCase();
    return (file.ref ? this.files.get(`${key}@${file.ref}`) : undefined) ?? this.files.get(key);
  }

  private blob(file: PolicyFileRef): { oid: string; text: string } | null {
    const text = this.fileText(file);
    return text === undefined ? null : { oid: createHash("sha1").update(text).digest("hex"), text };
  }

  async readPullRequest(repo: RepoName, number: number, options: SnapshotOptions = {}): Promise<PullRequestSnapshot> {
    this.enter("readPullRequest", [repo, number]);
    const facts = this.pullRequests.get(`${repoKey(repo)}#${number}`);
    if (!facts) throw Object.assign(new Error(`Could not resolve to a PullRequest with the number of ${number}.`), { name: "GraphqlResponseError", errors: [{ type: "NOT_FOUND" }] });
    options.onHead?.({ repo: facts.repo, number: facts.number, body: facts.body, closingIssues: facts.closingIssues, headSha: facts.headSha });
    return {
      facts: structuredClone(facts),
      policy: {
        complete: true,
        repository: this.blob({ owner: repo.owner, repo: repo.name, path: POLICY_PATH, ref: facts.baseRef }),
        organization: this.blob({ owner: repo.owner, repo: ORGANIZATION_POLICY_REPO, path: POLICY_PATH }),
      },
    };
  }

  async pullRequestHeadSha(repo: RepoName, number: number): Promise<string> {
    this.enter("pullRequestHeadSha", [repo, number]);
    const facts = this.pullRequests.get(`${repoKey(repo)}#${number}`);
    if (!facts) throw httpError(404, "Not Found");
    return facts.headSha;
  }

  async repositoryById(id: number): Promise<RepositoryFacts | null> {
    this.enter("repositoryById", [id]);
    return this.repositoriesById.get(id) ?? null;
  }

  async issueState(repo: RepoName, number: number): Promise<{ open: boolean; authorLogin: string } | null> {
    this.enter("issueState", [repo, number]);
    const key = `${repoKey(repo)}#${number}`;
    const pull = this.pullRequests.get(key);
    return this.issues.get(key) ?? (pull ? { open: pull.state === "OPEN", authorLogin: pull.author.login } : null);
  }

  async issueText(repo: RepoName, number: number): Promise<{ title: string; body: string } | null> {
    this.enter("issueText", [repo, number]);
    return this.issueTexts.get(`${repoKey(repo)}#${number}`) ?? null;
  }

  async pullRequestBranch(repo: RepoName, number: number): Promise<{ ref: string; sameRepository: boolean } | null> {
    this.enter("pullRequestBranch", [repo, number]);
    const facts = this.pullRequests.get(`${repoKey(repo)}#${number}`);
    return facts ? { ref: facts.headRef, sameRepository: facts.crossRepository !== true } : null;
  }

  async openPullRequests(repo: RepoName, base?: string): Promise<OpenPullRequest[]> {
    this.enter("openPullRequests", [repo, base]);
    return [...this.pullRequests.values()]
      .filter((pr) => repoKey(pr.repo) === repoKey(repo) && pr.state === "OPEN" && (base === undefined || pr.baseRef === base))
      .map((pr) => ({ number: pr.number, headSha: pr.headSha, baseRef: pr.baseRef }));
  }

  async openPullRequestsReferencingIssue(repo: RepoName, issueNumber: number): Promise<number[]> {
    this.enter("openPullRequestsReferencingIssue", [repo, issueNumber]);
    return [...(this.issueReferences.get(issueNumber) ?? [])];
  }

  async installationRepositories(): Promise<InstallationRepository[]> {
    this.enter("installationRepositories", []);
    return [...this.repositories];
  }

  async readPolicyFile(file: PolicyFileRef, maxBytes: number): Promise<PolicyFileRead> {
    this.enter("readPolicyFile", [file, maxBytes]);
    const text = this.fileText(file);
    if (text === undefined) return { kind: "absent" };
    const bytes = Buffer.byteLength(text);
    return bytes > maxBytes ? { kind: "too-large", bytes } : { kind: "file", text };
  }

  async fileChangedBetween(repo: RepoName, path: string, before: string | null, after: string): Promise<boolean> {
    this.enter("fileChangedBetween", [repo, path, before, after]);
    return this.policyChanged;
  }

  async recentPushesToBranch(repo: RepoName, branch: string): Promise<BranchPush[]> {
    this.enter("recentPushesToBranch", [repo, branch]);
    return [...(this.activity.get(branch) ?? [])];
  }

  async requiredCheckStatus(repo: RepoRef, branch: string, appId: number | null): Promise<RequiredCheckStatus> {
    this.enter("requiredCheckStatus", [repo, branch, appId]);
    return this.requiredCheck;
  }

  async credentialBotRules(repo: RepoRef, branch: string): Promise<CredentialRulesStatus | null> {
    this.enter("credentialBotRules", [repo, branch]);
    return this.credentialRules;
  }

  async permission(repo: RepoRef, login: string, options: Freshness = {}): Promise<Permission> {
    this.enter("permission", [repo, login, options]);
    return this.permissions.get(login.toLowerCase()) ?? "none";
  }

  async isTeamMember(team: TeamRef, login: string, options: Freshness = {}): Promise<boolean> {
    this.enter("isTeamMember", [team, login, options]);
    return this.teams.get(`${team.org}/${team.slug}`.toLowerCase())?.has(login.toLowerCase()) ?? false;
  }

  async orgMembership(org: string, login: string): Promise<OrgMembership | null> {
    this.enter("orgMembership", [org, login]);
    return this.orgMemberships.get(`${org}:${login}`.toLowerCase()) ?? null;
  }

  async agentInventory(repo: RepoRef, agent: Pick<Actor, "login" | "kind">, aliases: readonly string[] = []): Promise<AgentInventory> {
    this.enter("agentInventory", [repo, agent, aliases]);
    return this.inventories.get(agent.login.toLowerCase()) ?? { kind: "unknown", login: agent.login, reason: "no GitHub App found for this bot", readAt: new Date(0).toISOString() };
  }

  async writeCheckRun(repo: RepoName, existingId: number | null, content: CheckRunContent): Promise<number> {
    this.enter("writeCheckRun", [repo, existingId, content]);
    // As GitHub does: an update of a check run that is not there creates a new one.
    const existing = existingId === null ? undefined : this.checkRuns.get(existingId);
    const id = existing?.id ?? this.nextCheckRunId++;
    this.checkRuns.set(id, { ...content, id, repo: repoKey(repo), writes: (existing?.writes ?? 0) + 1 });
    return id;
  }

  async postComment(repo: RepoName, issueNumber: number, body: string): Promise<void> {
    this.enter("postComment", [repo, issueNumber, body]);
    this.comments.push({ repo: repoKey(repo), issueNumber, body });
  }
}
