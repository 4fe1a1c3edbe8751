import { createHash } from "node:crypto";
import type { z } from "zod";
import { BUILT_IN_AGENT_IDENTITIES, BUILT_IN_TRAILER_RULES } from "../policy/agent-identities.js";
import { parseDuration } from "../policy/duration.js";
import { anyGlobMatcher } from "../policy/glob-matchers.js";
import { compileLinearPattern } from "../policy/linear-pattern.js";
import { DEFAULTS_SOURCE, ORGANIZATION_POLICY_REPO, POLICY_PATH } from "../policy/policy-file.js";
import { compileTier, parseTeam, SENSITIVE_PATHS, type PolicyFileProvenance, type RepoPolicy, type Tier } from "../policy/repo-policy.js";
import type { PolicyFileSource } from "../github/policy-files.js";
import type { PolicyBlobs } from "../github/pull-request-facts.js";
import { compileCredentials, credentialsConsistencyProblems } from "./credentials.schema.js";
import { credentialWeakenings, effectiveTiers, floorWeakenings, type Weakening } from "./policy-floor.js";
import { parsePolicyText, POLICY_FILE_LIMITS, tooLargeMessage } from "./policy-yaml.js";
import { isValidGlob, policySchema, type PolicyConfig } from "./policy.schema.js";


// Bumped whenever compilation changes meaning, so equal files compiled differently never share a hash
// (3: the organization's policy is a floor; the built-in sensitive tier covers more files).
const COMPILER_VERSION = "countersign-policy/3";

/** One thing wrong with a policy file: which file, which key path, what. */
export interface ConfigProblem {
  file: string;
  path: string;
  message: string;
}

export type PolicyLoadResult = { ok: true; policy: RepoPolicy } | { ok: false; source: string; problems: ConfigProblem[] };

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((text, key) => (typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), "");
}

/** Turns zod issues into problems that name the offending key (`approvals.required`, `agents.foo`). */
export function describeIssues(issues: readonly z.core.$ZodIssue[], file: string): ConfigProblem[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ file, path: formatPath([...issue.path, key]), message: "unknown key" }));
    }
    return [{ file, path: formatPath(issue.path) || "(top level)", message: issue.message }];
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Lists that accumulate across files (an org's agents plus a repository's; an entry two files share is
// kept once); every other list is replaced by the more specific file's.
const ACCUMULATING_LISTS = new Set(["agents.identities", "agents.trailers"]);

/** `base` followed by the entries of `more` it does not already have. */
function accumulate(base: readonly unknown[], more: readonly unknown[]): unknown[] {
  const seen = new Set(base.map(canonical));
  return [...base, ...more.filter((item) => !seen.has(canonical(item)))];
}

function mergeTwo(base: unknown, override: unknown, path: string): unknown {
  if (override === undefined) return base;
  if (isObject(base) && isObject(override)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override)) merged[key] = mergeTwo(base[key], value, path ? `${path}.${key}` : key);
    return merged;
  }
  if (Array.isArray(base) && Array.isArray(override)) {
    if (ACCUMULATING_LISTS.has(path)) return accumulate(base, override);
    if (path === "tiers") {
      // Tiers merge by name: the more specific file's tier of the same name replaces the other's.
      const byName = (tier: unknown) => (isObject(tier) ? tier.name : undefined);
      const replaced = base.map((tier) => override.find((candidate) => byName(candidate) === byName(tier)) ?? tier);
      return [...replaced, ...override.filter((tier) => !base.some((candidate) => byName(candidate) === byName(tier)))];
    }
  }
  return override;
}

/**
 * Merges policy files, most general first (a file shared through `_extends`) and most specific last
 * (the one that extends it): objects merge key by key, the specific file's values win,
 * `agents.identities` and `agents.trailers` accumulate, `tiers` merge by name, and other lists are
 * replaced. (The organization's floor is applied on top of this by `compilePolicyLayers`.)
 */
export function mergePolicyFiles(configs: readonly unknown[]): unknown {
  return configs.reduce<unknown>((merged, config) => mergeTwo(merged, config, ""), {});
}

const teamRef = parseTeam;

function ms(text: string | undefined): number | null {
  return text === undefined ? null : (parseDuration(text)?.milliseconds ?? null);
}

