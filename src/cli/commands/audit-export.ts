import { z } from "zod";
import { agentPullRequestStories, auditDatabaseUrl, chainHead, checkpointProofs, storyTexts } from "../audit/audit-reads.js";
import { buildExportRecord, toJsonLine } from "../audit/export.js";
import { defineCommand, EXIT } from "../command.js";
import { auditEnvironment, databaseUrlOption, withAuditDatabase } from "./audit-database.js";
import { repoFilterOption } from "./pull-request-options.js";

/** `countersign audit export`: one evidence record per agent pull request. */
export const auditExportCommand = defineCommand({
  name: "audit export",
  summary: "one evidence record per agent pull request (JSON Lines by default, for a SIEM)",
  description: `Writes, for every agent pull request, the task request, the delegating owner, the agent and its
tool inventory, the approvals with their commits, the decisions with their reasons, context and
policy (hash, files, text), credentials issued, the stored texts the events refer to (task
snapshots, changed paths, policy texts) and the chain hashes that prove each (docs/audit.md has the format). All records are read as
of one chain head, printed on stderr: record it, and \`audit verify --anchor\` proves it later.`,
  options: {
    repo: repoFilterOption,
    since: {
      placeholder: "<YYYY-MM-DD>",
      meaning: "only pull requests with events on or after this day (UTC)",
      example: "2026-11-01",
      mustBe: "a date, YYYY-MM-DD",
      // Midnight UTC of that day: the log's times are UTC.
      schema: z.iso
        .date()
        .transform((day) => new Date(`${day}T00:00:00Z`))
        .optional(),
    },
    format: {
      placeholder: "jsonl|json",
      meaning: "jsonl (the default): one record a line; json: one pretty-printed array",
      example: "json",
      mustBe: "jsonl or json",
      schema: z.enum(["jsonl", "json"]).default("jsonl"),
    },
    "database-url": databaseUrlOption,
  },
  examples: [
    { command: "countersign audit export --since 2026-11-01 > evidence.jsonl", says: "every agent pull request with events since 1 November 2026, one JSON record a line" },
    { command: "countersign audit export --repo acme/widgets --format json --database-url file:./copy.db", says: "one repository's records as a JSON array, from a copy of the database" },
  ],
  exits: [
    [EXIT.pass, "exported (perhaps nothing: the count is printed on stderr)"],
    [EXIT.error, "the command failed: a wrong argument, no database there"],
  ],
  environment: auditEnvironment,
  async run(args, env, io) {
    return withAuditDatabase(auditDatabaseUrl(args["database-url"], env), async ({ db }) => {
      // One head for the whole export: events a live app appends meanwhile are left for the next one.
      const head = await chainHead(db);
      const checkpoint = await checkpointProofs(db);
      const exportedAt = new Date();
      const filter = { ...(args.repo ? { repository: args.repo } : {}), ...(args.since ? { since: args.since } : {}) };
      let count = 0;
      // Written a record at a time, so a large export never sits in memory; `json` comes out exactly as
      // JSON.stringify(records, null, 2) would print the whole array.
      for await (const story of agentPullRequestStories(db, filter, head)) {
        // Each event's inclusion proof under the newest checkpoint, and the head's when it is covered.
        const proofs = checkpoint ? { note: checkpoint.note, treeSize: checkpoint.treeSize, proofs: checkpoint.proofsFor([...story.chain.map((event) => event.seq), ...(head ? [head.seq] : [])]) } : null;
        const record = buildExportRecord(story, { head, exportedAt, texts: await storyTexts(db, story), checkpoint: proofs });
        if (args.format === "jsonl") io.out(toJsonLine(record));
        else io.out(`${count === 0 ? "[\n" : ",\n"}${JSON.stringify(record, null, 2).replace(/^/gm, "  ")}`);
        count += 1;
      }
      if (args.format === "json") io.out(count === 0 ? "[]\n" : "\n]\n");
      io.err(`exported ${count} agent pull request${count === 1 ? "" : "s"} as of chain head #${head?.seq ?? 0}\n`);
      return EXIT.pass;
    });
  },
});
