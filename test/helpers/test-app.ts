import { generateKeyPairSync, randomUUID } from "node:crypto";
import { Probot, ProbotOctokit } from "probot";
import { credentialAppForServices } from "../../src/credentials/credential-bot.js";
import { openDatabase, type Store } from "../../src/db/client.js";
import { createDeliveryInbox, type DeliveryInbox } from "../../src/deliveries/delivery-inbox.js";
import { countersignApp, type AppOptions } from "../../src/index.js";
import type { AppServices } from "../../src/services/create-services.js";
import type { AuditCheckpoints } from "../../src/services/audit-checkpoints.js";
import { createServices } from "../../src/services/create-services.js";
import { RetryScheduler } from "../../src/services/retry-scheduler.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

// A throwaway key per run: the app signs JWTs with it, and the fake GitHub never checks them.
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });

export const APP_ID = 123456;

export interface TestApp {
  probot: Probot;
  services: AppServices;
  /** Where the app's deliveries arrive; tests wait for its queue, or give it another. */
  inbox: DeliveryInbox;
  db: Store;
  /** The database's `DATABASE_URL`, for tools that open it themselves (the CLI). */
  databaseUrl: string;
  /** The scratch database under the app (SQLite, or PostgreSQL in `npm run test:postgres`). */
  database: TestDatabase;
  /** The clock the app sees; tests move it forward. */
  now: { value: Date };
  receive(name: string, payload: Record<string, unknown>, deliveryId?: string): Promise<string>;
  close(): Promise<void>;
}

/** A real Probot instance running Countersign on a fresh database (migrations applied). */
export async function createTestApp(options: { credentials?: AppOptions["credentials"]; checkpoints?: AuditCheckpoints } = {}): Promise<TestApp> {
  const scratch = await createTestDatabase();
  const databaseUrl = scratch.url;
  const database = await openDatabase(databaseUrl);
  const now = { value: new Date("2026-11-25T12:00:00Z") };
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
  const services: AppServices = createServices(database.db, {
    peopleTtlMs: 60_000,
    setupCheckTtlMs: 600_000,
    appId: APP_ID,
    clock: () => new Date(now.value),
    // Rate-limit retries run soon (the tests' GitHub says "now"), but not before the test has had the
    // moment it needs to declare what the retry will read.
    retries: new RetryScheduler({ minDelayMs: 100, maxDelayMs: 1_000 }),
    // As start.ts wires it: the credential app's bot is an agent identity from the services' creation.
    credentialApp: options.credentials?.app
      ? credentialAppForServices({ app: options.credentials.app, octokitWithToken: options.credentials.octokitWithToken, clock: () => new Date(now.value), log: probot.log })
      : null,
    checkpoints: options.checkpoints ?? null,
  });
  const inbox = createDeliveryInbox(services);
  await probot.load(countersignApp(services, inbox, { expirySweepMs: 0, credentials: options.credentials }));
  return {
    probot,
    services,
    inbox,
    db: database.db,
    databaseUrl,
    database: scratch,
    now,
    async receive(name, payload, deliveryId = randomUUID()) {
      // GitHub is answered once the delivery is stored; the work follows on the delivery queue.
      await probot.receive({ id: deliveryId, name, payload } as never);
      await inbox.queue.idle();
      return deliveryId;
    },
    async close() {
      // A retry already running (a failed evaluation tried again) finishes before its database closes.
      services.retries.dispose();
      await services.retries.settled();
      await inbox.queue.idle();
      await database.close();
      await scratch.dispose();
    },
  };
}
