// CSV as RFC 4180 writes it (comma-separated, CRLF line ends, a field quoted when it holds a comma,
// a quote or a line break, quotes doubled), for downloads that spreadsheets open. Every value here can
// come from an agent or a repository (titles, logins, names), so a field that a spreadsheet would take
// for a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`,
// the usual defence against CSV injection: it is shown as text and never evaluated.

const FORMULA_START = /^[=+\-@\t\r]/;

/** One field, escaped. `null` and `undefined` are empty. */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV document: the header, then the rows, each line ended with CRLF. */
export function csvDocument(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null | undefined>>): string {
  return [header, ...rows].map((row) => `${row.map(csvField).join(",")}\r\n`).join("");
}
