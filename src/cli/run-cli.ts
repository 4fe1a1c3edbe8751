import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseArguments } from "./arguments.js";
import { closestName } from "./closest-name.js";
import { EXIT, type CliIo, type Command } from "./command.js";
import { auditCheckpointCommand, auditCheckpointKeyCommand } from "./commands/audit-checkpoint.js";
import { auditExportCommand } from "./commands/audit-export.js";
import { auditVerifyCommand } from "./commands/audit-verify.js";
import { evidenceCommand } from "./commands/evidence.js";
import { simulateCommand } from "./commands/simulate.js";
import { commandSynopsis, commandUsage, groupUsage, programSynopsis, programUsage } from "./usage.js";

// `countersign <command>`: finds the command named on the line, answers --help and --version, and
// maps every outcome to an exit code. A wrong invocation says what is wrong on stderr, with the
// short usage of what was meant; asking for help prints the usage on stdout and succeeds.

const COMMANDS: readonly Command[] = [simulateCommand, auditVerifyCommand, auditExportCommand, auditCheckpointCommand, auditCheckpointKeyCommand, evidenceCommand];

/** The groups of commands: "audit" for `audit verify`, `audit export`, `audit checkpoint` and `audit checkpoint-key`. */
function groupOf(word: string): Command[] {
  return COMMANDS.filter((command) => command.name.startsWith(`${word} `));
}

/** package.json's version: lib/cli/ and src/cli/ both sit two levels below it. */
function version(): string {
  const manifest = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")));
  return manifest.version;
}

function isHelp(word: string | undefined): boolean {
  return word === "--help" || word === "-h";
}

/** "unknown command: simualte; did you mean `countersign simulate`?" ("verify" suggests `audit verify`). */
function unknownCommand(typed: string, io: CliIo): number {
  const firstWords = [...new Set(COMMANDS.map((command) => command.name.split(" ")[0] as string))];
  const byLastWord = new Map(COMMANDS.map((command) => [command.name.split(" ").at(-1) as string, command.name]));
  const lastWord = closestName(typed, [...byLastWord.keys()]);
  const guess = closestName(typed, firstWords) ?? (lastWord ? byLastWord.get(lastWord) : null);
  io.err(`countersign: unknown command: ${typed}${guess ? `; did you mean \`countersign ${guess}\`?` : ""}\n\n${programSynopsis(COMMANDS)}`);
  return EXIT.error;
}

/** "a, b or c". */
function orList(words: readonly string[]): string {
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/** "unknown audit command: exprot (audit takes verify, export, checkpoint or checkpoint-key); did you mean `countersign audit export`?" */
function unknownGroupCommand(group: string, typed: string, io: CliIo): number {
  const words = groupOf(group).map((command) => command.name.slice(group.length + 1));
  const guess = closestName(typed, words);
  io.err(`countersign: unknown ${group} command: ${typed} (${group} takes ${orList(words)})${guess ? `; did you mean \`countersign ${group} ${guess}\`?` : ""}\n\n${groupUsage(group, groupOf(group))}`);
  return EXIT.error;
}

/** `countersign help [command...]`. */
function help(words: readonly string[], io: CliIo): number {
  if (words.length === 0) {
    io.out(programUsage(COMMANDS));
    return EXIT.pass;
  }
  const command = COMMANDS.find((candidate) => candidate.name === words.join(" "));
  if (command) {
    io.out(commandUsage(command));
    return EXIT.pass;
  }
  const [group = "", subcommand] = words;
  if (groupOf(group).length === 0) return unknownCommand(words.join(" "), io);
  if (subcommand !== undefined) return unknownGroupCommand(group, subcommand, io);
  io.out(groupUsage(group, groupOf(group)));
  return EXIT.pass;
}

async function run(command: Command, argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const parsed = parseArguments(command, argv);
  if (parsed.kind === "help") {
    io.out(commandUsage(command));
    return EXIT.pass;
  }
  if (parsed.kind === "wrong") {
    io.err(`${parsed.problems.map((problem) => `countersign ${command.name}: ${problem}\n`).join("")}\n${commandSynopsis(command)}`);
    return EXIT.error;
  }
  try {
    return await command.run(parsed.values, env, io);
  } catch (error) {
    io.err(`countersign ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.error;
  }
}

/** Runs `countersign <command> ...`; resolves to the process exit code. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(`countersign: which command? (simulate, audit verify, audit export, audit checkpoint, audit checkpoint-key or evidence)\n\n${programSynopsis(COMMANDS)}`);
    return EXIT.error;
  }
  if (isHelp(first) || first === "help") return help(rest.filter((word) => !isHelp(word)), io);
  if (first === "--version" || first === "-v") {
    io.out(`countersign ${version()}\n`);
    return EXIT.pass;
  }
  if (first.startsWith("-")) {
    io.err(`countersign: unknown option ${first} before a command (countersign itself takes --help and --version; a command's options come after its name, e.g. countersign simulate --repo acme/widgets --pr 42)\n\n${programSynopsis(COMMANDS)}`);
    return EXIT.error;
  }
  const single = COMMANDS.find((command) => command.name === first);
  if (single) return run(single, rest, env, io);
  const group = groupOf(first);
  if (group.length === 0) return unknownCommand(first, io);
  const [word, ...options] = rest;
  if (isHelp(word)) {
    io.out(groupUsage(first, group));
    return EXIT.pass;
  }
  const command = group.find((candidate) => candidate.name === `${first} ${word}`);
  if (command) return run(command, options, env, io);
  if (word === undefined || word.startsWith("-")) {
    io.err(`countersign: ${first} needs a command: ${orList(group.map((candidate) => candidate.name.slice(first.length + 1)))}\n\n${groupUsage(first, group)}`);
    return EXIT.error;
  }
  return unknownGroupCommand(first, word, io);
}
