import { readFileSync } from "node:fs";
import { describe, expect, test } from "@jest/globals";
import { EXIT, runCli } from "../../../src/cli.js";
import { captureIo } from "../../helpers/cli-io.js";

// How `countersign` reads its command line, before any command does its work: the help forms, the
// version, `--flag=value`, and a message for every wrong invocation that names the argument and a
// value that works. Nothing here reaches GitHub or a database: a line that parses is stopped by the
// first thing the command needs (GITHUB_TOKEN, the database file).

const VERSION = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const { io, out, err } = captureIo();
  const code = await runCli(argv, env, io);
  return { code, out: out(), err: err() };
}

describe("help", () => {
  test.each([[["--help"]], [["-h"]], [["help"]]])("%j prints every command, with examples, exit codes and environment, on stdout", async (argv) => {
    const result = await cli(argv);
    expect(result).toMatchObject({ code: EXIT.pass, err: "" });
    expect(result.out).toContain("usage: countersign <command> [options]");
    for (const command of ["simulate", "audit verify", "audit export", "evidence"]) expect(result.out).toMatch(new RegExp(`^  ${command} {2,}\\S`, "m"));
    expect(result.out).toMatch(/^Examples:\n {2}\S*.*countersign simulate --repo acme\/widgets --pr 42\n/m);
    expect(result.out).toContain("  3  audit verify: the audit log is broken");
    expect(result.out).toContain("GHE_HOST, GHE_PROTOCOL");
  });

  test.each([
    [["simulate", "--help"], "simulate", "usage: countersign simulate --repo <owner/name> --pr <number> [--format md|json]", "--repo acme/widgets --pr 42"],
    [["simulate", "-h"], "simulate", "usage: countersign simulate --repo <owner/name>", "GITHUB_TOKEN"],
    [["help", "simulate"], "simulate", "usage: countersign simulate --repo <owner/name>", "  2  the change would be blocked"],
    [["--help", "simulate"], "simulate", "usage: countersign simulate --repo <owner/name>", "GHE_HOST, GHE_PROTOCOL"],
    // Asking for help wins over any mistake on the same line.
    [["simulate", "--repo", "nope", "--bogus", "--help"], "simulate", "usage: countersign simulate", "--format md|json"],
    [["audit", "verify", "--help"], "audit verify", "usage: countersign audit verify [--anchor <hash>] [--checkpoints <file|github:owner/repo[@ref]>] [--file <export>] [--keys <file>] [--database-url <url>]", "  3  the audit log is broken"],
    [["help", "audit", "verify"], "audit verify", "usage: countersign audit verify [--anchor <hash>]", "countersign audit verify --database-url file:./data/countersign.db"],
    [["audit", "export", "-h"], "audit export", "usage: countersign audit export [--repo <owner/name>] [--since <YYYY-MM-DD>] [--format jsonl|json] [--database-url <url>]", "--since 2026-11-01"],
    [["evidence", "--help"], "evidence", "usage: countersign evidence --repo <owner/name> --pr <number> [--format md|json] [--database-url <url>]", "countersign evidence --repo acme/widgets --pr 42"],
  ])("%j prints that command's usage with examples", async (argv, name, usage, detail) => {
    const result = await cli(argv);
    expect(result).toMatchObject({ code: EXIT.pass, err: "" });
    expect(result.out.startsWith(`countersign ${name}: `)).toBe(true);
    expect(result.out).toContain(usage);
    expect(result.out).toContain(detail);
    expect(result.out).toMatch(new RegExp(`^Examples:\\n {2}.*countersign ${name} --`, "m"));
    expect(result.out).toMatch(/^Exit codes:\n {2}0 /m);
  });

  test.each([[["audit", "--help"]], [["audit", "-h"]], [["help", "audit"]]])("%j prints both audit commands", async (argv) => {
    const result = await cli(argv);
    expect(result).toMatchObject({ code: EXIT.pass, err: "" });
    expect(result.out).toContain("usage: countersign audit verify [--anchor <hash>]");
    expect(result.out).toContain("       countersign audit export [--repo <owner/name>]");
    expect(result.out).toContain("countersign audit export --since 2026-11-01 > evidence.jsonl");
  });
});

describe("version", () => {
  test.each([[["--version"]], [["-v"]]])("%j prints package.json's version", async (argv) => {
    expect(await cli(argv)).toEqual({ code: EXIT.pass, out: `countersign ${VERSION}\n`, err: "" });
  });
});

describe("options are read as --flag value and as --flag=value", () => {
  test.each([
    [["simulate", "--repo=acme/widgets", "--pr=42"]],
    [["simulate", "--repo", "acme/widgets", "--pr", "42"]],
    [["simulate", "--pr=#42", "--repo", "acme/widgets", "--format=json"]],
  ])("%j parses, and stops at the missing GITHUB_TOKEN", async (argv) => {
    const result = await cli(argv);
    expect(result.code).toBe(EXIT.error);
    expect(result.err).toBe("countersign simulate: GITHUB_TOKEN is not set: simulate reads the pull request with a token that can read the repository, e.g. GITHUB_TOKEN=$(gh auth token) countersign simulate --repo acme/widgets --pr 42\n");
  });

  test.each([
    [["audit", "verify", "--database-url=file:/nonexistent/countersign.db"]],
    [["audit", "export", "--repo=acme/widgets", "--since=2026-11-01", "--format=json", "--database-url", "file:/nonexistent/countersign.db"]],
    [["evidence", "--repo=acme/widgets", "--pr=42", "--database-url=file:/nonexistent/countersign.db"]],
  ])("%j parses, and stops at the missing database", async (argv) => {
    const result = await cli(argv);
    expect(result.code).toBe(EXIT.error);
    expect(result.err).toMatch(/^countersign (audit verify|audit export|evidence): no database at \/nonexistent\/countersign\.db: pass --database-url, or set DATABASE_URL/);
  });
});

