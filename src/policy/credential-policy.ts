// The credentials part of a compiled policy (from `credentials:` in `.github/countersign.yml`), and
// the pure rules applied to it: which configured workload a verified token is, and which permissions
// a credential may carry. No I/O: the route (src/credentials/) gathers the facts.

/** A permission level, weakest first. */
export type CredentialLevel = "read" | "write";

/** Permissions by GitHub's name (`contents`, `pull_requests`, `issues`, `workflows`). */
export type CredentialPermissionSet = Readonly<Partial<Record<string, CredentialLevel>>>;

/** A trusted OIDC issuer, pinned. */
export interface TrustedIssuer {
  issuer: string;
  jwksUrl: string;
  audience: string;
  algorithms: readonly string[];
  /** Whether tokens carry GitHub Actions' claims (repository ids, workflow refs). */
  githubActions: boolean;
}

/** A workload that may obtain credentials for an agent. */
export interface CredentialWorkload {
  agent: string;
  issuer: string;
  /** GitHub Actions: the workflow file that must run from the default branch. */
  workflow: string | null;
  claims: Readonly<Record<string, string>>;
  permissions: CredentialPermissionSet;
}

/** The compiled `credentials:` section. */
export interface CredentialPolicy {
  issuers: readonly TrustedIssuer[];
  /** The most any credential carries. */
  permissions: CredentialPermissionSet;
  maxTtlMs: number;
  workloads: readonly CredentialWorkload[];
}

const LEVELS: readonly CredentialLevel[] = ["read", "write"];

/** The permissions every set allows, each at the lowest level they give; an absent set (undefined) allows anything. */
export function intersectPermissions(...sets: ReadonlyArray<CredentialPermissionSet | undefined>): Record<string, CredentialLevel> {
  const given = sets.filter((set): set is CredentialPermissionSet => set !== undefined);
  const [first, ...rest] = given;
  if (!first) return {};
  const result: Record<string, CredentialLevel> = {};
  for (const [permission, level] of Object.entries(first)) {
    if (level === undefined) continue;
    let lowest = LEVELS.indexOf(level);
    for (const set of rest) {
      const other = set[permission];
      lowest = other === undefined ? -1 : Math.min(lowest, LEVELS.indexOf(other));
      if (lowest < 0) break;
    }
    const chosen = LEVELS[lowest];
    if (lowest >= 0 && chosen) result[permission] = chosen;
  }
  return result;
}

/** The permissions of `wanted` that `allowed` does not give (or gives at a lower level). */
export function permissionsBeyond(wanted: CredentialPermissionSet, allowed: CredentialPermissionSet): string[] {
  return Object.entries(wanted).flatMap(([permission, level]) => {
    if (level === undefined) return [];
    const limit = allowed[permission];
    return limit !== undefined && LEVELS.indexOf(level) <= LEVELS.indexOf(limit) ? [] : [permission];
  });
}

/** What a verified token is matched against: the repository the credential would be for. */
export interface WorkloadTarget {
  repo: { id: number; fullName: string; ownerId: number; defaultBranch: string };
  /** The login of the agent the delegation is for. */
  agentLogin: string;
}

/** The decimal text of a claim (GitHub Actions sends ids as strings; other issuers may send numbers). */
function claimText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return null;
}

/**
 * Why `claims` (verified, from `issuer`) do not identify `workload` acting for `target`, or null
 * when they do. For GitHub Actions: the token's repository and owner ids are the repository's (ids,
 * not names, survive renames and cannot be re-registered), and both its workflow refs name the
 * workload's workflow on the default branch, which a pull request's head cannot change.
 */
export function workloadMismatch(workload: CredentialWorkload, issuer: TrustedIssuer, claims: Readonly<Record<string, unknown>>, target: WorkloadTarget): string | null {
  if (workload.issuer !== issuer.issuer) return "another issuer";
  if (workload.agent.toLowerCase() !== target.agentLogin.toLowerCase()) return `the workload acts for ${workload.agent}, the delegation is for ${target.agentLogin}`;
  for (const [name, wanted] of Object.entries(workload.claims)) {
    if (claimText(claims[name]) !== wanted) return `the token's ${name} claim is not the one the policy names`;
  }
  if (issuer.githubActions) {
    if (claimText(claims.repository_id) !== String(target.repo.id)) return "the token's repository_id is not this repository's";
    if (claimText(claims.repository_owner_id) !== String(target.repo.ownerId)) return "the token's repository_owner_id is not this repository's owner";
    const pinned = `${target.repo.fullName}/${workload.workflow ?? ""}@refs/heads/${target.repo.defaultBranch}`;
    for (const name of ["workflow_ref", "job_workflow_ref"]) {
      if (claimText(claims[name]) !== pinned) return `the token's ${name} is not ${pinned}`;
    }
  }
  return null;
}
