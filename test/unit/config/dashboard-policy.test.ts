import { describe, expect, test } from "@jest/globals";
import { compilePolicyLayers } from "../../../src/config/repo-policy-loader.js";

// `dashboard.teams` says who besides the owners sees the organization's dashboard: the organization's
// file says it, in its own organization's team slugs, and no repository's file can.

const org = (content: unknown) => ({ source: "acme/.github:.github/countersign.yml", content });
const repo = (content: unknown) => ({ source: "acme/api:.github/countersign.yml", content });

describe("dashboard.teams", () => {
  test("compiles to teams of the organization itself", () => {
    const result = compilePolicyLayers({ organization: [org({ dashboard: { teams: ["security", "platform-team"] } })], repository: [], repositoryIsOrganization: true }, "acme");
    expect(result).toMatchObject({ ok: true, policy: { dashboard: { teams: [{ org: "acme", slug: "security" }, { org: "acme", slug: "platform-team" }] } } });
  });

  test("absent: no dashboard teams; present, even empty, it is part of the policy's version (its hash)", () => {
    const without = compilePolicyLayers({ organization: [org({ approvals: { required: 2 } })], repository: [] }, "acme");
    expect(without.ok && without.policy.dashboard).toBeUndefined();
    const withTeams = compilePolicyLayers({ organization: [org({ approvals: { required: 2 }, dashboard: { teams: [] } })], repository: [] }, "acme");
    expect(without.ok && withTeams.ok && without.policy.hash !== withTeams.policy.hash).toBe(true);
  });

  test("refuses another organization's team, and unknown keys", () => {
    const result = compilePolicyLayers({ organization: [org({ dashboard: { teams: ["evil-corp/security"], viewers: ["x"] } })], repository: [] }, "acme");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((problem) => problem.path).sort()).toEqual(["dashboard.teams[0]", "dashboard.viewers"]);
  });

  test("is refused in a repository's file, which cannot say who sees the organization's dashboard", () => {
    const result = compilePolicyLayers({ organization: [org({})], repository: [repo({ dashboard: { teams: ["writers"] } })] }, "acme");
    expect(result).toMatchObject({ ok: false, problems: [{ file: "acme/api:.github/countersign.yml", path: "dashboard" }] });
  });
});
