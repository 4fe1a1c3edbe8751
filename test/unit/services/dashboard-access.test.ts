import { describe, expect, test } from "@jest/globals";
import type { OrgInstallation } from "../../../src/github/org-access.js";
import { ACCESS_TTL_MS, DashboardAccess, type DashboardGitHub } from "../../../src/services/dashboard-access.js";
import { InMemoryGitHub } from "../../helpers/in-memory-github.js";

// Who may open an organization's dashboard: owners and the policy's dashboard teams, when the
// organization has installed the app; everyone else, and every error, is denied.

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const viewer = (login: string, userId = 7) => ({ login, userId });

function world(options: { installation?: OrgInstallation | null; policy?: string } = {}) {
  const github = new InMemoryGitHub();
  if (options.policy !== undefined) github.setPolicy({ owner: "Acme", name: ".github" }, options.policy);
  let installationReads = 0;
  const reads: DashboardGitHub = {
    orgInstallation: async (org) => {
      installationReads += 1;
      return options.installation === undefined ? (org.toLowerCase() === "acme" ? { id: 31, login: "Acme" } : null) : options.installation;
    },
    installationGitHub: async () => github,
  };
  let now = 1_000_000;
  const access = new DashboardAccess(reads, silent, () => now);
  return { github, access, advance: (ms: number) => (now += ms), installationReads: () => installationReads };
}

describe("dashboard access", () => {
  test("an active owner is let in, under the organization's login as GitHub spells it", async () => {
    const { github, access } = world();
    github.orgMemberships.set("acme:olivia", { role: "admin", state: "active" });
    await expect(access.decide("acme", viewer("olivia"))).resolves.toEqual({ allowed: true, org: "Acme", installationId: 31, grant: { kind: "owner" } });
  });

  test("an active member of a dashboard team is let in; a member of no such team is not", async () => {
    const { github, access } = world({ policy: "dashboard:\n  teams: [security]\n" });
    github.orgMemberships.set("acme:sam", { role: "member", state: "active" });
    github.orgMemberships.set("acme:mia", { role: "member", state: "active" });
    github.teams.set("acme/security", new Set(["sam"]));
    github.teams.set("acme/platform", new Set(["mia"]));
    await expect(access.decide("acme", viewer("sam", 1))).resolves.toMatchObject({ allowed: true, grant: { kind: "team", team: "security" } });
    await expect(access.decide("acme", viewer("mia", 2))).resolves.toEqual({ allowed: false, reason: "not-a-member" });
    // The team is asked in the organization, fresh (the access check keeps its own answer).
    expect(github.calls.filter((call) => call.operation === "isTeamMember").map((call) => call.args)).toContainEqual([{ org: "Acme", slug: "security" }, "sam", { fresh: true }]);
  });

  test("a plain member is not let in without a dashboard team", async () => {
    const { github, access } = world();
    github.orgMemberships.set("acme:mia", { role: "member", state: "active" });
    await expect(access.decide("acme", viewer("mia"))).resolves.toEqual({ allowed: false, reason: "not-a-member" });
  });

  test("a pending owner invitation is not an owner", async () => {
    const { github, access } = world();
    github.orgMemberships.set("acme:paul", { role: "admin", state: "pending" });
    await expect(access.decide("acme", viewer("paul"))).resolves.toEqual({ allowed: false, reason: "pending" });
  });

  test("an outsider is denied; so is everyone where the organization has not installed the app", async () => {
    await expect(world().access.decide("acme", viewer("mallory"))).resolves.toEqual({ allowed: false, reason: "not-a-member" });
    const { github, access } = world({ installation: null });
    github.orgMemberships.set("acme:olivia", { role: "admin", state: "active" });
    await expect(access.decide("acme", viewer("olivia"))).resolves.toEqual({ allowed: false, reason: "no-installation" });
  });

  test("an API error denies, and is asked again on the next request instead of being kept", async () => {
    const { github, access } = world();
    github.orgMemberships.set("acme:olivia", { role: "admin", state: "active" });
    github.fail("orgMembership");
    await expect(access.decide("acme", viewer("olivia"))).resolves.toEqual({ allowed: false, reason: "error" });
    github.heal("orgMembership");
    await expect(access.decide("acme", viewer("olivia"))).resolves.toMatchObject({ allowed: true });
  });

  test("a team member is denied when the organization's policy does not validate (fail closed); an owner is not affected", async () => {
    const { github, access } = world({ policy: "dashboard:\n  teams: [security]\n  viewers: [everyone]\n" });
    github.orgMemberships.set("acme:sam", { role: "member", state: "active" });
    github.orgMemberships.set("acme:olivia", { role: "admin", state: "active" });
    github.teams.set("acme/security", new Set(["sam"]));
    await expect(access.decide("acme", viewer("sam", 1))).resolves.toEqual({ allowed: false, reason: "invalid-policy" });
    await expect(access.decide("acme", viewer("olivia", 2))).resolves.toMatchObject({ allowed: true, grant: { kind: "owner" } });
  });

  test("an answer is kept for five minutes per organization and user id, then asked again (a removed owner loses access)", async () => {
    const { github, access, advance, installationReads } = world();
    github.orgMemberships.set("acme:olivia", { role: "admin", state: "active" });
    await expect(access.decide("acme", viewer("olivia"))).resolves.toMatchObject({ allowed: true });
    github.orgMemberships.delete("acme:olivia");
    advance(ACCESS_TTL_MS - 1);
    await expect(access.decide("ACME", viewer("olivia"))).resolves.toMatchObject({ allowed: true });
    expect(installationReads()).toBe(1);
    // Another user id under the same login is asked on its own.
    await expect(access.decide("acme", viewer("olivia", 8))).resolves.toEqual({ allowed: false, reason: "not-a-member" });
    advance(1);
    await expect(access.decide("acme", viewer("olivia"))).resolves.toEqual({ allowed: false, reason: "not-a-member" });
  });
});
