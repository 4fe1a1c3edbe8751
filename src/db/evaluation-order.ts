import { z } from "zod";
import { findCheckRun, recordedCheckRun, type CheckRunSave, type KnownCheckRun } from "./check-run-records.js";
import type { Store } from "./store.js";
import { Prisma, rawPostgresRows, rawRows } from "./raw-statement.js";

// Replicas evaluate the same pull request concurrently (an approval and a push arriving at two
// processes at once). Each evaluation takes a ticket when it starts. It publishes only if no
// evaluation that started later has published already, and the newest published output is stored, so
// that whoever writes the check run last writes the newest decision: a slow evaluation of an older
// state never leaves its decision on the check run, on any replica, and no lock is held while GitHub
// is called. This module holds the statements; the check-run publisher (a service) composes them with
// the GitHub write.

/** A check run's content as it is published. */
export interface PublishedOutput {
  headSha: string;
  conclusion: string;
  title: string;
  summary: string;
  detailsUrl: string | null;
}

const outputSchema = z.object({ headSha: z.string(), conclusion: z.string(), title: z.string(), summary: z.string(), detailsUrl: z.string().nullable() });

/** A count or an INTEGER column through Prisma's raw queries: a number, or a bigint for int8 (COUNT(*) on PostgreSQL, BIGINT on SQLite). */
const integer = z.union([z.number().int(), z.bigint()]).transform(Number);
/** A BIGINT column (a check-run id): a bigint through Prisma's raw queries (a number where SQLite's value is small). */
const bigInteger = z.union([z.bigint(), z.number().int().transform(BigInt)]);
const ticketRowsSchema = z.array(z.object({ ticket: integer })).length(1);

/**
 * Takes the next evaluation ticket of a pull request (1, 2, 3, ...): one atomic statement, the same
 * SQL on SQLite and PostgreSQL. Raw SQL because it must be one statement on every database: Prisma's
 * `upsert` is a read then a write wherever it cannot use the database's own upsert, and two replicas
 * taking a pull request's first ticket at once must not both get ticket 1.
 */
export async function takeTicket(db: Store, repoId: number, prNumber: number): Promise<number> {
  const rows = await rawRows(
    db,
    ticketRowsSchema,
    Prisma.sql`INSERT INTO "PullRequestState" ("repoId", "prNumber", "ticket", "updatedAt") VALUES (${BigInt(repoId)}, ${prNumber}, 1, ${new Date()})
    ON CONFLICT ("repoId", "prNumber") DO UPDATE SET "ticket" = "PullRequestState"."ticket" + 1, "updatedAt" = excluded."updatedAt"
    RETURNING "ticket"`,
  );
  return rows[0]!.ticket;
}

/** The order's state after a write: which ticket published last, on which commit, and what. */
export type OrderState = { published: number; publishedSha: string | null; publishedOutput: string | null } | null;

const claimRowsSchema = z.array(z.object({ claimed: integer, creating: integer, checkRunId: bigInteger.nullable(), outputHash: z.string().nullable() })).length(1);

/**
 * The commit's check run as read with the publish claim: its record as stored (null when there is none
 * yet, or only another process's claim to create it), and whether this claim also took the right to create it
 * (no record at all: the caller creates the check run, as after `claimCheckRunCreation`).
 */
export interface CheckRunAtClaim {
  checkRun: KnownCheckRun | null;
  creationClaimed: boolean;
}
const stateRowsSchema = z.array(z.object({ published: integer, publishedSha: z.string().nullable(), publishedOutput: z.string().nullable() })).max(1);

/**
 * Claims the newest place for `key.ticket` and reads the commit's check-run record. On PostgreSQL in
 * one statement, which also claims the creation of the commit's check run when it has no record at all
 * (a new head): the record is read in the same snapshot as the claim, so no earlier evaluation can
 * publish between the two unseen (if one claimed before, its own re-read finds this claim and writes
 * this output again), and two replicas claiming a new head's creation at once conflict on its key, so
 * one of them creates it. Elsewhere the claim, then the read.
 */
