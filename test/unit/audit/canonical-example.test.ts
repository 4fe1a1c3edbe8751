import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@jest/globals";
import { canonicalEvent, eventHash } from "../../../src/audit/chain.js";

// docs/audit.md promises an auditor can write their own verifier from its description of the
// canonical form. Its worked example must be what the code hashes, byte for byte, and its hash right.

const docs = readFileSync(path.resolve(import.meta.dirname, "../../../docs/audit.md"), "utf8");

test("the worked example in docs/audit.md is the code's canonical form, and its stated hash is its SHA-256", () => {
  const block = /<!-- canonical-example -->\n```text\n(.+)\n```\n\nSHA-256 of those bytes \(no trailing newline\): `([0-9a-f]{64})`/.exec(docs);
  expect(block).not.toBeNull();
  const [, line, stated] = block as unknown as [string, string, string];
  const fields = JSON.parse(line) as [string, number, string, number | null, string | null, number | null, string | null, number | null, string | null, string | null, string, string, string];
  expect(fields).toHaveLength(13);
  expect(fields[0]).toBe("countersign-audit/1");
  const [, seq, type, repoId, repoFullName, subjectNumber, sha, actorId, actorLogin, deliveryId, payload, at, prevHash] = fields;
  const event = { seq, type, repoId, repoFullName, subjectNumber, sha, actorId, actorLogin, deliveryId, payload, createdAt: new Date(at), prevHash };
  expect(canonicalEvent(event)).toBe(line);
  expect(createHash("sha256").update(line, "utf8").digest("hex")).toBe(stated);
  expect(eventHash(event)).toBe(stated);
});

test("the documented escapes are JSON.stringify's", () => {
  expect(JSON.stringify(["\"\\\b\f\n\r\t\u0001é€😀"])).toBe('["\\"\\\\\\b\\f\\n\\r\\t\\u0001é€😀"]');
});
