import { describe, expect, test } from "@jest/globals";
import { filesOutsideScope } from "../../../src/policy/scope.js";

describe("filesOutsideScope", () => {
  test.each([
    ["an empty scope covers everything", ["a.ts", ".github/workflows/ci.yml"], [], []],
    ["files under the glob are in scope", ["src/a.ts", "src/deep/b.ts"], ["src/**"], []],
    ["a workflow file is outside src/**", ["src/a.ts", ".github/workflows/release.yml"], ["src/**"], [".github/workflows/release.yml"]],
    ["dotfiles match explicit globs", [".github/workflows/ci.yml"], [".github/**"], []],
    ["dotfiles are matched by ** too", ["src/.env"], ["src/**"], []],
    ["several globs", ["docs/a.md", "src/b.ts", "infra/main.tf"], ["docs/*.md", "src/**"], ["infra/main.tf"]],
    ["brace alternatives", ["a.ts", "b.tsx", "c.js"], ["*.{ts,tsx}"], ["c.js"]],
    ["a recorded glob that is no longer supported covers nothing", ["src/a.ts", "gen/b.ts"], ["src/**", "!(src)/**"], ["gen/b.ts"]],
  ])("%s", (_description, files, scope, outside) => {
    expect(filesOutsideScope(files, scope)).toEqual(outside);
  });
});