export async function claimAndFindCheckRun(db: Store, key: { repoId: number; prNumber: number; ticket: number }, output: PublishedOutput): Promise<{ claimed: boolean } & CheckRunAtClaim> {
  const repoId = BigInt(key.repoId);
  if (db.provider === "postgres") {
    const now = new Date();
    const rows = await rawPostgresRows(
      db,
      claimRowsSchema,
      `WITH claimed AS (
        UPDATE "PullRequestState"
        SET "published" = $3, "publishedSha" = $4, "publishedOutput" = $5, "updatedAt" = $6
        WHERE "repoId" = $1 AND "prNumber" = $2 AND "published" < $3
        RETURNING "published"
      ),
      existing AS (
        SELECT "checkRunId", "outputHash" FROM "CheckRunRecord" WHERE "repoId" = $1 AND "headSha" = $4
      ),
      creating AS (
        INSERT INTO "CheckRunRecord" ("repoId", "headSha", "checkRunId", "prNumber", "updatedAt")
        SELECT $1, $4, 0, $2, $6
        WHERE EXISTS (SELECT 1 FROM claimed) AND NOT EXISTS (SELECT 1 FROM existing)
        ON CONFLICT ("repoId", "headSha") DO NOTHING
        RETURNING 1
      )
      SELECT (SELECT COUNT(*) FROM claimed) AS "claimed", (SELECT COUNT(*) FROM creating) AS "creating", e."checkRunId", e."outputHash"
      FROM (SELECT 1) AS one LEFT JOIN existing e ON TRUE`,
      [repoId, key.prNumber, key.ticket, output.headSha, JSON.stringify(output), now],
    );
    const [row] = rows;
    const record = row!.checkRunId === null ? null : { checkRunId: row!.checkRunId, outputHash: row!.outputHash };
    return { claimed: row!.claimed === 1, checkRun: recordedCheckRun(record), creationClaimed: row!.creating === 1 };
  }
  const claimed = await db.prisma.pullRequestState.updateMany({
    where: { repoId, prNumber: key.prNumber, published: { lt: key.ticket } },
    data: { published: key.ticket, publishedSha: output.headSha, publishedOutput: JSON.stringify(output) },
  });
  if (claimed.count === 0) return { claimed: false, checkRun: null, creationClaimed: false };
  return { claimed: true, checkRun: await findCheckRun(db, key.repoId, output.headSha), creationClaimed: false };
}

/**
 * Whether the database saves a check run's record and re-reads the order in one statement
 * (`saveCheckRunAndReadOrder`); elsewhere the two are separate statements, run at once.
 */
export function savesAndReadsOrderAtOnce(db: Store): boolean {
  return db.provider === "postgres";
}

/**
 * Saves a written check run's record and re-reads the order in one statement (PostgreSQL only: see
 * `savesAndReadsOrderAtOnce`). The order is null when the pull request has none.
 */
export async function saveCheckRunAndReadOrder(db: Store, key: { repoId: number; prNumber: number }, save: CheckRunSave): Promise<OrderState> {
  const rows = await rawPostgresRows(
    db,
    stateRowsSchema,
    `WITH saved AS (
      INSERT INTO "CheckRunRecord" ("repoId", "headSha", "checkRunId", "prNumber", "outputHash", "updatedAt")
      VALUES ($3, $4, $5, $6, $7, $8)
      ON CONFLICT ("repoId", "headSha") DO UPDATE SET "checkRunId" = excluded."checkRunId", "outputHash" = excluded."outputHash",
        "prNumber" = COALESCE(excluded."prNumber", "CheckRunRecord"."prNumber"), "updatedAt" = excluded."updatedAt"
      RETURNING 1
    )
    SELECT s."published", s."publishedSha", s."publishedOutput" FROM "PullRequestState" s
    WHERE s."repoId" = $1 AND s."prNumber" = $2 AND (SELECT COUNT(*) FROM saved) = 1`,
    [BigInt(key.repoId), key.prNumber, BigInt(save.repoId), save.headSha, BigInt(save.checkRunId), save.prNumber, save.outputHash, new Date()],
  );
  return rows[0] ?? null;
}

/** Reads the order of a pull request's evaluations. */
export async function readOrder(db: Store, key: { repoId: number; prNumber: number }): Promise<OrderState> {
  const row = await db.prisma.pullRequestState.findUnique({
    where: { repoId_prNumber: { repoId: BigInt(key.repoId), prNumber: key.prNumber } },
    select: { published: true, publishedSha: true, publishedOutput: true },
  });
  return row ?? null;
}

/** The output a newer evaluation published, as stored with its claim. */
export function parsePublishedOutput(stored: string): PublishedOutput {
  return outputSchema.parse(JSON.parse(stored));
}
