import type { PrismaClient } from "./generated/sqlite/client.js";
import type { DatabaseProvider } from "./migrate.js";

/**
 * Prisma's client for Countersign's records. The SQLite and PostgreSQL clients are generated from one
 * schema (scripts/generate-prisma.mjs derives the PostgreSQL schema from prisma/schema.prisma) and
 * differ only in their transactions' isolation levels, which Countersign does not use, so the
 * repositories are written once against this type.
 */
export type DatabaseClient = InstanceType<typeof PrismaClient>;

/** Where this process appended to the audit chain last: the next append links to it first. */
export interface AuditChainTip {
  seq: number;
  hash: string;
}

/**
 * The database as the app holds it: Prisma's client, which database it is, and the little state the
 * repositories keep per database in this process. One object, made by `openDatabase` (client.ts) and
 * passed to every repository function, so nothing is kept in module-level maps keyed by the client.
 */
export class Store {
  /**
   * The audit log's appends in this process, one at a time (reading the chain's tip and writing the
   * next link must not interleave), and the link appended last (audit-log.ts).
   */
  readonly auditAppends: { queue: Promise<unknown>; tip: AuditChainTip | null } = { queue: Promise.resolve(), tip: null };
  /**
   * Check runs written to GitHub whose record could not be saved just then, by `repoId:headSha`, with
   * the id written (null when unknown): until a save succeeds the stored record is not to be trusted
   * (check-run-records.ts, `UnsavedCheckRuns`).
   */
  readonly unsavedCheckRuns = new Map<string, number | null>();
  /** Hashes of texts this process has stored in the content store (content-texts.ts): not written again. */
  readonly storedTexts = new Set<string>();

  constructor(
    readonly prisma: DatabaseClient,
    /** Where one statement can do the work of two (PostgreSQL's data-modifying `WITH`), the repositories use it. */
    readonly provider: DatabaseProvider,
  ) {}

  close(): Promise<void> {
    return this.prisma.$disconnect();
  }
}

/** A write refused by a unique key: Prisma's code for it, or SQLite's message as its adapter passes it on. */
export function isUniqueViolation(error: unknown): boolean {
  const err = error as { code?: string; message?: string };
  return err.code === "P2002" || /UNIQUE constraint failed/i.test(err.message ?? "");
}
