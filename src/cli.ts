import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ProbotOctokit } from "probot";
import { z } from "zod";
import { openDatabase, sqlitePath, type OpenDatabase } from "./db/client.js";
import { createServices } from "./services/create-services.js";
import type { Log } from "./services/deps.js";
import { judgePullRequest } from "./services/evaluate-pull-request.js";

// `npx countersign <command>`: operator tools that run the app's own code outside the app.
//
//   countersign simulate --repo owner/name --pr N [--format md|json]
//
// `simulate` prints the decision and evidence Countersign would give a live pull request, with the
// same engine and the same reads (pull request, base-branch policy, delegations, reviewers'
// permissions, setup doctor), and writes nothing: no check run, no comment, no database row.

/** Where the CLI writes; tests capture it. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** Exit codes: 0 the change would pass, 2 it would be blocked, 1 the simulation failed. */
export const EXIT = { pass: 0, error: 1, blocked: 2 } as const;

const USAGE = `usage: countersign simulate --repo <owner/name> --pr <number> [--format md|json]

Environment:
  GITHUB_TOKEN                 a token that can read the repository (required)
  GHE_HOST, GHE_PROTOCOL       GitHub Enterprise Server, as for the app
  DATABASE_URL                 the app's database, to see recorded delegations (read, never written)
  APP_ID                       the app's id, to tell whether a ruleset pins the check to it`;

const argsSchema = z.object({
  repo: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/, "--repo must be owner/name"),
  pr: z.coerce.number({ error: "--pr must be a pull request number" }).int("--pr must be a pull request number").positive("--pr must be a pull request number"),
  format: z.enum(["md", "json"]).default("md"),
});

function parseFlags(argv: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let index = 0; index < argv.length; index += 1) {
    const flag = /^--([a-z-]+)$/.exec(argv[index] ?? "");
    const value = argv[index + 1];
    if (!flag || value === undefined || value.startsWith("--")) throw new Error(`unexpected argument ${JSON.stringify(argv[index])}`);
    flags[flag[1] as string] = value;
    index += 1;
  }
  return flags;
}

/**
 * The app's database opened for reading delegations: never migrated or written here. Without one
 * (or with none at DATABASE_URL), an empty scratch database stands in and the output says so.
 */
async function delegationsDatabase(env: NodeJS.ProcessEnv, io: CliIo): Promise<{ database: OpenDatabase; cleanup: () => void }> {
  const url = env.DATABASE_URL ?? "file:./data/countersign.db";
  if (existsSync(sqlitePath(url))) return { database: await openDatabase(url, { migrate: false }), cleanup: () => undefined };
  io.err(`note: no database at ${sqlitePath(url)}; simulating without recorded delegations\n`);
  const dir = mkdtempSync(path.join(tmpdir(), "countersign-simulate-"));
  return { database: await openDatabase(`file:${path.join(dir, "scratch.db")}`), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function simulate(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const parsed = argsSchema.safeParse(parseFlags(argv));
  if (!parsed.success) {
    io.err(`${parsed.error.issues.map((issue) => issue.message).join("; ")}\n\n${USAGE}\n`);
    return EXIT.error;
  }
  if (!env.GITHUB_TOKEN) {
    io.err(`GITHUB_TOKEN is not set\n\n${USAGE}\n`);
    return EXIT.error;
  }
  const [owner = "", name = ""] = parsed.data.repo.split("/");
  const baseUrl = env.GHE_HOST ? `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}/api/v3` : undefined;
  const log: Log = {
    info: () => undefined,
    warn: (...args: unknown[]) => io.err(`warning: ${args.map((arg) => (typeof arg === "string" ? arg : "")).join(" ").trim()}\n`),
    error: (...args: unknown[]) => io.err(`error: ${args.map((arg) => (typeof arg === "string" ? arg : "")).join(" ").trim()}\n`),
  } as Log;
  const octokit = new ProbotOctokit({ auth: { token: env.GITHUB_TOKEN }, ...(baseUrl ? { baseUrl } : {}), throttle: { enabled: false }, retry: { enabled: false } });
  const { data: repository } = await octokit.rest.repos.get({ owner, repo: name });

  const { database, cleanup } = await delegationsDatabase(env, io);
  try {
    const appId = env.APP_ID ? Number(env.APP_ID) : null;
    const services = createServices(database.db, { peopleTtlMs: 60_000, setupCheckTtlMs: 60_000, appId: Number.isInteger(appId) ? appId : null });
    const event = { octokit, log, repo: { owner, name, id: repository.id, fullName: repository.full_name }, deliveryId: null, installationId: null };
    const judgement = await judgePullRequest(services, event, { prNumber: parsed.data.pr, headShaHint: null });
    if (judgement.kind === "closed") {
      io.out(`${repository.full_name}#${parsed.data.pr} is ${judgement.facts.state.toLowerCase()}: Countersign does not evaluate it.\n`);
      return EXIT.pass;
    }
    const conclusion = judgement.kind === "decided" ? judgement.decision.conclusion : "failure";
    if (parsed.data.format === "json") {
      io.out(
        `${JSON.stringify(
          {
            repository: repository.full_name,
            pullRequest: parsed.data.pr,
            headSha: judgement.facts.headSha,
            conclusion,
            ...(judgement.kind === "decided"
              ? {
                  enforcedConclusion: judgement.decision.enforcedConclusion,
                  outcome: judgement.decision.outcome,
                  tiers: judgement.decision.tiers.map((tier) => tier.name),
                  requirements: judgement.decision.requirements.map((requirement) => ({ kind: requirement.kind, met: requirement.met, sources: requirement.sources })),
                  policy: { hash: judgement.policy.hash, source: judgement.policy.source, mode: judgement.policy.mode },
                  requiredCheck: judgement.setup,
                }
              : { problems: judgement.policy.problems }),
            title: judgement.output.title,
            summary: judgement.output.summary,
          },
          null,
          2,
        )}\n`,
      );
    } else {
      io.out(`# ${judgement.output.title}\n\nConclusion: ${conclusion} (simulated; nothing was written to GitHub)\n\n${judgement.output.summary}\n`);
    }
    return conclusion === "success" || conclusion === "neutral" ? EXIT.pass : EXIT.blocked;
  } finally {
    await database.close();
    cleanup();
  }
}

/** Runs `countersign <command> ...`; resolves to the process exit code. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "simulate") return await simulate(rest, env, io);
    io.err(`${command ? `unknown command: ${command}\n\n` : ""}${USAGE}\n`);
    return EXIT.error;
  } catch (error) {
    const status = (error as { status?: number }).status;
    io.err(`countersign ${command}: ${status ? `GitHub API error (HTTP ${status}) ` : ""}${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.error;
  }
}
