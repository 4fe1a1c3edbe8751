import { checkCheckpoint, type CheckpointVerifier } from "./checkpoint.js";
import { MerkleTree } from "./merkle.js";

// What signed checkpoints say about a chain: for each checkpoint, whether the chain as it is now still
// holds, unchanged, the events the checkpoint witnessed. The hash chain alone cannot show this: whoever
// can write the database can rewrite an event and recompute every later hash, and the chain verifies.
// They cannot re-sign checkpoints already published on GitHub or in logs. Pure.

/** What one checkpoint says about the chain. */
export type CheckpointVerdict =
  /** Events #1..#treeSize are exactly those the checkpoint signed. */
  | { status: "holds"; treeSize: number; key: string; time: Date }
  /** The checkpoint is genuine and the chain contradicts it: events were rewritten or cut. */
  | { status: "contradicted"; treeSize: number; key: string; time: Date; reason: string }
  /** The note's signature does not verify with the keys given: it says nothing (a forgery, an edit, or a missing key). */
  | { status: "unverified"; reason: string };

/**
 * Checks each checkpoint note against the chain's event hashes (`hashes[i]` is event #i+1's, as far
 * as the chain verified). `complete` is false when the chain broke after `hashes`: a checkpoint past
 * them cannot be confirmed, and says so.
 */
export function checkpointVerdicts(hashes: readonly string[], notes: readonly string[], keys: readonly CheckpointVerifier[], complete = true): CheckpointVerdict[] {
  const tree = new MerkleTree(hashes);
  return notes.map((note): CheckpointVerdict => {
    const checked = checkCheckpoint(note, keys);
    if (!checked.ok) return { status: "unverified", reason: checked.reason };
    const { treeSize, rootHash, headHash, time } = checked.checkpoint;
    const key = `${checked.keyName}+${checked.keyId}`;
    const contradicted = (reason: string): CheckpointVerdict => ({ status: "contradicted", treeSize, key, time, reason });
    if (treeSize > hashes.length) {
      return contradicted(
        complete
          ? `it covers ${treeSize} events, and the log holds ${hashes.length}: events #${hashes.length + 1}..#${treeSize} were cut`
          : `it covers ${treeSize} events, and the chain verified only up to #${hashes.length}`,
      );
    }
    if (hashes[treeSize - 1] !== headHash) return contradicted(`event #${treeSize} is not the head it signed (${headHash.slice(0, 12)}…): the log was rewritten at or before #${treeSize}`);
    if (tree.root(treeSize) !== rootHash) return contradicted(`events #1..#${treeSize} no longer form the tree it signed: the log was rewritten before #${treeSize}`);
    return { status: "holds", treeSize, key, time };
  });
}
