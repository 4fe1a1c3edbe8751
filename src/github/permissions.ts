import type { ProbotOctokit } from "probot";
import { z } from "zod";
import type { Permission } from "../policy/types.js";

const permissionResponseSchema = z.object({ permission: z.enum(["admin", "write", "read", "none"]) });

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
      permission = permissionResponseSchema.parse(response.data).permission;
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
      permission = "none";
    }
    this.cache.set(key, { permission, expires: now + this.ttlMs });
    return permission;
  }
}