/** The effective tier list: built-in tiers, replaced or switched off by name, then the policy's own. */
function compileTiers(config: PolicyConfig, owner: string): Tier[] {
  return effectiveTiers(config).map(({ builtIn, tier: entry }) =>
    compileTier({
      name: entry.name,
      builtIn,
      when: {
        ...(entry.when.paths ? { paths: entry.when.paths } : {}),
        ...(entry.when.base_branches ? { baseBranches: entry.when.base_branches } : {}),
        ...(entry.when.labels ? { labels: entry.when.labels } : {}),
      },
      require: {
        ...(entry.require.approvals !== undefined ? { approvals: entry.require.approvals } : {}),
        ...(entry.require.approver_teams ? { approverTeams: entry.require.approver_teams.map((team) => teamRef(team, owner)) } : {}),
        ...(entry.require.max_delegation_expiry ? { maxDelegationExpiryMs: ms(entry.require.max_delegation_expiry) ?? undefined } : {}),
        ...(entry.require.agents_forbidden !== undefined ? { agentsForbidden: entry.require.agents_forbidden } : {}),
      },
    }),
  );
}

/** Compiles a validated policy into what the engine applies. */
export function compilePolicy(
  config: PolicyConfig,
  context: { owner: string; source: string; hash: string; origins?: Readonly<Record<string, string>>; protectsDefaultBranch?: boolean },
): RepoPolicy {
  const { owner } = context;
  return {
    mode: config.mode,
    identities: [...BUILT_IN_AGENT_IDENTITIES, ...config.agents.identities],
    trailerRules: [
      ...BUILT_IN_TRAILER_RULES,
      ...config.agents.trailers.map((rule) => ({ name: rule.name, key: rule.key.toLowerCase(), pattern: compileLinearPattern(rule.pattern, { caseInsensitive: true }) })),
    ],
    allAppsAreAgents: config.agents.all_apps_are_agents,
    delegation: {
      required: config.delegation.required,
      implicitOwner: config.delegation.implicit_owner,
      delegators: {
        minPermission: config.delegation.delegators.min_permission,
        teams: config.delegation.delegators.teams.map((team) => teamRef(team, owner)),
        users: config.delegation.delegators.users,
      },
      task: { required: config.delegation.task.required, forms: config.delegation.task.forms, ticketPattern: compileLinearPattern(config.delegation.task.ticket_pattern) },
      defaultExpiryMs: ms(config.delegation.default_expiry),
      maxExpiryMs: ms(config.delegation.max_expiry),
    },
    approvals: {
      required: config.approvals.required,
      approvers: { minPermission: config.approvals.approvers.min_permission, teams: config.approvals.approvers.teams.map((team) => teamRef(team, owner)) },
      exclude: { delegator: config.approvals.exclude.delegator, prAuthor: config.approvals.exclude.pr_author, commitAuthors: config.approvals.exclude.commit_authors },
    },
    tiers: compileTiers(config, owner),
    scope: { enforcePaths: config.scope.enforce_paths, baseBranches: config.scope.base_branches ?? null },
    protectedBranches: config.protected_branches ?? null,
    protectsDefaultBranch: context.protectsDefaultBranch ?? config.protected_branches === undefined,
    ...(config.credentials ? { credentials: compileCredentials(config.credentials) } : {}),
    // Slugs only: a team of another organization must never open this one's dashboard.
    ...(config.dashboard ? { dashboard: { teams: config.dashboard.teams.map((slug) => ({ org: owner, slug })) } } : {}),
    source: context.source,
    origins: context.origins ?? {},
    hash: context.hash,
  };
}

/**
 * Cross-field rules zod cannot express per field. The credentials section's references between
 * keys (an agent's issuer among the issuers) are checked on the merged policy only: a repository's
 * file may narrow part of the organization's section.
 */
function consistencyProblems(config: PolicyConfig, file: string, merged = true): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const defaultMs = ms(config.delegation.default_expiry);
  const maxMs = ms(config.delegation.max_expiry);
  if (defaultMs !== null && maxMs !== null && defaultMs > maxMs) {
    problems.push({ file, path: "delegation.default_expiry", message: `longer than delegation.max_expiry (${config.delegation.max_expiry})` });
  }
  if (merged && config.credentials) problems.push(...credentialsConsistencyProblems(config.credentials).map((problem) => ({ file, ...problem })));
  return problems;
}

