import { randomBytes } from "node:crypto";
import { loadRepoPolicy } from "../config/repo-policy-loader.js";
import type { GitHub } from "../github/github-client.js";
import type { OrgInstallation } from "../github/org-access.js";
import { ORGANIZATION_POLICY_REPO } from "../policy/policy-file.js";
import type { Log } from "./event-context.js";

// Who may open an organization's dashboard, asked of GitHub on every page request (answers kept for a
// few minutes per organization and person, so someone removed from the organization or the team
// loses access within that time). Only two kinds of people are let in, when the organization has
// installed this app:
//   - an owner of the organization: an active membership with role `admin`;
//   - an active member of a team the organization's policy names in `dashboard.teams`.
// Everything else is a denial that looks like a page that does not exist: not a member, a pending
// invitation, an organization without the app, a policy that does not validate, and any error
// (GitHub failing, an answer not understood). The reason is kept for the log, never shown.

/** How long an answer is kept: someone removed from the organization or the team loses access within it. */
export const ACCESS_TTL_MS = 5 * 60_000;
/** At most this many answers are kept (signed-in people times organizations asked for); the oldest go first. */
const MAX_ANSWERS = 10_000;

/** The GitHub reads the access check needs: the organization's installation, and a client as that installation. */
export interface DashboardGitHub {
  /** The organization's installation of this app (asked as the app); null when it has none. */
  orgInstallation(org: string): Promise<OrgInstallation | null>;
  /** The `GitHub` seam as installation `installationId`. */
  installationGitHub(installationId: number): Promise<GitHub>;
}

/** Why someone was let in: an owner, or a member of one of the policy's dashboard teams. */
export type AccessGrant = { kind: "owner" } | { kind: "team"; team: string };

/** The answer for one organization and person. `org` is the organization's login as GitHub spells it. */
export type DashboardAccessDecision =
  | { allowed: true; org: string; installationId: number; grant: AccessGrant }
  | { allowed: false; reason: "no-installation" | "not-a-member" | "pending" | "invalid-policy" | "error" };

/** Asks GitHub whether a signed-in person may see an organization's dashboard, and keeps the answer for a while. */
export class DashboardAccess {
  private readonly cache = new Map<string, { decision: DashboardAccessDecision; until: number }>();

  constructor(
    private readonly github: DashboardGitHub,
    private readonly log: Log,
    private readonly clock: () => number = Date.now,
    private readonly ttlMs: number = ACCESS_TTL_MS,
  ) {}

  /** Whether `viewer` may see `org`'s dashboard now. Never throws: an error is a denial. */
  async decide(org: string, viewer: { userId: number; login: string }): Promise<DashboardAccessDecision> {
    // By user id, not login: a login can be renamed and taken by someone else.
    const key = `${org.toLowerCase()}\n${viewer.userId}`;
    const now = this.clock();
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.decision;
    const decision = await this.ask(org, viewer.login);
    // An error is not kept: the next request asks again, so an outage does not lock people out for minutes.
    if (decision.allowed || decision.reason !== "error") {
      for (const [known, entry] of this.cache) if (entry.until <= now) this.cache.delete(known);
      if (this.cache.size >= MAX_ANSWERS) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.delete(key);
      this.cache.set(key, { decision, until: now + this.ttlMs });
    }
    return decision;
  }

  private async ask(org: string, login: string): Promise<DashboardAccessDecision> {
    try {
      const installation = await this.github.orgInstallation(org);
      if (!installation) return { allowed: false, reason: "no-installation" };
      const github = await this.github.installationGitHub(installation.id);
      const membership = await github.orgMembership(installation.login, login);
      if (!membership) return { allowed: false, reason: "not-a-member" };
      if (membership.state !== "active") return { allowed: false, reason: "pending" };
      const allowed = (grant: AccessGrant): DashboardAccessDecision => ({ allowed: true, org: installation.login, installationId: installation.id, grant });
      if (membership.role === "admin") return allowed({ kind: "owner" });
      // The organization's own file, as every evaluation reads it as the floor: `.github/countersign.yml`
      // in its `.github` repository, on the default branch.
      const policy = await loadRepoPolicy(github, { owner: installation.login, name: ORGANIZATION_POLICY_REPO });
      if (!policy.ok) {
        this.log.warn({ org: installation.login, problems: policy.problems.length }, "countersign: dashboard: the organization's policy does not validate, so only owners may open its dashboard");
        return { allowed: false, reason: "invalid-policy" };
      }
      for (const team of policy.policy.dashboard?.teams ?? []) {
        // Fresh: the answer kept is this check's, timed by its own TTL.
        if (await github.isTeamMember(team, login, { fresh: true })) return allowed({ kind: "team", team: team.slug });
      }
      return { allowed: false, reason: "not-a-member" };
    } catch (error) {
      const errorId = `dash_${randomBytes(4).toString("hex")}`;
      this.log.warn({ err: error, errorId, org }, "countersign: dashboard: could not check access (denied)");
      return { allowed: false, reason: "error" };
    }
  }
}
