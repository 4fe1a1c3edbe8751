import { anyGlobMatcher } from "./glob-matchers.js";
import { BUILT_IN_AGENT_IDENTITIES, BUILT_IN_TRAILER_RULES, type AgentIdentity, type TrailerRule } from "./agent-identities.js";
import { compileLinearPattern, type LinearPattern } from "./linear-pattern.js";
import { DEFAULTS_SOURCE, POLICY_PATH } from "./policy-file.js";
import type { Permission, TaskRef } from "./types.js";
import type { CredentialPolicy } from "./credential-policy.js";

/** A ticket key such as `SEC-142`, unless `delegation.task.ticket_pattern` says otherwise. */
export const DEFAULT_TICKET_PATTERN_SOURCE = "^[A-Z][A-Z0-9_]+-\\d+$";
const DEFAULT_TICKET_PATTERN = compileLinearPattern(DEFAULT_TICKET_PATTERN_SOURCE);

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

/** A team as a policy names it, `slug` (in the repository's organization, `owner`) or `org/slug`. */
export function parseTeam(text: string, owner: string): TeamRef {
  const [org, slug] = text.includes("/") ? (text.split("/") as [string, string]) : [owner, text];
  return { org, slug };
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

/** One policy file a compiled policy was read from: which file, at which blob and commit, and its text's hash. */
export interface PolicyFileProvenance {
  /** `owner/repo`. */
  repository: string;
  path: string;
  /** Git's blob SHA of the file (GraphQL's blob `oid`, or the contents API's `sha`); null when GitHub did not say. */
  blobSha: string | null;
  /** The commit the file was read at; null when the read could not tell (the contents API reads a branch by name). */
  commitSha: string | null;
  /** SHA-256 of the file's text, as read. */
  textHash: string;
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
    task: { required: boolean; forms: Array<Exclude<TaskRef["kind"], "none">>; ticketPattern: LinearPattern };
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
  /**
   * Whether the default branch is protected besides `protectedBranches`: when no file lists
   * branches, or when the organization's floor lists none (its default branch stays protected
   * whatever a repository adds).
   */
  protectsDefaultBranch: boolean;
  /** Where the policy came from, for the evidence (files, or built-in defaults). */
  source: string;
  /**
   * Which file set each key (`approvals.required`, `tiers.<name>`, ...), for the evidence; a key
   * no file set has its built-in default and no entry.
   */
  origins: Readonly<Record<string, string>>;
  /** SHA-256 of the effective policy: every decision records the exact policy version that made it. */
  hash: string;
  /** The files the policy was compiled from, most general first (none: the built-in defaults). */
  files?: readonly PolicyFileProvenance[];
  /**
   * The texts an auditor needs to read and rehash this policy, by SHA-256: each file's text as read,
   * and the canonical text whose SHA-256 is `hash`. Kept in the content store with each decision.
   */
  texts?: Readonly<Record<string, string>>;
  /**
   * Who besides the organization's owners may open its dashboard (the organization's file only);
   * absent: owners only.
   */
  dashboard?: { teams: TeamRef[] };
  /** Credentials for agents' workloads; absent or null: none are issued. */
  credentials?: CredentialPolicy | null;
}

/**
 * Files that make a change sensitive by default: CI, policy, ownership, infrastructure, containers,
 * and the dependency manifests and lock files of each ecosystem, by their real names and at any
 * depth the ecosystem reads them from (GitHub reads workflows, actions, Dependabot's file and
 * CODEOWNERS only where listed). README.md lists the same patterns; a test keeps the two equal.
 */
export const SENSITIVE_PATHS: readonly string[] = [
  // GitHub and Countersign
  ".github/workflows/**",
  ".github/actions/**",
  ".github/dependabot.yml",
  ".github/dependabot.yaml",
  POLICY_PATH,
  "CODEOWNERS",
  ".github/CODEOWNERS",
  "docs/CODEOWNERS",
  // Infrastructure: Terraform, Bicep, Kubernetes, Helm
  "**/*.tf",
  "**/*.tf.json",
  "**/*.tfvars",
  "**/*.tfvars.json",
  "**/.terraform.lock.hcl",
  "**/*.bicep",
  "**/*.bicepparam",
  "**/k8s/**",
  "**/helm/**",
  // Containers: Dockerfiles (any name Docker and Podman build from by convention), Compose files
  "**/Dockerfile",
  "**/dockerfile",
  "**/Dockerfile.*",
  "**/*.Dockerfile",
  "**/*.dockerfile",
  "**/Containerfile",
  "**/Containerfile.*",
  "**/compose.yaml",
  "**/compose.yml",
  "**/compose.*.yaml",
  "**/compose.*.yml",
  "**/docker-compose*.yaml",
  "**/docker-compose*.yml",
  // npm, Yarn, pnpm, Bun
  "**/package.json",
  "**/package-lock.json",
  "**/npm-shrinkwrap.json",
  "**/yarn.lock",
  "**/pnpm-lock.yaml",
  "**/pnpm-workspace.yaml",
  "**/bun.lock",
  "**/bun.lockb",
  // Python: pip, setuptools, Poetry, uv, Pipenv
  "**/requirements*.txt",
  "**/requirements/*.txt",
  "**/pyproject.toml",
  "**/setup.py",
  "**/setup.cfg",
  "**/poetry.lock",
  "**/uv.lock",
  "**/Pipfile",
  "**/Pipfile.lock",
  // Go
  "**/go.mod",
  "**/go.sum",
  "**/go.work",
  "**/go.work.sum",
  // Cargo
  "**/Cargo.toml",
  "**/Cargo.lock",
  // Bundler
  "**/Gemfile",
  "**/Gemfile.lock",
  "**/*.gemspec",
  // Composer
  "**/composer.json",
  "**/composer.lock",
  // NuGet
  "**/packages.lock.json",
  "**/Directory.Packages.props",
  "**/packages.config",
  // Maven, Gradle (the wrapper's properties name the Gradle distribution that the build downloads and runs)
  "**/pom.xml",
  "**/build.gradle",
  "**/build.gradle.kts",
  "**/settings.gradle",
  "**/settings.gradle.kts",
  "**/gradle.lockfile",
  "**/gradle/libs.versions.toml",
  "**/gradle/wrapper/gradle-wrapper.properties",
];

/** Compiles a tier's conditions into matchers. Globs match dotfiles: `.github/**` must match. */
export function compileTier(tier: Omit<Tier, "matchesPath" | "matchesBaseBranch">): Tier {
  const pathMatcher = anyGlobMatcher(tier.when.paths ?? []);
  const branchMatcher = anyGlobMatcher(tier.when.baseBranches ?? []);
  return { ...tier, matchesPath: (file) => pathMatcher(file), matchesBaseBranch: (branch) => branchMatcher(branch) };
}

/** The built-in tiers as a policy would write them: a sensitive change needs two independent approvals. */
export const BUILT_IN_TIERS: ReadonlyArray<{ name: string; when: { paths: readonly string[] }; require: { approvals: number } }> = [
  { name: "sensitive", when: { paths: SENSITIVE_PATHS }, require: { approvals: 2 } },
];

/** The built-in tiers, compiled. A policy replaces one by defining a tier of the same name. */
export function builtInTiers(): Tier[] {
  return BUILT_IN_TIERS.map((tier) => compileTier({ name: tier.name, builtIn: true, when: { paths: [...tier.when.paths] }, require: { approvals: tier.require.approvals } }));
}

/**
 * A requirement's source for the evidence: the policy key, and the file that set it when a file
 * did (`approvals.required (acme/.github:.github/countersign.yml)`); a default is the bare key.
 */
export function keySource(policy: Pick<RepoPolicy, "origins">, key: string): string {
  const origin = policy.origins[key];
  return origin ? `${key} (${origin})` : key;
}

/** A tier's source for the evidence: `tier:<name>`, and the file that defined it unless built in. */
export function tierSource(policy: Pick<RepoPolicy, "origins">, name: string): string {
  const origin = policy.origins[`tiers.${name}`];
  return origin ? `tier:${name} (${origin})` : `tier:${name}`;
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
      task: { required: true, forms: ["issue", "url", "ticket"], ticketPattern: DEFAULT_TICKET_PATTERN },
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
    protectsDefaultBranch: true,
    source: DEFAULTS_SOURCE,
    origins: {},
    hash: "built-in",
  };
}
