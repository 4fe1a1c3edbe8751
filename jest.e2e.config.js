// End-to-end tests: the built app (`lib/`) as a separate process, signed webhooks over HTTP, a fake
// GitHub Enterprise Server on loopback. No request interception in this process.
import base from "./jest.config.js";

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
  testTimeout: 30000,
};
