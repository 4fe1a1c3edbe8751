import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

// Signed checkpoints of the audit log, in the text formats transparency logs use, so that the
// database owner cannot rewrite history unseen: a checkpoint published where they have no write
// access (a check run on GitHub, the logs) pins the tree of every event up to its size.
//
// The body follows C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint):
//
//   <origin>                    the log's name (the key's name)
//   <tree size>                 decimal: the checkpoint covers events #1..#size
//   <root hash>                 base64 of the RFC 9162 Merkle tree hash over those events' hashes
//   head <hex>                  extension line: the hash of event #size (the chain head)
//   time <ISO 8601 UTC>         extension line: when it was signed
//
// and the signature follows C2SP signed-note (https://c2sp.org/signed-note): a blank line, then
// `— <key name> <base64(key id ‖ Ed25519 signature over the body)>`, where the key id is the first 4
// bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key). Keys are written as Go's
// golang.org/x/mod/sumdb/note writes them: `<name>+<hex key id>+<base64(0x01 ‖ public key)>` to
// verify, `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖ seed)>` to sign. The key id in every
// signature is what lets a rotated-out key keep verifying the checkpoints it signed.
// Pure (no I/O): signing and checking in memory with node:crypto.

const ED25519 = 0x01;
const EM_DASH = "\u2014";
// The DER wrappings of a raw 32-byte Ed25519 key (RFC 8410), for node:crypto.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const KEY_NAME = /^[^\s+]+$/;

/** A verifier key: its name, 4-byte id (hex), and Ed25519 public key. */
export interface CheckpointVerifier {
  name: string;
  keyId: string;
  publicKey: KeyObject;
  /** The key in note form, `<name>+<hex id>+<base64>`, as published. */
  encoded: string;
}

/** A signer key, with its verifier. */
export interface CheckpointSigner {
  verifier: CheckpointVerifier;
  privateKey: KeyObject;
}

function keyId(name: string, rawPublic: Buffer): string {
  return createHash("sha256").update(Buffer.concat([Buffer.from(`${name}\n`, "utf8"), Buffer.of(ED25519), rawPublic])).digest().subarray(0, 4).toString("hex");
}

function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
}

function verifierFor(name: string, publicKey: KeyObject): CheckpointVerifier {
  const raw = rawPublicKey(publicKey);
  const id = keyId(name, raw);
  return { name, keyId: id, publicKey, encoded: `${name}+${id}+${Buffer.concat([Buffer.of(ED25519), raw]).toString("base64")}` };
}

/** Splits a key's text on its first `count - 1` '+' signs: the base64 key data may hold '+' itself. */
function splitKey(text: string, count: number): string[] {
  const parts = text.trim().split("+");
  return parts.length <= count ? parts : [...parts.slice(0, count - 1), parts.slice(count - 1).join("+")];
}

function decodeKeyBytes(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== 33 || bytes[0] !== ED25519 || bytes.toString("base64") !== text) throw new Error(`${what}: not a base64 Ed25519 key (0x01 followed by 32 bytes)`);
  return bytes.subarray(1);
}

/** Parses a signer key, `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`; throws naming what is wrong (never the key). */
export function parseSignerKey(text: string): CheckpointSigner {
  const parts = splitKey(text, 5);
  if (parts.length !== 5 || parts[0] !== "PRIVATE" || parts[1] !== "KEY") throw new Error("the checkpoint key must read PRIVATE+KEY+<name>+<key id>+<key> (make one with `countersign audit checkpoint-key`)");
  const [, , name, id, encoded] = parts as [string, string, string, string, string];
  if (!KEY_NAME.test(name)) throw new Error("the checkpoint key's name must be non-empty, without spaces or '+'");
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, decodeKeyBytes(encoded, "the checkpoint key")]), format: "der", type: "pkcs8" });
  const verifier = verifierFor(name, createPublicKey(privateKey));
  if (verifier.keyId !== id) throw new Error(`the checkpoint key's id ${id} does not match its key (${verifier.keyId}): it was altered`);
  return { verifier, privateKey };
}

/** Parses a verifier key, `<name>+<hex id>+<base64(0x01 ‖ public key)>`. */
export function parseVerifierKey(text: string): CheckpointVerifier {
  const parts = splitKey(text, 3);
  if (parts.length !== 3) throw new Error(`${JSON.stringify(text.slice(0, 80))} is not a checkpoint public key (<name>+<key id>+<key>)`);
  const [name, id, encoded] = parts as [string, string, string];
  if (!KEY_NAME.test(name)) throw new Error(`${JSON.stringify(name)} is not a key name`);
  const publicKey = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, decodeKeyBytes(encoded, `the key ${name}`)]), format: "der", type: "spki" });
  const verifier = verifierFor(name, publicKey);
  if (verifier.keyId !== id) throw new Error(`the public key ${name}'s id ${id} does not match its key (${verifier.keyId})`);
  return verifier;
}

/** Makes a new signer key from 32 random bytes (the caller supplies them, so this stays pure). */
export function signerKeyFromSeed(name: string, seed: Buffer): { signer: CheckpointSigner; privateText: string } {
  if (!KEY_NAME.test(name)) throw new Error("a key name must be non-empty, without spaces or '+'");
  if (seed.length !== 32) throw new Error("an Ed25519 seed is 32 bytes");
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  const verifier = verifierFor(name, createPublicKey(privateKey));
  return { signer: { verifier, privateKey }, privateText: `PRIVATE+KEY+${name}+${verifier.keyId}+${Buffer.concat([Buffer.of(ED25519), seed]).toString("base64")}` };
}

