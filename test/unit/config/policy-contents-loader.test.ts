import { createHash } from "node:crypto";
import { describe, expect, test } from "@jest/globals";
import type { ProbotOctokit } from "probot";
import { loadRepoPolicy } from "../../../src/config/repo-policy-loader.js";
import { contentsApiPolicyFiles, type PolicyFileSource } from "../../../src/github/policy-files.js";

// The policy read through the contents API (pushes, commands on issues, and pull requests whose files
// the GraphQL query could not carry): the repository's file and the organization's, always, each
// within the size limit, following `_extends`.

interface Stored {
  text?: string;
  /** What GitHub reports as the file's size (defaults to the text's). */
  size?: number;
  type?: string;
  /** Git's blob SHA, as the contents API reports it. */
  sha?: string;
}

/** An Octokit whose contents API answers from `files` (`owner/repo:path@ref`, `@ref` optional), recording each read. */
function contentsApi(files: Record<string, Stored | "directory" | "error">): { octokit: PolicyFileSource; reads: string[] } {
  const reads: string[] = [];
  const getContent = async ({ owner, repo, path, ref }: { owner: string; repo: string; path: string; ref?: string }) => {
    const key = `${owner}/${repo}:${path}${ref ? `@${ref}` : ""}`;
    reads.push(key);
    const file = files[key];
    if (file === undefined) throw Object.assign(new Error("Not Found"), { status: 404 });
    if (file === "error") throw Object.assign(new Error("Server Error"), { status: 502 });
    if (file === "directory") return { data: [{ type: "file", name: "a.yml" }] };
    const content = file.text === undefined ? "" : Buffer.from(file.text).toString("base64");
    return { data: { type: file.type ?? "file", size: file.size ?? Buffer.byteLength(file.text ?? ""), ...(file.sha ? { sha: file.sha } : {}), encoding: file.text === undefined ? "none" : "base64", content } };
  };
  return { octokit: contentsApiPolicyFiles({ rest: { repos: { getContent } } } as unknown as ProbotOctokit), reads };
}

const REPO = { owner: "acme", name: "widgets" };
const ORG_FILE = "acme/.github:.github/countersign.yml";
const REPO_FILE = "acme/widgets:.github/countersign.yml";

