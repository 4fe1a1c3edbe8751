import { checkCheckpoint, signCheckpoint, type Checkpoint, type CheckpointSigner, type CheckpointVerifier } from "../audit/checkpoint.js";
import { eventHash, GENESIS } from "../audit/chain.js";
import { MerkleTree } from "../audit/merkle.js";
import { latestCheckpoint, saveCheckpoint } from "../db/audit-checkpoints.js";
import { chainHead, readChainAfter, readChainLinks } from "../db/audit-log.js";
import type { Store } from "../db/client.js";

// Signing checkpoints of the audit log: the tree head over every event so far, signed with the
// checkpoint key (src/audit/checkpoint.ts for the format). A checkpoint is worth something only once
// it is published beyond the database's reach, so the newest one rides on every check run the app
// writes (check-run-publisher.ts) and is logged; `audit verify --checkpoints` then proves that no
// event up to it was rewritten or cut, even by someone who recomputed every hash.
//
// Before signing, the signer checks what it signs: every link of the chain, the contents of every
// event the previous checkpoint did not cover, and that the previous checkpoint's tree is still the
// prefix of this one. A log that fails any of these is not signed (a signature would launder the
// rewrite): the caller logs and counts the refusal, and the check runs keep the last good checkpoint.

/** What one signing round came to. */
export type CheckpointOutcome =
  | { kind: "signed"; note: string; checkpoint: Checkpoint }
  | { kind: "unchanged"; note: string; treeSize: number }
  | { kind: "empty" }
  | { kind: "refused"; reason: string };

/** The checkpoint key, the keys it replaced, and the newest checkpoint this process knows. */
export class AuditCheckpoints {
  /** The newest checkpoint note signed or found (what check runs carry); null before the first. */
  latestNote: string | null = null;

  constructor(
    readonly signer: CheckpointSigner,
    readonly retired: readonly CheckpointVerifier[],
  ) {}

  /** Every key a checkpoint of this log may be signed with, the current one first. */
  get publicKeys(): CheckpointVerifier[] {
    return [this.signer.verifier, ...this.retired];
  }

  /** Signs the log's head now, unless it is unchanged since the last checkpoint, empty, or fails its checks. */
  async sign(db: Store, clock: () => Date): Promise<CheckpointOutcome> {
    const outcome = await signLogHead(db, this.signer, this.publicKeys, clock);
    if (outcome.kind === "signed" || outcome.kind === "unchanged") this.latestNote = outcome.note;
    return outcome;
  }
}

/** The log's event hashes, in order, once every link is checked; or why the log is not sound. */
async function chainHashes(db: Store): Promise<{ ok: true; hashes: string[] } | { ok: false; reason: string }> {
  const hashes: string[] = [];
  let previous = GENESIS;
  for await (const page of readChainLinks(db)) {
    for (const row of page) {
      if (row.seq !== hashes.length + 1) return { ok: false, reason: `event #${row.seq} follows #${hashes.length}: events were removed` };
      if (row.hash === null || row.prevHash === null) return { ok: false, reason: `event #${row.seq} is not sealed into the chain` };
      if (row.prevHash !== previous) return { ok: false, reason: `event #${row.seq} does not link to the event before it` };
      hashes.push(row.hash);
      previous = row.hash;
    }
  }
  return { ok: true, hashes };
}

/** Recomputes the hash of every event after `after` up to `size`: their contents must match what the tree will sign. */
async function contentsProblem(db: Store, after: number, size: number): Promise<string | null> {
  for await (const page of readChainAfter(db, after)) {
    for (const event of page) {
      if (event.seq > size) return null;
      if (eventHash(event) !== event.hash) return `event #${event.seq} (${event.type}) does not match its hash: its contents were altered`;
    }
  }
  return null;
}

/** How a signing round behaves: the app stores its checkpoints and signs only a moved head; the CLI does neither. */
export interface SigningMode {
  /** Save the checkpoint in the database. */
  store: boolean;
  /** Sign even when the head has not moved since the last checkpoint. */
  always: boolean;
}

/** Checks the log and signs its head (see the top of this file). */
export async function signLogHead(db: Store, signer: CheckpointSigner, keys: readonly CheckpointVerifier[], clock: () => Date, mode: SigningMode = { store: true, always: false }): Promise<CheckpointOutcome> {
  const previous = await latestCheckpoint(db);
  // The previous checkpoint counts only if it is ours: a row anyone could have written proves nothing.
  const previousChecked = previous ? checkCheckpoint(previous.note, keys) : null;
  const prior = previousChecked?.ok ? previousChecked.checkpoint : null;
  // Nothing appended since (the head is the one signed): nothing to sign, and no need to read the
  // whole log every few minutes. A rewrite meanwhile is still found: it changes the head's hash, and
  // the next round with new events checks the previous tree in full.
  if (prior && !mode.always) {
    const head = await chainHead(db);
    if (head && head.seq === prior.treeSize && head.hash === prior.headHash) return { kind: "unchanged", note: previous?.note as string, treeSize: prior.treeSize };
  }
  const chain = await chainHashes(db);
  if (!chain.ok) return { kind: "refused", reason: chain.reason };
  const size = chain.hashes.length;
  if (size === 0) return { kind: "empty" };
  const tree = new MerkleTree(chain.hashes);
  if (prior) {
    if (prior.treeSize > size) return { kind: "refused", reason: `checkpoint ${prior.treeSize} was signed, but the log now holds ${size} events: events were cut` };
    if (tree.root(prior.treeSize) !== prior.rootHash) return { kind: "refused", reason: `the first ${prior.treeSize} events no longer form the tree checkpoint ${prior.treeSize} signed: the log was rewritten` };
    if (prior.treeSize === size && !mode.always) return { kind: "unchanged", note: previous?.note as string, treeSize: size };
  }
  const problem = await contentsProblem(db, prior?.treeSize ?? 0, size);
  if (problem) return { kind: "refused", reason: problem };
  const checkpoint: Checkpoint = { origin: signer.verifier.name, treeSize: size, rootHash: tree.root(), headHash: chain.hashes[size - 1] as string, time: clock() };
  const note = signCheckpoint(checkpoint, signer);
  if (mode.store) await saveCheckpoint(db, { treeSize: size, rootHash: checkpoint.rootHash, headHash: checkpoint.headHash, note, keyId: `${signer.verifier.name}+${signer.verifier.keyId}`, createdAt: checkpoint.time });
  return { kind: "signed", note, checkpoint };
}
