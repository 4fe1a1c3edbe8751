import { existsSync } from "node:fs";
import { getPrivateKey } from "@probot/get-private-key";
import { ProbotOctokit, run } from "probot";
import { checkpointSettings, credentialAppSettings, dashboardSettings, evidenceSettings, parseEnv } from "./config/env.schema.js";
import { githubApiUrl, githubWebUrl, isProduction, parseProbotEnv } from "./config/probot-env.schema.js";
import { sealUnchainedEvents } from "./db/audit-log.js";
import { openDatabase } from "./db/client.js";
import { fetchWithTimeout } from "./github/request-timeout.js";
import { AuditCheckpoints } from "./services/audit-checkpoints.js";
import { RetryScheduler } from "./services/retry-scheduler.js";
import { credentialAppForServices } from "./credentials/credential-bot.js";
import { createDeliveryInbox } from "./deliveries/delivery-inbox.js";
import { countersignApp } from "./index.js";
import { createLog } from "./observability/log.js";
import { createMetrics } from "./observability/metrics.js";
import { databaseReadiness } from "./observability/readiness.js";
import { createServices } from "./services/create-services.js";
import { SummaryRebuild } from "./services/pull-request-summaries.js";
import { startSetupMode } from "./setup/setup-mode.js";

/** How long a stopping process waits for the deliveries it accepted to finish. */
const SHUTDOWN_DRAIN_MS = 20_000;

/** What a caller other than `npm start` may change: only the benchmark does, to measure without throttling. */
export interface StartOptions {
  /** The Octokit class Probot's installation clients are made from (default: Probot's own). */
  Octokit?: typeof ProbotOctokit;
  /** Extra facts for the start-up log line. */
  startup?: Record<string, unknown>;
}

/**
 * Whether the environment names a registered app. APP_ID without a readable private key is an error,
 * not setup mode: falling back to the setup page would invite registering a second app.
 */
