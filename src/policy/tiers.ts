import type { RepoPolicy, Tier, TierRequirements } from "./repo-policy.js";
import type { PullRequestFacts } from "./types.js";

/** A tier that applies to a pull request, and the facts that made it apply. */
export interface AppliedTier {
  name: string;
  builtIn: boolean;
  require: TierRequirements;
  /** Changed files that matched the tier's paths (all of them; the evidence shows the first few). */
  files: string[];
  /** The base branch, when the tier matches on base branches. */
  baseBranch: string | null;
  /** The labels that matched, when the tier matches on labels. */
  labels: string[];
}

function applies(tier: Tier, pr: Pick<PullRequestFacts, "files" | "baseRef" | "labels">): AppliedTier | null {
  const files = tier.when.paths ? pr.files.filter((file) => tier.matchesPath(file)) : [];
  if (tier.when.paths && files.length === 0) return null;
  if (tier.when.baseBranches && !tier.matchesBaseBranch(pr.baseRef)) return null;
  const wanted = (tier.when.labels ?? []).map((label) => label.toLowerCase());
  const labels = tier.when.labels ? pr.labels.filter((label) => wanted.includes(label.toLowerCase())) : [];
  if (tier.when.labels && labels.length === 0) return null;
  return { name: tier.name, builtIn: tier.builtIn, require: tier.require, files, baseBranch: tier.when.baseBranches ? pr.baseRef : null, labels };
}

/**
 * The tiers that apply, in policy order. A tier applies when every condition it names holds: some
 * changed file matches its paths, the base branch matches, some label matches. Adding files to a PR
 * can only add tiers, never remove one.
 */
export function applicableTiers(policy: Pick<RepoPolicy, "tiers">, pr: Pick<PullRequestFacts, "files" | "baseRef" | "labels">): AppliedTier[] {
  return policy.tiers.map((tier) => applies(tier, pr)).filter((tier): tier is AppliedTier => tier !== null);
}
