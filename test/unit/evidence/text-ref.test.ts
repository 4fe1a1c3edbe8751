import { createHash } from "node:crypto";
import { describe, expect, test } from "@jest/globals";
import { capChars, capText, textHash } from "../../../src/evidence/text-ref.js";

// Texts are cut on a UTF-8 boundary, so what is kept decodes to itself and hashes as an auditor
// rehashing the exported text would.

describe("capText", () => {
  test("a text within the bound is kept whole, with its UTF-8 length", () => {
    expect(capText("héllo", 6)).toEqual({ text: "héllo", truncated: false, bytes: 6 });
  });

  test.each([
    ["a two-byte character", "aé", 2, "a"],
    ["a three-byte character", "ab€", 4, "ab"],
    ["a four-byte character (a surrogate pair)", "a😀b", 3, "a"],
    ["at a boundary", "a😀b", 5, "a😀"],
  ])("a cut inside %s leaves the whole character out and is flagged", (_name, text, max, kept) => {
    const capped = capText(text, max);
    expect(capped).toEqual({ text: kept, truncated: true, bytes: Buffer.byteLength(kept) });
    // What is kept round-trips through UTF-8 unchanged: no replacement character.
    expect(Buffer.from(capped.text, "utf8").toString("utf8")).toBe(capped.text);
    expect(capped.text).not.toContain("\uFFFD");
    expect(capped.bytes).toBeLessThanOrEqual(max);
  });

  test("a title is capped by characters, never half a surrogate pair", () => {
    expect(capChars("😀".repeat(3), 2)).toEqual({ text: "😀😀", truncated: true });
    expect(capChars("short", 256)).toEqual({ text: "short", truncated: false });
  });

  test("textHash is SHA-256 of the UTF-8 bytes", () => {
    expect(textHash("é")).toBe(createHash("sha256").update(Buffer.from([0xc3, 0xa9])).digest("hex"));
  });
});
