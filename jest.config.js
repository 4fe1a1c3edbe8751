// Probot 14 is ESM-only: tests run as ES modules (`NODE_OPTIONS=--experimental-vm-modules`), with
// ts-jest compiling TypeScript to ESM and `.js` suffixes of relative imports mapped back to `.ts`.
/** @type {import('jest').Config} */
export default {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: { "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }] },
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  testTimeout: 15000,
};
