import { createHash } from "node:crypto";
import type { ProbotOctokit } from "probot";
import type { z } from "zod";
import { BUILT_IN_AGENT_IDENTITIES, BUILT_IN_TRAILER_RULES } from "../policy/agent-identities.js";
import { parseDuration } from "../policy/duration.js";
import { builtInTiers, compileTier, type RepoPolicy, type TeamRef, type Tier } from "../policy/repo-policy.js";
import { parse as parseYaml } from "yaml";
import type { PolicyBlobs } from "../github/pull-request-facts.js";
import { policySchema, type PolicyConfig } from "./policy.schema.js";

export const CONFIG_PATH = ".github/countersign.yml";

/** The policy source named when no policy file exists. */
export const DEFAULTS_SOURCE = "built-in defaults (no .github/countersign.yml)";

// Bumped whenever compilation changes meaning, so equal files compiled differently never share a hash.
const COMPILER_VERSION = "countersign-policy/2";

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

// Lists that accumulate across files (an org's agents plus a repository's); every other list is
// replaced by the more specific file's.
const ACCUMULATING_LISTS = new Set(["agents.identities", "agents.trailers"]);

function mergeTwo(base: unknown, override: unknown, path: string): unknown {
  if (override === undefined) return base;
  if (isObject(base) && isObject(override)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override)) merged[key] = mergeTwo(base[key], value, path ? `${path}.${key}` : key);
    return merged;
  }
  if (Array.isArray(base) && Array.isArray(override)) {
    if (ACCUMULATING_LISTS.has(path)) return [...base, ...override];
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
 * Merges policy files, most general first (an organization's, via `_extends`) and most specific last
 * (the repository's): objects merge key by key, the specific file's values win, `agents.identities`
 * and `agents.trailers` accumulate, `tiers` merge by name, and other lists are replaced.
 */
export function mergePolicyFiles(configs: readonly unknown[]): unknown {
  return configs.reduce<unknown>((merged, config) => mergeTwo(merged, config, ""), {});
}

function teamRef(text: string, owner: string): TeamRef {
  const [org, slug] = text.includes("/") ? (text.split("/") as [string, string]) : [owner, text];
  return { org, slug };
}

function ms(text: string | undefined): number | null {
  return text === undefined ? null : (parseDuration(text)?.milliseconds ?? null);
}

/** The effective tier list: built-in tiers, replaced or switched off by name, then the policy's own. */
function compileTiers(config: PolicyConfig, owner: string): Tier[] {
  const tiers: Tier[] = builtInTiers();
  for (const entry of config.tiers) {
    const tier = compileTier({
      name: entry.name,
      builtIn: false,
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
    });
    const index = tiers.findIndex((existing) => existing.name === entry.name);
    if (index >= 0) tiers.splice(index, 1, ...(entry.enabled ? [tier] : []));
    else if (entry.enabled) tiers.push(tier);
  }
  return tiers;
}

/** Compiles a validated policy into what the engine applies. */
export function compilePolicy(config: PolicyConfig, context: { owner: string; source: string; hash: string }): RepoPolicy {
  const { owner } = context;
  return {
    mode: config.mode,
    identities: [...BUILT_IN_AGENT_IDENTITIES, ...config.agents.identities],
    trailerRules: [
      ...BUILT_IN_TRAILER_RULES,
      ...config.agents.trailers.map((rule) => ({ name: rule.name, key: rule.key.toLowerCase(), pattern: new RegExp(rule.pattern, "i") })),
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
      task: { required: config.delegation.task.required, forms: config.delegation.task.forms, ticketPattern: new RegExp(config.delegation.task.ticket_pattern) },
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
    source: context.source,
    hash: context.hash,
  };
}

/** Cross-field rules zod cannot express per field. */
function consistencyProblems(config: PolicyConfig, file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const defaultMs = ms(config.delegation.default_expiry);
  const maxMs = ms(config.delegation.max_expiry);
  if (defaultMs !== null && maxMs !== null && defaultMs > maxMs) {
    problems.push({ file, path: "delegation.default_expiry", message: `longer than delegation.max_expiry (${config.delegation.max_expiry})` });
  }
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
}

/**
 * Validates each file on its own (so a problem names the file it is in), merges them, validates the
 * result, and compiles it, reusing an earlier compilation of the same content.
 */
export function compilePolicyFiles(files: readonly PolicyFile[], owner: string): PolicyLoadResult {
  const found = files.filter((file) => file.content !== null && file.content !== undefined);
  // No file anywhere: the built-in defaults, compiled like any policy so they too have a real hash
  // (a decision made under the defaults of one Countersign version differs from another's).
  const present = found.length > 0 ? found : [{ source: DEFAULTS_SOURCE, content: {} }];
  const source = present.map((file) => file.source).join(" extended by ");

  const problems = present.flatMap((file) => {
    const parsed = policySchema.safeParse(file.content);
    return parsed.success ? consistencyProblems(parsed.data, file.source) : describeIssues(parsed.error.issues, file.source);
  });
  if (problems.length > 0) return { ok: false, source, problems };

  const merged = mergePolicyFiles(present.map((file) => file.content));
  const parsed = policySchema.safeParse(merged);
  if (!parsed.success) return { ok: false, source, problems: describeIssues(parsed.error.issues, source) };
  const mergedProblems = consistencyProblems(parsed.data, source);
  if (mergedProblems.length > 0) return { ok: false, source, problems: mergedProblems };

  const hash = createHash("sha256").update(`${COMPILER_VERSION}\n${owner.toLowerCase()}\n${canonical(parsed.data)}`).digest("hex");
  const cached = compiled.get(hash);
  if (cached) return { ok: true, policy: { ...cached, source } };
  const policy = deepFreeze(compilePolicy(parsed.data, { owner, source, hash }));
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
  compiled.set(hash, policy);
  return { ok: true, policy };
}

/** Validates and compiles a single policy object (tests, the simulator, documentation checks). */
export function compileRepoConfig(raw: unknown, source: string, owner = "acme"): PolicyLoadResult {
  return compilePolicyFiles([{ source, content: raw ?? {} }], owner);
}

/**
 * Loads `.github/countersign.yml` with Probot's config loader (so `_extends: org/.github` and the
 * org-wide `.github` repository work) and compiles it. For a pull request, `branch` is its base
 * branch: the policy that judges a PR is never the one the PR itself proposes. A missing file means
 * the built-in defaults; a file that does not parse or validate is an error, never a fallback.
 */
export async function loadRepoPolicy(octokit: ProbotOctokit, repo: { owner: string; name: string }, branch?: string): Promise<PolicyLoadResult> {
  let files: Array<{ owner: string; repo: string; path: string; config: unknown }>;
  try {
    ({ files } = (await octokit.config.get({ owner: repo.owner, repo: repo.name, path: CONFIG_PATH, ...(branch ? { branch } : {}) })) as { files: typeof files });
  } catch (error) {
    // The loader throws on YAML syntax errors and bad `_extends` values (API errors carry a status:
    // re-throw those so the evaluation fails closed as "could not evaluate").
    if ((error as { status?: number }).status !== undefined) throw error;
    const message = (error as Error).message.replace(/^\[@probot\/octokit-plugin-config\]\s*/, "").slice(0, 300);
    return { ok: false, source: `${repo.owner}/${repo.name}:${CONFIG_PATH}`, problems: [{ file: `${repo.owner}/${repo.name}:${CONFIG_PATH}`, path: "(file)", message }] };
  }
  // The loader lists the requested file first and what it extends after: compile most general first.
  const ordered = [...files].reverse().map((file) => ({ source: `${file.owner}/${file.repo}:${file.path}${branch && file.repo === repo.name && file.owner === repo.owner ? `@${branch}` : ""}`, content: file.config }));
  return compilePolicyFiles(ordered, repo.owner);
}

/** Parses a policy file's YAML the way Probot's loader does; a string is the problem. */
function parsePolicyYaml(text: string): Record<string, unknown> | string {
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { logLevel: "error" });
  } catch {
    return "could not be parsed (invalid YAML)";
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) return "could not be parsed (YAML is not an object)";
  return parsed as Record<string, unknown>;
}

/** Whether `_extends` names the organization's own `.github` repository, with the default path. */
function extendsOrgDotGithub(value: unknown, owner: string): boolean {
  return typeof value === "string" && (value === ".github" || value.toLowerCase() === `${owner.toLowerCase()}/.github`);
}

/**
 * The policy of a pull request from the files read with it in the pull-request query (no further
 * request), following the same rules as Probot's config loader: the repository's file on the base
 * branch, else the organization `.github` repository's, and `_extends: .github`. Anything else
 * (another `_extends` target, an org file that extends further, a file too large to read this way)
 * returns null: the caller then uses the loader itself.
 */
export function policyFromBlobs(repo: { owner: string; name: string }, baseRef: string, blobs: PolicyBlobs): PolicyLoadResult | null {
  if (!blobs.complete) return null;
  // A blob's oid is the hash of its content: the same files on the same branch give the same result,
  // so YAML parsing, validation and merging happen once per policy version, not once per delivery.
  const key = JSON.stringify([repo.owner.toLowerCase(), repo.name.toLowerCase(), baseRef, blobs.repository?.oid ?? null, blobs.organization?.oid ?? null]);
  if (byBlobs.has(key)) return byBlobs.get(key) ?? null;
  const result = readPolicyBlobs(repo, baseRef, blobs);
  const shared = result === null ? null : deepFreeze(result);
  if (byBlobs.size >= MAX_COMPILED) byBlobs.delete(byBlobs.keys().next().value as string);
  byBlobs.set(key, shared);
  return shared;
}

/** Policy results by the oids of the files they were read from (null: the loader must be used). */
const byBlobs = new Map<string, PolicyLoadResult | null>();

function readPolicyBlobs(repo: { owner: string; name: string }, baseRef: string, blobs: PolicyBlobs): PolicyLoadResult | null {
  const repoSource = `${repo.owner}/${repo.name}:${CONFIG_PATH}@${baseRef}`;
  const orgSource = `${repo.owner}/.github:${CONFIG_PATH}`;
  const invalid = (source: string, message: string): PolicyLoadResult => ({ ok: false, source, problems: [{ file: source, path: "(file)", message }] });

  const files: PolicyFile[] = [];
  const organization = () => {
    if (!blobs.organization) return "absent" as const;
    const content = parsePolicyYaml(blobs.organization.text);
    if (typeof content === "string") return invalid(orgSource, content);
    if (content._extends !== undefined) return null;
    files.push({ source: orgSource, content });
    return "read" as const;
  };

  if (blobs.repository) {
    const content = parsePolicyYaml(blobs.repository.text);
    if (typeof content === "string") return invalid(repoSource, content);
    const { _extends: extendsValue, ...own } = content;
    if (extendsValue !== undefined) {
      if (!extendsOrgDotGithub(extendsValue, repo.owner)) return null;
      const org = organization();
      if (org === null || typeof org === "object") return org;
    }
    files.push({ source: repoSource, content: own });
  } else if (repo.name !== ".github") {
    const org = organization();
    if (org === null || typeof org === "object") return org;
  }
  return compilePolicyFiles(files, repo.owner);
}

/** A pull request's policy: from the files read with it when they suffice, else via the loader. */
export async function loadPullRequestPolicy(octokit: ProbotOctokit, repo: { owner: string; name: string }, baseRef: string, blobs: PolicyBlobs): Promise<PolicyLoadResult> {
  return policyFromBlobs(repo, baseRef, blobs) ?? (await loadRepoPolicy(octokit, repo, baseRef));
}
