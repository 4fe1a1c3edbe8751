import type { ProbotOctokit } from "probot";
import { z } from "zod";
import type { Permission } from "../policy/types.js";

// `permission` only distinguishes admin/write/read/none; `user.permissions` adds maintain and triage.
const permissionResponseSchema = z.object({
  permission: z.enum(["admin", "write", "read", "none"]),
  user: z
    .object({ permissions: z.object({ admin: z.boolean(), maintain: z.boolean().optional(), push: z.boolean(), triage: z.boolean().optional(), pull: z.boolean() }).nullish() })
    .nullish(),
});

/** The highest level a collaborator-permission response grants. */
export function permissionLevel(data: z.infer<typeof permissionResponseSchema>): Permission {
  const flags = data.user?.permissions;
  if (!flags) return data.permission;
  if (flags.admin) return "admin";
  if (flags.maintain) return "maintain";
  if (flags.push) return "write";
  if (flags.triage) return "triage";
  if (flags.pull) return "read";
  return "none";
}

/** A short-lived cache entry; permissions change rarely but must not be trusted for long. */
interface Cached {
  permission: Permission;
  expires: number;
}

/**
 * Reads a person's repository permission through the API (never from `author_association` in a
 * payload, which is not a permission). Reviewer lookups are cached for `ttlMs` within the process;
 * commands ask with `fresh: true`, because delegating is judged at the moment of the command.
 */
export class PermissionReader {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The permission of `login` on the repository; `none` when GitHub knows no such user. */
  async get(
    octokit: ProbotOctokit,
    repo: { owner: string; name: string; id: number },
    login: string,
    options: { fresh?: boolean } = {},
  ): Promise<Permission> {
    const key = `${repo.id}:${login.toLowerCase()}`;
    const now = this.clock();
    const cached = this.cache.get(key);
    if (!options.fresh && cached && cached.expires > now) return cached.permission;
    let permission: Permission;
    try {
      const response = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: repo.owner, repo: repo.name, username: login });
      permission = permissionLevel(permissionResponseSchema.parse(response.data));
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
      permission = "none";
    }
    this.cache.set(key, { permission, expires: now + this.ttlMs });
    return permission;
  }
}

/**
 * Reads team membership through the API (organization "Members: read"), cached like permissions.
 * Only an active membership counts; a pending invitation does not.
 */
export class TeamMembershipReader {
  private readonly cache = new Map<string, { member: boolean; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Whether `login` is an active member of `org/slug`. */
  async isMember(octokit: ProbotOctokit, team: { org: string; slug: string }, login: string, options: { fresh?: boolean } = {}): Promise<boolean> {
    const key = `${team.org}/${team.slug}:${login}`.toLowerCase();
    const now = this.clock();
    const cached = this.cache.get(key);
    if (!options.fresh && cached && cached.expires > now) return cached.member;
    let member: boolean;
    try {
      const response = await octokit.rest.teams.getMembershipForUserInOrg({ org: team.org, team_slug: team.slug, username: login });
      member = z.object({ state: z.string() }).parse(response.data).state === "active";
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
      member = false;
    }
    this.cache.set(key, { member, expires: now + this.ttlMs });
    return member;
  }
}
