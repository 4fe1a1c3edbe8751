import { createHash } from "node:crypto";
import { describe, expect, test } from "@jest/globals";
import { MerkleTree, leafHash, verifyInclusion } from "../../../src/audit/merkle.js";

// The tree must be RFC 9162's, byte for byte: an auditor checks our roots and proofs with their own
// code. So it is compared with the RFC's recursive definition, written here as plainly as possible.

const sha = (...parts: Buffer[]) => createHash("sha256").update(Buffer.concat(parts)).digest();
const eventHashes = (n: number) => Array.from({ length: n }, (_, i) => sha(Buffer.from(`event ${i + 1}`)).toString("hex"));

function mth(leaves: string[]): Buffer {
  if (leaves.length === 0) return sha();
  if (leaves.length === 1) return sha(Buffer.of(0), Buffer.from(leaves[0] as string, "hex"));
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha(Buffer.of(1), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

function path(m: number, leaves: string[]): Buffer[] {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

describe("Merkle tree over the audit log", () => {
  test("the root of every prefix is RFC 9162's MTH, and every inclusion proof is its PATH and verifies", () => {
    const all = eventHashes(70);
    const tree = new MerkleTree(all);
    for (let size = 1; size <= all.length; size++) {
      const prefix = all.slice(0, size);
      const root = tree.root(size);
      expect(root).toBe(mth(prefix).toString("hex"));
      expect(new MerkleTree(prefix).root()).toBe(root);
      for (let index = 0; index < size; index++) {
        const proof = tree.inclusionProof(index, size);
        expect(proof).toEqual(path(index, prefix).map((node) => node.toString("hex")));
        expect(verifyInclusion(all[index] as string, index, size, proof, root)).toBe(true);
      }
    }
  });

  test("a proof fails for another event, another position, another size, a changed sibling or another root", () => {
    const all = eventHashes(13);
    const tree = new MerkleTree(all);
    const root = tree.root();
    const proof = tree.inclusionProof(5);
    expect(verifyInclusion(all[5] as string, 5, 13, proof, root)).toBe(true);
    expect(verifyInclusion(all[6] as string, 5, 13, proof, root)).toBe(false);
    expect(verifyInclusion(all[5] as string, 4, 13, proof, root)).toBe(false);
    // (A size with the same shape around the leaf, 12 here, gives the same walk: the size is bound by
    // the signed checkpoint, not by the proof.)
    expect(verifyInclusion(all[5] as string, 5, 6, proof, root)).toBe(false);
    expect(verifyInclusion(all[5] as string, 5, 13, proof.slice(1), root)).toBe(false);
    expect(verifyInclusion(all[5] as string, 5, 13, [...proof, proof[0] as string], root)).toBe(false);
    const changed = [...proof];
    changed[1] = `${(changed[1] as string).slice(0, 63)}${(changed[1] as string).endsWith("0") ? "1" : "0"}`;
    expect(verifyInclusion(all[5] as string, 5, 13, changed, root)).toBe(false);
    expect(verifyInclusion(all[5] as string, 5, 13, proof, tree.root(12))).toBe(false);
    expect(verifyInclusion(all[5] as string, 13, 13, proof, root)).toBe(false);
  });

  test("a leaf is domain-separated from a node, and a rewritten event changes every later root", () => {
    const all = eventHashes(8);
    expect(leafHash(all[0] as string).toString("hex")).toBe(sha(Buffer.of(0), Buffer.from(all[0] as string, "hex")).toString("hex"));
    const rewritten = [...all];
    rewritten[2] = eventHashes(9)[8] as string;
    const before = new MerkleTree(all);
    const after = new MerkleTree(rewritten);
    expect(after.root(2)).toBe(before.root(2));
    for (let size = 3; size <= 8; size++) expect(after.root(size)).not.toBe(before.root(size));
  });

  test("sizes beyond the tree are refused", () => {
    const tree = new MerkleTree(eventHashes(3));
    expect(() => tree.root(4)).toThrow("3 leaves");
    expect(() => tree.inclusionProof(3)).toThrow();
    expect(() => tree.inclusionProof(0, 4)).toThrow();
  });
});