function appIsConfigured(env: NodeJS.ProcessEnv): boolean {
  let key: string | null;
  try {
    key = getPrivateKey({ env });
  } catch (error) {
    throw new Error(`the app's private key cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!env.APP_ID) return false;
  if (!key) throw new Error("APP_ID is set, but no private key is: set PRIVATE_KEY (the PEM) or PRIVATE_KEY_PATH (a file holding it)");
  return true;
}

/**
 * Validates the settings, opens the database and applies pending migrations, then hands over to
 * Probot, which reads its own standard environment (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, GHE_HOST,
 * GHE_PROTOCOL, PORT, WEBHOOK_PROXY_URL, ...). Without APP_ID, the setup page registers the app on
 * GitHub from app.yml first (src/setup/), then the app runs with the credentials it was given.
 */
export async function startCountersign(options: StartOptions = {}): Promise<void> {
  // Probot loads .env too, but only inside run(); Countersign's own settings are needed before that.
  if (existsSync(".env")) process.loadEnvFile(".env");
  const env = parseEnv(process.env);
  const probotEnv = parseProbotEnv(process.env);
  const log = await createLog(probotEnv);
  const evidence = evidenceSettings(env);
  const credentialApp = credentialAppSettings(env);
  const checkpoint = checkpointSettings(env);
  // Half an OAuth client is named now, before the database is opened (the settings are read again below).
  dashboardSettings(env);
  const metrics = createMetrics({ processMetrics: true });
  const database = await openDatabase(env.DATABASE_URL);
  // Start-up work on the data, not part of opening it: events written before the audit log was
  // hash-chained are sealed into the chain once (the read-only tools must not write).
  const sealedEvents = await sealUnchainedEvents(database.db);
  // The dashboard's per-pull-request summaries are derived: any that does not hold every stored
  // decision of its pull request (after an upgrade, a crash between the two writes) is rebuilt, in
  // the background, and the dashboard says so until it is done.
  const summaries = new SummaryRebuild(database.db, ({ rebuilt, error }) => {
    if (error) log.error({ err: error, rebuilt }, "countersign: rebuilding the dashboard's pull request summaries failed; it is tried again at the next look");
    else log.info({ rebuilt }, "countersign: dashboard summaries rebuilt");
  });
  const summariesOutOfStep = await summaries.start(env.COUNTERSIGN_SUMMARY_CHECK_SECONDS * 1000);

  // In production Probot itself refuses to start without credentials, with its own message.
  if (!isProduction(probotEnv) && !appIsConfigured(process.env)) {
    const setup = await startSetupMode({ env: probotEnv, publicUrl: env.COUNTERSIGN_PUBLIC_URL ?? null, log, metrics });
    await setup.registered;
    await setup.stop();
  }

  // Read again, as APP_ID is: the setup page may have just written the app's OAuth client.
  const dashboard = dashboardSettings(parseEnv(process.env));
  // Every GitHub request (REST, GraphQL, the token exchange) gives up after the configured timeout.
  const timeoutMs = env.COUNTERSIGN_GITHUB_TIMEOUT_SECONDS * 1000;
  const Octokit = (options.Octokit ?? ProbotOctokit).defaults((defaults: { request?: { fetch?: typeof fetch } }) => ({
    ...defaults,
    request: { ...defaults.request, fetch: fetchWithTimeout(timeoutMs, defaults.request?.fetch) },
  }));
  // The credential app's calls, and revocations, authenticate with one token each (its JWT, or the
  // issued token): no retries, so a refused mint is answered at once and never repeated.
  const octokitWithToken = (token: string) => new Octokit({ auth: { token }, baseUrl: githubApiUrl(probotEnv), log, retry: { enabled: false }, throttle: { enabled: false } });
  const services = createServices(database.db, {
    peopleTtlMs: env.COUNTERSIGN_PERMISSION_TTL_SECONDS * 1000,
    setupCheckTtlMs: env.COUNTERSIGN_SETUP_CHECK_TTL_SECONDS * 1000,
    // Read again: the setup page may have just registered the app.
    appId: parseEnv(process.env).APP_ID ?? null,
    evidence,
    metrics,
    retries: new RetryScheduler({ minDelayMs: env.COUNTERSIGN_RETRY_MIN_SECONDS * 1000, maxDelayMs: 15 * 60_000 }),
    credentialApp: credentialApp ? credentialAppForServices({ app: credentialApp, octokitWithToken, clock: () => new Date(), log }) : null,
    checkpoints: checkpoint ? new AuditCheckpoints(checkpoint.signer, checkpoint.retired) : null,
  });
  // Without a key the log is still hash-chained, but nothing outside the database witnesses its head.
  if (!checkpoint) log.warn("countersign: COUNTERSIGN_CHECKPOINT_KEY is not set, so no audit checkpoint is signed: a database owner who rewrites the whole chain would go unnoticed (docs/audit.md)");
  const inbox = createDeliveryInbox(services, env.COUNTERSIGN_MAX_DELIVERIES_IN_MEMORY);
  const server = await run(
    countersignApp(services, inbox, {
      expirySweepMs: env.COUNTERSIGN_EXPIRY_SWEEP_SECONDS * 1000,
      // Abandoned deliveries are looked for twice per lease (at most every minute), so one whose
      // process died is taken over within about one and a half leases.
      resumeSweepMs: Math.min(60_000, (env.COUNTERSIGN_DELIVERY_LEASE_SECONDS * 1000) / 2),
      deliveryLeaseMs: env.COUNTERSIGN_DELIVERY_LEASE_SECONDS * 1000,
      startup: {
        database: database.location,
        migrationsAppliedNow: database.appliedMigrations,
        auditEventsSealedNow: sealedEvents,
        dashboardSummariesToRebuild: summariesOutOfStep,
        evidencePage: services.evidence ? services.evidence.publicUrl : "off",
        webhookProxy: process.env.WEBHOOK_PROXY_URL ? "on" : "off",
        credentialExchange: credentialApp ? "on" : "off (no credential app)",
        dashboard: dashboard.on ? `on (${new URL("/countersign/oauth/callback", dashboard.settings.publicUrl).toString()} is the callback URL to register on the GitHub App)` : dashboard.reason,
        // With Redis, replicas of one installation share GitHub's pace; without it each keeps its own.
        requestThrottling: probotEnv.REDIS_URL ? "shared through Redis" : "per process (no REDIS_URL)",
        auditCheckpoints: checkpoint ? `${checkpoint.signer.verifier.name}+${checkpoint.signer.verifier.keyId}, every ${checkpoint.everyMs / 1000} s` : "off (no COUNTERSIGN_CHECKPOINT_KEY)",
        ...options.startup,
      },
      // The GitHub web address, for links back to pull requests from the evidence page.
      webUrl: githubWebUrl(probotEnv),
      readiness: databaseReadiness(database),
      checkpointEveryMs: checkpoint?.everyMs ?? 0,
      ...(dashboard.on ? { dashboard: { settings: dashboard.settings, apiUrl: githubApiUrl(probotEnv), fetch: fetchWithTimeout(timeoutMs), summaries } } : {}),
      credentials: {
        app: credentialApp,
        ratePerMinute: env.COUNTERSIGN_CREDENTIALS_RATE_PER_MINUTE,
        octokitWithToken,
      },
    }),
    { log, Octokit },
  );
  // Probot stops the server on SIGINT itself; SIGTERM is what process managers and containers send.
  // Deliveries already accepted are finished first: a check run written whose decision and audit
  // events were never recorded (the database closed under them) would be evidence missing until
  // another process resumed the delivery. The wait is bounded to fit a container's grace period
  // (30 s by default); whatever is left is resumed by the next process (delivery-sweeps.ts).
  process.once("SIGTERM", () => {
    void server
      .stop()
      .catch(() => undefined)
      .then(async () => {
        const pending = inbox.queue.pending;
        if (pending > 0) log.info({ pending }, "countersign: stopping: finishing the deliveries already accepted");
        let timer: NodeJS.Timeout | undefined;
        const drained = await Promise.race([inbox.queue.idle().then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), SHUTDOWN_DRAIN_MS)))]);
        clearTimeout(timer);
        if (!drained) log.warn({ pending: inbox.queue.pending }, "countersign: stopping with deliveries unfinished; the next process resumes them");
      })
      .then(() => summaries.stop())
      .then(() => database.close())
      .finally(() => process.exit(0));
  });
}