/** A stable serialisation: object keys sorted, so equal policies hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(",")}}`;
  return JSON.stringify(value) ?? "null";
}

/** Freezes a compiled policy, so the instance shared through the cache cannot be changed by a user. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Compiled policies by content hash: a policy is compiled once per version, not per delivery. */
const compiled = new Map<string, RepoPolicy>();
const MAX_COMPILED = 500;

/** One policy file as read: where it came from and its parsed content (null when absent). */
export interface PolicyFile {
  source: string;
  content: unknown;
  /** Which file this is at GitHub, and its text as read: what a decision names and keeps of it. */
  read?: PolicyFileText;
}

/** A policy file's place at GitHub (repository, path, blob, commit) and its text, as read. */
export interface PolicyFileText {
  repository: string;
  path: string;
  blobSha: string | null;
  commitSha: string | null;
  text: string;
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/**
 * What a compiled policy names of its files (most general first) and the texts an auditor needs: each
 * file's text by its SHA-256, and `hashedText`, the canonical text whose SHA-256 is the policy's hash.
 */
function provenanceOf(files: readonly PolicyFile[], hash: string, hashedText: string): { files: PolicyFileProvenance[]; texts: Record<string, string> } {
  const texts: Record<string, string> = { [hash]: hashedText };
  const provenance = files.flatMap((file) => {
    if (!file.read) return [];
    const { text, ...where } = file.read;
    const textHash = sha256(text);
    texts[textHash] = text;
    return [{ ...where, textHash }];
  });
  return { files: provenance, texts };
}

/**
 * The files that make a repository's policy, each list most general first. The organization's file
 * is the floor: it always applies, and the repository's files can only tighten it.
 */
export interface PolicyLayers {
  /** The organization `.github` repository's `.github/countersign.yml`, after the files it extends. */
  organization: readonly PolicyFile[];
  /** The repository's `.github/countersign.yml`, after the files it extends (other than the organization's). */
  repository: readonly PolicyFile[];
  /**
   * Whether the repository is the organization's `.github` repository: its file is the organization's
   * file (on some branch), so it may hold `repositories_may_relax`.
   */
  repositoryIsOrganization?: boolean;
}

/** The file part of a source (`owner/repo:path`), without the branch: what the evidence names. */
function fileOf(source: string): string {
  // Owners, repository names and policy paths have no `@`; a branch name may.
  const at = source.indexOf("@");
  return at >= 0 ? source.slice(0, at) : source;
}

/** Which file set each key, the later file winning; a tier is `tiers.<name>`. */
function originsOf(files: readonly PolicyFile[]): Record<string, string> {
  const origins: Record<string, string> = {};
  for (const file of files) {
    const label = fileOf(file.source);
    const visit = (value: unknown, path: string): void => {
      if (path === "tiers" && Array.isArray(value)) {
        for (const tier of value) if (isObject(tier) && typeof tier.name === "string") origins[`tiers.${tier.name}`] = label;
      } else if (isObject(value)) {
        for (const [key, child] of Object.entries(value)) visit(child, path ? `${path}.${key}` : key);
      } else if (path) {
        origins[path] = label;
      }
    };
    visit(file.content, "");
  }
  return origins;
}

function hasPath(content: unknown, path: string): boolean {
  let value = content;
  for (const key of path.split(".")) {
    if (!isObject(value) || !(key in value)) return false;
    value = value[key];
  }
  return true;
}

/** A weakening of the floor as a problem in the repository file that set the key. */
function weakeningProblem(weakening: Weakening, repository: readonly PolicyFile[], floorSource: string): ConfigProblem {
  const message = weakening.fixed
    ? `${weakening.message}: the organization's credentials section (${floorSource || "none"}) is a ceiling that a repository's file may only narrow`
    : `${weakening.message}: the organization's policy (${floorSource}) is a floor that a repository's file may only tighten (the organization's file can allow this with \`repositories_may_relax: [${weakening.key}]\`)`;
  const tierName = weakening.key.startsWith("tiers.") ? weakening.key.slice("tiers.".length) : null;
  for (const file of [...repository].reverse()) {
    if (tierName !== null) {
      const tiers = isObject(file.content) ? file.content.tiers : undefined;
      const index = Array.isArray(tiers) ? tiers.findIndex((tier) => isObject(tier) && tier.name === tierName) : -1;
      if (index >= 0) return { file: file.source, path: `tiers[${index}]${weakening.within ? `.${weakening.within}` : ""}`, message };
    } else if (hasPath(file.content, weakening.key)) {
      return { file: file.source, path: weakening.key, message };
    }
  }
  return { file: repository.at(-1)?.source ?? floorSource, path: weakening.key, message };
}

/** Validates a merged policy: the schema, then the cross-field rules. */
function validateMerged(raw: unknown, source: string): { ok: true; config: PolicyConfig } | { ok: false; problems: ConfigProblem[] } {
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: describeIssues(parsed.error.issues, source) };
  const problems = consistencyProblems(parsed.data, source);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config: parsed.data };
}

