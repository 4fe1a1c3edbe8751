import { afterEach, beforeEach } from "@jest/globals";
import { openDatabase, type OpenDatabase, type Store } from "../../../src/db/client.js";
import { createServices, type AppServices } from "../../../src/services/create-services.js";
import type { EventContext, Log } from "../../../src/services/event-context.js";
import { RetryScheduler } from "../../../src/services/retry-scheduler.js";
import { InMemoryGitHub } from "../../helpers/in-memory-github.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-database.js";

// What a service's unit test runs on: the services wired as the app wires them, on a scratch database,
// with GitHub in memory and a log that keeps what it was told. A test's own database (`db`) is real:
// what a service records is read back as an operator would.

export const REPO = { owner: "acme", name: "widgets", id: 42, fullName: "acme/widgets" };
export const NOW = new Date("2025-06-01T12:00:00Z");

/** The audit log's event types, in chain order. */
export async function auditTypes(db: Store): Promise<string[]> {
  return (await db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } })).map((row) => row.type);
}

/** A log line a service wrote: its level, its fields and its message. */
export interface LogLine {
  level: "info" | "warn" | "error";
  fields: Record<string, unknown>;
  message: string;
}

export interface ServiceWorld {
  services: AppServices;
  github: InMemoryGitHub;
  logs: LogLine[];
  database: OpenDatabase;
  /** The event a delivery brings, on acme/widgets, with the in-memory GitHub. */
  event(overrides?: Partial<EventContext>): EventContext;
}

function recordingLog(lines: LogLine[]): Log {
  const at = (level: LogLine["level"]) => (fields: unknown, message?: string) => void lines.push({ level, fields: typeof fields === "object" && fields !== null ? (fields as Record<string, unknown>) : {}, message: message ?? String(fields) });
  return { info: at("info"), warn: at("warn"), error: at("error") } as unknown as Log;
}

/** A fresh world per test: call at the top of a `describe`, read the world inside each test. */
export function useServiceWorld(): () => ServiceWorld {
  let world: ServiceWorld | null = null;
  let scratch: TestDatabase | null = null;
  beforeEach(async () => {
    scratch = await createTestDatabase();
    const database = await openDatabase(scratch.url);
    const services = createServices(database.db, {
      peopleTtlMs: 60_000,
      setupCheckTtlMs: 60_000,
      appId: 123456,
      clock: () => new Date(NOW),
      retries: new RetryScheduler({ minDelayMs: 60_000, maxDelayMs: 60_000 }),
    });
    const github = new InMemoryGitHub();
    const logs: LogLine[] = [];
    const log = recordingLog(logs);
    world = {
      services,
      github,
      logs,
      database,
      event: (overrides = {}) => ({ github, log, repo: { ...REPO }, deliveryId: "delivery-1", installationId: 7, ...overrides }),
    };
  });
  afterEach(async () => {
    world?.services.retries.dispose();
    await world?.services.retries.settled();
    await world?.database.close().catch(() => undefined);
    await scratch?.dispose();
    world = null;
  });
  return () => {
    if (!world) throw new Error("the service world exists only inside a test");
    return world;
  };
}
