import { existsSync } from "node:fs";
import { run, type ProbotOctokit } from "probot";
import { evidenceSettings, parseEnv } from "./config/env.schema.js";
import { openDatabase } from "./db/client.js";
import { bottleneckYieldPatched, patchBottleneckYield } from "./github/octokit-scheduling.js";
import { countersignApp } from "./index.js";
import { createMetrics } from "./observability/metrics.js";
import { databaseReadiness } from "./observability/readiness.js";
import { createServices } from "./services/create-services.js";

/** What a caller other than `npm start` may change: only the benchmark does, to measure without throttling. */
export interface StartOptions {
  /** The Octokit class Probot's installation clients are made from (default: Probot's own). */
  Octokit?: typeof ProbotOctokit;
  /** Extra facts for the start-up log line. */
  startup?: Record<string, unknown>;
}

/**
 * Validates Countersign's settings, opens the database and applies pending migrations, then hands
 * over to Probot, which reads its own standard environment (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET,
 * GHE_HOST, GHE_PROTOCOL, PORT, ...). Without APP_ID, Probot serves its setup page, which registers
 * the app on GitHub from app.yml.
 */
export async function startCountersign(options: StartOptions = {}): Promise<void> {
  // Probot loads .env too, but only inside run(); Countersign's own settings are needed before that.
  if (existsSync(".env")) process.loadEnvFile(".env");
  const env = parseEnv(process.env);
  // Octokit's retry and throttling stay on; their scheduler stops adding a clamped millisecond per step
  // (src/github/octokit-scheduling.ts).
  patchBottleneckYield();
  const database = await openDatabase(env.DATABASE_URL);
  const services = createServices(database.db, {
    peopleTtlMs: env.COUNTERSIGN_PERMISSION_TTL_SECONDS * 1000,
    setupCheckTtlMs: env.COUNTERSIGN_SETUP_CHECK_TTL_SECONDS * 1000,
    appId: env.APP_ID ?? null,
    evidence: evidenceSettings(env),
    metrics: createMetrics({ processMetrics: true }),
    maxDeliveriesInMemory: env.COUNTERSIGN_MAX_DELIVERIES_IN_MEMORY,
  });
  const server = await run(
    countersignApp(services, {
      expirySweepMs: env.COUNTERSIGN_EXPIRY_SWEEP_SECONDS * 1000,
      resumeSweepMs: 60_000,
      startup: {
        database: database.location,
        migrationsAppliedNow: database.appliedMigrations,
        evidencePage: services.evidence ? services.evidence.publicUrl : "off",
        octokitSchedulerPatched: bottleneckYieldPatched(),
        ...options.startup,
      },
      // The GitHub web address, for links back to pull requests from the evidence page.
      webUrl: process.env.GHE_HOST ? `${process.env.GHE_PROTOCOL ?? "https"}://${process.env.GHE_HOST}` : "https://github.com",
      readiness: databaseReadiness(database),
    }),
    options.Octokit ? { Octokit: options.Octokit } : undefined,
  );
  // Probot stops the server on SIGINT itself; SIGTERM is what process managers and containers send.
  process.once("SIGTERM", () => {
    void server
      .stop()
      .catch(() => undefined)
      .then(() => database.close())
      .finally(() => process.exit(0));
  });
}