/**
 * The repository's merged files on top of the organization's: merged as files are (the
 * repository's values win), except that `protected_branches` accumulate (a repository protects more
 * branches, never fewer), unless the organization lets repositories relax it. Every other key is
 * then checked against the floor.
 */
function mergeOverFloor(floor: Record<string, unknown>, repository: Record<string, unknown>, relaxable: ReadonlySet<string>): Record<string, unknown> {
  const merged = mergeTwo(floor, repository, "") as Record<string, unknown>;
  if (!relaxable.has("protected_branches") && Array.isArray(floor.protected_branches) && Array.isArray(repository.protected_branches)) {
    merged.protected_branches = accumulate(floor.protected_branches, repository.protected_branches);
  }
  return merged;
}

/**
 * Compiles a repository's policy from its layers: each file is validated on its own (so a problem
 * names the file it is in); the organization's files are merged into the floor; the repository's
 * files are merged on top of it and the result must be no weaker than the floor, key by key, except
 * where the floor's `repositories_may_relax` allows it. A compilation of the same content is reused.
 */
export function compilePolicyLayers(layers: PolicyLayers, owner: string): PolicyLoadResult {
  const isPresent = (file: PolicyFile) => file.content !== null && file.content !== undefined;
  const organization = layers.organization.filter(isPresent);
  const repository = layers.repository.filter(isPresent);
  const found = [...organization, ...repository];
  // No file anywhere: the built-in defaults, compiled like any policy so they too have a real hash
  // (a decision made under the defaults of one Countersign version differs from another's).
  const present = found.length > 0 ? found : [{ source: DEFAULTS_SOURCE, content: {} }];
  const source = [...new Set(present.map((file) => file.source))].join(" extended by ");
  const floorSource = organization.map((file) => file.source).join(" extended by ");

  // A layer of one file merges to that file's content: its validation is reused, not repeated.
  const validatedFiles = new Map<PolicyFile, PolicyConfig>();
  const problems = present.flatMap((file) => {
    const parsed = policySchema.safeParse(file.content);
    if (parsed.success) validatedFiles.set(file, parsed.data);
    return parsed.success ? consistencyProblems(parsed.data, file.source, false) : describeIssues(parsed.error.issues, file.source);
  });
  const validatedAlone = (files: readonly PolicyFile[]) => (files.length === 1 && !hasPath(files[0]?.content, "repositories_may_relax") ? validatedFiles.get(files[0] as PolicyFile) : undefined);
  if (!layers.repositoryIsOrganization) {
    for (const file of repository) {
      if (hasPath(file.content, "repositories_may_relax")) {
        problems.push({
          file: file.source,
          path: "repositories_may_relax",
          message: `is read only from the organization's file (${POLICY_PATH} in its ${ORGANIZATION_POLICY_REPO} repository): a repository's file cannot relax the organization's policy`,
        });
      }
      // Who sees the organization's dashboard is the organization's to say, not one repository's writers.
      if (hasPath(file.content, "dashboard")) {
        problems.push({ file: file.source, path: "dashboard", message: `is read only from the organization's file (${POLICY_PATH} in its ${ORGANIZATION_POLICY_REPO} repository): it says who sees the organization's dashboard` });
      }
    }
  }
  if (problems.length > 0) return { ok: false, source, problems };

  let floor: { raw: Record<string, unknown>; config: PolicyConfig; relaxable: Set<string> } | null = null;
  if (organization.length > 0) {
    const raw = mergePolicyFiles(organization.map((file) => file.content)) as Record<string, unknown>;
    const alone = organization.length === 1 ? validatedFiles.get(organization[0] as PolicyFile) : undefined;
    const validated = alone ? { ok: true as const, config: alone } : validateMerged(raw, floorSource);
    if (!validated.ok) return { ok: false, source, problems: validated.problems };
    const relaxList = validated.config.repositories_may_relax ?? [];
    // `tiers.<name>` must name a tier the floor has: a misspelt name would allow nothing, silently.
    const tierNames = new Set(effectiveTiers(validated.config).map(({ tier }) => tier.name));
    const listedIn = [...organization].reverse().find((file) => hasPath(file.content, "repositories_may_relax"))?.source ?? floorSource;
    const unknownTiers = relaxList.flatMap((key, index) =>
      key.startsWith("tiers.") && !tierNames.has(key.slice("tiers.".length))
        ? [{ file: listedIn, path: `repositories_may_relax[${index}]`, message: `names no tier of the organization's policy (its tiers: ${[...tierNames].join(", ") || "none"})` }]
        : [],
    );
    if (unknownTiers.length > 0) return { ok: false, source, problems: unknownTiers };
    floor = { raw, config: validated.config, relaxable: new Set(relaxList) };
  }

  // Only the organization's list counts; in the `.github` repository's own file it has no effect here.
  const { repositories_may_relax: _ignored, ...repositoryRaw } = mergePolicyFiles(repository.map((file) => file.content)) as Record<string, unknown>;
  const merged = floor ? mergeOverFloor(floor.raw, repositoryRaw, floor.relaxable) : repositoryRaw;
  const unchanged = floor ? (repository.length === 0 ? floor.config : undefined) : validatedAlone(repository);
  const validated = unchanged ? { ok: true as const, config: unchanged } : validateMerged(merged, source);
  if (!validated.ok) return { ok: false, source, problems: validated.problems };
  const config = validated.config;
  // A file validated alone and reused was checked without the merged-only rules.
  const credentialProblems = unchanged && config.credentials ? credentialsConsistencyProblems(config.credentials).map((problem) => ({ file: source, ...problem })) : [];
  if (credentialProblems.length > 0) return { ok: false, source, problems: credentialProblems };
  if (floor) {
    const weakenings = floorWeakenings(floor.config, config, owner, floor.relaxable);
    if (weakenings.length > 0) return { ok: false, source, problems: weakenings.map((weakening) => weakeningProblem(weakening, repository, floorSource)) };
  } else if (!layers.repositoryIsOrganization) {
    // No organization file, so no ceiling: a repository's own credentials section would let its
    // writers trust any issuer. Only the owner's `.github` repository can grant credentials.
    const weakenings = credentialWeakenings(undefined, config.credentials);
    if (weakenings.length > 0) return { ok: false, source, problems: weakenings.map((weakening) => weakeningProblem(weakening, repository, floorSource)) };
  }

  // The default branch stays protected when no file lists branches, and when the organization's
  // floor lists none (a repository's list then adds to it).
  const protectsDefaultBranch = config.protected_branches === undefined || (floor !== null && floor.config.protected_branches === undefined && !floor.relaxable.has("protected_branches"));
  const origins = found.length > 0 ? originsOf(found) : {};
  // The exact text hashed is kept with the policy (`texts[hash]`), so an auditor can read it and rehash it.
  const hashedText = `${COMPILER_VERSION}\n${owner.toLowerCase()}\n${protectsDefaultBranch}\n${canonical(config)}`;
  const hash = sha256(hashedText);
  const { files, texts } = provenanceOf(found, hash, hashedText);
  const cached = compiled.get(hash);
  // Equal policies from other files share the compiled rules, never the names of the files.
  if (cached) return { ok: true, policy: { ...cached, source, origins: deepFreeze(origins), files: deepFreeze(files), texts: deepFreeze(texts) } };
  const policy = deepFreeze({ ...compilePolicy(config, { owner, source, hash, origins, protectsDefaultBranch }), files, texts });
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
  compiled.set(hash, policy);
  return { ok: true, policy };
}

