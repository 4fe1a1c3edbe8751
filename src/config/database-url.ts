// What a DATABASE_URL may be. Pure string rules, shared by the start-up validation (env.schema.ts),
// the database client and the operator tools, so that every entry point refuses the same URLs.

/** The `DATABASE_URL` forms Countersign opens, as a sentence for error messages. */
export const SUPPORTED_DATABASE_URLS = "file:<path> (SQLite, e.g. file:./data/countersign.db) or postgres://user:password@host:5432/db (PostgreSQL; postgresql:// too)";

/**
 * What is wrong with a `DATABASE_URL`, or null when Countersign can open it. A URL with any other
 * scheme (mysql://, sqlserver://, a typo) is refused: read as an SQLite path it would quietly create a
 * file named after it and keep the evidence somewhere nobody looks. A bare path (no scheme) is an
 * SQLite file, as Prisma reads one.
 */
export function databaseUrlProblem(databaseUrl: string): string | null {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(databaseUrl)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === "file") return null;
  if (scheme === "postgres" || scheme === "postgresql") return databaseUrl.slice(scheme.length + 1).startsWith("//") ? null : `a PostgreSQL URL starts with ${scheme}:// (the // is missing)`;
  return `the scheme ${scheme}: is not supported; use ${SUPPORTED_DATABASE_URLS}`;
}

/** A PostgreSQL URL with any password hidden, for logs. */
export function redactDatabaseUrl(databaseUrl: string): string {
  return databaseUrl.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}
