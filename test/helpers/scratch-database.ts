import { afterEach, beforeEach } from "@jest/globals";
import { openDatabase, type OpenDatabase } from "../../src/db/client.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

/**
 * A fresh database per test, migrated and opened as the app opens it: `opened()` is the open
 * database, `scratch()` the raw handle around it (SQL on its own connection, the URL).
 */
export function useScratchDatabase(): { opened: () => OpenDatabase; scratch: () => TestDatabase } {
  let scratch: TestDatabase | undefined;
  let opened: OpenDatabase | undefined;
  beforeEach(async () => {
    scratch = await createTestDatabase();
    opened = await openDatabase(scratch.url);
  });
  afterEach(async () => {
    // A test may have closed it (or broken it) itself.
    await opened?.close().catch(() => undefined);
    await scratch?.dispose();
  });
  const current = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the scratch database is opened before each test");
    return value;
  };
  return { opened: () => current(opened), scratch: () => current(scratch) };
}
