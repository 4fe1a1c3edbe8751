import { stringify } from "yaml";
import { policyFromBlobs, type ConfigProblem, type PolicyLoadResult } from "../../../src/config/repo-policy-loader.js";
import type { RepoPolicy } from "../../../src/policy/repo-policy.js";

// A pull request's policy read the way the app reads it (`policyFromBlobs`: the YAML of the
// organization's `.github` file and of the repository's file on the base branch), for the tests of
// the organization floor and of the sections it governs.

let blobs = 0;
/** A blob as the pull-request query returns it; each call a new oid, so nothing is served from the cache. */
export function blob(content: unknown): { oid: string; text: string } {
  blobs += 1;
  return { oid: `policy-blob-${blobs}`, text: typeof content === "string" ? content : stringify(content) };
}

/** The policy of a pull request in acme/`name` under `org` and `repo` (null: no such file). */
export async function load(org: unknown, repo: unknown, name = "widgets"): Promise<PolicyLoadResult> {
  const result = await policyFromBlobs({ owner: "acme", name }, "main", { complete: true, organization: org === null ? null : blob(org), repository: repo === null ? null : blob(repo) });
  if (result === null) throw new Error("expected the blobs to suffice");
  return result;
}

export async function accepted(org: unknown, repo: unknown): Promise<RepoPolicy> {
  const result = await load(org, repo);
  if (!result.ok) throw new Error(`expected the policy to be accepted, got ${JSON.stringify(result.problems)}`);
  return result.policy;
}

export async function refused(org: unknown, repo: unknown): Promise<ConfigProblem[]> {
  const result = await load(org, repo);
  if (result.ok) throw new Error("expected the repository's file to be refused");
  return result.problems;
}
