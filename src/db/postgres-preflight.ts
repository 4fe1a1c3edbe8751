import pg from "pg";

// Before Countersign migrates or reads a PostgreSQL database, one plain connection says whether it can:
// the driver's and the schema engine's own errors name neither the setting nor the fix, and the
// operator tools would otherwise report a database that does not exist as "not Countersign's".

/** The server and database a PostgreSQL URL names, without its user or password. */
function target(url: string): { server: string; database: string } {
  const parsed = new URL(url);
  return { server: `${parsed.hostname || "localhost"}:${parsed.port || "5432"}`, database: decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "(the user's default database)" };
}

/** Translates a connection failure into what is wrong with DATABASE_URL and how to fix it; null when unknown. */
export function explainPostgresFailure(url: string, error: unknown): string | null {
  const { server, database } = target(url);
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case "3D000":
      return `the PostgreSQL database "${database}" does not exist on ${server}. Create it (for example \`createdb -h ${server.split(":")[0]} ${database}\`) and start again: Countersign creates its own tables, not the database`;
    case "28P01":
    case "28000":
      return `PostgreSQL on ${server} refused the user in DATABASE_URL (wrong password, or not allowed by pg_hba.conf)`;
    case "ECONNREFUSED":
      return `nothing is listening for PostgreSQL on ${server} (connection refused): is the server running, and are the host and port right?`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the PostgreSQL host in DATABASE_URL (${server}) could not be found`;
    case "ETIMEDOUT":
      return `PostgreSQL on ${server} did not answer (timed out)`;
    default:
      return null;
  }
}

/** Connects once; a failure becomes an error naming DATABASE_URL, what is wrong and what to do. */
export async function checkPostgresReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    const explained = explainPostgresFailure(url, error);
    if (explained) throw new Error(`DATABASE_URL: ${explained}`, { cause: error });
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}
