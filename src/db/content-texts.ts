import { textHash, utf8Bytes } from "../evidence/text-ref.js";
import { isUniqueViolation, type Store } from "./store.js";

// The content store: texts the audit chain refers to by SHA-256 (task snapshots, policy files, the
// paths a decision saw), each kept once. A text's row never changes: its key is its content's hash,
// so storing it again is a no-op, and an existing row is never rewritten.

/** How many stored hashes a process remembers, so a text stored once is not written again on every decision. */
const REMEMBERED = 10_000;

/** Stores `text` under its SHA-256 (hex) unless it is stored already; returns the hash and the text's UTF-8 length. */
export async function storeText(db: Store, text: string): Promise<{ hash: string; bytes: number }> {
  const hash = textHash(text);
  const bytes = utf8Bytes(text);
  if (db.storedTexts.has(hash)) return { hash, bytes };
  try {
    await db.prisma.contentText.create({ data: { hash, text, bytes } });
  } catch (error) {
    // Stored before (by this process or a replica): the row is the same text, by its key.
    if (!isUniqueViolation(error)) throw error;
  }
  if (db.storedTexts.size >= REMEMBERED) db.storedTexts.clear();
  db.storedTexts.add(hash);
  return { hash, bytes };
}

/** The stored texts of `hashes`, by hash; a hash with no text is absent from the map. */
export async function readTexts(db: Store, hashes: Iterable<string>): Promise<Map<string, string>> {
  const wanted = [...new Set(hashes)];
  const texts = new Map<string, string>();
  // Bounded batches: one `IN` list per few hundred hashes keeps every statement small on both databases.
  for (let start = 0; start < wanted.length; start += 500) {
    const rows = await db.prisma.contentText.findMany({ where: { hash: { in: wanted.slice(start, start + 500) } }, select: { hash: true, text: true } });
    for (const row of rows) texts.set(row.hash, row.text);
  }
  return texts;
}
