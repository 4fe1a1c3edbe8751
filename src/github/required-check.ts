import type { ProbotOctokit } from "probot";
import { z } from "zod";
import { CHECK_NAME } from "./check-runs.js";

/** Whether merging into a branch actually waits for the `Countersign` check. */
export type RequiredCheckStatus =
  | { state: "required"; via: Array<"ruleset" | "branch protection">; pinnedToApp: boolean | null }
  | { state: "not-required" }
  | { state: "unknown"; reason: string };

const rulesSchema = z.array(
  z.object({
    type: z.string(),
    parameters: z.object({ required_status_checks: z.array(z.object({ context: z.string(), integration_id: z.number().nullish() })).optional() }).passthrough().nullish(),
  }),
);

const branchSchema = z.object({
  protection: z
    .object({
      enabled: z.boolean().optional(),
      required_status_checks: z
        .object({ enforcement_level: z.string().nullish(), contexts: z.array(z.string()).default([]), checks: z.array(z.object({ context: z.string(), app_id: z.number().nullish() })).default([]) })
        .nullish(),
    })
    .nullish(),
});

/**
 * The setup doctor: finds out, with the least permission that can, whether `Countersign` is a
 * required check on a branch. Rulesets come from "Get rules for a branch" (Metadata: read) and
 * classic branch protection from the protection summary in "Get a branch" (Contents: read), so no
 * Administration permission is needed. Results are cached per branch for `ttlMs`.
 */
export class RequiredCheckDoctor {
  private readonly cache = new Map<string, { status: RequiredCheckStatus; expires: number }>();
  // Concurrent evaluations of one branch share one lookup instead of each reading (and racing to
  // cache) its own answer.
  private readonly pending = new Map<string, Promise<RequiredCheckStatus>>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Whether `Countersign` is required on `branch`; `appId` tells whether a ruleset pins it to this app. */
  async check(octokit: ProbotOctokit, repo: { owner: string; name: string; id: number }, branch: string, appId: number | null): Promise<RequiredCheckStatus> {
    const key = `${repo.id}:${branch}`;
    const cached = this.cache.get(key);
    if (cached && cached.expires > this.clock()) return cached.status;
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const lookup = this.lookUp(octokit, repo, branch, appId, key).finally(() => this.pending.delete(key));
    this.pending.set(key, lookup);
    return lookup;
  }

  private async lookUp(octokit: ProbotOctokit, repo: { owner: string; name: string }, branch: string, appId: number | null, key: string): Promise<RequiredCheckStatus> {
    const via: Array<"ruleset" | "branch protection"> = [];
    const failures: string[] = [];
    let pinnedToApp: boolean | null = null;
    try {
      const response = await octokit.request("GET /repos/{owner}/{repo}/rules/branches/{branch}", { owner: repo.owner, repo: repo.name, branch, per_page: 100 });
      const checks = rulesSchema
        .parse(response.data)
        .filter((rule) => rule.type === "required_status_checks")
        .flatMap((rule) => rule.parameters?.required_status_checks ?? [])
        .filter((check) => check.context === CHECK_NAME);
      if (checks.length > 0) {
        via.push("ruleset");
        pinnedToApp = appId !== null && checks.some((check) => check.integration_id === appId);
      }
    } catch (error) {
      failures.push(`rulesets (HTTP ${(error as { status?: number }).status ?? "error"})`);
    }
    try {
      const response = await octokit.rest.repos.getBranch({ owner: repo.owner, repo: repo.name, branch });
      const required = branchSchema.parse(response.data).protection?.required_status_checks;
      if (required && required.enforcement_level !== "off" && (required.contexts.includes(CHECK_NAME) || required.checks.some((check) => check.context === CHECK_NAME))) {
        via.push("branch protection");
      }
    } catch (error) {
      failures.push(`branch protection (HTTP ${(error as { status?: number }).status ?? "error"})`);
    }

    const status: RequiredCheckStatus =
      via.length > 0 ? { state: "required", via, pinnedToApp } : failures.length > 0 ? { state: "unknown", reason: `could not read ${failures.join(" and ")}` } : { state: "not-required" };
    // An answer GitHub would not give is retried sooner than a real one.
    this.cache.set(key, { status, expires: this.clock() + (status.state === "unknown" ? Math.min(this.ttlMs, 60_000) : this.ttlMs) });
    return status;
  }
}
