import { parseArgs, type ParseArgsConfig } from "node:util";
import { z } from "zod";
import { closestName } from "./closest-name.js";
import { isRequired, type Command, type Option, type Options, type Values } from "./command.js";

// A command's arguments: read by Node's own parser (util.parseArgs, strict: an unknown option or a
// stray word is refused, `--repo x` and `--repo=x` both work), then each value parsed by its
// option's zod schema. Every refusal is put in the command's own words, naming the argument and a
// value that works: neither parseArgs' nor zod's wording ("Invalid input: expected string, received
// undefined") says which option of which command is wrong.

/** What the command line asks for: the usage, a run with these values, or nothing, for these reasons. */
export type ParsedArguments<O extends Options> = { kind: "help" } | { kind: "run"; values: Values<O> } | { kind: "wrong"; problems: string[] };

type Token = NonNullable<ReturnType<typeof parseArgs>["tokens"]>[number];

function flag(name: string): string {
  return `--${name}`;
}

/** "--repo acme/widgets": the option with a value that works. */
export function exampleOf(name: string, option: Option): string {
  return `${flag(name)} ${option.example}`;
}

/** "countersign simulate --repo acme/widgets --pr 42": the command with a value for each option it requires. */
function invocation(command: Command): string {
  const entries = Object.entries(command.options);
  const required = entries.filter(([, option]) => isRequired(option));
  return ["countersign", command.name, ...(required.length > 0 ? required : entries.slice(0, 1)).map(([name, option]) => exampleOf(name, option))].join(" ");
}

/** "(it takes --repo, --pr, --format)": what a command's options are, for messages. */
function takes(command: Command): string {
  const names = Object.keys(command.options);
  return names.length === 0 ? "(it takes no options)" : `(it takes ${names.map(flag).join(", ")})`;
}

function unknownOption(command: Command, rawName: string): string {
  const guess = rawName.startsWith("--") ? closestName(rawName.slice(2), Object.keys(command.options)) : null;
  return `unknown option ${rawName} ${takes(command)}${guess ? `; did you mean ${flag(guess)}?` : ""}`;
}

/**
 * Why strict parsing refused the line, found in the tokens of a lenient parse of the same line (the
 * refusal itself carries only a code and a sentence): the first argument that is not an option this
 * command takes, or an option left without its value.
 */
function explainRefusal(command: Command, tokens: readonly Token[], refusal: unknown): string {
  for (const token of tokens) {
    if (token.kind === "positional") {
      return `unexpected argument ${JSON.stringify(token.value)}: values are given as options ${takes(command)}, e.g. ${invocation(command)}`;
    }
    if (token.kind !== "option") continue;
    const option = command.options[token.name];
    if (!option) return unknownOption(command, token.rawName);
    if (token.value === undefined) return `${token.rawName} needs a value: ${option.meaning}, e.g. ${exampleOf(token.name, option)}`;
    // parseArgs takes the next argument as the value even when it looks like an option, then
    // refuses it as ambiguous: most likely the value was forgotten.
    if (!token.inlineValue && token.value.startsWith("-")) {
      return `${token.rawName} needs a value, but ${JSON.stringify(token.value)} follows it: ${option.meaning}, e.g. ${exampleOf(token.name, option)} (a value that starts with "-" is written ${flag(token.name)}=<value>)`;
    }
  }
  return `${refusal instanceof Error ? refusal.message : String(refusal)} ${takes(command)}`;
}

/** An option given twice is refused: parseArgs would silently keep the last, and the first may be the one meant. */
function repeatedOptions(tokens: readonly Token[]): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const earlier = seen.get(token.name);
    if (earlier !== undefined) problems.push(`${flag(token.name)} is given twice (${JSON.stringify(earlier)}, then ${JSON.stringify(token.value ?? "")}): give it once`);
    else seen.set(token.name, token.value ?? "");
  }
  return problems;
}

/** Reads `argv` (the arguments after the command's name) as `command`'s options. */
export function parseArguments<O extends Options>(command: Command<O>, argv: readonly string[]): ParsedArguments<O> {
  const config = {
    args: [...argv],
    options: { ...Object.fromEntries(Object.keys(command.options).map((name) => [name, { type: "string" as const }])), help: { type: "boolean" as const, short: "h" } },
    allowPositionals: false,
    tokens: true,
  } satisfies ParseArgsConfig;
  // Lenient first: asking for help wins over any other mistake on the same line.
  const lenient = parseArgs({ ...config, strict: false, allowPositionals: true });
  if (lenient.tokens.some((token) => token.kind === "option" && token.name === "help")) return { kind: "help" };

  let parsed: ReturnType<typeof parseArgs<typeof config & { strict: true }>>;
  try {
    parsed = parseArgs({ ...config, strict: true });
  } catch (refusal) {
    return { kind: "wrong", problems: [explainRefusal(command, lenient.tokens, refusal)] };
  }
  const repeated = repeatedOptions(parsed.tokens);
  if (repeated.length > 0) return { kind: "wrong", problems: repeated };

  const given = parsed.values as Record<string, string | undefined>;
  const schema = z.object(Object.fromEntries(Object.entries(command.options).map(([name, option]) => [name, option.schema])));
  const result = schema.safeParse(given);
  if (result.success) return { kind: "run", values: result.data as Values<O> };
  // One message per option, in the command's words; zod's own wording is never shown.
  const wrong = [...new Set(result.error.issues.map((issue) => String(issue.path[0])))];
  return {
    kind: "wrong",
    problems: wrong.map((name) => {
      const option = command.options[name] as Option;
      const value = given[name];
      return value === undefined ? `${flag(name)} is required: ${option.meaning}, e.g. ${exampleOf(name, option)}` : `${flag(name)} must be ${option.mustBe}, e.g. ${exampleOf(name, option)} (got ${JSON.stringify(value)})`;
    }),
  };
}
