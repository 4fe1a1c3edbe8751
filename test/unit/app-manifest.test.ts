import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, test } from "@jest/globals";

// app.yml is what GitHub registers; the README's tables are what an installer reads. They must agree,
// and every subscribed event must be handled.
const root = path.resolve(import.meta.dirname, "../..");
const manifest = parse(readFileSync(path.join(root, "app.yml"), "utf8")) as { default_events: string[]; default_permissions: Record<string, string> };
const readme = readFileSync(path.join(root, "README.md"), "utf8");
const section = readme.slice(readme.indexOf("## Permissions and events"), readme.indexOf("## Configuration"));

function tableRows(text: string): string[][] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| ---"))
    .map((line) => line.split("|").slice(1, -1).map((cell) => cell.trim()));
}

describe("app.yml and the README", () => {
  test("the permissions table lists exactly the manifest's permissions and access levels", () => {
    const rows = tableRows(section).filter((row) => ["read", "write"].includes(row[1] ?? ""));
    const documented = Object.fromEntries(rows.map((row) => [(row[0] ?? "").toLowerCase().replace(/ /g, "_"), row[1]]));
    expect(documented).toEqual(manifest.default_permissions);
  });

  test("the events table lists exactly the manifest's events", () => {
    const documented = tableRows(section)
      .map((row) => /^`([a-z_]+)`$/.exec(row[0] ?? "")?.[1])
      .filter((name): name is string => name !== undefined);
    expect(documented.sort()).toEqual([...manifest.default_events].sort());
  });

  test("every subscribed event has a handler in src/index.ts", () => {
    const wiring = readFileSync(path.join(root, "src/index.ts"), "utf8");
    for (const event of manifest.default_events) expect(wiring).toMatch(new RegExp(`["\`]${event}[."\`]`));
  });
});
