import { describe, expect, test } from "@jest/globals";
import { pathEntries } from "../../../src/evidence/changed-paths.js";

describe("changed paths in the evidence", () => {
  const renames = [{ from: ".github/workflows/scan.yml", to: "src/scan.yml" }];

  test.each([
    ["the old path listed", [".github/workflows/scan.yml"], ["`.github/workflows/scan.yml` → `src/scan.yml`"]],
    ["the new path listed", ["src/scan.yml"], ["`.github/workflows/scan.yml` → `src/scan.yml`"]],
    ["both paths listed: the rename once", [".github/workflows/scan.yml", "src/a.ts", "src/scan.yml"], ["`.github/workflows/scan.yml` → `src/scan.yml`", "`src/a.ts`"]],
    ["no rename among them", ["src/a.ts"], ["`src/a.ts`"]],
  ])("%s", (_name, paths, expected) => {
    expect(pathEntries(paths, renames)).toEqual(expected);
  });

  test("agent-written file names stay code, whichever side of a rename they are on", () => {
    expect(pathEntries(["[x](https://evil.example)"], [{ from: "a`b", to: "[x](https://evil.example)" }])).toEqual(["``a`b`` → `[x](https://evil.example)`"]);
  });
});
