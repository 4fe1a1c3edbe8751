import { existsSync } from "node:fs";
import { databaseProvider, openDatabase, redactDatabaseUrl, sqlitePath, type Store, type OpenDatabase } from "../../db/client.js";
import { MerkleTree } from "../../audit/merkle.js";
import { latestCheckpoint } from "../../db/audit-checkpoints.js";
import { chainHead, readChainLinks, type ChainHead } from "../../db/audit-log.js";
import { agentPullRequests, currentRepositoryName, pullRequestEvents } from "../../db/pr-records.js";
import { readTexts } from "../../db/content-texts.js";
import { buildStory, referencedTextHashes, type PullRequestStory } from "../../evidence/pr-story.js";

// Read-only access to the app's audit log for the operator tools (`countersign audit ...` and
// `countersign evidence`). They run beside a live app, or on a copy an auditor was handed, so they
// never create, migrate or write the database: a tool that "fixed" what it was asked to inspect would
// destroy the evidence.

/** The database the tools read: `--database-url`, else `DATABASE_URL`, else the app's default. */
export function auditDatabaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? env.DATABASE_URL ?? "file:./data/countersign.db";
}

/**
 * Opens an existing Countersign database for reading. A missing file is an error (opening it would
 * create an empty one, and an empty log "verifies"); so is a database that predates the hash chain.
 */
export async function openAuditDatabase(url: string): Promise<OpenDatabase> {
  const postgres = databaseProvider(url) === "postgres";
  const where = postgres ? redactDatabaseUrl(url) : sqlitePath(url);
  if (!postgres && !existsSync(where)) throw new Error(`no database at ${where}: pass --database-url, or set DATABASE_URL, to the app's database (e.g. file:./data/countersign.db)`);
  // Belt and braces: this connection refuses any write, whatever code runs on it later.
  const database = await openDatabase(url, { migrate: false, readOnly: true });
  try {
    await database.db.prisma.$queryRawUnsafe('SELECT "seq", "hash", "prevHash" FROM "AuditEvent" LIMIT 0');
  } catch {
    await database.close();
    throw new Error(`${where} has no hash-chained audit log: it is not Countersign's database, or the app has not run since an upgrade (it migrates the database on start)`);
  }
  return database;
}


/**
 * The story of one pull request as of `head`: events appended after it (by a live app while the tool
 * runs) are left out, so every story in one export is a snapshot of the same chain.
 */
export async function readStory(db: Store, repository: string, number: number, head: ChainHead | null): Promise<PullRequestStory | null> {
  const events = (await pullRequestEvents(db, repository, number)).filter((event) => head !== null && event.seq <= head.seq);
  return events.length === 0 ? null : buildStory(currentRepositoryName(events, repository), number, events);
}

/** The stories of the agent pull requests that match `filter`, as of `head`, oldest first. */
export async function* agentPullRequestStories(db: Store, filter: { repository?: string; since?: Date }, head: ChainHead | null): AsyncGenerator<PullRequestStory> {
  for (const { repository, number } of await agentPullRequests(db, filter)) {
    const story = await readStory(db, repository, number, head);
    if (story) yield story;
  }
}

/** The newest stored checkpoint, and the inclusion proofs of any events under it. */
export interface CheckpointProofs {
  note: string;
  treeSize: number;
  /** The proofs of the given events (and none for an event past the tree, or when the log no longer holds the tree). */
  proofsFor(seqs: readonly number[]): Record<string, string[]>;
}

/**
 * The newest checkpoint the database holds, with the Merkle tree over the log's first `treeSize`
 * event hashes, so an export can prove each record's events are under its signed root. The stored
 * note proves nothing by itself (the verifier checks its signature); a log that no longer holds the
 * tree gives no proofs, which the verifier reports. Null when no checkpoint was ever signed.
 */
export async function checkpointProofs(db: Store): Promise<CheckpointProofs | null> {
  const checkpoint = await latestCheckpoint(db);
  if (!checkpoint) return null;
  const hashes: string[] = [];
  for await (const page of readChainLinks(db)) {
    for (const row of page) {
      if (row.seq > checkpoint.treeSize) break;
      if (row.seq !== hashes.length + 1 || row.hash === null) break;
      hashes.push(row.hash);
    }
    if (hashes.length >= checkpoint.treeSize || (page.at(-1)?.seq ?? 0) !== hashes.length) break;
  }
  const tree = hashes.length === checkpoint.treeSize ? new MerkleTree(hashes) : null;
  return {
    note: checkpoint.note,
    treeSize: checkpoint.treeSize,
    proofsFor: (seqs) => Object.fromEntries(tree ? seqs.filter((seq) => seq >= 1 && seq <= checkpoint.treeSize).map((seq) => [String(seq), tree.inclusionProof(seq - 1)]) : []),
  };
}

/** The stored texts a story's events refer to (task snapshots, changed paths, policy texts), by hash. */
export function storyTexts(db: Store, story: PullRequestStory): Promise<Map<string, string>> {
  return readTexts(db, referencedTextHashes(story));
}

export { chainHead, type ChainHead };
