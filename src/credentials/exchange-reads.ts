import { loadRepoPolicy } from "../config/repo-policy-loader.js";
import { findCredentialDelegations, type CredentialDelegation } from "../db/credentials.js";
import type { Store } from "../db/store.js";
import { claimWorkloadToken } from "../db/workload-token-uses.js";
import type { GitHub } from "../github/github-client.js";
import type { ExchangeReads } from "./credential-exchange.js";
import { verifyWorkloadToken, type WorkloadKeySets } from "./verify-workload-token.js";

/** Tolerated clock difference between an issuer and this server. */
export const TOKEN_SKEW_SECONDS = 60;
/** The oldest OIDC token exchanged: a workflow asks for one right before it exchanges it. */
export const MAX_TOKEN_AGE_SECONDS = 600;

/** The exchange's reads against the database and GitHub (through the main app's installation, as the `GitHub` seam). */
export function credentialReads(db: Store, githubFor: (installationId: number) => Promise<GitHub>, keySets: WorkloadKeySets, now: () => Date): ExchangeReads {
  const githubOf = (delegation: CredentialDelegation) => {
    if (delegation.installationId === null) throw new Error("the delegation has no installation to read the repository through");
    return githubFor(delegation.installationId);
  };
  return {
    now,
    findDelegations: (repository, reference) => findCredentialDelegations(db, repository, reference),
    readRepository: async (delegation) => (await githubOf(delegation)).repositoryById(delegation.repo.id),
    // Always the default branch: a pull request's head never chooses which workloads get credentials.
    loadPolicy: async (delegation, repository) => {
      const [owner, name] = repository.fullName.split("/") as [string, string];
      return loadRepoPolicy(await githubOf(delegation), { owner, name }, repository.defaultBranch);
    },
    verifyToken: (token, issuers) => verifyWorkloadToken(token, issuers, keySets, { skewSeconds: TOKEN_SKEW_SECONDS, maxAgeSeconds: MAX_TOKEN_AGE_SECONDS, now, claimJti: (claim) => claimWorkloadToken(db, claim, now()) }),
    readSubject: async (delegation, repository) => {
      const [owner, name] = repository.fullName.split("/") as [string, string];
      return (await githubOf(delegation)).issueState({ owner, name }, delegation.record.subjectNumber);
    },
    delegatorPermission: async (delegation, repository) => {
      const [owner, name] = repository.fullName.split("/") as [string, string];
      return (await githubOf(delegation)).permission({ owner, name, id: repository.id }, delegation.record.owner.login, { fresh: true });
    },
  };
}
