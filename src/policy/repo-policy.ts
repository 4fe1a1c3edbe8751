import { BUILT_IN_AGENT_IDENTITIES, BUILT_IN_TRAILER_RULES, type AgentIdentity, type TrailerRule } from "./agent-identities.js";

/** The rules a repository is judged by, after its config file has been validated and compiled. */
export interface RepoPolicy {
  /** Built-in agent identities plus the repository's own. */
  identities: AgentIdentity[];
  /** Built-in agent trailers plus the repository's own. */
  trailerRules: TrailerRule[];
  /** Independent human approvals needed on the head commit. */
  requiredApprovals: number;
  /** Whether the human author of an agent-assisted PR owns it without a `/delegate` command. */
  implicitOwner: boolean;
  /** Where the policy came from, for the evidence (`.github/countersign.yml`, or built-in defaults). */
  source: string;
}

/** The policy used when a repository has no `.github/countersign.yml`. */
export function defaultPolicy(): RepoPolicy {
  return {
    identities: [...BUILT_IN_AGENT_IDENTITIES],
    trailerRules: [...BUILT_IN_TRAILER_RULES],
    requiredApprovals: 1,
    implicitOwner: true,
    source: "built-in defaults (no .github/countersign.yml)",
  };
}
