// `npx countersign <command>`: operator tools that run the app's own code outside the app.
//
//   countersign simulate --repo owner/name --pr N [--format md|json]
//   countersign audit verify [--anchor HASH] [--checkpoints FILE|github:owner/repo[@ref]] [--keys FILE] [--database-url URL]
//   countersign audit verify --file EXPORT [--keys FILE]
//   countersign audit checkpoint [--database-url URL] | audit checkpoint-key --name NAME
//   countersign audit export [--repo owner/name] [--since YYYY-MM-DD] [--format jsonl|json] [--database-url URL]
//   countersign evidence --repo owner/name --pr N [--format md|json] [--database-url URL]
//   countersign --help | help <command> | <command> --help | --version
//
// `simulate` prints the decision and evidence Countersign would give a live pull request, and writes
// nothing. `audit` and `evidence` read the app's database and nothing else: they never call GitHub
// (but `audit verify --checkpoints github:…` reads check runs, where the app's checkpoints are kept
// beyond the database owner's reach), and never create, migrate or write the database
// (src/cli/audit/audit-reads.ts). The commands are in
// src/cli/commands/, their arguments are read by src/cli/arguments.ts, their usage by src/cli/usage.ts;
// this module is the entry that src/bin.ts, the tests and scripts import.

export { EXIT, type CliIo } from "./cli/command.js";
export { runCli } from "./cli/run-cli.js";