/**
 * Validates, merges and compiles files of one layer, most general first (a file and those it
 * extends), with no organization floor.
 */
export function compilePolicyFiles(files: readonly PolicyFile[], owner: string): PolicyLoadResult {
  return compilePolicyLayers({ organization: [], repository: files }, owner);
}

/** Validates and compiles a single policy object (tests, the simulator, documentation checks). */
export function compileRepoConfig(raw: unknown, source: string, owner = "acme"): PolicyLoadResult {
  return compilePolicyFiles([{ source, content: raw ?? {} }], owner);
}

/** The lists of glob patterns a file names: its tiers' paths and base branches, its scope and protected branches. */
function globListsIn(content: unknown): unknown[][] {
  if (!isObject(content)) return [];
  const tiers = Array.isArray(content.tiers) ? content.tiers.filter(isObject) : [];
  const scope = isObject(content.scope) ? content.scope : {};
  const lists = [...tiers.flatMap((tier) => (isObject(tier.when) ? [tier.when.paths, tier.when.base_branches] : [])), scope.base_branches, content.protected_branches];
  return lists.filter((list): list is unknown[] => Array.isArray(list));
}

/** How long one batch of glob compilation may hold the event loop. */
const GLOB_BATCH_MS = 2;

/**
 * Compiles the globs of newly read files (and the built-in tier's) a batch at a time, yielding to
 * the event loop between batches: a file at the size limit can name thousands, and compiling them
 * in one go while validating and compiling the policy held the loop for a tenth of a second or more.
 * Validation and compilation then find each glob's validity and matcher remembered.
 */
