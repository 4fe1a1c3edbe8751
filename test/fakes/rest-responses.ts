// GitHub's REST answers to the requests Countersign makes, built from plain values. Shared by the
// nock-based fake GitHub (test/mocks/github.ts) and the loopback server of the end-to-end tests and
// the benchmark (github-server.ts), so that the three answer alike.

/** How a base branch requires the `Countersign` check: a ruleset pinned to the app, classic branch protection, or not at all. */
export type RequiredCheck = "ruleset" | "branch-protection" | "none";

/** A collaborator's permission as the collaborator-permission endpoint names it. */
export type PermissionLevel = "admin" | "write" | "read" | "none";

/** A GitHub App as `GET /apps/{slug}` describes it (an agent's tool inventory). */
export interface FakeApp {
  id?: number;
  name: string;
  permissions: Record<string, string>;
  events: string[];
}

/** One entry of a repository's activity log (`GET /repos/{o}/{r}/activity`). */
export interface ActivityEntry {
  before: string;
  after: string;
  ref: string;
  timestamp: string;
  activity_type: string;
  actor: { id: number; login: string; type: string };
}

/** A repository of the installation, as `GET /installation/repositories` lists it. */
export interface InstallationRepository {
  id: number;
  name: string;
  archived?: boolean;
}

/** An open pull request as the pull-request list names it. */
export interface ListedPullRequest {
  number: number;
  headSha: string;
  headRef?: string;
  baseRef?: string;
}

/** GitHub's 404. */
export function notFound(message = "Not Found"): { message: string } {
  return { message };
}

/** An installation access token (`POST /app/installations/{id}/access_tokens`). */
export function installationToken(token: string, expiresAt = "2099-01-01T00:00:00Z"): Record<string, unknown> {
  return { token, expires_at: expiresAt, permissions: {}, repository_selection: "all" };
}

/** A file as the contents API returns it (JSON: its size, and its content in base64). */
export function contentsResponse(path: string, text: string): Record<string, unknown> {
  const content = Buffer.from(text, "utf8");
  return { type: "file", name: path.split("/").at(-1), path, size: content.length, encoding: "base64", content: content.toString("base64"), sha: "0".repeat(40) };
}

/** "Get rules for a branch": a ruleset requiring `Countersign` from app `appId`, or a rule that requires something else. */
export function branchRulesResponse(requiredCheck: RequiredCheck, appId: number): Array<Record<string, unknown>> {
  if (requiredCheck === "ruleset") {
    return [{ type: "required_status_checks", ruleset_source_type: "Organization", ruleset_id: 1, parameters: { strict_required_status_checks_policy: false, required_status_checks: [{ context: "Countersign", integration_id: appId }] } }];
  }
  return [{ type: "pull_request", parameters: { required_approving_review_count: 1 } }];
}

/** "Get a branch", with the protection summary that says whether classic branch protection requires `Countersign`. */
export function branchResponse(branch: string, requiredCheck: RequiredCheck, appId: number): Record<string, unknown> {
  const protection =
    requiredCheck === "branch-protection"
      ? { enabled: true, required_status_checks: { enforcement_level: "non_admins", contexts: ["Countersign"], checks: [{ context: "Countersign", app_id: appId }] } }
      : { enabled: false, required_status_checks: { enforcement_level: "off", contexts: [], checks: [] } };
  return { name: branch, protected: requiredCheck === "branch-protection", protection };
}

/** A collaborator-permission answer for `login`, with the permission flags GitHub adds to it. */
export function permissionResponse(login: string, level: PermissionLevel): Record<string, unknown> {
  return {
    permission: level,
    role_name: level,
    user: { login, permissions: { admin: level === "admin", maintain: false, push: level === "write" || level === "admin", triage: false, pull: level !== "none" } },
  };
}

/** A team-membership answer for a member (a non-member is a 404). */
export function membershipResponse(): Record<string, unknown> {
  return { state: "active", role: "member" };
}

/** `GET /apps/{slug}`. */
export function appResponse(slug: string, app: FakeApp): Record<string, unknown> {
  return { id: 1, slug, ...app };
}

/** The activity log's entries on `ref` (all of them without one), newest first as given. */
export function activityResponse(entries: ActivityEntry[], ref: string | null): ActivityEntry[] {
  return entries.filter((entry) => ref === null || entry.ref === ref);
}

/** A page of open pull requests (`GET /repos/{o}/{r}/pulls?state=open`), on `base` when given. */
export function openPullRequestsResponse(pulls: Array<ListedPullRequest & { state?: string }>, base: string | null): Array<Record<string, unknown>> {
  return pulls
    .filter((pr) => pr.state !== "closed" && (base === null || (pr.baseRef ?? "main") === base))
    .map((pr) => ({ number: pr.number, state: "open", head: { sha: pr.headSha, ref: pr.headRef ?? "feature" }, base: { ref: pr.baseRef ?? "main" } }));
}

/** The installation's repositories (`GET /installation/repositories`), all of `owner`. */
export function installationRepositoriesResponse(owner: string, repositories: InstallationRepository[]): Record<string, unknown> {
  return {
    total_count: repositories.length,
    repositories: repositories.map((repository) => ({ id: repository.id, name: repository.name, full_name: `${owner}/${repository.name}`, owner: { login: owner }, archived: repository.archived === true })),
  };
}
