import { describe, expect, test } from "@jest/globals";
import { credentialReads } from "../../../src/credentials/exchange-reads.js";
import { WorkloadKeySets } from "../../../src/credentials/verify-workload-token.js";
import type { CredentialDelegation } from "../../../src/db/credentials.js";
import { InMemoryGitHub } from "../../helpers/in-memory-github.js";
import { delegation, NOW } from "../policy/builders.js";

// The exchange's GitHub reads go through the `GitHub` seam of the delegation's installation: the
// repository by id (a renamed repository is still the one delegated in), its policy from the default
// branch only (a pull request's head never chooses who gets credentials), and the delegation's
// subject's state. No database is touched by these three.

const onIssue = (installationId: number | null = 7): CredentialDelegation => ({ record: delegation({ id: "dlg_0123456789abcdef", subjectType: "issue", subjectNumber: 12 }), repo: { id: 42, fullName: "acme/old-name" }, installationId });
const repository = { id: 42, fullName: "acme/widgets", ownerId: 9, defaultBranch: "trunk" };

function world() {
  const github = new InMemoryGitHub();
  const asked: number[] = [];
  const reads = credentialReads(undefined as never, async (installationId) => (asked.push(installationId), github), new WorkloadKeySets(), () => NOW);
  return { github, asked, reads };
}

describe("credentialReads", () => {
  test("reads the repository by id through the delegation's installation, under its name now", async () => {
    const { github, asked, reads } = world();
    github.repositoriesById.set(42, repository);
    await expect(reads.readRepository(onIssue())).resolves.toEqual(repository);
    expect(asked).toEqual([7]);
    expect(github.callsOf("repositoryById")).toEqual([[42]]);
  });

  test("loads the policy from the default branch, never another", async () => {
    const { github, reads } = world();
    github.setPolicy({ owner: "acme", name: "widgets" }, "mode: evaluate\n", "trunk");
    github.setPolicy({ owner: "acme", name: "widgets" }, "mode: enforce\n", "agent/head");
    const loaded = await reads.loadPolicy(onIssue(), repository);
    expect(loaded.ok && loaded.policy.mode).toBe("evaluate");
    expect(github.callsOf("readPolicyFile").map(([file]) => (file as { ref?: string }).ref)).toContain("trunk");
    expect(github.callsOf("readPolicyFile").map(([file]) => (file as { ref?: string }).ref)).not.toContain("agent/head");
  });

  test("reads the subject's state in the repository as it is named now; an unknown subject is null", async () => {
    const { github, reads } = world();
    github.issues.set("acme/widgets#12", { open: false, authorLogin: "alice" });
    await expect(reads.readSubject(onIssue(), repository)).resolves.toEqual({ open: false, authorLogin: "alice" });
    await expect(reads.readSubject({ ...onIssue(), record: { ...onIssue().record, subjectNumber: 13 } }, repository)).resolves.toBeNull();
  });

  test("reads the delegator's permission afresh, by login, in the repository", async () => {
    const { github, reads } = world();
    github.permissions.set("alice", "maintain");
    const delegated = onIssue();
    await expect(reads.delegatorPermission({ ...delegated, record: { ...delegated.record, owner: { id: 1001, login: "alice" } } }, repository)).resolves.toBe("maintain");
    expect(github.callsOf("permission")).toEqual([[{ owner: "acme", name: "widgets", id: 42 }, "alice", { fresh: true }]]);
  });

  test("a delegation with no installation cannot be read for, and says so", async () => {
    const { reads } = world();
    await expect(reads.readRepository(onIssue(null))).rejects.toThrow("no installation");
  });
});
