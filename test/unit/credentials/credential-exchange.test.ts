import { describe, expect, test } from "@jest/globals";
import { exchangeCredential, exchangeRequestSchema, type ExchangeReads, type ExchangeRequest, type RepositoryFacts, type SubjectFacts } from "../../../src/credentials/credential-exchange.js";
import type { TokenVerification, VerifiedClaims } from "../../../src/credentials/verify-workload-token.js";
import type { CredentialDelegation } from "../../../src/db/credentials.js";
import type { CredentialPolicy, TrustedIssuer } from "../../../src/policy/credential-policy.js";
import type { RepoPolicy } from "../../../src/policy/repo-policy.js";
import type { Permission } from "../../../src/policy/types.js";
import { delegation, HOUR, NOW } from "../policy/builders.js";

// The exchange's steps, each with the reads it is given: every refusal it can answer, and the grant.

const ACTIONS = "https://token.actions.githubusercontent.com";
const issuer: TrustedIssuer = { issuer: ACTIONS, jwksUrl: `${ACTIONS}/.well-known/jwks`, audience: "https://countersign.acme.dev", algorithms: ["RS256"], githubActions: true };
const repository: RepositoryFacts = { id: 42, fullName: "acme/widgets", ownerId: 7, defaultBranch: "main" };
const WORKFLOW_REF = "acme/widgets/.github/workflows/agent.yml@refs/heads/main";
const credentials: CredentialPolicy = {
  issuers: [issuer],
  permissions: { contents: "write", pull_requests: "write", issues: "read" },
  maxTtlMs: 30 * 60_000,
  workloads: [{ agent: "claude[bot]", issuer: ACTIONS, workflow: ".github/workflows/agent.yml", claims: {}, permissions: { contents: "write", pull_requests: "write", workflows: "write" } }],
};
const goodClaims: VerifiedClaims = { iss: ACTIONS, aud: issuer.audience, exp: 2, iat: 1, jti: "j", sub: "repo:acme/widgets:ref:refs/heads/main", repository: "acme/widgets", repository_id: "42", repository_owner_id: "7", workflow_ref: WORKFLOW_REF, job_workflow_ref: WORKFLOW_REF, run_id: "99", actor: "alice" };
const onPullRequest = (overrides: Partial<CredentialDelegation["record"]> = {}): CredentialDelegation => ({ record: delegation({ id: "dlg_0123456789abcdef", agent: { id: 209825114, login: "claude[bot]" }, ...overrides }), repo: { id: 42, fullName: "acme/widgets" }, installationId: 1 });

interface Setup {
  delegations?: CredentialDelegation[];
  repository?: RepositoryFacts | null;
  credentials?: CredentialPolicy | undefined;
  verification?: TokenVerification;
  subject?: SubjectFacts | null;
  delegatorPermission?: Permission;
}

function reads(setup: Setup = {}): ExchangeReads & { verified: () => number } {
  let verified = 0;
  return {
    now: () => NOW,
    findDelegations: async () => setup.delegations ?? [onPullRequest()],
    readRepository: async () => (setup.repository === undefined ? repository : setup.repository),
    loadPolicy: async () => ({ ok: true, policy: { credentials: "credentials" in setup ? setup.credentials : credentials } as unknown as RepoPolicy }),
    verifyToken: async () => {
      verified += 1;
      return setup.verification ?? { ok: true, issuer, claims: goodClaims };
    },
    readSubject: async () => (setup.subject === undefined ? { open: true, authorLogin: "claude[bot]" } : setup.subject),
    delegatorPermission: async () => setup.delegatorPermission ?? "write",
    verified: () => verified,
  };
}

const request = (overrides: Partial<ExchangeRequest> = {}): ExchangeRequest => exchangeRequestSchema.parse({ repository: "acme/widgets", pull_request: 7, ...overrides });

