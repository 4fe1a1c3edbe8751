import type { z } from "zod";

// What every `countersign` command is: its name, the options it takes (each with the words its usage
// and its error messages are made of), its usage text, and the work. The parser (arguments.ts) and
// the usage (usage.ts) read these, so an option's help and its "is required" message cannot disagree.

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

/** One `--name <value>` option. Every option takes a value; `--help` is the only switch. */
export interface Option<S extends z.ZodType = z.ZodType> {
  /** The value as usage shows it: `owner/name`, `md|json`. */
  placeholder: string;
  /** What the value is, completing "--repo is required: …" and the option's line in the usage. */
  meaning: string;
  /** A value that works, for "e.g. --repo acme/widgets". */
  example: string;
  /** Completes "--repo must be …" when the value does not parse. */
  mustBe: string;
  /** Parses the text given (undefined when the option is absent); an option is required when undefined fails. */
  schema: S;
}

export type Options = Record<string, Option>;

/** A command's parsed options, typed by their schemas. */
export type Values<O extends Options> = { [K in keyof O]: z.output<O[K]["schema"]> };

/** An example invocation in the usage, with what it does. */
export interface Example {
  command: string;
  says: string;
}

export interface Command<O extends Options = Options> {
  /** The words after `countersign`: "simulate", "audit verify". */
  name: string;
  /** One line, for the list of commands. */
  summary: string;
  /** What it does, in a few lines, for its own usage. */
  description: string;
  options: O;
  examples: Example[];
  /** The exit codes this command uses, as `code: meaning`. */
  exits: Array<[number, string]>;
  /** The environment variables it reads, with what each is to this command. */
  environment: Array<[string, string]>;
  run(values: Values<O>, env: NodeJS.ProcessEnv, io: CliIo): Promise<number>;
}

/** Declares a command; only here so that `run` gets its values typed from `options`. */
export function defineCommand<O extends Options>(command: Command<O>): Command<O> {
  return command;
}

/** Whether `--name` must be given: its schema refuses its absence. */
export function isRequired(option: Option): boolean {
  return !option.schema.safeParse(undefined).success;
}
