import { describe, expect, test } from "@jest/globals";
import { fileInPush, type PolicyPush } from "../../../src/services/reevaluate-after-policy-change.js";

// What a push's own file lists can say about the policy file, before any request is made.

const PATH = ".github/countersign.yml";

function push(commits: PolicyPush["commits"], options: Partial<PolicyPush> = {}): PolicyPush {
  return { ref: "refs/heads/main", before: "a".repeat(40), after: "b".repeat(40), created: false, deleted: false, forced: false, repository: { default_branch: "main" }, commits, ...options };
}

describe("whether a push changes the policy file, from its payload", () => {
  test.each([
    ["modified in a commit", push([{ modified: ["README.md"] }, { modified: [PATH] }]), "changed"],
    ["added", push([{ added: [PATH] }]), "changed"],
    ["removed", push([{ removed: [PATH] }]), "changed"],
    ["listed even in a force-push", push([{ modified: [PATH] }], { forced: true }), "changed"],
    ["not among the files of every commit listed", push([{ added: ["docs/countersign.yml"], modified: [".github/countersign.yaml"], removed: ["countersign.yml"] }]), "unchanged"],
    ["a force-push (it can drop a change no commit names)", push([{ modified: ["README.md"] }], { forced: true }), "unknown"],
    ["no commits listed", push([]), "unknown"],
    ["20 commits (the list may be cut short)", push(Array.from({ length: 20 }, () => ({ modified: ["README.md"] }))), "unknown"],
    ["19 commits", push(Array.from({ length: 19 }, () => ({ modified: ["README.md"] }))), "unchanged"],
  ])("%s", (_name, payload, verdict) => {
    expect(fileInPush(payload, PATH)).toBe(verdict);
  });
});