describe("exchangeCredential", () => {
  test("a matching workload under an active delegation is granted the intersection, until the earliest end", async () => {
    const outcome = await exchangeCredential("jwt", request(), reads());
    expect(outcome).toMatchObject({ ok: true, grant: { permissions: { contents: "write", pull_requests: "write" }, effectiveExpiresAt: new Date(NOW.getTime() + 30 * 60_000) }, context: { delegationId: "dlg_0123456789abcdef", repoId: 42, claims: { repository_id: "42", run_id: "99", actor: "alice" } } });
    if (outcome.ok) expect(Object.keys(outcome.context.claims ?? {})).not.toContain("exp");
  });

  test("the delegation's expiry ends the credential sooner; narrower permissions are honoured", async () => {
    const soon = new Date(NOW.getTime() + 10 * 60_000);
    const outcome = await exchangeCredential("jwt", request({ permissions: { contents: "read" } }), reads({ delegations: [onPullRequest({ expiresAt: soon })] }));
    expect(outcome).toMatchObject({ ok: true, grant: { permissions: { contents: "read" }, requested: { contents: "read" }, effectiveExpiresAt: soon } });
  });

  test("a delegation on a pull request without a named agent is for the pull request's author", async () => {
    expect(await exchangeCredential("jwt", request(), reads({ delegations: [onPullRequest({ agent: null })], subject: { open: true, authorLogin: "claude[bot]" } }))).toMatchObject({ ok: true });
    expect(await exchangeCredential("jwt", request(), reads({ delegations: [onPullRequest({ agent: null })], subject: { open: true, authorLogin: "alice" } }))).toMatchObject({ ok: false, refusal: { reason: "claims_mismatch" } });
  });

  const mismatched = (claims: Partial<VerifiedClaims>): Setup => ({ verification: { ok: true, issuer, claims: { ...goodClaims, ...claims } } });
  test.each<[string, Setup, ExchangeRequest, string, RegExp]>([
    ["no delegation", { delegations: [] }, request(), "no_delegation", /no active delegation/],
    ["two active delegations", { delegations: [onPullRequest(), onPullRequest({ id: "dlg_fedcba9876543210" })] }, request(), "ambiguous_delegation", /dlg_0123456789abcdef, dlg_fedcba9876543210/],
    ["a revoked delegation", { delegations: [onPullRequest({ status: "revoked" })] }, request({ pull_request: undefined, delegation: "dlg_0123456789abcdef" }), "delegation_inactive", /revoked/],
    ["an expired delegation", { delegations: [onPullRequest({ expiresAt: new Date(NOW.getTime() - HOUR) })] }, request(), "delegation_inactive", /expired/],
    ["a closed pull request", { subject: { open: false, authorLogin: "claude[bot]" } }, request(), "delegation_inactive", /closed/],
    ["a delegator who no longer has write access", { delegatorPermission: "triage" }, request(), "delegation_inactive", /no longer has write access \(triage\)/],
    ["no credentials section", { credentials: undefined }, request(), "unknown_issuer", /trusts no issuer/],
    ["a refused token", { verification: { ok: false, reason: "replayed", detail: "this token was exchanged before" } }, request(), "replayed", /before/],
    ["another repository's workflow", mismatched({ repository_id: "43" }), request(), "claims_mismatch", /repository_id/],
    ["another owner", mismatched({ repository_owner_id: "8" }), request(), "claims_mismatch", /repository_owner_id/],
    ["the workflow from a pull request's branch", mismatched({ workflow_ref: "acme/widgets/.github/workflows/agent.yml@refs/pull/7/merge" }), request(), "claims_mismatch", /workflow_ref/],
    ["a reusable workflow of another repository", mismatched({ job_workflow_ref: "evil/x/.github/workflows/agent.yml@refs/heads/main" }), request(), "claims_mismatch", /job_workflow_ref/],
    ["another workflow", mismatched({ workflow_ref: "acme/widgets/.github/workflows/other.yml@refs/heads/main", job_workflow_ref: "acme/widgets/.github/workflows/other.yml@refs/heads/main" }), request(), "claims_mismatch", /workflow_ref/],
    ["a workload for another agent", { delegations: [onPullRequest({ agent: { id: 1, login: "cursor[bot]" } })] }, request(), "claims_mismatch", /cursor\[bot\]/],
    ["permissions beyond the workload's", {}, request({ permissions: { issues: "write" } }), "permissions_exceed_policy", /issues/],
    ["workflows beyond the section's", {}, request({ permissions: { workflows: "write" } }), "permissions_exceed_policy", /workflows/],
    ["a repository GitHub no longer has", { repository: null }, request(), "github_refused", /repository/],
  ])("%s is refused", async (_what, setup, body, reason, detail) => {
    const outcome = await exchangeCredential("jwt", body, reads(setup));
    expect(outcome).toMatchObject({ ok: false, refusal: { reason, detail: expect.stringMatching(detail) } });
  });

  test("until the token is verified, a refusal names no delegation and no delegation's state", async () => {
    const forged: Setup = { verification: { ok: false, reason: "invalid_token", detail: "signature verification failed" } };
    for (const delegations of [[onPullRequest(), onPullRequest({ id: "dlg_fedcba9876543210" })], [onPullRequest({ status: "revoked" })], [onPullRequest({ expiresAt: new Date(NOW.getTime() - HOUR) })]]) {
      const outcome = await exchangeCredential("jwt", request(), reads({ ...forged, delegations }));
      expect(outcome).toMatchObject({ ok: false, refusal: { reason: "invalid_token" } });
      expect(JSON.stringify(outcome)).not.toMatch(/dlg_|revoked|expired/);
    }
  });

  test("the token is not verified (nor its jti spent) for a request naming no delegation", async () => {
    const given = reads({ delegations: [] });
    await exchangeCredential("jwt", request(), given);
    expect(given.verified()).toBe(0);
  });

  test.each([
    [{ repository: "acme/widgets" }, "exactly one of"],
    [{ repository: "acme/widgets", pull_request: 1, issue: 2 }, "exactly one of"],
    [{ repository: "acme", pull_request: 1 }, "owner/name"],
    [{ repository: "acme/widgets", delegation: "dlg_x" }, "delegation id"],
    [{ repository: "acme/widgets", pull_request: 1, permissions: { administration: "write" } }, "Unrecognized key"],
    [{ repository: "acme/widgets", pull_request: 1, token: "x" }, "Unrecognized key"],
  ])("the body %j is refused", (body, message) => {
    const parsed = exchangeRequestSchema.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain(message);
  });
});
