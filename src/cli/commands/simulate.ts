import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ProbotOctokit } from "probot";
import { envSchema, parseEnvironment } from "../../config/env.schema.js";
import { credentialAppForServices, credentialBotIdentity } from "../../credentials/credential-bot.js";
import { databaseProvider, openDatabase, sqlitePath, type OpenDatabase } from "../../db/client.js";
import { octokitGitHub } from "../../github/octokit-github.js";
import { createServices, type ServiceSettings } from "../../services/create-services.js";
import type { Log } from "../../services/event-context.js";
import { judgePullRequest, type Judgement } from "../../services/judge-pull-request.js";
import { defineCommand, EXIT, type CliIo } from "../command.js";
import { describeGitHubFailure, gitHubApi } from "../github-api.js";
import { markdownOrJsonOption, prOption, repoOption } from "./pull-request-options.js";

// `countersign simulate`: the decision and evidence Countersign would give a live pull request, with
// the same engine and the same reads (pull request, base-branch policy, delegations, reviewers'
// permissions, setup doctor), and nothing written: no check run, no comment, no database row.

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

const credentialAppEnv = envSchema.pick({ COUNTERSIGN_CREDENTIAL_APP_ID: true, COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY: true, COUNTERSIGN_CREDENTIAL_APP_SLUG: true });

/**
 * The credential app as the app would know it, from the same variables: its bot (`<slug>[bot]`) is an
 * agent identity, so a push by it makes a pull request agent-touched here as it does in the app. The
 * slug is COUNTERSIGN_CREDENTIAL_APP_SLUG, or read with GET /app as the credential app when its id and
 * private key are given (which also lets the setup doctor ask, as its bot, about the base branch's
 * rulesets). None of them: no credential app. A slug that cannot be known is an error, never "no agent".
 */
