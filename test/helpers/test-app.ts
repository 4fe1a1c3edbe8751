import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Probot, ProbotOctokit } from "probot";
import { openDatabase, type Database } from "../../src/db/client.js";
import { countersignApp } from "../../src/index.js";
import type { Services } from "../../src/services/deps.js";
import { createServices } from "../../src/services/create-services.js";

// A throwaway key per run: the app signs JWTs with it, and the fake GitHub never checks them.
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });

export const APP_ID = 123456;

export interface TestApp {
  probot: Probot;
  services: Services;
  db: Database;
  /** The database's `DATABASE_URL`, for tools that open it themselves (the CLI). */
  databaseUrl: string;
  /** The clock the app sees; tests move it forward. */
  now: { value: Date };
  receive(name: string, payload: Record<string, unknown>, deliveryId?: string): Promise<string>;
  close(): Promise<void>;
}

/** A real Probot instance running Countersign on a fresh SQLite database (migrations applied). */
export async function createTestApp(): Promise<TestApp> {
  const dir = mkdtempSync(path.join(tmpdir(), "countersign-test-"));
  const databaseUrl = `file:${path.join(dir, "countersign.db")}`;
  const database = await openDatabase(databaseUrl);
  const now = { value: new Date("2026-11-25T12:00:00Z") };
  const services: Services = createServices(database.db, { peopleTtlMs: 60_000, setupCheckTtlMs: 600_000, appId: APP_ID, clock: () => new Date(now.value) });
  const probot = new Probot({
    appId: APP_ID,
    privateKey,
    logLevel: (process.env.TEST_LOG_LEVEL as "fatal" | undefined) ?? "fatal",
    // Retries and throttling would turn a deliberate API error into waiting (and the throttle spaces
    // writes a second apart); production keeps both on. Probot passes its own throttle options to every
    // instance, so they are overridden per instance rather than with static defaults.
    Octokit: ProbotOctokit.defaults((options: Record<string, any>) => ({
      ...options,
      retry: { enabled: false },
      throttle: { ...options.throttle, enabled: false },
    })),
  });
  await probot.load(countersignApp(services, { expirySweepMs: 0 }));
  return {
    probot,
    services,
    db: database.db,
    databaseUrl,
    now,
    async receive(name, payload, deliveryId = randomUUID()) {
      await probot.receive({ id: deliveryId, name, payload } as never);
      return deliveryId;
    },
    async close() {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
