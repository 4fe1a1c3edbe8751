import { auditDatabaseUrl, chainHead, readStory } from "../audit/audit-reads.js";
import { renderStoryMarkdown } from "../../evidence/story-markdown.js";
import { defineCommand, EXIT } from "../command.js";
import { auditEnvironment, databaseUrlOption, withAuditDatabase } from "./audit-database.js";
import { markdownOrJsonOption, prOption, repoOption } from "./pull-request-options.js";

/** `countersign evidence`: the recorded story of one pull request. */
export const evidenceCommand = defineCommand({
  name: "evidence",
  summary: "the full recorded story of one pull request, from the audit log",
  description: `Prints what the audit log holds about one pull request: its owner and task, the agent, the approvals
with the commits they were given on, every decision with its policy hash, and the chain events that
prove each. It reads the database only: GitHub is never asked.`,
  options: { repo: repoOption, pr: prOption, format: markdownOrJsonOption("the story as recorded"), "database-url": databaseUrlOption },
  examples: [
    { command: "countersign evidence --repo acme/widgets --pr 42", says: "the story of acme/widgets#42 as Markdown, from the app's default database" },
    { command: "countersign evidence --repo acme/widgets --pr 42 --format json --database-url file:./copy.db", says: "the same story as JSON, from a copy an auditor was handed" },
  ],
  exits: [
    [EXIT.pass, "printed"],
    [EXIT.error, "the command failed: a wrong argument, no database there, nothing recorded about that pull request"],
  ],
  environment: auditEnvironment,
  async run(args, env, io) {
    return withAuditDatabase(auditDatabaseUrl(args["database-url"], env), async ({ db, location }) => {
      const story = await readStory(db, args.repo, args.pr, await chainHead(db));
      if (!story) {
        io.err(`countersign evidence: no audit events for ${args.repo}#${args.pr} in ${location}: Countersign has recorded nothing about this pull request (check --repo, --pr and --database-url)\n`);
        return EXIT.error;
      }
      io.out(args.format === "json" ? `${JSON.stringify(story, null, 2)}\n` : renderStoryMarkdown(story));
      return EXIT.pass;
    });
  },
});
