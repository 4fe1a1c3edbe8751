import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

// A policy file is text anyone with push access to a base branch can write, agents included, and the
// app parses every new version of it. Two things keep that cheap and off the event loop:
//
// - Limits, checked before and during parsing: the file's size (so a 1 MB file is refused without
//   being read as YAML), and its shape (how many values, how deep, how many aliases). The limits are
//   far above any real policy (the largest example in examples/ is 4.4 KB and under 100 values) and
//   bound what the main thread does with the result: validating, merging and compiling its globs,
//   once per version of the file (docs/benchmarks.md has the figures for the worst case).
// - Parsing in a worker thread. The `yaml` package needs about a microsecond per byte (a 64 KiB file
//   takes 50-150 ms), and its duplicate-key check is quadratic in the keys of one mapping (a 1 MB file
//   with 60,000 keys took 32 s). The worker parses with that check off and finds duplicates itself in
//   linear time; the event loop only waits for a message, so webhooks keep being answered while a
//   hostile file is parsed.

/** How large and how complex a policy file may be. */
export const POLICY_FILE_LIMITS = {
  /** Bytes (UTF-8) in one file: 64 KiB. */
  bytes: 64 * 1024,
  /** Values in one file (every mapping, list and scalar, each alias counted as what it repeats). */
  values: 3_000,
  /** Nesting of mappings and lists. */
  depth: 16,
  /** YAML aliases (`*name`), weighted as the `yaml` package does by what each repeats. */
  aliases: 100,
  /** How long one file may take to parse, in milliseconds. */
  parseMs: 5_000,
} as const;

/** A parsed policy file, or what is wrong with it (the key path, or `(file)` for the whole file). */
export type ParsedPolicyText = { ok: true; content: Record<string, unknown> } | { ok: false; path: string; message: string };

const KIB = 1024;

/** 65536 → "65,536" (without `toLocaleString`, whose first call loads locale data: milliseconds). */
function thousands(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+$)/g, ",");
}

/** Whether `text` is within the byte limit, without encoding it when its length already decides. */
function withinBytes(text: string): boolean {
  // UTF-8 spends one to three bytes per UTF-16 code unit.
  if (text.length > POLICY_FILE_LIMITS.bytes) return false;
  if (text.length * 3 <= POLICY_FILE_LIMITS.bytes) return true;
  return Buffer.byteLength(text, "utf8") <= POLICY_FILE_LIMITS.bytes;
}

/** What is wrong with a file of `bytes` bytes, over the limit: its size and the limit. */
export function tooLargeMessage(bytes: number): string {
  const size = bytes >= 10 * KIB ? `${thousands(Math.round(bytes / KIB))} KiB` : `${thousands(bytes)} bytes`;
  return `is ${size}; a policy file may be at most ${POLICY_FILE_LIMITS.bytes / KIB} KiB (${thousands(POLICY_FILE_LIMITS.bytes)} bytes)`;
}

// The worker's program: plain JavaScript (it runs as given, in jest as in production), CommonJS so
// it can `require` the same `yaml` package the app depends on, found by absolute path.
const WORKER_SOURCE = String.raw`
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const YAML = require(workerData.yaml);
const limits = workerData.limits;

function formatPath(path) {
  return path.reduce((text, key) => (typeof key === "number" ? text + "[" + key + "]" : text ? text + "." + key : String(key)), "");
}

class Refusal extends Error {
  constructor(path, message) {
    super(message);
    this.path = path.length > 0 ? formatPath(path) : "(file)";
  }
}

// Walks the document once: counts values, measures depth, finds duplicate keys (a Set per mapping:
// linear, where the parser's own check compares every key with every other).
function walk(node, path, depth, state) {
  if (node === null || node === undefined) return;
  if (depth > limits.depth) throw new Refusal(path, "is nested more than " + limits.depth + " levels deep");
  state.values += 1;
  if (state.values > limits.values) throw new Refusal([], "has more than " + limits.values.toLocaleString("en-US") + " values; a policy file may have at most " + limits.values.toLocaleString("en-US"));
  if (YAML.isAlias(node)) {
    state.aliases = true;
    return;
  }
  if (YAML.isMap(node)) {
    const seen = new Set();
    for (const pair of node.items) {
      const key = pair.key;
      if (key !== null && key !== undefined && !YAML.isScalar(key)) throw new Refusal(path, "has a key that is not plain text (a mapping, list or alias used as a key)");
      const name = key === null || key === undefined || key.value === null ? "" : String(key.value);
      if (seen.has(name)) throw new Refusal(path.concat(name), "is set twice in this file (a key may appear once in each mapping)");
      seen.add(name);
      walk(pair.value, path.concat(name), depth + 1, state);
    }
    return;
  }
  if (YAML.isSeq(node)) {
    node.items.forEach((item, index) => walk(item, path.concat(index), depth + 1, state));
  }
}

// Aliases repeat what they name: count the value as the validator will see it, stopping at the limit.
function countValues(root) {
  let values = 0;
  const stack = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    values += 1;
    if (values > limits.values) throw new Refusal([], "has more than " + limits.values.toLocaleString("en-US") + " values once its aliases are expanded; a policy file may have at most " + limits.values.toLocaleString("en-US"));
    if (Array.isArray(value)) for (const item of value) stack.push(item);
    else if (value !== null && typeof value === "object") for (const item of Object.values(value)) stack.push(item);
  }
}

function parsePolicy(text) {
  const doc = YAML.parseDocument(text, { uniqueKeys: false, maxAliasCount: limits.aliases, prettyErrors: true, logLevel: "silent" });
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    const line = error.linePos && error.linePos[0] ? " at line " + error.linePos[0].line : "";
    return { ok: false, path: "(file)", message: "could not be parsed (invalid YAML" + line + ")" };
  }
  const state = { values: 0, aliases: false };
  walk(doc.contents, [], 1, state);
  let content;
  try {
    content = doc.toJS({ maxAliasCount: limits.aliases });
  } catch (error) {
    return { ok: false, path: "(file)", message: "could not be parsed (" + (/alias/i.test(String(error && error.message)) ? "more YAML aliases than the " + limits.aliases + " allowed" : "invalid YAML") + ")" };
  }
  if (state.aliases) countValues(content);
  if (content === null || content === undefined) return { ok: true, content: {} };
  if (typeof content !== "object" || Array.isArray(content)) return { ok: false, path: "(file)", message: "could not be parsed (YAML is not an object)" };
  return { ok: true, content };
}

parentPort.on("message", (message) => {
  let result;
  try {
    result = parsePolicy(message.text);
  } catch (error) {
    result = error instanceof Refusal ? { ok: false, path: error.path, message: error.message } : { ok: false, path: "(file)", message: "could not be parsed (invalid YAML)" };
  }
  parentPort.postMessage({ id: message.id, result });
});
`;

