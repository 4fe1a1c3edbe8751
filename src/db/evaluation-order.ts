import { z } from "zod";
import type { Database } from "./client.js";

// Replicas evaluate the same pull request concurrently (an approval and a push arriving at two
// processes at once). Each evaluation takes a ticket when it starts. It publishes only if no
// evaluation that started later has published already, and the newest published output is stored, so
// that whoever writes the check run last writes the newest decision: a slow evaluation of an older
// state never leaves its decision on the check run, on any replica, and no lock is held while GitHub
// is called.

/** A check run's content as it is published. */
export interface PublishedOutput {
  headSha: string;
  conclusion: string;
  title: string;
  summary: string;
  detailsUrl: string | null;
}

const outputSchema = z.object({ headSha: z.string(), conclusion: z.string(), title: z.string(), summary: z.string(), detailsUrl: z.string().nullable() });

const ticketRowsSchema = z.array(z.object({ ticket: z.union([z.number(), z.bigint()]).transform(Number) })).length(1);

/**
 * Takes the next evaluation ticket of a pull request (1, 2, 3, ...): one atomic statement, the same
 * SQL on SQLite and PostgreSQL. Every evaluation starts with it, and Prisma's `upsert` costs several
 * times this statement's JavaScript (0.6 ms against 0.1 on SQLite).
 */
export async function takeTicket(db: Database, repoId: number, prNumber: number): Promise<number> {
  const rows = await db.$queryRaw<unknown[]>`
    INSERT INTO "PullRequestState" ("repoId", "prNumber", "ticket", "updatedAt") VALUES (${BigInt(repoId)}, ${prNumber}, 1, ${new Date()})
    ON CONFLICT ("repoId", "prNumber") DO UPDATE SET "ticket" = "PullRequestState"."ticket" + 1, "updatedAt" = excluded."updatedAt"
    RETURNING "ticket"`;
  return ticketRowsSchema.parse(rows)[0]!.ticket;
}

/**
 * Publishes an evaluation's output in ticket order. Returns false (writing nothing) when a later
 * evaluation has published already. Otherwise claims the newest place, writes, and then checks that
 * nothing newer for the same head was published meanwhile; if something was, its output is written
 * again, so the last write on the check run is always the newest decision. `write` must be idempotent.
 */
export async function publishInOrder(
  db: Database,
  key: { repoId: number; prNumber: number; ticket: number },
  output: PublishedOutput,
  write: (output: PublishedOutput) => Promise<void>,
): Promise<boolean> {
  const where = { repoId: BigInt(key.repoId), prNumber: key.prNumber };
  const claimed = await db.pullRequestState.updateMany({
    where: { ...where, published: { lt: key.ticket } },
    data: { published: key.ticket, publishedSha: output.headSha, publishedOutput: JSON.stringify(output) },
  });
  if (claimed.count === 0) return false;

  let version = key.ticket;
  let content = output;
  // Each round either confirms the newest output is on the check run, or writes a newer one: the
  // number of rounds is bounded by the number of evaluations racing, so a small cap is ample.
  for (let round = 0; round < 10; round += 1) {
    await write(content);
    const state = await db.pullRequestState.findUnique({ where: { repoId_prNumber: where }, select: { published: true, publishedSha: true, publishedOutput: true } });
    if (!state || state.published === version || state.publishedSha !== output.headSha || !state.publishedOutput) return true;
    version = state.published;
    content = outputSchema.parse(JSON.parse(state.publishedOutput));
  }
  return true;
}
