import { z } from "zod";
import type { CredentialPolicy } from "../policy/credential-policy.js";
import { parseDuration } from "../policy/duration.js";

// The `credentials:` section of `.github/countersign.yml`: which workloads may exchange an OIDC token
// for a short-lived GitHub token issued under a delegation (issue 13, docs/credentials.md). Strict
// like the rest of the policy. The organization's section is a ceiling (config/policy-floor.ts): a
// repository's file may only narrow it, so a repository writer can never trust an issuer they control.

/** The issuer of GitHub Actions' OIDC tokens on github.com. */
export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";

/** The permissions a credential can carry, in the credential app's vocabulary (GitHub's names). */
export const CREDENTIAL_PERMISSIONS = ["contents", "pull_requests", "issues", "workflows"] as const;
export type CredentialPermission = (typeof CREDENTIAL_PERMISSIONS)[number];

/** Permission levels, weakest first. */
export const CREDENTIAL_LEVELS = ["read", "write"] as const;
export type CredentialLevel = (typeof CREDENTIAL_LEVELS)[number];

/** Asymmetric JWS algorithms only: `none` and the HMAC family (a shared secret) are never accepted. */
export const CREDENTIAL_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;

/** GitHub fixes an installation token's lifetime at one hour; Countersign can only end one sooner. */
export const GITHUB_TOKEN_LIFETIME_MS = 3_600_000;

const level = z.enum(CREDENTIAL_LEVELS);

/** A set of permissions; a permission left out is not granted. */
export const credentialPermissionsSchema = z.strictObject({
  contents: level.optional(),
  pull_requests: level.optional(),
  issues: level.optional(),
  /** Changing workflow files: GitHub knows only `write` for it. */
  workflows: z.literal("write").optional(),
});
export type CredentialPermissions = z.infer<typeof credentialPermissionsSchema>;

/** An https URL without credentials or fragment (the JWKS is fetched from it, never discovered). */
const httpsUrl = z
  .string()
  .max(500)
  .refine((text) => {
    try {
      const url = new URL(text);
      return url.protocol === "https:" && url.username === "" && url.password === "" && url.hash === "";
    } catch {
      return false;
    }
  }, "not an https URL (without user, password or #fragment)");

/** A trusted OIDC issuer, pinned: tokens are verified against this key set only. */
export const credentialIssuerSchema = z.strictObject({
  /** The token's `iss`, exactly (e.g. https://token.actions.githubusercontent.com). */
  issuer: httpsUrl,
  /** Where the issuer's signing keys are fetched (pinned, never read from the token or discovery). */
  jwks_url: httpsUrl,
  /** The token's `aud`, exactly: the workload asks its issuer for a token with this audience. */
  audience: z.string().min(1).max(200),
  /** The signing algorithms accepted. */
  algorithms: z.array(z.enum(CREDENTIAL_ALGORITHMS)).min(1).max(10).default(["RS256"]),
  /** Whether tokens follow GitHub Actions' claims (GitHub Enterprise Server's issuer); github.com's is recognised by its URL. */
  github_actions: z.boolean().optional(),
});
export type CredentialIssuer = z.infer<typeof credentialIssuerSchema>;

/** Whether an issuer's tokens are GitHub Actions' (then repository and workflow claims are checked). */
export function isGitHubActionsIssuer(issuer: CredentialIssuer): boolean {
  return issuer.github_actions ?? issuer.issuer === GITHUB_ACTIONS_ISSUER;
}

// Claims whose meaning the verifier checks itself: a policy matching on them would be ignored or
// misleading, so naming one is an error.
const RESERVED_CLAIMS = new Set(["iss", "aud", "exp", "nbf", "iat", "jti"]);
const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A workload that may obtain credentials for an agent. */
export const credentialAgentSchema = z.strictObject({
  /** The agent's login (`name[bot]` or a machine user) a delegation must name for this workload to act under it. */
  agent: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$/, "not a GitHub login"),
  /** The issuer of the workload's tokens: one of `credentials.issuers`. */
  issuer: httpsUrl,
  /**
   * For a GitHub Actions issuer: the workflow file (`.github/workflows/agent.yml`) whose runs on the
   * default branch may ask. Its `workflow_ref` and `job_workflow_ref` must both name it there; the
   * token's `repository_id` and `repository_owner_id` must be the repository's.
   */
  workflow: z
    .string()
    .regex(/^\.github\/workflows\/[A-Za-z0-9._-]{1,100}\.ya?ml$/, "not a workflow file path like .github/workflows/agent.yml")
    .optional(),
  /** Claims the token must carry with exactly these values (numbers compare as their decimal text). */
  claims: z
    .record(z.string(), z.union([z.string().min(1).max(500), z.number().int()]).transform(String))
    .default({})
    .superRefine((claims, ctx) => {
      const names = Object.keys(claims);
      if (names.length > 20) ctx.addIssue({ code: "custom", message: "at most 20 claims" });
      for (const name of names) {
        if (!CLAIM_NAME.test(name)) ctx.addIssue({ code: "custom", path: [name], message: "not a claim name" });
        else if (RESERVED_CLAIMS.has(name)) ctx.addIssue({ code: "custom", path: [name], message: "is checked by Countersign itself (issuer, audience, times, replay); match on the workload's claims instead" });
      }
    }),
  /** The permissions this workload may get (within `credentials.permissions`). */
  permissions: credentialPermissionsSchema,
});
export type CredentialAgent = z.infer<typeof credentialAgentSchema>;

