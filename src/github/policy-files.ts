import type { ProbotOctokit } from "probot";
import { z } from "zod";

// Reads one policy file through the contents API, as JSON: GitHub reports the file's size before its
// content, so a file over the limit is refused without decoding or parsing it (and files over 1 MB
// come without content at all).

/** A policy file as the contents API returned it. */
export type PolicyFileRead =
  | { kind: "absent" }
  /** `sha`: git's blob SHA of the file, as GitHub reported it. */
  | { kind: "file"; text: string; sha?: string | null }
  | { kind: "too-large"; bytes: number }
  /** A directory, symlink or submodule at the policy file's path. */
  | { kind: "not-a-file"; type: string };

/** A policy file to read: `owner/repo:path`, at `ref` (the default branch when absent). */
export interface PolicyFileRef {
  owner: string;
  repo: string;
  path: string;
  ref?: string;
}

/** Where policy files are read from: the contents API, or a test's files. */
export interface PolicyFileSource {
  /** Reads a policy file, refusing one over `maxBytes`; see `readPolicyFile`. */
  readPolicyFile(file: PolicyFileRef, maxBytes: number): Promise<PolicyFileRead>;
}

// A directory's listing is an array; a file, symlink or submodule is an object with its `type`.
const contentSchema = z.union([
  z.array(z.unknown()),
  z.object({ type: z.string(), size: z.number().int().nonnegative(), sha: z.string().nullish(), encoding: z.string().nullish(), content: z.string().nullish() }),
]);

/**
 * Reads `path` in `owner/repo` at `ref` (the default branch when absent). A missing file, and a
 * repository GitHub does not show this installation, are `absent` (GitHub answers 404 for both);
 * any other API error is thrown, so the evaluation fails closed.
 */
export async function readPolicyFile(octokit: ProbotOctokit, file: PolicyFileRef, maxBytes: number): Promise<PolicyFileRead> {
  let data: unknown;
  try {
    ({ data } = await octokit.rest.repos.getContent({ owner: file.owner, repo: file.repo, path: file.path, ...(file.ref ? { ref: file.ref } : {}) }));
  } catch (error) {
    if ((error as { status?: number }).status === 404) return { kind: "absent" };
    throw error;
  }
  const content = contentSchema.parse(data);
  if (Array.isArray(content)) return { kind: "not-a-file", type: "dir" };
  if (content.type !== "file") return { kind: "not-a-file", type: content.type };
  if (content.size > maxBytes) return { kind: "too-large", bytes: content.size };
  // Files over 1 MB come with `encoding: none` and no content; the size check above refused them.
  if (content.encoding !== "base64" || typeof content.content !== "string") throw new Error(`GitHub returned ${file.owner}/${file.repo}:${file.path} without its content (encoding ${content.encoding ?? "none"})`);
  const bytes = Buffer.from(content.content, "base64");
  if (bytes.length > maxBytes) return { kind: "too-large", bytes: bytes.length };
  return { kind: "file", text: bytes.toString("utf8"), sha: content.sha ?? null };
}

/** The contents API as a source of policy files. */
export function contentsApiPolicyFiles(octokit: ProbotOctokit): PolicyFileSource {
  return { readPolicyFile: (file, maxBytes) => readPolicyFile(octokit, file, maxBytes) };
}
