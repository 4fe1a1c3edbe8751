import picomatch from "picomatch";
import { BUILT_IN_AGENT_IDENTITIES, BUILT_IN_TRAILER_RULES, type AgentIdentity, type TrailerRule } from "./agent-identities.js";
import type { Permission, TaskRef } from "./types.js";

/** A team, resolved to its organization. */
export interface TeamRef {
  org: string;
  slug: string;
}

/** The lookup key of a team: `org/slug`, lower-cased (GitHub compares both case-insensitively). */
export function teamKey(team: TeamRef): string {
  return teamName(team).toLowerCase();
}

/** A team as people write it: `org/slug`. */
export function teamName(team: TeamRef): string {
  return `${team.org}/${team.slug}`;
}

/** What a tier raises when it applies. Absent means "no change". */
export interface TierRequirements {
  approvals?: number;
  approverTeams?: TeamRef[];
  maxDelegationExpiryMs?: number;
  agentsForbidden?: boolean;
}

/** A tier with its matchers compiled. Conditions given are ANDed; within one, any entry matches. */
export interface Tier {
  name: string;
  builtIn: boolean;
  when: { paths?: string[]; baseBranches?: string[]; labels?: string[] };
  require: TierRequirements;
  matchesPath: (file: string) => boolean;
  matchesBaseBranch: (branch: string) => boolean;
}

/** The rules a repository is judged by, compiled from its policy files (or the defaults). */
export interface RepoPolicy {
  /** `evaluate` reports what would happen as a neutral check; `enforce` blocks. */
  mode: "enforce" | "evaluate";
  identities: AgentIdentity[];
  trailerRules: TrailerRule[];
  /** Whether every GitHub App bot counts as an agent. */
  allAppsAreAgents: boolean;
  delegation: {
    required: boolean;
    implicitOwner: boolean;
    delegators: { minPermission: Permission; teams: TeamRef[]; users: string[] };
    task: { required: boolean; forms: Array<Exclude<TaskRef["kind"], "none">>; ticketPattern: RegExp };
    defaultExpiryMs: number | null;
    maxExpiryMs: number | null;
  };
  approvals: {
    required: number;
    approvers: { minPermission: Permission; teams: TeamRef[] };
    exclude: { delegator: boolean; prAuthor: boolean; commitAuthors: boolean };
  };
  tiers: Tier[];
  scope: { enforcePaths: boolean; baseBranches: string[] | null };
  /** Branch patterns where agents' direct pushes are flagged; null = the default branch. */
  protectedBranches: string[] | null;
  /** Where the policy came from, for the evidence (files, or built-in defaults). */
  source: string;
  /** SHA-256 of the effective policy: every decision records the exact policy version that made it. */
  hash: string;
}

/** Files that make a change sensitive by default: CI, policy, ownership, infrastructure, dependencies. */
export const SENSITIVE_PATHS: readonly string[] = [
  ".github/workflows/**",
  ".github/actions/**",
  ".github/countersign.yml",
  "CODEOWNERS",
  ".github/CODEOWNERS",
  "docs/CODEOWNERS",
  "**/*.tf",
  "**/*.tfvars",
  "**/*.bicep",
  "**/Dockerfile",
  "**/docker-compose*.yml",
  "**/k8s/**",
  "**/helm/**",
  "**/package.json",
  "**/package-lock.json",
  "**/yarn.lock",
  "**/pnpm-lock.yaml",
  "**/requirements*.txt",
  "**/pyproject.toml",
  "**/poetry.lock",
  "**/Pipfile",
  "**/Pipfile.lock",
  "**/go.mod",
  "**/go.sum",
  "**/Cargo.toml",
  "**/Cargo.lock",
  "**/Gemfile",
  "**/Gemfile.lock",
  "**/pom.xml",
  "**/build.gradle",
  "**/build.gradle.kts",
];

/** Compiles a tier's conditions into matchers. Globs match dotfiles: `.github/**` must match. */
export function compileTier(tier: Omit<Tier, "matchesPath" | "matchesBaseBranch">): Tier {
  const paths = tier.when.paths ?? [];
  const branches = tier.when.baseBranches ?? [];
  const pathMatcher = paths.length > 0 ? picomatch([...paths], { dot: true }) : () => false;
  const branchMatcher = branches.length > 0 ? picomatch([...branches], { dot: true }) : () => false;
  return { ...tier, matchesPath: (file) => pathMatcher(file), matchesBaseBranch: (branch) => branchMatcher(branch) };
}

/** The built-in tier: a sensitive change needs two independent approvals. Replace it by name. */
export function builtInTiers(): Tier[] {
  return [compileTier({ name: "sensitive", builtIn: true, when: { paths: [...SENSITIVE_PATHS] }, require: { approvals: 2 } })];
}

/** The policy used when a repository and its organization have no `.github/countersign.yml`. */
export function defaultPolicy(): RepoPolicy {
  return {
    mode: "enforce",
    identities: [...BUILT_IN_AGENT_IDENTITIES],
    trailerRules: [...BUILT_IN_TRAILER_RULES],
    allAppsAreAgents: false,
    delegation: {
      required: true,
      implicitOwner: true,
      delegators: { minPermission: "write", teams: [], users: [] },
      task: { required: true, forms: ["issue", "url", "ticket"], ticketPattern: /^[A-Z][A-Z0-9_]+-\d+$/ },
      defaultExpiryMs: null,
      maxExpiryMs: null,
    },
    approvals: {
      required: 1,
      approvers: { minPermission: "write", teams: [] },
      exclude: { delegator: true, prAuthor: true, commitAuthors: true },
    },
    tiers: builtInTiers(),
    scope: { enforcePaths: true, baseBranches: null },
    protectedBranches: null,
    source: "built-in defaults (no .github/countersign.yml)",
    hash: "built-in",
  };
}
