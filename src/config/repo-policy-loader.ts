import type { ProbotOctokit } from "probot";
import type { z } from "zod";
import { BUILT_IN_AGENT_IDENTITIES, BUILT_IN_TRAILER_RULES } from "../policy/agent-identities.js";
import { defaultPolicy, type RepoPolicy } from "../policy/repo-policy.js";
import { repoConfigSchema, type RepoConfig } from "./repo-config.schema.js";

export const CONFIG_PATH = ".github/countersign.yml";

/** One thing wrong with a config file, with the key path it is at. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export type PolicyLoadResult =
  | { ok: true; policy: RepoPolicy }
  | { ok: false; source: string; problems: ConfigProblem[] };

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((text, key) => (typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), "");
}

/** Turns zod issues into problems that name the offending key (`approvals.required`, `agents.foo`). */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  return issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: "unknown key" }));
    }
    return [{ path: formatPath(issue.path) || "(top level)", message: issue.message }];
  });
}

/** Validates a parsed config object and compiles it into the policy the engine applies. */
export function compileRepoConfig(raw: unknown, source: string): PolicyLoadResult {
  const parsed = repoConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) return { ok: false, source, problems: describeIssues(parsed.error.issues) };
  const config: RepoConfig = parsed.data;
  return {
    ok: true,
    policy: {
      identities: [...BUILT_IN_AGENT_IDENTITIES, ...config.agents.identities],
      trailerRules: [
        ...BUILT_IN_TRAILER_RULES,
        ...config.agents.trailers.map((rule) => ({ name: rule.name, key: rule.key.toLowerCase(), pattern: new RegExp(rule.pattern, "i") })),
      ],
      requiredApprovals: config.approvals.required,
      implicitOwner: config.delegation.implicit_owner,
      source,
    },
  };
}

/**
 * Loads `.github/countersign.yml` with Probot's config loader (so `_extends: org/.github` and the
 * org-wide `.github` repository work) and compiles it. For a pull request, `branch` is its base
 * branch: the policy that judges a PR is never the one the PR itself proposes. A missing file means the built-in defaults; a
 * file that does not parse or validate is an error, never a fallback to defaults.
 */
export async function loadRepoPolicy(
  octokit: ProbotOctokit,
  repo: { owner: string; name: string },
  branch?: string,
): Promise<PolicyLoadResult> {
  let loaded: { config: Record<string, unknown>; files: Array<{ owner: string; repo: string; path: string; config: unknown }> };
  try {
    loaded = (await octokit.config.get({ owner: repo.owner, repo: repo.name, path: CONFIG_PATH, ...(branch ? { branch } : {}) })) as typeof loaded;
  } catch (error) {
    const status = (error as { status?: number }).status;
    // The loader throws on YAML syntax errors (and on API errors, which carry a status: re-throw those
    // so the evaluation fails closed as "could not evaluate").
    if (status !== undefined) throw error;
    return { ok: false, source: `${repo.owner}/${repo.name}:${CONFIG_PATH}`, problems: [{ path: "(file)", message: (error as Error).message.slice(0, 300) }] };
  }
  const found = loaded.files.filter((file) => file.config !== null && file.config !== undefined);
  if (found.length === 0) return { ok: true, policy: defaultPolicy() };
  const source = found.map((file) => `${file.owner}/${file.repo}:${file.path}`).join(" extended by ");
  return compileRepoConfig(loaded.config, source);
}
