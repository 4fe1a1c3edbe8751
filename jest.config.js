// Probot 14 is ESM-only: tests run as ES modules (`NODE_OPTIONS=--experimental-vm-modules`), with
// ts-jest compiling TypeScript to ESM and `.js` suffixes of relative imports mapped back to `.ts`.
// The end-to-end tests (test/e2e) run in a separate Jest process (jest.e2e.config.js): they talk to
// real loopback servers, and nock's interception of Node's HTTP stack is process-wide.
/** @type {import('jest').Config} */
export default {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: { "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }] },
  testMatch: ["<rootDir>/test/unit/**/*.test.ts", "<rootDir>/test/integration/**/*.test.ts"],
  testTimeout: 15000,
};