describe("a wrong invocation says which argument is wrong and how to fix it, on stderr", () => {
  test.each([
    [["simulate"], ["countersign simulate: --repo is required: the repository, as owner/name, e.g. --repo acme/widgets", "countersign simulate: --pr is required: the pull request's number, e.g. --pr 42"]],
    [["simulate", "--pr", "42"], ["countersign simulate: --repo is required: the repository, as owner/name, e.g. --repo acme/widgets"]],
    [["evidence", "--pr", "42"], ["countersign evidence: --repo is required: the repository, as owner/name, e.g. --repo acme/widgets"]],
    [["simulate", "--repo", "nope", "--pr", "42"], ['countersign simulate: --repo must be owner/name, e.g. --repo acme/widgets (got "nope")']],
    [["simulate", "--repo", "acme/widgets", "--pr", "0"], ['countersign simulate: --pr must be a pull request number, e.g. --pr 42 (got "0")']],
    [["simulate", "--repo", "acme/widgets", "--pr", "42", "--format", "html"], ['countersign simulate: --format must be md or json, e.g. --format json (got "html")']],
    [["simulate", "--repo", "acme/widgets", "--pr"], ["countersign simulate: --pr needs a value: the pull request's number, e.g. --pr 42"]],
    [["simulate", "--repo", "--pr", "42"], ['countersign simulate: --repo needs a value, but "--pr" follows it: the repository, as owner/name, e.g. --repo acme/widgets']],
    [["simulate", "--repo", "a/b", "--repo", "c/d", "--pr", "1"], ['countersign simulate: --repo is given twice ("a/b", then "c/d"): give it once']],
    [["simulate", "acme/widgets", "42"], ['countersign simulate: unexpected argument "acme/widgets": values are given as options (it takes --repo, --pr, --format), e.g. countersign simulate --repo acme/widgets --pr 42']],
    [["simulate", "--rpo", "acme/widgets"], ["countersign simulate: unknown option --rpo (it takes --repo, --pr, --format); did you mean --repo?"]],
    [["audit", "export", "--foo"], ["countersign audit export: unknown option --foo (it takes --repo, --since, --format, --database-url)"]],
    [["audit", "export", "--since", "yesterday"], ['countersign audit export: --since must be a date, YYYY-MM-DD, e.g. --since 2026-11-01 (got "yesterday")']],
    [["audit", "export", "--format", "csv"], ['countersign audit export: --format must be jsonl or json, e.g. --format json (got "csv")']],
    [["audit", "verify", "--anchor", "abc"], ["countersign audit verify: --anchor must be an event hash (64 hex digits) recorded earlier"]],
    [["audit", "verify", "--repo", "acme/widgets"], ["countersign audit verify: unknown option --repo (it takes --anchor, --checkpoints, --file, --keys, --database-url)"]],
    [["audit", "verify", "-x"], ["countersign audit verify: unknown option -x (it takes --anchor, --checkpoints, --file, --keys, --database-url)"]],
  ])("%j", async (argv, problems) => {
    const result = await cli(argv, { GITHUB_TOKEN: "ghp_test" });
    const name = argv[0] === "audit" ? `audit ${argv[1]}` : argv[0];
    expect(result.code).toBe(EXIT.error);
    expect(result.out).toBe("");
    for (const problem of problems) expect(result.err).toContain(`${problem}`);
    expect(result.err).toContain(`\nusage: countersign ${name} `);
    expect(result.err).toContain(`Run \`countersign ${name} --help\` for the options, with examples.`);
    // Neither zod's nor parseArgs' own wording reaches the operator.
    expect(result.err).not.toMatch(/Invalid input|expected string|received undefined|ERR_PARSE_ARGS|positional arguments/);
  });

  test("no arguments: which command, and the usage, on stderr", async () => {
    const result = await cli([]);
    expect(result).toMatchObject({ code: EXIT.error, out: "" });
    expect(result.err).toContain("countersign: which command? (simulate, audit verify, audit export, audit checkpoint, audit checkpoint-key or evidence)");
    expect(result.err).toContain("usage: countersign simulate --repo <owner/name> --pr <number>");
    expect(result.err).toContain("Run `countersign --help`");
  });

  test.each([
    [["frobnicate"], "countersign: unknown command: frobnicate\n"],
    [["simualte"], "countersign: unknown command: simualte; did you mean `countersign simulate`?"],
    [["evidense", "--repo", "a/b"], "countersign: unknown command: evidense; did you mean `countersign evidence`?"],
    [["verify"], "countersign: unknown command: verify; did you mean `countersign audit verify`?"],
    [["audit"], "countersign: audit needs a command: verify, export, checkpoint or checkpoint-key"],
    [["audit", "--anchor", "x"], "countersign: audit needs a command: verify, export, checkpoint or checkpoint-key"],
    [["audit", "frobnicate"], "countersign: unknown audit command: frobnicate (audit takes verify, export, checkpoint or checkpoint-key)\n"],
    [["audit", "exprot"], "countersign: unknown audit command: exprot (audit takes verify, export, checkpoint or checkpoint-key); did you mean `countersign audit export`?"],
    [["help", "frobnicate"], "countersign: unknown command: frobnicate"],
    [["--repo", "acme/widgets"], "countersign: unknown option --repo before a command"],
  ])("%j names what is unknown, and suggests the command meant when it is obvious", async (argv, message) => {
    const result = await cli(argv);
    expect(result).toMatchObject({ code: EXIT.error, out: "" });
    expect(result.err).toContain(message);
    expect(result.err).toMatch(/usage: countersign (simulate|audit verify)/);
  });
});
