import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ProbotOctokit } from "probot";
import { z } from "zod";
import { agentPullRequestStories, auditDatabaseUrl, chainHead, openAuditDatabase, readStory } from "./audit/audit-reads.js";
import { buildExportRecord, toJsonLine } from "./audit/export.js";
import { isIntact, renderVerification, verifyAuditLog } from "./audit/verify-log.js";
import { databaseProvider, openDatabase, sqlitePath, type OpenDatabase } from "./db/client.js";
import { renderStoryMarkdown } from "./evidence/story-markdown.js";
import { createServices } from "./services/create-services.js";
import type { Log } from "./services/deps.js";
import { judgePullRequest } from "./services/evaluate-pull-request.js";

// `npx countersign <command>`: operator tools that run the app's own code outside the app.
//
//   countersign simulate --repo owner/name --pr N [--format md|json]
//   countersign audit verify [--anchor HASH] [--database-url URL]
//   countersign audit export [--repo owner/name] [--since YYYY-MM-DD] [--format jsonl|json] [--database-url URL]
//   countersign evidence --repo owner/name --pr N [--format md|json] [--database-url URL]
//
// `simulate` prints the decision and evidence Countersign would give a live pull request, with the
// same engine and the same reads (pull request, base-branch policy, delegations, reviewers'
// permissions, setup doctor), and writes nothing: no check run, no comment, no database row.
// `audit` and `evidence` read the app's database and nothing else: they never call GitHub, and never
// create, migrate or write the database (src/audit/audit-reads.ts). The work is in src/audit/; this
// file parses arguments, opens the database, prints, and maps outcomes to exit codes.

/** Where the CLI writes; tests capture it. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Exit codes: 0 success (simulate: the change would pass; audit verify: the chain is intact), 1 the
 * command failed (bad arguments, no database, GitHub error), 2 simulate: the change would be blocked,
 * 3 audit verify: the audit log is broken (tampered with, or rows outside the chain).
 */
export const EXIT = { pass: 0, error: 1, blocked: 2, broken: 3 } as const;

const USAGE = `usage: countersign simulate --repo <owner/name> --pr <number> [--format md|json]
       countersign audit verify [--anchor <hash>] [--database-url <url>]
       countersign audit export [--repo <owner/name>] [--since <YYYY-MM-DD>] [--format jsonl|json] [--database-url <url>]
       countersign evidence --repo <owner/name> --pr <number> [--format md|json] [--database-url <url>]

Commands:
  simulate        the decision and evidence Countersign would give a live pull request (reads GitHub, writes nothing)
  audit verify    checks every link of the audit log's hash chain, and reports rows outside it;
                  --anchor: a head hash recorded earlier, which must still be in the chain
  audit export    one evidence record per agent pull request (JSON Lines by default, for a SIEM)
  evidence        the full recorded story of one pull request, from the audit log

Exit codes: 0 ok (simulate: would pass), 1 the command failed, 2 simulate: would be blocked,
            3 audit verify: the audit log is broken

Environment:
  GITHUB_TOKEN                 simulate: a token that can read the repository (required)
  GHE_HOST, GHE_PROTOCOL       simulate: GitHub Enterprise Server, as for the app
  DATABASE_URL                 the app's database (default file:./data/countersign.db; read, never written);
                               --database-url overrides it for audit and evidence
  APP_ID                       simulate: the app's id, to tell whether a ruleset pins the check to it`;

const repoSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/, "--repo must be owner/name");
const prSchema = z.coerce.number({ error: "--pr must be a pull request number" }).int("--pr must be a pull request number").positive("--pr must be a pull request number");

const argsSchema = z.object({
  repo: repoSchema,
  pr: prSchema,
  format: z.enum(["md", "json"]).default("md"),
});

const databaseUrlSchema = z.string().min(1, "--database-url must name a database").optional();

/** The flags of an audit command: any other flag is an error that names it, never ignored. */
function flagsOf<T extends z.ZodRawShape>(command: string, shape: T) {
  return z.strictObject(shape, { error: (issue) => (issue.code === "unrecognized_keys" ? `${command} does not take ${issue.keys.map((key) => `--${key}`).join(", ")}` : undefined) });
}

const verifyArgsSchema = flagsOf("audit verify", {
  anchor: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "--anchor must be an event hash (64 hex digits) recorded earlier")
    .optional(),
  "database-url": databaseUrlSchema,
});

const exportArgsSchema = flagsOf("audit export", {
  repo: repoSchema.optional(),
  // Midnight UTC of that day: the log's times are UTC.
  since: z.iso
    .date({ error: "--since must be a date, YYYY-MM-DD" })
    .transform((day) => new Date(`${day}T00:00:00Z`))
    .optional(),
  format: z.enum(["jsonl", "json"], { error: "--format must be jsonl or json" }).default("jsonl"),
  "database-url": databaseUrlSchema,
});

