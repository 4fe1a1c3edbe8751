import { z } from "zod";
import { credentialPermissionsSchema, GITHUB_TOKEN_LIFETIME_MS } from "../config/credentials.schema.js";
import type { PolicyLoadResult } from "../config/repo-policy-loader.js";
import type { CredentialDelegation, DelegationReference } from "../db/credentials.js";
import type { RepositoryFacts } from "../github/github-client.js";
import { canWrite, type Permission } from "../policy/types.js";
import { intersectPermissions, permissionsBeyond, workloadMismatch, type CredentialLevel, type CredentialWorkload, type TrustedIssuer } from "../policy/credential-policy.js";
import type { Refusal } from "./refusals.js";
import type { TokenVerification, VerifiedClaims } from "./verify-workload-token.js";

// The exchange of a workload's OIDC token for a GitHub credential, as a short list of steps, each of
// which can refuse: a delegation the request names → the repository as GitHub has it now → the
// policy on its default branch → the token, verified against that policy's issuers → which
// delegation, and whether it is still active → the workload
// the claims identify, acting for the delegation's agent → the pull request or issue still open →
// the permissions. Nothing here talks to GitHub or the database itself: the route passes the reads in.

/** The request body: which repository, which delegation, and optionally fewer permissions. */
export const exchangeRequestSchema = z
  .strictObject({
    /** owner/name, exactly as GitHub spells it (`${{ github.repository }}`). */
    repository: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/, "not owner/name"),
    /** The delegation's id (`dlg_…`), or the pull request or issue it was given on. */
    delegation: z.string().regex(/^dlg_[0-9a-f]{16}$/, "not a delegation id (dlg_ and 16 hex digits)").optional(),
    pull_request: z.number().int().positive().max(2_147_483_647).optional(),
    issue: z.number().int().positive().max(2_147_483_647).optional(),
    /** Fewer permissions than the policy grants the workload. */
    permissions: credentialPermissionsSchema.optional(),
  })
  .refine((body) => [body.delegation, body.pull_request, body.issue].filter((value) => value !== undefined).length === 1, "name the delegation by exactly one of delegation, pull_request or issue");
export type ExchangeRequest = z.infer<typeof exchangeRequestSchema>;

/** The repository as GitHub has it now. */
export type { RepositoryFacts };

/** The pull request or issue a delegation was given on, as GitHub has it now. */
export interface SubjectFacts {
  open: boolean;
  authorLogin: string;
}

/** The reads the exchange needs; a read that fails throws (the route refuses then). */
export interface ExchangeReads {
  now(): Date;
  findDelegations(repository: string, reference: DelegationReference): Promise<CredentialDelegation[]>;
  readRepository(delegation: CredentialDelegation): Promise<RepositoryFacts | null>;
  loadPolicy(delegation: CredentialDelegation, repository: RepositoryFacts): Promise<PolicyLoadResult>;
  verifyToken(token: string, issuers: readonly TrustedIssuer[]): Promise<TokenVerification>;
  readSubject(delegation: CredentialDelegation, repository: RepositoryFacts): Promise<SubjectFacts | null>;
  /** The delegator's repository permission now (not a cached answer). */
  delegatorPermission(delegation: CredentialDelegation, repository: RepositoryFacts): Promise<Permission>;
}

/** What a granted exchange issues: for which delegation and workload, with what, until when. */
export interface CredentialGrant {
  delegation: CredentialDelegation;
  repository: RepositoryFacts;
  workload: CredentialWorkload;
  issuer: TrustedIssuer;
  claims: VerifiedClaims;
  requested: Record<string, CredentialLevel> | null;
  permissions: Record<string, CredentialLevel>;
  /** The earliest of GitHub's hour, the delegation's expiry and the policy's max_ttl. */
  effectiveExpiresAt: Date;
}

/** What the audit log keeps of a refusal or grant: never the token, never the JWT. */
export interface ExchangeContext {
  repository: string;
  delegationId?: string;
  repoId?: number;
  subjectNumber?: number;
  claims?: Record<string, unknown>;
}

export type ExchangeOutcome = { ok: true; grant: CredentialGrant; context: ExchangeContext } | { ok: false; refusal: Refusal; context: ExchangeContext };

// The claims an auditor needs to find the workload again (GitHub Actions' names; others' `sub`).
const RECORDED_CLAIMS = ["iss", "sub", "aud", "jti", "repository", "repository_id", "repository_owner_id", "workflow_ref", "job_workflow_ref", "run_id", "run_attempt", "actor", "actor_id", "ref", "event_name"];

/** The claims the audit log records: the ones that identify the workload, nothing else. */
export function recordedClaims(claims: VerifiedClaims): Record<string, unknown> {
  return Object.fromEntries(RECORDED_CLAIMS.filter((name) => claims[name] !== undefined).map((name) => [name, claims[name]]));
}