/** What a checkpoint states. */
export interface Checkpoint {
  origin: string;
  /** Events #1..#treeSize are covered. */
  treeSize: number;
  /** The Merkle tree hash over their hashes, hex. */
  rootHash: string;
  /** The hash of event #treeSize. */
  headHash: string;
  /** When it was signed. */
  time: Date;
}

/** The checkpoint's body: the signed text. */
export function checkpointBody(checkpoint: Checkpoint): string {
  return `${checkpoint.origin}\n${checkpoint.treeSize}\n${Buffer.from(checkpoint.rootHash, "hex").toString("base64")}\nhead ${checkpoint.headHash}\ntime ${checkpoint.time.toISOString()}\n`;
}

/** Signs a note's text (which ends in a newline): the text, a blank line, and the signature line. */
export function signNote(body: string, signer: CheckpointSigner): string {
  if (!body.endsWith("\n")) throw new Error("a note's text ends with a newline");
  const signature = sign(null, Buffer.from(body, "utf8"), signer.privateKey);
  const blob = Buffer.concat([Buffer.from(signer.verifier.keyId, "hex"), signature]).toString("base64");
  return `${body}\n${EM_DASH} ${signer.verifier.name} ${blob}\n`;
}

/** Signs a checkpoint: its body as a signed note. */
export function signCheckpoint(checkpoint: Checkpoint, signer: CheckpointSigner): string {
  return signNote(checkpointBody(checkpoint), signer);
}

/** A checkpoint found in some text, and what checking its signature found. */
export type CheckedCheckpoint =
  | { ok: true; checkpoint: Checkpoint; keyName: string; keyId: string; note: string }
  | { ok: false; reason: string; note: string };

const BODY = /^([^\n]+)\n(\d{1,15})\n([A-Za-z0-9+/]{43}=)\nhead ([0-9a-f]{64})\ntime (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\n$/;
const SIGNATURE = new RegExp(`^${EM_DASH} (\\S+) ([A-Za-z0-9+/]+=*)$`);

/** Checks one note's signature against the known keys, and reads its body. */
export function checkCheckpoint(note: string, keys: readonly CheckpointVerifier[]): CheckedCheckpoint {
  const split = note.indexOf("\n\n");
  if (split === -1) return { ok: false, reason: "it has no signature", note };
  const body = note.slice(0, split + 1);
  const match = BODY.exec(body);
  if (!match) return { ok: false, reason: "its body is not a Countersign checkpoint (origin, size, root, head, time)", note };
  const lines = note.slice(split + 2).split("\n").filter((line) => line.length > 0);
  const problems: string[] = [];
  for (const line of lines) {
    const signature = SIGNATURE.exec(line);
    if (!signature) continue;
    const [, name, encoded] = signature as unknown as [string, string, string];
    const blob = Buffer.from(encoded, "base64");
    // Only the canonical encoding: base64 leaves spare bits in its last character, and a signature
    // whose text was changed there must not verify as though it were the one published.
    if (blob.length !== 68 || blob.toString("base64") !== encoded) continue;
    const id = blob.subarray(0, 4).toString("hex");
    const key = keys.find((candidate) => candidate.name === name && candidate.keyId === id);
    if (!key) {
      problems.push(`signed by ${name}+${id}, which is not among the public keys given`);
      continue;
    }
    if (!verify(null, Buffer.from(body, "utf8"), key.publicKey, blob.subarray(4))) {
      problems.push(`its signature by ${name}+${id} does not verify: the checkpoint was altered`);
      continue;
    }
    const [, origin, size, root, head, time] = match as unknown as [string, string, string, string, string, string];
    return { ok: true, checkpoint: { origin, treeSize: Number(size), rootHash: Buffer.from(root, "base64").toString("hex"), headHash: head, time: new Date(time) }, keyName: name, keyId: id, note };
  }
  return { ok: false, reason: problems.length > 0 ? problems.join("; ") : "it has no signature line", note };
}

// A note starts with its origin line and ends after its signature lines: found by the size, root,
// head and time lines that only a checkpoint has, wherever it sits (a check run's text, a log line).
const NOTE = new RegExp(`[^\\n"\`]+\\n\\d{1,15}\\n[A-Za-z0-9+/]{43}=\\nhead [0-9a-f]{64}\\ntime [^\\n]+\\n\\n(?:${EM_DASH} [^\\n]+\\n?)+`, "g");

/**
 * Finds every checkpoint note in a text: a file of notes, a saved check run (JSON: every string in
 * it is searched, so escaped newlines are read as newlines), or logs. Duplicates are dropped.
 */
export function findCheckpointNotes(text: string): string[] {
  const found = new Set<string>();
  const scan = (candidate: string) => {
    for (const match of candidate.matchAll(NOTE)) found.add(match[0].endsWith("\n") ? match[0] : `${match[0]}\n`);
  };
  scan(text);
  const walk = (value: unknown): void => {
    if (typeof value === "string") scan(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  for (const line of text.trim().startsWith("{") || text.trim().startsWith("[") ? [text, ...text.split("\n")] : text.split("\n")) {
    try {
      walk(JSON.parse(line));
    } catch {
      // Not JSON: already scanned as text.
    }
  }
  return [...found];
}
