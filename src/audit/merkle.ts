import { createHash } from "node:crypto";

// A Merkle tree over the audit log's event hashes, exactly as RFC 9162 (Certificate Transparency 2.0,
// section 2.1) defines it, so any transparency-log library can check our proofs. Leaf i is event
// #(i+1)'s hash (its 32 bytes); leaves are hashed with a 0x00 prefix and inner nodes with 0x01, so a
// leaf can never pass for a node. Why a tree beside the hash chain: a signed checkpoint names one
// root, and with the tree an export can prove that one pull request's events sit under that root with
// a few dozen hashes (an inclusion proof), without carrying every other event in between.
// Pure: used by the checkpoint signer, `audit export` and `audit verify`.

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest();
}

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

/** The hash of a leaf: SHA-256(0x00 ‖ the event hash's 32 bytes). */
export function leafHash(eventHash: string): Buffer {
  return sha256(LEAF, Buffer.from(eventHash, "hex"));
}

function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE, left, right);
}

/** The largest power of two strictly below `n` (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * A tree over a list of event hashes, kept as levels of complete subtrees (level h holds the hash of
 * every aligned run of 2^h leaves), so the root of any prefix and any proof costs O(log² n) once the
 * levels are built (2n hashes).
 */
export class MerkleTree {
  private readonly levels: Buffer[][];

  /** Builds the tree over `eventHashes` (hex, in `seq` order: index 0 is event #1). */
  constructor(eventHashes: readonly string[]) {
    const levels: Buffer[][] = [eventHashes.map(leafHash)];
    for (let level = levels[0] as Buffer[]; level.length > 1; ) {
      const next: Buffer[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i] as Buffer, level[i + 1] as Buffer));
      levels.push(next);
      level = next;
    }
    this.levels = levels;
  }

  /** How many leaves the tree holds. */
  get size(): number {
    return this.levels[0]?.length ?? 0;
  }

  /** MTH(D[start:end]) of RFC 9162, for the ranges its recursion visits. */
  private rangeHash(start: number, end: number): Buffer {
    const n = end - start;
    if (n === 0) return sha256();
    // An aligned complete subtree is stored.
    if ((n & (n - 1)) === 0 && start % n === 0) return this.levels[Math.log2(n)]?.[start / n] as Buffer;
    const k = splitPoint(n);
    return nodeHash(this.rangeHash(start, start + k), this.rangeHash(start + k, end));
  }

  /** The root (hex) of the tree over the first `size` leaves: what a checkpoint of that size signs. */
  root(size = this.size): string {
    if (size > this.size) throw new Error(`the tree holds ${this.size} leaves, not ${size}`);
    return this.rangeHash(0, size).toString("hex");
  }

  /** The inclusion proof (RFC 9162 PATH) of leaf `index` (0-based: event #index+1) in the tree of `size`. */
  inclusionProof(index: number, size = this.size): string[] {
    if (index < 0 || index >= size || size > this.size) throw new Error(`no leaf ${index} in a tree of ${size}`);
    const path: Buffer[] = [];
    let start = 0;
    let end = size;
    let m = index;
    // Walk down from the root, recording the sibling at each split; RFC 9162 lists them leaf-first.
    while (end - start > 1) {
      const k = splitPoint(end - start);
      if (m < k) {
        path.push(this.rangeHash(start + k, end));
        end = start + k;
      } else {
        path.push(this.rangeHash(start, start + k));
        start += k;
        m -= k;
      }
    }
    return path.reverse().map((hash) => hash.toString("hex"));
  }
}

/**
 * Checks an inclusion proof (RFC 9162, section 2.1.3.2): that the event with `eventHash`, at leaf
 * `index` (0-based), is in the tree of `size` leaves whose root is `root` (hex).
 */
export function verifyInclusion(eventHash: string, index: number, size: number, proof: readonly string[], root: string): boolean {
  if (index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash(eventHash);
  for (const hex of proof) {
    if (sn === 0) return false;
    const p = Buffer.from(hex, "hex");
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.toString("hex") === root;
}
