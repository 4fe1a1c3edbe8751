import { readFileSync } from "node:fs";
import { z } from "zod";
import { ProbotOctokit } from "probot";
import { findCheckpointNotes } from "../../audit/checkpoint.js";
import { countersignCheckRunTexts } from "../../github/checkpoint-check-runs.js";
import { describeGitHubFailure, gitHubApi } from "../github-api.js";
import { auditDatabaseUrl } from "../audit/audit-reads.js";
import { renderExportVerification, verifyExportFile } from "../audit/verify-export.js";
import { isIntact, renderVerification, verifyAuditLog } from "../audit/verify-log.js";
import { defineCommand, EXIT } from "../command.js";
import { auditEnvironment, databaseUrlOption, withAuditDatabase } from "./audit-database.js";
import { checkpointKeyEnvironment, checkpointPublicKeys, keysOption } from "./checkpoint-keys.js";

/** `countersign audit verify`: every link of the audit log's hash chain, and any row outside it. */
export const auditVerifyCommand = defineCommand({
  name: "audit verify",
  summary: "checks every link of the audit log's hash chain, and reports rows outside it",
  description: `Recomputes every event's hash and its link to the one before, from the first event to the chain
head, and names the first broken event: altered, removed, reordered, or a row outside the chain. With
--anchor, a head recorded earlier (by an export, or a previous verify) must still be in the chain:
that also proves nothing was cut from the end or rewritten since. With --checkpoints, every signed
checkpoint found in a file (check runs saved from GitHub as JSON, the app's logs, or notes) must still
describe the chain: that catches even a rewrite in which every hash was recomputed. With --file, an
export is checked alone, with no database: every event's hash recomputed, every record rebuilt from its
events, and with --keys each record's events proven under its signed checkpoint.`,
  options: {
    anchor: {
      placeholder: "<hash>",
      meaning: "a chain head's hash recorded earlier, which must still be in the chain",
      example: '<the hash after "Chain head:" in an earlier verify>',
      mustBe: "an event hash (64 hex digits) recorded earlier",
      schema: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
    },
    checkpoints: {
      placeholder: "<file|github:owner/repo[@ref]>",
      meaning:
        "where signed checkpoints are: a file (check runs saved as JSON, the app's JSON logs, or the notes themselves), or github:owner/repo to read them from the Countersign check runs GitHub keeps (on ref, else on the heads of the 20 most recently updated pull requests; needs GITHUB_TOKEN)",
      example: "github:acme/widgets",
      mustBe: "a file path, or github:owner/repo[@ref]",
      schema: z.string().min(1).optional(),
    },
    file: {
      placeholder: "<export>",
      meaning: "an `audit export` file to check on its own, with no database (JSON Lines or JSON)",
      example: "evidence.jsonl",
      mustBe: "a file path",
      schema: z.string().min(1).optional(),
    },
    keys: keysOption,
    "database-url": databaseUrlOption,
  },
  examples: [
    { command: "countersign audit verify --database-url file:./data/countersign.db", says: "checks the whole chain of the app's SQLite database" },
    { command: `DATABASE_URL=postgres://reader@db/countersign countersign audit verify --anchor ${"ab12".repeat(16)}`, says: "checks a PostgreSQL database, and that a head recorded earlier is still in its chain" },
    {
      command: "gh api repos/acme/widgets/commits/main/check-runs > runs.json && countersign audit verify --checkpoints runs.json --keys keys.txt",
      says: "checks the chain against the checkpoints GitHub keeps on a commit's check runs, with the published public keys",
    },
    { command: "GITHUB_TOKEN=$(gh auth token) countersign audit verify --checkpoints github:acme/widgets --keys keys.txt", says: "checks the chain against the checkpoints on the Countersign check runs of acme/widgets' recent pull requests, read from GitHub" },
    { command: "countersign audit verify --file evidence.jsonl --keys keys.txt", says: "checks an export alone: its hashes, its records rebuilt from their events, and its events under their signed checkpoints" },
  ],
  exits: [
    [EXIT.pass, "the chain is intact"],
    [EXIT.error, "the command failed: a wrong argument, no database there"],
    [EXIT.broken, "the audit log is broken: the first broken event is named"],
  ],
  environment: [
    ...auditEnvironment,
    ...checkpointKeyEnvironment,
    ["GITHUB_TOKEN", "with --checkpoints github:…: a token that can read the repository's checks"],
    ["GHE_HOST, GHE_PROTOCOL", "with --checkpoints github:…: a GitHub Enterprise Server, as for the app"],
  ],
  async run(args, env, io) {
    if (args.file !== undefined) {
      if (args.anchor !== undefined || args.checkpoints !== undefined || args["database-url"] !== undefined) throw new Error("--file checks an export on its own: it takes only --keys");
      let keys: ReturnType<typeof checkpointPublicKeys> | null = null;
      if (args.keys !== undefined || env.COUNTERSIGN_CHECKPOINT_KEY || env.COUNTERSIGN_CHECKPOINT_RETIRED_KEYS) keys = checkpointPublicKeys(args.keys, env);
      const verdicts = verifyExportFile(readFileSync(args.file, "utf8"), keys);
      io.out(renderExportVerification(verdicts, args.file));
      return verdicts.length > 0 && verdicts.every((verdict) => verdict.problems.length === 0) ? EXIT.pass : EXIT.broken;
    }
    let checkpoints: { notes: string[]; keys: ReturnType<typeof checkpointPublicKeys> } | undefined;
    if (args.checkpoints !== undefined) {
      const keys = checkpointPublicKeys(args.keys, env);
      const notes = findCheckpointNotes(args.checkpoints.startsWith("github:") ? await checkRunTextsFromGitHub(args.checkpoints, env) : readFileSync(args.checkpoints, "utf8"));
      if (notes.length === 0) throw new Error(`no signed checkpoint found in ${args.checkpoints}`);
      checkpoints = { notes, keys };
    }
    return withAuditDatabase(auditDatabaseUrl(args["database-url"], env), async ({ db, location }) => {
      const verification = await verifyAuditLog(db, { ...(args.anchor ? { anchor: args.anchor } : {}), ...(checkpoints ? { checkpoints } : {}) });
      io.out(renderVerification(verification, location));
      return isIntact(verification) ? EXIT.pass : EXIT.broken;
    });
  },
});