async function prepareGlobs(contents: readonly unknown[]): Promise<void> {
  const lists = [SENSITIVE_PATHS, ...contents.flatMap(globListsIn)];
  let batchStarted = performance.now();
  const pause = async () => {
    if (performance.now() - batchStarted > GLOB_BATCH_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      batchStarted = performance.now();
    }
  };
  // Each glob's validity first (what validation asks), then each list's matcher (what compiling asks).
  const globs = new Set(lists.flat().filter((glob): glob is string => typeof glob === "string" && glob.length <= 300));
  for (const glob of globs) {
    isValidGlob(glob);
    await pause();
  }
  for (const list of lists) {
    if (list.every((glob) => typeof glob === "string" && globs.has(glob) && isValidGlob(glob))) anyGlobMatcher(list as string[]);
    await pause();
  }
}

/** A policy file that is read, or the problems that make it unusable. */
type FileRead = { ok: true; content: Record<string, unknown> | null } | { ok: false; problems: ConfigProblem[] };

/** Parses a policy file's text within the limits (in the parser's worker thread). */
async function parseFile(source: string, text: string): Promise<FileRead> {
  const parsed = await parsePolicyText(text);
  return parsed.ok ? { ok: true, content: parsed.content } : { ok: false, problems: [{ file: source, path: parsed.path, message: parsed.message }] };
}

/** A file as `_extends` names it: `repo`, `owner/repo`, optionally `:path.yml` (the syntax of Probot's config loader). */
const EXTENDS = /^(?:([a-z\d](?:[a-z\d]|-(?=[a-z\d])){0,38})\/)?([-_.\w]+)(?::([-_./\w]+\.ya?ml))?$/i;

/** How many files one `_extends` chain may name: sharing is one or two levels deep in practice. */
const MAX_EXTENDS = 5;

interface FileRef {
  owner: string;
  repo: string;
  path: string;
  ref?: string;
}

const sameFile = (a: FileRef, b: FileRef) => a.owner.toLowerCase() === b.owner.toLowerCase() && a.repo.toLowerCase() === b.repo.toLowerCase() && a.path === b.path;

/**
 * Reads a policy file and the files it extends, most general first, each within the size limit.
 * A chain that reaches `stopAt` (the organization's file, which applies anyway as the floor) stops
 * there. API errors other than 404 are thrown, so the evaluation fails closed.
 */