const ttl = z.string().refine((text) => {
  const parsed = parseDuration(text);
  return parsed !== null && parsed.milliseconds <= GITHUB_TOKEN_LIFETIME_MS;
}, "not a duration of at most 60m (GitHub's token lifetime), like 15m or 1h");

/** The `credentials:` section. Absent: no credentials are issued. */
export const credentialsSchema = z.strictObject({
  /** The OIDC issuers whose tokens may be exchanged (none: no credentials are issued). */
  issuers: z.array(credentialIssuerSchema).max(20).default([]),
  /** The most any credential may carry (in the organization's file: the ceiling for every repository). */
  permissions: credentialPermissionsSchema.prefault({}),
  /** How long an issued credential lives at most (revoked then, or at the delegation's expiry if sooner). */
  max_ttl: ttl.default("1h"),
  /** The workloads that may obtain credentials, and for which agent. */
  agents: z.array(credentialAgentSchema).max(100).default([]),
});
export type CredentialsConfig = z.infer<typeof credentialsSchema>;

/** The problems zod cannot see field by field: references between the section's keys. */
export function credentialsConsistencyProblems(config: CredentialsConfig): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const issuers = new Map<string, CredentialIssuer>();
  config.issuers.forEach((issuer, index) => {
    if (issuers.has(issuer.issuer)) problems.push({ path: `credentials.issuers[${index}].issuer`, message: `${issuer.issuer} is listed twice` });
    issuers.set(issuer.issuer, issuer);
  });
  config.agents.forEach((agent, index) => {
    const at = `credentials.agents[${index}]`;
    const issuer = issuers.get(agent.issuer);
    if (!issuer) {
      problems.push({ path: `${at}.issuer`, message: `is not one of credentials.issuers (${[...issuers.keys()].join(", ")})` });
    } else if (isGitHubActionsIssuer(issuer) && agent.workflow === undefined) {
      problems.push({ path: `${at}.workflow`, message: "is required for a GitHub Actions issuer: without it any workflow of the repository, including one a pull request adds, could ask" });
    } else if (!isGitHubActionsIssuer(issuer) && Object.keys(agent.claims).length === 0) {
      problems.push({ path: `${at}.claims`, message: "must name at least one claim (such as sub) for an issuer that is not GitHub Actions: otherwise every workload of the issuer would match" });
    }
    if (issuer && !isGitHubActionsIssuer(issuer) && agent.workflow !== undefined) {
      problems.push({ path: `${at}.workflow`, message: "applies only to a GitHub Actions issuer" });
    }
    for (const permission of CREDENTIAL_PERMISSIONS) {
      const wanted = agent.permissions[permission];
      if (wanted !== undefined && !levelWithin(wanted, config.permissions[permission])) {
        problems.push({ path: `${at}.permissions.${permission}`, message: `${wanted} is more than credentials.permissions allows (${config.permissions[permission] ?? "none"})` });
      }
    }
  });
  return problems;
}

/** Whether `wanted` is no more than `allowed` (undefined: not granted). */
export function levelWithin(wanted: CredentialLevel, allowed: CredentialLevel | undefined): boolean {
  return allowed !== undefined && CREDENTIAL_LEVELS.indexOf(wanted) <= CREDENTIAL_LEVELS.indexOf(allowed);
}

/** The section as the route applies it. */
export function compileCredentials(config: CredentialsConfig): CredentialPolicy {
  return {
    issuers: config.issuers.map((issuer) => ({ issuer: issuer.issuer, jwksUrl: issuer.jwks_url, audience: issuer.audience, algorithms: issuer.algorithms, githubActions: isGitHubActionsIssuer(issuer) })),
    permissions: config.permissions,
    maxTtlMs: parseDuration(config.max_ttl)?.milliseconds ?? GITHUB_TOKEN_LIFETIME_MS,
    workloads: config.agents.map((agent) => ({ agent: agent.agent, issuer: agent.issuer, workflow: agent.workflow ?? null, claims: agent.claims, permissions: agent.permissions })),
  };
}
