import { z } from "zod";
import { openAuditDatabase } from "../audit/audit-reads.js";
import type { OpenDatabase } from "../../db/client.js";
import type { Option } from "../command.js";

// The database `audit verify`, `audit export` and `evidence` read: never created, migrated or
// written (src/audit/audit-reads.ts says why).

/** --database-url: overrides DATABASE_URL for the read-only commands. */
export const databaseUrlOption = {
  placeholder: "<url>",
  meaning: "the app's database, overriding DATABASE_URL (default file:./data/countersign.db)",
  example: "file:./data/countersign.db",
  mustBe: "a database URL (file:<path> or postgres://…)",
  schema: z.string().min(1).optional(),
} satisfies Option;

/** The environment these commands read. */
export const auditEnvironment: Array<[string, string]> = [["DATABASE_URL", "the app's database (default file:./data/countersign.db; read, never written); --database-url overrides it"]];

/** Opens the audit database at `url` for `use`, and closes it after. */
export async function withAuditDatabase(url: string, use: (database: OpenDatabase) => Promise<number>): Promise<number> {
  const database = await openAuditDatabase(url);
  try {
    return await use(database);
  } finally {
    await database.close();
  }
}
