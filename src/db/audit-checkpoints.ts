import { isUniqueViolation, type Store } from "./store.js";

// Signed checkpoints of the audit log (src/audit/checkpoint.ts), as this database keeps them. The
// copy here is for convenience only (the latest one rides on check runs; `audit verify` can read them
// back): what makes a checkpoint a witness is that it was published where the database owner cannot
// reach, so nothing trusts these rows to prove the chain.

/** A checkpoint as stored. */
export interface StoredCheckpoint {
  treeSize: number;
  rootHash: string;
  headHash: string;
  note: string;
  keyId: string;
  createdAt: Date;
}

/** Saves a checkpoint; another one of the same size (another replica signed it first) is kept instead. */
export async function saveCheckpoint(db: Store, checkpoint: StoredCheckpoint): Promise<void> {
  try {
    await db.prisma.auditCheckpoint.create({ data: checkpoint });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
}

/** The checkpoint of the largest tree, or null when none was signed. */
export async function latestCheckpoint(db: Store): Promise<StoredCheckpoint | null> {
  return db.prisma.auditCheckpoint.findFirst({ orderBy: { treeSize: "desc" } });
}

/** Every stored checkpoint, smallest tree first. */
export async function storedCheckpoints(db: Store): Promise<StoredCheckpoint[]> {
  return db.prisma.auditCheckpoint.findMany({ orderBy: { treeSize: "asc" } });
}