interface Pending {
  id: number;
  text: string;
  resolve: (result: ParsedPolicyText) => void;
  reject: (error: Error) => void;
}

/**
 * One worker thread, parsing one file at a time in arrival order. It is started on first use and
 * keeps the process alive only while it has a file to parse (a CLI run ends when its work does); a
 * worker that fails (or exceeds its time) is replaced.
 */
class PolicyYamlWorker {
  private worker: Worker | null = null;
  private readonly queue: Pending[] = [];
  private current: { pending: Pending; timer: NodeJS.Timeout } | null = null;
  private nextId = 1;

  parse(text: string): Promise<ParsedPolicyText> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, text, resolve, reject });
      this.pump();
    });
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { yaml: createRequire(import.meta.url).resolve("yaml"), limits: POLICY_FILE_LIMITS },
      // Far more than a 64 KiB document needs; a runaway parse ends the worker, not the app.
      resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    });
    worker.unref();
    worker.on("message", (message: { id: number; result: ParsedPolicyText }) => {
      if (!this.current || this.current.pending.id !== message.id) return;
      clearTimeout(this.current.timer);
      const { pending } = this.current;
      this.current = null;
      pending.resolve(message.result);
      if (this.queue.length === 0) worker.unref();
      this.pump();
    });
    worker.on("error", (error: Error & { code?: string }) => this.fail(worker, error.code === "ERR_WORKER_OUT_OF_MEMORY" ? { ok: false, path: "(file)", message: "could not be parsed (the parser ran out of memory)" } : error));
    worker.on("exit", () => this.fail(worker, new Error("the policy parser's worker thread exited")));
    return worker;
  }

  /** Ends the worker; the file being parsed gets `outcome` (a problem) or fails with it (an error). */
  private fail(worker: Worker, outcome: ParsedPolicyText | Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    void worker.terminate();
    const current = this.current;
    this.current = null;
    if (current) {
      clearTimeout(current.timer);
      if (outcome instanceof Error) current.pending.reject(outcome);
      else current.pending.resolve(outcome);
    }
    this.pump();
  }

  private pump(): void {
    if (this.current) return;
    const pending = this.queue.shift();
    if (!pending) return;
    let worker: Worker;
    try {
      worker = this.worker ?? (this.worker = this.start());
    } catch (error) {
      pending.reject(error as Error);
      this.pump();
      return;
    }
    const timer = setTimeout(() => this.fail(worker, { ok: false, path: "(file)", message: `could not be parsed within ${POLICY_FILE_LIMITS.parseMs / 1000} s` }), POLICY_FILE_LIMITS.parseMs);
    timer.unref();
    this.current = { pending, timer };
    worker.ref();
    worker.postMessage({ id: pending.id, text: pending.text });
  }
}

const parser = new PolicyYamlWorker();

/**
 * Parses a policy file's YAML within the limits, in the worker thread. Resolves to the content (an
 * empty file is `{}`) or the problem; rejects only when the worker itself cannot run.
 */
export async function parsePolicyText(text: string): Promise<ParsedPolicyText> {
  if (!withinBytes(text)) return { ok: false, path: "(file)", message: tooLargeMessage(Buffer.byteLength(text, "utf8")) };
  if (text.trim() === "") return { ok: true, content: {} };
  return parser.parse(text);
}