const evidenceArgsSchema = flagsOf("evidence", {
  repo: repoSchema,
  pr: prSchema,
  format: z.enum(["md", "json"], { error: "--format must be md or json" }).default("md"),
  "database-url": databaseUrlSchema,
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
  // The simulation only reads delegations: the app's database is opened read-only.
  if (databaseProvider(url) === "postgres" || existsSync(sqlitePath(url))) return { database: await openDatabase(url, { migrate: false, readOnly: true }), cleanup: () => undefined };
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

/** A command's flags, parsed with its schema; on failure, says what is wrong and shows the usage. */
function parseArgs<T extends z.ZodType>(schema: T, argv: readonly string[], io: CliIo): z.infer<T> | null {
  const parsed = schema.safeParse(parseFlags(argv));
  if (parsed.success) return parsed.data;
  io.err(`${parsed.error.issues.map((issue) => issue.message).join("; ")}\n\n${USAGE}\n`);
  return null;
}

async function withAuditDatabase(url: string, use: (database: OpenDatabase) => Promise<number>): Promise<number> {
  const database = await openAuditDatabase(url);
  try {
    return await use(database);
  } finally {
    await database.close();
  }
}

async function auditVerify(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const args = parseArgs(verifyArgsSchema, argv, io);
  if (!args) return EXIT.error;
  return withAuditDatabase(auditDatabaseUrl(args["database-url"], env), async ({ db, location }) => {
    const verification = await verifyAuditLog(db, args.anchor ? { anchor: args.anchor } : {});
    io.out(renderVerification(verification, location));
    return isIntact(verification) ? EXIT.pass : EXIT.broken;
  });
}

async function auditExport(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const args = parseArgs(exportArgsSchema, argv, io);
  if (!args) return EXIT.error;
  return withAuditDatabase(auditDatabaseUrl(args["database-url"], env), async ({ db }) => {
    // One head for the whole export: events a live app appends meanwhile are left for the next one.
    const head = await chainHead(db);
    const exportedAt = new Date();
    const filter = { ...(args.repo ? { repository: args.repo } : {}), ...(args.since ? { since: args.since } : {}) };
    let count = 0;
    // Written a record at a time, so a large export never sits in memory; `json` comes out exactly as
    // JSON.stringify(records, null, 2) would print the whole array.
    for await (const story of agentPullRequestStories(db, filter, head)) {
      const record = buildExportRecord(story, { head, exportedAt });
      if (args.format === "jsonl") io.out(toJsonLine(record));
      else io.out(`${count === 0 ? "[\n" : ",\n"}${JSON.stringify(record, null, 2).replace(/^/gm, "  ")}`);
      count += 1;
    }
    if (args.format === "json") io.out(count === 0 ? "[]\n" : "\n]\n");
    io.err(`exported ${count} agent pull request${count === 1 ? "" : "s"} as of chain head #${head?.seq ?? 0}\n`);
    return EXIT.pass;
  });
}

async function evidence(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const args = parseArgs(evidenceArgsSchema, argv, io);
  if (!args) return EXIT.error;
  return withAuditDatabase(auditDatabaseUrl(args["database-url"], env), async ({ db, location }) => {
    const story = await readStory(db, args.repo, args.pr, await chainHead(db));
    if (!story) {
      io.err(`no audit events for ${args.repo}#${args.pr} in ${location}: Countersign has recorded nothing about this pull request (check --repo, --pr and --database-url)\n`);
      return EXIT.error;
    }
    io.out(args.format === "json" ? `${JSON.stringify(story, null, 2)}\n` : renderStoryMarkdown(story));
    return EXIT.pass;
  });
}

async function audit(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === "verify") return auditVerify(rest, env, io);
  if (subcommand === "export") return auditExport(rest, env, io);
  io.err(`${subcommand ? `unknown audit command: ${subcommand}` : "audit needs a command: verify or export"}\n\n${USAGE}\n`);
  return EXIT.error;
}

/** Runs `countersign <command> ...`; resolves to the process exit code. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "simulate") return await simulate(rest, env, io);
    if (command === "audit") return await audit(rest, env, io);
    if (command === "evidence") return await evidence(rest, env, io);
    io.err(`${command ? `unknown command: ${command}\n\n` : ""}${USAGE}\n`);
    return EXIT.error;
  } catch (error) {
    const status = (error as { status?: number }).status;
    io.err(`countersign ${command === "audit" && rest[0] ? `audit ${rest[0]}` : command}: ${status ? `GitHub API error (HTTP ${status}) ` : ""}${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.error;
  }
}