async function readChain(policyFiles: PolicyFileSource, start: FileRef, sourceOf: (file: FileRef) => string, stopAt: FileRef | null): Promise<{ ok: true; files: PolicyFile[] } | { ok: false; problems: ConfigProblem[] }> {
  const files: PolicyFile[] = [];
  const visited: FileRef[] = [];
  let next: FileRef | null = start;
  while (next) {
    const at: FileRef = next;
    const source = sourceOf(at);
    visited.push(at);
    const read = await policyFiles.readPolicyFile(at, POLICY_FILE_LIMITS.bytes);
    if (read.kind === "absent") break;
    if (read.kind === "not-a-file") return { ok: false, problems: [{ file: source, path: "(file)", message: `is a ${read.type}, not a file` }] };
    if (read.kind === "too-large") return { ok: false, problems: [{ file: source, path: "(file)", message: tooLargeMessage(read.bytes) }] };
    const parsed = await parseFile(source, read.text);
    if (!parsed.ok) return parsed;
    const { _extends: extendsValue, ...content } = parsed.content ?? {};
    // The contents API reads a branch by name: the commit it resolved to is not in its answer.
    files.unshift({ source, content, read: { repository: `${at.owner}/${at.repo}`, path: at.path, blobSha: read.sha ?? null, commitSha: null, text: read.text } });
    next = null;
    if (extendsValue === undefined) break;
    const match = typeof extendsValue === "string" ? EXTENDS.exec(extendsValue) : null;
    if (!match) return { ok: false, problems: [{ file: source, path: "_extends", message: "not a file to extend: use .github, repo, owner/repo or owner/repo:path/to/file.yml" }] };
    const target: FileRef = { owner: match[1] ?? at.owner, repo: match[2] as string, path: match[3] ?? POLICY_PATH };
    if (stopAt && sameFile(target, stopAt)) break;
    if (visited.some((file) => sameFile(file, target))) return { ok: false, problems: [{ file: source, path: "_extends", message: `extends ${sourceOf(target)}, which is already in this chain of files` }] };
    if (visited.length > MAX_EXTENDS) return { ok: false, problems: [{ file: source, path: "_extends", message: `extends a chain of more than ${MAX_EXTENDS} files` }] };
    next = target;
  }
  return { ok: true, files };
}

/**
 * Loads a repository's policy through the contents API: its `.github/countersign.yml` (on `branch`,
 * else the default branch) and the files it extends, and the organization's (its `.github`
 * repository's, on that repository's default branch), which is the floor. For a pull request,
 * `branch` is its base branch: the policy that judges a PR is never the one the PR proposes. A
 * missing file means no file; one that is too large, does not parse or does not validate is an
 * error, never a fallback to defaults.
 */
export async function loadRepoPolicy(policyFiles: PolicyFileSource, repo: { owner: string; name: string }, branch?: string): Promise<PolicyLoadResult> {
  const own: FileRef = { owner: repo.owner, repo: repo.name, path: POLICY_PATH, ...(branch ? { ref: branch } : {}) };
  const org: FileRef = { owner: repo.owner, repo: ORGANIZATION_POLICY_REPO, path: POLICY_PATH };
  const sourceOf = (file: FileRef) => `${file.owner}/${file.repo}:${file.path}${file.ref ? `@${file.ref}` : ""}`;
  const isOrganization = repo.name.toLowerCase() === ORGANIZATION_POLICY_REPO;
  // The `.github` repository's file on its default branch is the organization's file: read once.
  const [organization, repository] = await Promise.all([
    readChain(policyFiles, org, sourceOf, null),
    isOrganization && !branch ? Promise.resolve({ ok: true as const, files: [] }) : readChain(policyFiles, own, sourceOf, org),
  ]);
  const problems = [...(organization.ok ? [] : organization.problems), ...(repository.ok ? [] : repository.problems)];
  if (!organization.ok || !repository.ok) return { ok: false, source: [...new Set(problems.map((problem) => problem.file))].join(" extended by "), problems };
  await prepareGlobs([...organization.files, ...repository.files].map((file) => file.content));
  return compilePolicyLayers({ organization: organization.files, repository: repository.files, repositoryIsOrganization: isOrganization }, repo.owner);
}

/** Whether `_extends` names the organization's own `.github` repository, with the default path. */
function extendsOrgDotGithub(value: unknown, owner: string): boolean {
  return typeof value === "string" && (value === ORGANIZATION_POLICY_REPO || value.toLowerCase() === `${owner.toLowerCase()}/${ORGANIZATION_POLICY_REPO}`);
}

/**
 * The policy of a pull request from the files read with it in the pull-request query (no further
 * request): the organization `.github` repository's file (the floor) and the repository's file on
 * the base branch, whose `_extends: .github` names the floor it has anyway. Anything else (another
 * `_extends` target, an organization file that extends further, a file too large to read this way)
 * returns null: the caller then reads the files through the contents API.
 */