function referenceOf(request: ExchangeRequest): DelegationReference {
  if (request.delegation !== undefined) return { id: request.delegation };
  if (request.pull_request !== undefined) return { subjectType: "pull_request", number: request.pull_request };
  return { subjectType: "issue", number: request.issue as number };
}

/** Runs the exchange's checks; the route mints only on `ok`. */
export async function exchangeCredential(token: string, request: ExchangeRequest, reads: ExchangeReads): Promise<ExchangeOutcome> {
  const context: ExchangeContext = { repository: request.repository };
  const refuse = (reason: Refusal["reason"], detail: string): ExchangeOutcome => ({ ok: false, refusal: { reason, detail }, context });

  const found = await reads.findDelegations(request.repository, referenceOf(request));
  if (found.length === 0) return refuse("no_delegation", `no ${request.delegation ? "such" : "active"} delegation in ${request.repository}`);
  // Until the token is verified the caller is anyone: what it may learn is only whether a delegation
  // matches. Which ones, and in what state, is said once the token proves a trusted workload. Every
  // match is in the same repository (and installation), so any of them reads its policy.
  const first = found[0] as CredentialDelegation;
  const repository = await reads.readRepository(first);
  if (!repository) return refuse("github_refused", "the repository could not be read");
  const policy = await reads.loadPolicy(first, repository);
  if (!policy.ok) return refuse("not_configured", `the repository's policy on ${repository.defaultBranch} is invalid, so no credentials are issued`);
  const credentials = policy.policy.credentials;
  if (!credentials || credentials.issuers.length === 0) return refuse("unknown_issuer", `the policy on ${repository.defaultBranch} trusts no issuer: no credentials are issued in ${repository.fullName}`);

  const verified = await reads.verifyToken(token, credentials.issuers);
  if (!verified.ok) return refuse(verified.reason, verified.detail);
  context.claims = recordedClaims(verified.claims);

  if (found.length > 1) return refuse("ambiguous_delegation", `${found.length} active delegations match; name one by its id (${found.map((candidate) => candidate.record.id).join(", ")})`);
  const delegation = first;
  Object.assign(context, { delegationId: delegation.record.id, repoId: delegation.repo.id, subjectNumber: delegation.record.subjectNumber });
  const now = reads.now();
  if (delegation.record.status !== "active") return refuse("delegation_inactive", `the delegation is ${delegation.record.status}`);
  if (delegation.record.expiresAt && delegation.record.expiresAt.getTime() <= now.getTime()) return refuse("delegation_inactive", "the delegation has expired");

  const subject = await reads.readSubject(delegation, repository);
  if (!subject) return refuse("github_refused", "the delegation's pull request or issue could not be read");
  if (!subject.open) return refuse("delegation_inactive", `the delegation's ${delegation.record.subjectType === "issue" ? "issue" : "pull request"} is closed`);
  // A delegation rests on its delegator's write access: someone who can no longer push here cannot
  // keep an agent pushing on their word (the credential sweep revokes for the same reason).
  const permission = await reads.delegatorPermission(delegation, repository);
  if (!canWrite(permission)) return refuse("delegation_inactive", `the delegator ${delegation.record.owner.login} no longer has write access (${permission})`);
  // A delegation on a pull request without an agent named is for the pull request's own agent.
  const agentLogin = delegation.record.agent?.login ?? subject.authorLogin;
  const target = { repo: repository, agentLogin };
  const candidates = credentials.workloads.filter((workload) => workload.issuer === verified.issuer.issuer);
  const workload = candidates.find((candidate) => workloadMismatch(candidate, verified.issuer, verified.claims, target) === null);
  if (!workload) {
    const why = candidates.map((candidate) => workloadMismatch(candidate, verified.issuer, verified.claims, target)).join("; ");
    return refuse("claims_mismatch", candidates.length === 0 ? "the policy names no workload of this issuer" : `the token identifies no workload the policy names for ${agentLogin} (${why})`);
  }

  const requested = request.permissions ? intersectPermissions(request.permissions) : null;
  const allowed = intersectPermissions(workload.permissions, credentials.permissions);
  const beyond = requested ? permissionsBeyond(requested, allowed) : [];
  if (beyond.length > 0) return refuse("permissions_exceed_policy", `the policy does not grant this workload ${beyond.join(", ")} at the level asked`);
  const permissions = intersectPermissions(allowed, requested ?? undefined);
  if (Object.keys(permissions).length === 0) return refuse("permissions_exceed_policy", "no permission is left to grant");

  const ends = [now.getTime() + GITHUB_TOKEN_LIFETIME_MS, now.getTime() + credentials.maxTtlMs, delegation.record.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY];
  return { ok: true, context, grant: { delegation, repository, workload, issuer: verified.issuer, claims: verified.claims, requested, permissions, effectiveExpiresAt: new Date(Math.min(...ends)) } };
}
