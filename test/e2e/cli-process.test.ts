import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "@jest/globals";
import { openDatabase } from "../../src/db/client.js";
import { freePort, root } from "./app-process.js";

// `countersign` as an operator runs it: the built lib/bin.js (package.json's "bin") in its own
// process, with only the environment given here. What is checked is what a terminal shows: stdout,
// stderr and the exit code.

const VERSION = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
const scratch = mkdtempSync(path.join(tmpdir(), "countersign-cli-e2e-"));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args` in the project directory and collects what it printed. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `node lib/bin.js …`. */
function countersign(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return run(process.execPath, ["lib/bin.js", ...args], env);
}

describe("the countersign command, as a separate process", () => {
  test("--help prints the usage on stdout and exits 0", async () => {
    const result = await countersign(["--help"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("usage: countersign <command> [options]");
    expect(result.stdout).toContain("countersign simulate --repo acme/widgets --pr 42");
  });

  test("simulate --help and audit verify -h print their own usage", async () => {
    const simulate = await countersign(["simulate", "--help"]);
    expect(simulate).toMatchObject({ code: 0, stderr: "" });
    expect(simulate.stdout).toContain("usage: countersign simulate --repo <owner/name> --pr <number> [--format md|json]");
    const verify = await countersign(["audit", "verify", "-h"]);
    expect(verify).toMatchObject({ code: 0, stderr: "" });
    expect(verify.stdout).toContain("usage: countersign audit verify [--anchor <hash>] [--checkpoints <file|github:owner/repo[@ref]>] [--file <export>] [--keys <file>] [--database-url <url>]");
  });

  test("--version prints package.json's version", async () => {
    expect(await countersign(["--version"])).toEqual({ code: 0, stdout: `countersign ${VERSION}\n`, stderr: "" });
  });

  test("npx countersign runs the built command from the project, with no build step", async () => {
    expect(await run("npx", ["--offline", "countersign", "--version"])).toMatchObject({ code: 0, stdout: `countersign ${VERSION}\n` });
  });

  test("no arguments: the usage on stderr, exit 1", async () => {
    const result = await countersign([]);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toContain("usage: countersign simulate --repo <owner/name> --pr <number>");
  });

  test("simulate with a bad argument names it and exits 1, before asking GitHub anything", async () => {
    const result = await countersign(["simulate", "--repo=acme", "--pr", "42"], { GITHUB_TOKEN: "ghp_test" });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      'countersign simulate: --repo must be owner/name, e.g. --repo acme/widgets (got "acme")\n\nusage: countersign simulate --repo <owner/name> --pr <number> [--format md|json]\nRun `countersign simulate --help` for the options, with examples.\n',
    );
  });

  test("simulate against a GitHub Enterprise Server nothing listens on names the host and the settings, not HTTP 500", async () => {
    const port = await freePort();
    const token = "ghp_never_printed_0123456789";
    const result = await countersign(["simulate", "--repo", "acme/widgets", "--pr", "42"], { GITHUB_TOKEN: token, GHE_HOST: `127.0.0.1:${port}`, GHE_PROTOCOL: "http", DATABASE_URL: `file:${path.join(scratch, "none.db")}` });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `countersign simulate: could not reach 127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}: connection refused: nothing listens there). simulate talks to http://127.0.0.1:${port}/api/v3: GHE_HOST=127.0.0.1:${port} and GHE_PROTOCOL=http point there\n`,
    );
  });

  test("audit verify on a database file that does not exist says so and exits 1", async () => {
    const missing = path.join(scratch, "missing.db");
    const result = await countersign(["audit", "verify", "--database-url", `file:${missing}`]);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toBe(`countersign audit verify: no database at ${missing}: pass --database-url, or set DATABASE_URL, to the app's database (e.g. file:./data/countersign.db)\n`);
  });

  test("audit verify on the app's (empty) database verifies and exits 0", async () => {
    const file = path.join(scratch, "countersign.db");
    await (await openDatabase(`file:${file}`)).close();
    const result = await countersign(["audit", "verify", `--database-url=file:${file}`]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(`Audit log verified: it is empty.\nUnsealed rows: none.\nDatabase: ${file}\n`);
  });
});
