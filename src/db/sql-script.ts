/**
 * Splits an SQL script into statements at the semicolons that end them: not those inside quoted
 * strings, quoted identifiers, dollar-quoted bodies (`$$ … $$`, `$fn$ … $fn$`) or comments.
 *
 * The PostgreSQL driver adapter executes a migration by splitting it at every `;`, which cuts a
 * PL/pgSQL function body (the audit log's append-only triggers) in half; migrations are run through
 * this splitter instead (src/db/schema-engine.ts).
 */
export function splitSqlScript(script: string): string[] {
  const statements: string[] = [];
  let current = "";
  let index = 0;
  const take = (length: number) => {
    current += script.slice(index, index + length);
    index += length;
  };
  while (index < script.length) {
    const rest = script.slice(index);
    const char = script[index] as string;
    if (rest.startsWith("--")) {
      const end = script.indexOf("\n", index);
      take(end === -1 ? script.length - index : end - index + 1);
    } else if (rest.startsWith("/*")) {
      const end = script.indexOf("*/", index + 2);
      take(end === -1 ? script.length - index : end - index + 2);
    } else if (char === "'" || char === '"') {
      // A doubled quote inside is an escaped quote: scanning for the next single one handles it, as
      // the scan then continues with a new quoted run.
      const end = script.indexOf(char, index + 1);
      take(end === -1 ? script.length - index : end - index + 1);
    } else if (char === "$" && /^\$[A-Za-z_]*\$/.test(rest)) {
      const tag = (/^\$[A-Za-z_]*\$/.exec(rest) as RegExpExecArray)[0];
      const end = script.indexOf(tag, index + tag.length);
      take(end === -1 ? script.length - index : end - index + tag.length);
    } else if (char === ";") {
      index += 1;
      if (current.trim()) statements.push(current.trim());
      current = "";
    } else {
      take(1);
    }
  }
  if (current.trim()) statements.push(current.trim());
  // A "statement" that is only comments is nothing to run.
  return statements.filter((statement) => statement.replace(/--[^\n]*(\n|$)/g, "").replace(/\/\*[\s\S]*?\*\//g, "").trim().length > 0);
}
