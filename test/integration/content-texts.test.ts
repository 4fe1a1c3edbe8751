import { describe, expect, test } from "@jest/globals";
import { openDatabase } from "../../src/db/client.js";
import { readTexts, storeText } from "../../src/db/content-texts.js";
import { textHash } from "../../src/evidence/text-ref.js";
import { useScratchDatabase } from "../helpers/scratch-database.js";

// The content store, on SQLite and (with COUNTERSIGN_TEST_DATABASE=postgres) on PostgreSQL: a text is
// kept once under its SHA-256, storing it again (from this process or a replica) changes nothing,
// and the texts read back are byte for byte what was stored.

const { opened, scratch } = useScratchDatabase();

describe("the content store", () => {
  test("a text is stored once under its SHA-256; storing it again, here or from a replica, keeps the one row", async () => {
    const text = "Fix the login bug\n\nSteps: é ✓ 😀";
    const first = await storeText(opened().db, text);
    expect(first).toEqual({ hash: textHash(text), bytes: Buffer.byteLength(text, "utf8") });
    expect(await storeText(opened().db, text)).toEqual(first);
    const replica = await openDatabase(scratch().url, { migrate: false });
    try {
      // A replica has not stored it itself: its insert meets the row and leaves it.
      expect(await storeText(replica.db, text)).toEqual(first);
    } finally {
      await replica.close();
    }
    const rows = await scratch().rows(`SELECT "hash", "text", "bytes" FROM "ContentText"`);
    expect(rows).toEqual([{ hash: first.hash, text, bytes: first.bytes }]);
  });

  test("readTexts returns the stored texts by hash, and leaves out hashes it has none for", async () => {
    const a = await storeText(opened().db, "policy: a\n");
    const b = await storeText(opened().db, "");
    const missing = "0".repeat(64);
    const texts = await readTexts(opened().db, [a.hash, b.hash, missing, a.hash]);
    expect([...texts.entries()].sort()).toEqual([[a.hash, "policy: a\n"], [b.hash, ""]].sort());
    expect(texts.has(missing)).toBe(false);
    expect(await readTexts(opened().db, [])).toEqual(new Map());
  });
});
