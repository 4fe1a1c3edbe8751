import type { ProbotOctokit } from "probot";
import { z } from "zod";
import type { Actor, Permission } from "../policy/types.js";
import type { PermissionReader } from "./permissions.js";

/** What an agent was able to do: its GitHub App's grants, or a machine user's repository permission. */
export type AgentInventory =
  | { kind: "app"; login: string; slug: string; name: string; permissions: Record<string, string>; events: string[]; readAt: string }
  | { kind: "machine-user"; login: string; permission: Permission; readAt: string }
  | { kind: "unknown"; login: string; reason: string; readAt: string };

const appSchema = z.object({
  slug: z.string(),
  name: z.string(),
  permissions: z.record(z.string(), z.string()).default({}),
  events: z.array(z.string()).default([]),
});

/**
 * Reads agents' tool inventories, cached per process (an app's grants change rarely). For an app bot
 * it asks `GET /apps/{slug}` for each slug the identity may go by (a bot's login is `<slug>[bot]`,
 * except Copilot's); for a machine user, its permission on the repository.
 */
export class AgentInventoryReader {
  private readonly cache = new Map<string, { inventory: AgentInventory; expires: number }>();

  constructor(
    private readonly permissions: PermissionReader,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The inventory of `agent`, trying `aliases` (the identity's other logins) for an app's slug. */
  async read(octokit: ProbotOctokit, repo: { owner: string; name: string; id: number }, agent: Pick<Actor, "login" | "kind">, aliases: readonly string[] = []): Promise<AgentInventory> {
    const key = `${repo.id}:${agent.kind}:${agent.login.toLowerCase()}`;
    const now = this.clock();
    const cached = this.cache.get(key);
    if (cached && cached.expires > now) return cached.inventory;
    const readAt = new Date(now).toISOString();
    let inventory: AgentInventory;
    if (agent.kind === "bot" || /\[bot\]$/i.test(agent.login)) {
      inventory = { kind: "unknown", login: agent.login, reason: "no GitHub App found for this bot", readAt };
      const slugs = [...new Set([agent.login, ...aliases].filter((login) => /\[bot\]$/i.test(login) || login === agent.login).map((login) => login.replace(/\[bot\]$/i, "").toLowerCase()))];
      for (const slug of slugs) {
        try {
          const app = appSchema.parse((await octokit.request("GET /apps/{app_slug}", { app_slug: slug })).data);
          inventory = { kind: "app", login: agent.login, slug: app.slug, name: app.name, permissions: app.permissions, events: app.events, readAt };
          break;
        } catch (error) {
          if ((error as { status?: number }).status !== 404) {
            inventory = { kind: "unknown", login: agent.login, reason: `GitHub API error (HTTP ${(error as { status?: number }).status ?? "?"})`, readAt };
            break;
          }
        }
      }
    } else {
      try {
        inventory = { kind: "machine-user", login: agent.login, permission: await this.permissions.get(octokit, repo, agent.login), readAt };
      } catch (error) {
        inventory = { kind: "unknown", login: agent.login, reason: `GitHub API error (HTTP ${(error as { status?: number }).status ?? "?"})`, readAt };
      }
    }
    this.cache.set(key, { inventory, expires: now + this.ttlMs });
    return inventory;
  }
}
