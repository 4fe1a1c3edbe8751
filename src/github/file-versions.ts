import type { ProbotOctokit } from "probot";
import { z } from "zod";

// Whether a file differs between two commits, in one GraphQL request: the oid of a git blob is the
// hash of its content, so two commits hold the same file exactly when they hold the same oid.

const QUERY = `query CountersignFileVersions($owner: String!, $name: String!, $path: String!, $after: GitObjectID!, $before: GitObjectID!, $hasBefore: Boolean!) {
  repository(owner: $owner, name: $name) {
    after: object(oid: $after) { ... on Commit { file(path: $path) { oid } } }
    before: object(oid: $before) @include(if: $hasBefore) { ... on Commit { file(path: $path) { oid } } }
  }
}`;

const commitSchema = z.object({ file: z.object({ oid: z.string() }).nullish() }).passthrough().nullish();
const answerSchema = z.object({ repository: z.object({ after: commitSchema, before: commitSchema }).nullable() });

/**
 * Whether `path` differs between `before` (null: nothing before, as for a new branch) and `after`. A
 * commit GitHub no longer has (a force-push can leave `before` unreachable) counts as different: the
 * question is whether decisions may be out of date, and "maybe" means yes.
 */
export async function fileChangedBetween(octokit: ProbotOctokit, repo: { owner: string; name: string }, path: string, before: string | null, after: string): Promise<boolean> {
  const raw = await octokit.graphql<unknown>(QUERY, { owner: repo.owner, name: repo.name, path, after, before: before ?? after, hasBefore: before !== null });
  const { repository } = answerSchema.parse(raw);
  if (!repository?.after || (before !== null && !repository.before)) return true;
  const afterOid = repository.after.file?.oid ?? null;
  const beforeOid = before === null ? null : (repository.before?.file?.oid ?? null);
  return afterOid !== beforeOid;
}