export function policyFromBlobs(repo: { owner: string; name: string }, baseRef: string, blobs: PolicyBlobs): Promise<PolicyLoadResult | null> {
  if (!blobs.complete) return Promise.resolve(null);
  // A blob's oid is the hash of its content: the same files on the same branch give the same result,
  // so YAML parsing, validation and merging happen once per policy version, not once per delivery.
  const key = JSON.stringify([repo.owner.toLowerCase(), repo.name.toLowerCase(), baseRef, blobs.repository?.oid ?? null, blobs.organization?.oid ?? null]);
  const cached = byBlobs.get(key);
  if (cached) return cached.then((read) => atCommits(read, repo, blobs));
  const result = readPolicyBlobs(repo, baseRef, blobs).then((read) => (read === null ? null : deepFreeze(read)));
  if (byBlobs.size >= MAX_COMPILED) byBlobs.delete(byBlobs.keys().next().value as string);
  byBlobs.set(key, result);
  // A failure to parse (the worker could not run) is not a property of the files: try again next time.
  result.catch(() => byBlobs.delete(key));
  return result;
}

/**
 * A result cached by blob oids, naming the commits of this read: the same file is often read again
 * at a later commit of its branch, and the evidence names the commit it was read at.
 */
function atCommits(read: PolicyLoadResult | null, repo: { owner: string; name: string }, blobs: PolicyBlobs): PolicyLoadResult | null {
  if (read === null || !read.ok || !read.policy.files) return read;
  const orgRepository = `${repo.owner}/${ORGANIZATION_POLICY_REPO}`;
  // Most general first: the organization's file, then the repository's (both may be in `.github`).
  let organizationSeen = false;
  const files = read.policy.files.map((file) => {
    const isOrganization = !organizationSeen && blobs.organization !== null && file.repository === orgRepository && file.blobSha === blobs.organization.oid;
    if (isOrganization) organizationSeen = true;
    const blob = isOrganization ? blobs.organization : blobs.repository;
    return { ...file, commitSha: blob?.commitSha ?? null };
  });
  if (files.every((file, index) => file.commitSha === read.policy.files?.[index]?.commitSha)) return read;
  return { ok: true, policy: deepFreeze({ ...read.policy, files }) };
}

/** Policy results by the oids of the files they were read from (null: the contents API must be used). */
const byBlobs = new Map<string, Promise<PolicyLoadResult | null>>();

async function readPolicyBlobs(repo: { owner: string; name: string }, baseRef: string, blobs: PolicyBlobs): Promise<PolicyLoadResult | null> {
  const repoSource = `${repo.owner}/${repo.name}:${POLICY_PATH}@${baseRef}`;
  const orgSource = `${repo.owner}/${ORGANIZATION_POLICY_REPO}:${POLICY_PATH}`;
  const [organization, repository] = await Promise.all([
    blobs.organization ? parseFile(orgSource, blobs.organization.text) : Promise.resolve<FileRead>({ ok: true, content: null }),
    blobs.repository ? parseFile(repoSource, blobs.repository.text) : Promise.resolve<FileRead>({ ok: true, content: null }),
  ]);
  const problems = [...(organization.ok ? [] : organization.problems), ...(repository.ok ? [] : repository.problems)];
  if (!organization.ok || !repository.ok) return { ok: false, source: [...new Set(problems.map((problem) => problem.file))].join(" extended by "), problems };
  if (organization.content?._extends !== undefined) return null;
  const { _extends: extendsValue, ...own } = repository.content ?? {};
  if (extendsValue !== undefined && !extendsOrgDotGithub(extendsValue, repo.owner)) return null;
  await prepareGlobs([organization.content, own]);
  const readOf = (name: string, file: NonNullable<PolicyBlobs["organization"]>): PolicyFileText => ({ repository: `${repo.owner}/${name}`, path: POLICY_PATH, blobSha: file.oid, commitSha: file.commitSha ?? null, text: file.text });
  return compilePolicyLayers(
    {
      organization: [{ source: orgSource, content: organization.content, ...(blobs.organization ? { read: readOf(ORGANIZATION_POLICY_REPO, blobs.organization) } : {}) }],
      repository: [{ source: repoSource, content: repository.content === null ? null : own, ...(blobs.repository ? { read: readOf(repo.name, blobs.repository) } : {}) }],
      repositoryIsOrganization: repo.name.toLowerCase() === ORGANIZATION_POLICY_REPO,
    },
    repo.owner,
  );
}

/** A pull request's policy: from the files read with it when they suffice, else via the contents API. */
export async function loadPullRequestPolicy(policyFiles: PolicyFileSource, repo: { owner: string; name: string }, baseRef: string, blobs: PolicyBlobs): Promise<PolicyLoadResult> {
  return (await policyFromBlobs(repo, baseRef, blobs)) ?? (await loadRepoPolicy(policyFiles, repo, baseRef));
}
