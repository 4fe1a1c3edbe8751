import { describe, expect, test } from "@jest/globals";
import type { ProbotOctokit } from "probot";
import { createGitHubCaches, octokitGitHub } from "../../../src/github/octokit-github.js";

// The seam over Octokit keeps people's standing in the process's caches, not the event's: two
// events' clients share one answer, and a command's fresh read asks again.

const REPO = { owner: "acme", name: "widgets", id: 42 };

function countingOctokit(asked: string[]): ProbotOctokit {
  const answer = (kind: string) => async (params: { username: string }) => {
    asked.push(`${kind}:${params.username}`);
    return kind === "permission" ? { data: { permission: "write", user: null } } : { data: { state: "active" } };
  };
  return { rest: { repos: { getCollaboratorPermissionLevel: answer("permission") }, teams: { getMembershipForUserInOrg: answer("team") } } } as unknown as ProbotOctokit;
}

describe("octokitGitHub", () => {
  test("clients built for different events share the process's cached answers; a fresh read asks again", async () => {
    const asked: string[] = [];
    const caches = createGitHubCaches({ peopleTtlMs: 60_000, setupCheckTtlMs: 60_000 });
    const first = octokitGitHub(countingOctokit(asked), caches);
    const second = octokitGitHub(countingOctokit(asked), caches);
    expect(await first.permission(REPO, "bob")).toBe("write");
    expect(await second.permission(REPO, "bob")).toBe("write");
    expect(await second.isTeamMember({ org: "acme", slug: "core" }, "bob")).toBe(true);
    expect(await first.isTeamMember({ org: "acme", slug: "core" }, "bob")).toBe(true);
    expect(asked).toEqual(["permission:bob", "team:bob"]);
    await second.permission(REPO, "bob", { fresh: true });
    await second.isTeamMember({ org: "acme", slug: "core" }, "bob", { fresh: true });
    expect(asked).toEqual(["permission:bob", "team:bob", "permission:bob", "team:bob"]);
  });
});