async function simulatedCredentialApp(env: NodeJS.ProcessEnv, baseUrl: string | undefined, log: Log): Promise<{ ok: true; credentialApp: ServiceSettings["credentialApp"] } | { ok: false; message: string }> {
  let parsed: ReturnType<typeof credentialAppEnv.parse>;
  try {
    parsed = parseEnvironment(credentialAppEnv, env, "credential app");
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  const { COUNTERSIGN_CREDENTIAL_APP_ID: appId, COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY: privateKey, COUNTERSIGN_CREDENTIAL_APP_SLUG: slug } = parsed;
  if ((appId === undefined) !== (privateKey === undefined)) {
    return { ok: false, message: `the credential app's slug is read with both COUNTERSIGN_CREDENTIAL_APP_ID and COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY (${appId === undefined ? "COUNTERSIGN_CREDENTIAL_APP_ID" : "COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY"} is missing)` };
  }
  if (appId !== undefined && privateKey !== undefined) {
    const octokitWithToken = (token: string) => new ProbotOctokit({ auth: { token }, ...(baseUrl ? { baseUrl } : {}), throttle: { enabled: false }, retry: { enabled: false } });
    const credentialApp = credentialAppForServices({ app: { appId, privateKey, slug: slug ?? null }, octokitWithToken, clock: () => new Date(), log });
    if ((await credentialApp.identities()).length === 0) {
      return { ok: false, message: "could not read the credential app's slug (GET /app as the credential app), so its bot's pushes could not be told from a person's: set COUNTERSIGN_CREDENTIAL_APP_SLUG" };
    }
    return { ok: true, credentialApp };
  }
  if (slug !== undefined) return { ok: true, credentialApp: { identities: async () => [credentialBotIdentity(slug)], clients: null } };
  return { ok: true, credentialApp: null };
}

/** Prints the judgement as the check run (md) or its parts (json); returns its conclusion. */
function printJudgement(judgement: Exclude<Judgement, { kind: "closed" }>, repository: string, pr: number, format: "md" | "json", io: CliIo): string {
  const conclusion = judgement.kind === "decided" ? judgement.decision.conclusion : "failure";
  if (format === "md") {
    io.out(`# ${judgement.output.title}\n\nConclusion: ${conclusion} (simulated; nothing was written to GitHub)\n\n${judgement.output.summary}\n`);
    return conclusion;
  }
  const parts =
    judgement.kind === "decided"
      ? {
          enforcedConclusion: judgement.decision.enforcedConclusion,
          outcome: judgement.decision.outcome,
          tiers: judgement.decision.tiers.map((tier) => tier.name),
          requirements: judgement.decision.requirements.map((requirement) => ({ kind: requirement.kind, met: requirement.met, sources: requirement.sources })),
          policy: { hash: judgement.policy.hash, source: judgement.policy.source, mode: judgement.policy.mode },
          requiredCheck: judgement.setup,
          credentialRuleset: judgement.credentialRules,
        }
      : { problems: judgement.policy.problems };
  io.out(`${JSON.stringify({ repository, pullRequest: pr, headSha: judgement.facts.headSha, conclusion, ...parts, title: judgement.output.title, summary: judgement.output.summary }, null, 2)}\n`);
  return conclusion;
}

/** Reads and judges the pull request as the app would, and prints the check run it would publish. */
async function simulate(args: { repo: string; pr: number; format: "md" | "json" }, token: string, baseUrl: string | undefined, env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const [owner = "", name = ""] = args.repo.split("/");
  const log: Log = {
    info: () => undefined,
    warn: (...parts: unknown[]) => io.err(`warning: ${parts.map((part) => (typeof part === "string" ? part : "")).join(" ").trim()}\n`),
    error: (...parts: unknown[]) => io.err(`error: ${parts.map((part) => (typeof part === "string" ? part : "")).join(" ").trim()}\n`),
  } as Log;
  // The credential app first: a wrong setting is said before GitHub is asked anything.
  const credentials = await simulatedCredentialApp(env, baseUrl, log);
  if (!credentials.ok) {
    io.err(`countersign simulate: ${credentials.message}\n`);
    return EXIT.error;
  }
  const octokit = new ProbotOctokit({ auth: { token }, ...(baseUrl ? { baseUrl } : {}), throttle: { enabled: false }, retry: { enabled: false } });
  const { data: repository } = await octokit.rest.repos.get({ owner, repo: name });

  const { database, cleanup } = await delegationsDatabase(env, io);
  try {
    const appId = env.APP_ID ? Number(env.APP_ID) : null;
    const services = createServices(database.db, { peopleTtlMs: 60_000, setupCheckTtlMs: 60_000, appId: Number.isInteger(appId) ? appId : null, credentialApp: credentials.credentialApp });
    const event = { github: octokitGitHub(octokit, services.gitHubCaches), log, repo: { owner, name, id: repository.id, fullName: repository.full_name }, deliveryId: null, installationId: null };
    const judgement = await judgePullRequest(services, event, { prNumber: args.pr, headShaHint: null });
    if (judgement.kind === "closed") {
      io.out(`${repository.full_name}#${args.pr} is ${judgement.facts.state.toLowerCase()}: Countersign does not evaluate it.\n`);
      return EXIT.pass;
    }
    const conclusion = printJudgement(judgement, repository.full_name, args.pr, args.format, io);
    return conclusion === "success" || conclusion === "neutral" ? EXIT.pass : EXIT.blocked;
  } finally {
    await database.close();
    cleanup();
  }
}

/** `countersign simulate`. */
export const simulateCommand = defineCommand({
  name: "simulate",
  summary: "the decision and evidence Countersign would give a live pull request (reads GitHub, writes nothing)",
  description: `Runs Countersign's own evaluation of the pull request: the same reads (the pull request, its base
branch's policy, the delegations recorded in the app's database if it exists, reviewers' permissions
and teams, the setup doctor) and the same engine, and prints the check run it would publish. With the
credential app's variables set as for the app, its bot is an agent identity here too. Nothing is
written: no check run, no comment, no database row.`,
  options: { repo: repoOption, pr: prOption, format: markdownOrJsonOption("the decision's parts") },
  examples: [
    { command: "GITHUB_TOKEN=$(gh auth token) countersign simulate --repo acme/widgets --pr 42", says: "the check run Countersign would give acme/widgets#42, as Markdown" },
    { command: "GHE_HOST=github.example.com countersign simulate --repo=acme/widgets --pr=42 --format=json", says: "the decision as JSON, from GitHub Enterprise Server" },
  ],
  exits: [
    [EXIT.pass, "the change would pass (or the policy is a dry run, or the pull request is closed)"],
    [EXIT.error, "the command failed: a wrong argument, no GITHUB_TOKEN, GitHub unreachable or refusing"],
    [EXIT.blocked, "the change would be blocked"],
  ],
  environment: [
    ["GITHUB_TOKEN", "a token that can read the repository, and read:org for team lookups (required)"],
    ["GHE_HOST, GHE_PROTOCOL", "GitHub Enterprise Server, as for the app (default: https://api.github.com)"],
    ["DATABASE_URL", "the app's database, for its delegations (default file:./data/countersign.db; read only)"],
    ["APP_ID", "the app's id, to tell whether a ruleset pins the check to it"],
    ["COUNTERSIGN_CREDENTIAL_APP_SLUG", "the credential app's slug: its bot's pushes are an agent's, as in the app"],
    ["COUNTERSIGN_CREDENTIAL_APP_ID, COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY", "the credential app: its slug is read with GET /app, and the setup doctor asks as its bot whether a ruleset keeps it off the base branch"],
  ],
  async run(args, env, io) {
    const token = env.GITHUB_TOKEN;
    if (!token) {
      io.err(`countersign simulate: GITHUB_TOKEN is not set: simulate reads the pull request with a token that can read the repository, e.g. GITHUB_TOKEN=$(gh auth token) countersign simulate --repo ${args.repo} --pr ${args.pr}\n`);
      return EXIT.error;
    }
    const api = gitHubApi(env);
    try {
      return await simulate(args, token, api.baseUrl, env, io);
    } catch (error) {
      const described = describeGitHubFailure(error, api);
      if (described === null) throw error;
      // Belt and braces: no message GitHub or the network sends back is ever printed with the token in it.
      io.err(`countersign simulate: ${described.replaceAll(token, "<GITHUB_TOKEN>")}\n`);
      return EXIT.error;
    }
  },
});
