import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";

// The setup page writes what GitHub returns for the new app (its id, private key and webhook secret)
// into `.env`, which `npm start` reads on the next start (Node's loader, then Probot's). Other lines of
// the file, comments included, are kept as they were; only the keys written are replaced.

/** A value as a `.env` line carries it: quoted, with newlines as `\n` (both loaders expand them). */
function formatValue(value: string): string {
  if (/^[A-Za-z0-9_./:@+-]*$/.test(value)) return value;
  if (value.includes('"')) throw new Error("a value with a double quote cannot be written to .env safely");
  return `"${value.replace(/\r?\n/g, "\\n")}"`;
}

/** The line's key, if it assigns one (`KEY=…` or `export KEY=…`). */
function keyOf(line: string): string | null {
  return /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1] ?? null;
}

/** Whether a line opens a double-quoted value that continues on the next lines. */
function opensMultiline(line: string): boolean {
  const value = line.slice(line.indexOf("=") + 1).trim();
  return value.startsWith('"') && (value.length === 1 || !value.endsWith('"'));
}

/**
 * Sets `values` in the `.env` file at `file` (created if missing, readable by its owner only, as it
 * holds the app's private key), replacing earlier assignments of the same keys.
 */
export function updateEnvFile(file: string, values: Record<string, string>, comment?: string): void {
  const lines = existsSync(file) ? readFileSync(file, "utf8").split(/\r?\n/) : [];
  const kept: string[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] as string;
    const key = keyOf(line);
    if (key === null || !(key in values)) {
      kept.push(line);
      continue;
    }
    // Drop the old assignment, and its continuation lines if its quoted value spans several.
    if (opensMultiline(line)) while (index + 1 < lines.length && !(lines[index + 1] as string).trimEnd().endsWith('"')) index += 1;
    if (opensMultiline(line)) index += 1;
  }
  while (kept.length > 0 && kept.at(-1) === "") kept.pop();
  const added = Object.entries(values).map(([key, value]) => `${key}=${formatValue(value)}`);
  const text = `${[...kept, ...(comment ? [`# ${comment}`] : []), ...added].join("\n")}\n`;
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}