const GITHUB_SOURCE = /^github:([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)(?:@(\S+))?$/;

/** The text of the Countersign check runs that `github:owner/repo[@ref]` names, read with GITHUB_TOKEN. */
async function checkRunTextsFromGitHub(source: string, env: NodeJS.ProcessEnv): Promise<string> {
  const match = GITHUB_SOURCE.exec(source);
  if (!match) throw new Error(`--checkpoints ${source}: write github:owner/repo, or github:owner/repo@<commit, branch or tag>`);
  const [, owner = "", name = "", ref] = match;
  const token = env.GITHUB_TOKEN;
  if (!token) throw new Error("--checkpoints github:… reads the check runs with GITHUB_TOKEN, which is not set (e.g. GITHUB_TOKEN=$(gh auth token))");
  const api = gitHubApi(env);
  const octokit = new ProbotOctokit({ auth: { token }, ...(api.baseUrl ? { baseUrl: api.baseUrl } : {}), throttle: { enabled: false } });
  try {
    const { texts, commits } = await countersignCheckRunTexts(octokit, { owner, name }, ref ?? null);
    if (texts.length === 0) throw new Error(`no Countersign check run with a checkpoint on ${commits.length === 1 ? `${owner}/${name}@${commits[0]}` : `the heads of ${owner}/${name}'s ${commits.length} most recently updated pull requests`}`);
    return texts.join("\n");
  } catch (error) {
    const described = describeGitHubFailure(error, api);
    if (described === null) throw error;
    throw new Error(described.replaceAll(token, "<GITHUB_TOKEN>"));
  }
}
