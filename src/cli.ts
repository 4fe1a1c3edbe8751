// `npx countersign <command>`: operator tools that run the app's own code outside the app.
//
//   countersign simulate --repo owner/name --pr N [--format md|json]
//   countersign audit verify [--anchor HASH] [--database-url URL]
//   countersign audit export [--repo owner/name] [--since YYYY-MM-DD] [--format jsonl|json] [--database-url URL]
//   countersign evidence --repo owner/name --pr N [--format md|json] [--database-url URL]
//   countersign --help | help <command> | <command> --help | --version
//
// `simulate` prints the decision and evidence Countersign would give a live pull request, and writes
// nothing. `audit` and `evidence` read the app's database and nothing else: they never call GitHub,
// and never create, migrate or write the database (src/audit/audit-reads.ts). The commands are in
// src/cli/commands/, their arguments are read by src/cli/arguments.ts, their usage by src/cli/usage.ts;
// this module is the entry that src/bin.ts, the tests and scripts import.

export { EXIT, type CliIo } from "./cli/command.js";
export { runCli } from "./cli/run-cli.js";