describe("loadRepoPolicy", () => {
  test("reads the organization's file even when the repository has its own, and applies it as the floor", async () => {
    const { octokit, reads } = contentsApi({ [ORG_FILE]: { text: "approvals:\n  required: 2\n" }, [`${REPO_FILE}@main`]: { text: "approvals:\n  required: 1\n" } });
    const result = await loadRepoPolicy(octokit, REPO, "main");
    expect(reads.sort()).toEqual([ORG_FILE, `${REPO_FILE}@main`]);
    expect(result).toMatchObject({ ok: false, problems: [{ file: `${REPO_FILE}@main`, path: "approvals.required", message: expect.stringContaining(ORG_FILE) }] });
  });

  test("a repository file that tightens the floor gives the merged policy, named after both files", async () => {
    const { octokit } = contentsApi({ [ORG_FILE]: { text: "approvals:\n  required: 2\nprotected_branches: [main]\n" }, [REPO_FILE]: { text: "approvals:\n  required: 3\nprotected_branches: [trunk]\n" } });
    const result = await loadRepoPolicy(octokit, REPO);
    expect(result).toMatchObject({ ok: true, policy: { approvals: { required: 3 }, protectedBranches: ["main", "trunk"], source: `${ORG_FILE} extended by ${REPO_FILE}` } });
  });

  test("a file over the size limit is refused from the size GitHub reports, without its content", async () => {
    const { octokit } = contentsApi({ [REPO_FILE]: { size: 1024 * 1024 } });
    expect(await loadRepoPolicy(octokit, REPO)).toEqual({
      ok: false,
      source: REPO_FILE,
      problems: [{ file: REPO_FILE, path: "(file)", message: "is 1,024 KiB; a policy file may be at most 64 KiB (65,536 bytes)" }],
    });
  });

  test.each([
    ["a directory", "directory" as const, "is a dir, not a file"],
    ["a submodule", { type: "submodule", size: 0 }, "is a submodule, not a file"],
  ])("%s where the policy file belongs is a problem", async (_description, stored, message) => {
    const { octokit } = contentsApi({ [REPO_FILE]: stored });
    expect(await loadRepoPolicy(octokit, REPO)).toMatchObject({ ok: false, problems: [{ file: REPO_FILE, path: "(file)", message }] });
  });

  test("an API error other than 404 is thrown, so the evaluation fails closed", async () => {
    const { octokit } = contentsApi({ [ORG_FILE]: "error" });
    await expect(loadRepoPolicy(octokit, REPO)).rejects.toThrow("Server Error");
  });

  test("_extends is followed for a shared file; naming the organization's file stops there (it applies anyway)", async () => {
    const { octokit, reads } = contentsApi({
      [ORG_FILE]: { text: "approvals:\n  required: 2\n" },
      [REPO_FILE]: { text: "_extends: policies:shared.yml\napprovals:\n  required: 2\n" },
      "acme/policies:shared.yml": { text: "_extends: .github\ndelegation:\n  implicit_owner: false\n" },
    });
    const result = await loadRepoPolicy(octokit, REPO);
    expect(reads.sort()).toEqual([ORG_FILE, REPO_FILE, "acme/policies:shared.yml"].sort());
    expect(result).toMatchObject({ ok: true, policy: { delegation: { implicitOwner: false }, source: `${ORG_FILE} extended by acme/policies:shared.yml extended by ${REPO_FILE}` } });
  });

  test.each([
    ["a cycle", { [REPO_FILE]: { text: "_extends: policies:a.yml\n" }, "acme/policies:a.yml": { text: "_extends: policies:b.yml\n" }, "acme/policies:b.yml": { text: "_extends: policies:a.yml\n" } }, "acme/policies:b.yml", "which is already in this chain of files"],
    ["a value that names no file", { [REPO_FILE]: { text: "_extends: [a, b]\n" } }, REPO_FILE, "not a file to extend"],
    ["a path that is not YAML", { [REPO_FILE]: { text: "_extends: policies:notes.txt\n" } }, REPO_FILE, "not a file to extend"],
  ])("%s in _extends is a problem", async (_description, files, file, message) => {
    const { octokit } = contentsApi(files);
    expect(await loadRepoPolicy(octokit, REPO)).toMatchObject({ ok: false, problems: [{ file, path: "_extends", message: expect.stringContaining(message) }] });
  });

  test("the organization's .github repository, read on its default branch, is read once", async () => {
    const { octokit, reads } = contentsApi({ [ORG_FILE]: { text: "mode: enforce\n" } });
    expect(await loadRepoPolicy(octokit, { owner: "acme", name: ".github" })).toMatchObject({ ok: true, policy: { source: ORG_FILE } });
    expect(reads).toEqual([ORG_FILE]);
  });

  test("neither file: the built-in defaults", async () => {
    const { octokit } = contentsApi({});
    expect(await loadRepoPolicy(octokit, REPO, "main")).toMatchObject({ ok: true, policy: { source: "built-in defaults (no .github/countersign.yml)" } });
  });
});

describe("the files a policy read through the contents API names", () => {
  test("each file by repository, path and blob SHA, with its text's hash and text; the commit is unknown (a branch read by name)", async () => {
    const org = "approvals:\n  required: 2\n";
    const own = "_extends: .github\napprovals:\n  required: 3\n";
    const { octokit } = contentsApi({ [ORG_FILE]: { text: org, sha: "0a".repeat(20) }, [`${REPO_FILE}@main`]: { text: own, sha: "0b".repeat(20) } });
    const result = await loadRepoPolicy(octokit, REPO, "main");
    if (!result.ok) throw new Error("expected a policy");
    const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
    expect(result.policy.files).toEqual([
      { repository: "acme/.github", path: ".github/countersign.yml", blobSha: "0a".repeat(20), commitSha: null, textHash: sha256(org) },
      { repository: "acme/widgets", path: ".github/countersign.yml", blobSha: "0b".repeat(20), commitSha: null, textHash: sha256(own) },
    ]);
    // The texts as read (with their `_extends`), and the canonical text whose hash is the policy's.
    expect(result.policy.texts?.[sha256(org)]).toBe(org);
    expect(result.policy.texts?.[sha256(own)]).toBe(own);
    expect(sha256(result.policy.texts?.[result.policy.hash] ?? "")).toBe(result.policy.hash);
  });
});
