import { createHash } from "node:crypto";

// Texts the audit chain refers to by hash (a task's issue as it stood, a PR's title, the files it
// changed, the policy files): the chain carries the SHA-256 of each text's UTF-8 bytes and its
// length, and the content store (src/db/content-texts.ts) carries the text, once. Agents write much
// of this text, so each is bounded before it is kept, and the evidence says when it was cut.

/** SHA-256 (hex) of a text's UTF-8 bytes: the key a text is stored and exported under. */
export function textHash(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** A text's length in UTF-8 bytes. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** A text within a size bound: the text kept, whether anything was cut, and its length in UTF-8 bytes. */
export interface CappedText {
  text: string;
  truncated: boolean;
  bytes: number;
}

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes, never inside a character (a cut that would split a
 * multi-byte character, or a surrogate pair, leaves the whole character out), so the kept text
 * round-trips through UTF-8 unchanged and its hash is the hash of what an auditor reads.
 */
export function capText(text: string, maxBytes: number): CappedText {
  const encoded = Buffer.from(text, "utf8");
  if (encoded.length <= maxBytes) return { text, truncated: false, bytes: encoded.length };
  let end = Math.max(0, maxBytes);
  // A continuation byte (10xxxxxx) at the cut means the character started before it: back up to its start.
  while (end > 0 && ((encoded[end] as number) & 0xc0) === 0x80) end -= 1;
  const kept = encoded.subarray(0, end).toString("utf8");
  return { text: kept, truncated: true, bytes: end };
}

/** Caps a text by characters (UTF-16 code points, never half a surrogate pair): a title as a reader counts it. */
export function capChars(text: string, maxChars: number): { text: string; truncated: boolean } {
  const chars = Array.from(text);
  return chars.length <= maxChars ? { text, truncated: false } : { text: chars.slice(0, maxChars).join(""), truncated: true };
}
