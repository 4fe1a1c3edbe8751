#!/usr/bin/env node
import { runCli } from "./cli.js";

// The `countersign` command (package.json "bin", run by `npx countersign` from lib/bin.js, which
// `npm install` builds): see src/cli.ts and src/cli/.
runCli(process.argv.slice(2), process.env, { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`countersign: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
