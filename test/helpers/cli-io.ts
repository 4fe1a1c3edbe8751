import type { CliIo } from "../../src/cli.js";

/** Captures what the CLI writes, for assertions. */
export function captureIo(): { io: CliIo; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return { io: { out: (text) => (out += text), err: (text) => (err += text) }, out: () => out, err: () => err };
}
