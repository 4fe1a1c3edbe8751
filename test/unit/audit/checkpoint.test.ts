import { randomBytes } from "node:crypto";
import { describe, expect, test } from "@jest/globals";
import { checkCheckpoint, findCheckpointNotes, parseSignerKey, parseVerifierKey, signCheckpoint, signerKeyFromSeed, signNote, type Checkpoint } from "../../../src/audit/checkpoint.js";

// Checkpoints must be readable by tools that are not ours: the signed-note format is checked against
// the example that golang.org/x/mod/sumdb/note documents (ExampleSign/ExampleOpen), byte for byte.

const GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

const checkpoint: Checkpoint = {
  origin: "countersign.acme.example",
  treeSize: 1234,
  rootHash: "3f".repeat(32),
  headHash: "a1".repeat(32),
  time: new Date("2026-12-07T14:30:00.000Z"),
};

describe("checkpoint keys and signed notes", () => {
  test("keys and signatures are exactly Go's note package's", () => {
    const signer = parseSignerKey(GO_SIGNER);
    expect(signer.verifier.encoded).toBe(GO_VERIFIER);
    expect(signer.verifier.keyId).toBe("c74f20a3");
    expect(parseVerifierKey(GO_VERIFIER).keyId).toBe("c74f20a3");
    expect(signNote(GO_TEXT, signer)).toBe(GO_NOTE);
  });

  test("a made key round-trips through its text form", () => {
    const { signer, privateText } = signerKeyFromSeed("countersign.acme.example", randomBytes(32));
    expect(privateText).toMatch(/^PRIVATE\+KEY\+countersign\.acme\.example\+[0-9a-f]{8}\+/);
    const parsed = parseSignerKey(privateText);
    expect(parsed.verifier.encoded).toBe(signer.verifier.encoded);
    expect(parseVerifierKey(signer.verifier.encoded).keyId).toBe(signer.verifier.keyId);
  });

  test("a key with an altered id, a wrong shape or a bad name is refused, and the error never repeats the key", () => {
    const { privateText } = signerKeyFromSeed("log", randomBytes(32));
    const secret = privateText.split("+").slice(4).join("+");
    const altered = privateText.replace(/\+[0-9a-f]{8}\+/, "+00000000+");
    for (const bad of [altered, privateText.replace("PRIVATE+KEY+", ""), `${privateText}x`, "PRIVATE+KEY+a b+00000000+AAAA"]) {
      let message = "";
      try {
        parseSignerKey(bad);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).not.toBe("");
      expect(message).not.toContain(secret);
    }
    expect(() => parseVerifierKey("log+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")).toThrow("does not match");
  });
});

describe("checkpoints", () => {
  const current = signerKeyFromSeed("countersign.acme.example", randomBytes(32)).signer;
  const retired = signerKeyFromSeed("countersign.acme.example", randomBytes(32)).signer;

  test("a signed checkpoint is the documented text, and checks out with its key", () => {
    const note = signCheckpoint(checkpoint, current);
    const [body, signature] = note.split("\n\n");
    expect(body).toBe(`countersign.acme.example\n1234\n${Buffer.from("3f".repeat(32), "hex").toString("base64")}\nhead ${"a1".repeat(32)}\ntime 2026-12-07T14:30:00.000Z`);
    expect(signature).toMatch(/^\u2014 countersign\.acme\.example [A-Za-z0-9+/]{91}=\n$/);
    const checked = checkCheckpoint(note, [current.verifier]);
    expect(checked).toEqual({ ok: true, checkpoint, keyName: "countersign.acme.example", keyId: current.verifier.keyId, note });
  });

  test("one changed byte anywhere in the body, or in the signature, fails", () => {
    const note = signCheckpoint(checkpoint, current);
    const bodyEnd = note.indexOf("\n\n");
    for (let i = 0; i < bodyEnd; i += 7) {
      const char = note[i] as string;
      if (char === "\n") continue;
      const replacement = /[0-9]/.test(char) ? String((Number(char) + 1) % 10) : char === "a" ? "b" : "a";
      const changed = note.slice(0, i) + replacement + note.slice(i + 1);
      expect(checkCheckpoint(changed, [current.verifier]).ok).toBe(false);
    }
    const sigAt = note.length - 10;
    const forged = note.slice(0, sigAt) + (note[sigAt] === "A" ? "B" : "A") + note.slice(sigAt + 1);
    const result = checkCheckpoint(forged, [current.verifier]);
    expect(result.ok).toBe(false);
  });

  test("a signature whose last character differs only in base64's spare bits is a changed signature, not the same one", () => {
    // 68 bytes are 91 characters and '=': the last character's two low bits encode nothing, so four
    // texts decode to one signature. CI once changed such a character and the export still verified.
    const note = signCheckpoint(checkpoint, current);
    const last = note.length - 3;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const index = alphabet.indexOf(note[last] as string);
    const variants = [0, 1, 2, 3].map((low) => alphabet[(index & ~3) | low] as string).filter((char) => char !== note[last]);
    expect(variants).toHaveLength(3);
    for (const char of variants) {
      const changed = note.slice(0, last) + char + note.slice(last + 1);
      expect(Buffer.from(changed.slice(changed.lastIndexOf(" ") + 1, -1), "base64")).toEqual(Buffer.from(note.slice(note.lastIndexOf(" ") + 1, -1), "base64"));
      expect(checkCheckpoint(changed, [current.verifier]).ok).toBe(false);
    }
  });

  test("an unknown key is named; a rotated-out key still verifies what it signed", () => {
    const old = signCheckpoint(checkpoint, retired);
    const unknown = checkCheckpoint(old, [current.verifier]);
    expect(unknown).toMatchObject({ ok: false, reason: `signed by countersign.acme.example+${retired.verifier.keyId}, which is not among the public keys given` });
    expect(checkCheckpoint(old, [current.verifier, retired.verifier])).toMatchObject({ ok: true, keyId: retired.verifier.keyId });
  });

  test("notes are found in a file of notes, in a saved check run's JSON and in JSON log lines, once each", () => {
    const a = signCheckpoint(checkpoint, current);
    const b = signCheckpoint({ ...checkpoint, treeSize: 1240, time: new Date("2026-12-07T14:35:00.000Z") }, current);
    expect(findCheckpointNotes(`${a}\n${b}`)).toEqual([a, b]);
    const checkRun = JSON.stringify({ id: 7, output: { title: "Countersigned", summary: "…", text: `Audit checkpoint:\n\n\`\`\`\n${a}\`\`\`\n` } });
    expect(findCheckpointNotes(checkRun)).toEqual([a]);
    const logs = [JSON.stringify({ level: 30, msg: "audit checkpoint signed", note: b }), JSON.stringify({ level: 30, msg: "other" }), JSON.stringify({ msg: "again", note: b })].join("\n");
    expect(findCheckpointNotes(logs)).toEqual([b]);
    for (const found of [...findCheckpointNotes(checkRun), ...findCheckpointNotes(logs)]) expect(checkCheckpoint(found, [current.verifier]).ok).toBe(true);
  });
});
