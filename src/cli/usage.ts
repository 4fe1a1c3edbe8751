import { isRequired, type Command } from "./command.js";

// The usage texts: `countersign --help`, `countersign <command> --help`, `countersign audit --help`,
// and the short form shown under a wrong invocation. Built from the commands' own declarations, so
// the usage lists exactly the options the parser accepts.

const PROGRAM = "countersign";

const EXIT_CODES = `Exit codes:
  0  ok (simulate: the change would pass; audit verify: the chain is intact)
  1  the command failed: a wrong argument, no database, GitHub unreachable or refusing
  2  simulate: the change would be blocked
  3  audit verify: the audit log is broken (altered, or rows outside the chain)`;

const ENVIRONMENT = `Environment:
  GITHUB_TOKEN             simulate: a token that can read the repository (required)
  GHE_HOST, GHE_PROTOCOL   simulate: GitHub Enterprise Server, as for the app (the API is then
                           GHE_PROTOCOL://GHE_HOST/api/v3; without them, https://api.github.com)
  DATABASE_URL             the app's database (default file:./data/countersign.db; read, never written);
                           --database-url overrides it for audit and evidence
  APP_ID                   simulate: the app's id, to tell whether a ruleset pins the check to it`;

/** Lines of `[left, right]` as a two-column list, the right column aligned. */
function columns(rows: Array<[string, string]>, indent = "  "): string {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}${right}`.trimEnd()).join("\n");
}

/** "countersign simulate --repo <owner/name> --pr <number> [--format md|json]" */
export function synopsis(command: Command): string {
  const options = Object.entries(command.options).map(([name, option]) => (isRequired(option) ? `--${name} ${option.placeholder}` : `[--${name} ${option.placeholder}]`));
  return [PROGRAM, command.name, ...options].join(" ");
}

function examples(list: Command["examples"]): string {
  return list.map((example) => `  ${example.command}\n      ${example.says}`).join("\n");
}

/** `countersign --help`: every command, an example of each, exit codes and environment. */
export function programUsage(commands: readonly Command[]): string {
  return `${PROGRAM}: Countersign's operator tools, run outside the app: what it would decide on a pull
request, and what its audit log holds and proves.

usage: ${PROGRAM} <command> [options]
       ${PROGRAM} <command> --help       a command's options, with examples (also: ${PROGRAM} help <command>)
       ${PROGRAM} --version

Commands:
${columns(commands.map((command) => [command.name, command.summary]))}

Examples:
${examples(commands.flatMap((command) => command.examples.slice(0, 1)))}

${EXIT_CODES}

${ENVIRONMENT}
`;
}

/** The short usage under a wrong top-level invocation: the commands, and where the rest is. */
export function programSynopsis(commands: readonly Command[]): string {
  return `${commands.map((command, index) => `${index === 0 ? "usage: " : "       "}${synopsis(command)}`).join("\n")}
Run \`${PROGRAM} --help\` for what each does, with examples, or \`${PROGRAM} <command> --help\` for one.
`;
}

/** `countersign <command> --help`: its options, examples, exit codes and environment. */
export function commandUsage(command: Command): string {
  const options: Array<[string, string]> = Object.entries(command.options).map(([name, option]) => [`--${name} ${option.placeholder}`, `${option.meaning}${isRequired(option) ? " (required)" : ""}`]);
  options.push(["-h, --help", "this usage"]);
  return `${PROGRAM} ${command.name}: ${command.summary}

usage: ${synopsis(command)}

${command.description}

Options:
${columns(options)}

Examples:
${examples(command.examples)}

Exit codes:
${columns(command.exits.map(([code, meaning]) => [String(code), meaning]))}
${command.environment.length > 0 ? `\nEnvironment:\n${columns(command.environment)}\n` : ""}`;
}

/** The short usage under a wrong invocation of `command`. */
export function commandSynopsis(command: Command): string {
  return `usage: ${synopsis(command)}
Run \`${PROGRAM} ${command.name} --help\` for the options, with examples.
`;
}

/** `countersign audit --help`: the commands of a group (`audit verify`, `audit export`). */
export function groupUsage(group: string, commands: readonly Command[]): string {
  return `${PROGRAM} ${group} <${commands.map((command) => command.name.slice(group.length + 1)).join("|")}>

${commands.map((command, index) => `${index === 0 ? "usage: " : "       "}${synopsis(command)}`).join("\n")}

Commands:
${columns(commands.map((command) => [command.name, command.summary]))}

Examples:
${examples(commands.flatMap((command) => command.examples))}

Run \`${PROGRAM} ${group} <command> --help\` for one command's options.
`;
}
