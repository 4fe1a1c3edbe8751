import type { ApplicationFunction, ApplicationFunctionOptions, Context, Probot, ProbotOctokit } from "probot";
import { exactlyOnce, type DeliveryInbox } from "./deliveries/delivery-inbox.js";
import { startDeliverySweeps } from "./deliveries/delivery-sweeps.js";
import type { CredentialAppSettings, DashboardSettings } from "./config/env.schema.js";
import { credentialReads } from "./credentials/exchange-reads.js";
import { credentialMint } from "./credentials/mint-credential.js";
import { WorkloadKeySets } from "./credentials/verify-workload-token.js";
import { octokitGitHub } from "./github/octokit-github.js";
import { readOrgInstallation } from "./github/org-access.js";
import { authorizeUrl, signInWithCode } from "./github/user-sign-in.js";
import { startCheckpointSigning } from "./handlers/audit-checkpoint-timer.js";
import { checkpointKeysRoute } from "./handlers/checkpoint-keys-route.js";
import { startCredentialSweep } from "./handlers/credential-sweep.js";
import { credentialsRoute } from "./handlers/credentials-route.js";
import { ParsedStories } from "./db/parsed-stories.js";
import { dashboardRoutes } from "./handlers/dashboard-routes.js";
import { evidenceRoute } from "./handlers/evidence-route.js";
import { startExpirySweep } from "./handlers/expiry-sweep.js";
import { addHttpHandlers } from "./handlers/http-handlers.js";
import { onCheckRunRerequested, onCheckSuiteRerequested } from "./handlers/check-rerequest.js";
import { onIssueComment } from "./handlers/issue-comment.js";
import { onIssueClosed } from "./handlers/issues.js";
import { operationsRoutes } from "./handlers/operations-routes.js";
import { onPullRequest, PULL_REQUEST_ACTIONS } from "./handlers/pull-request.js";
import { onPullRequestReview, REVIEW_ACTIONS } from "./handlers/pull-request-review.js";
import { onPush } from "./handlers/push.js";
import type { ReadinessCheck } from "./observability/readiness.js";
import type { AppServices } from "./services/create-services.js";
import { DashboardAccess } from "./services/dashboard-access.js";
import { dashboardKeys } from "./services/dashboard-session.js";
import type { SummaryRebuildStatus } from "./services/pull-request-summaries.js";

export interface AppOptions {
  /** How often to look for expired delegations, in milliseconds; 0 turns the sweep off. */
  expirySweepMs: number;
  /** Facts about start-up (database, migrations) to log once the app is loaded. */
  startup?: Record<string, unknown>;
  /** GitHub's web address (github.com or the Enterprise Server), for links from the evidence page. */
  webUrl?: string;
  /** What `/readyz` asks (database reachable, migrations applied); without one it answers 503. */
  readiness?: ReadinessCheck;
  /**
   * How often to look for deliveries accepted but never finished (their process stopped), in
   * milliseconds; 0 turns it off. The first look is right after start-up.
   */
  resumeSweepMs?: number;
  /**
   * How long a delivery in progress may go without a heartbeat from its process before another
   * process takes it over (its process died), in milliseconds. Default 60 s.
   */
  deliveryLeaseMs?: number;
  /**
   * The credential exchange (`POST /countersign/credentials`): the credential app's settings (null:
   * not configured, every request is answered `not_configured`) and the per-issuer rate limit.
   */
  credentials?: { app: CredentialAppSettings | null; ratePerMinute: number; octokitWithToken: (token: string) => ProbotOctokit };
  /**
   * How often the audit log's head is signed, in milliseconds, when the services have a checkpoint
   * key; 0 (the default) signs none. The first signing is right after start-up.
   */
  checkpointEveryMs?: number;
  /**
   * The organization dashboard's sign-in (docs/dashboard.md): the OAuth client, GitHub's API address,
   * and the fetch its two sign-in requests use, and the start-up rebuild of its summaries (the page
   * says while it runs). Absent: the dashboard's routes are not served.
   */
  dashboard?: { settings: DashboardSettings; apiUrl: string; fetch: typeof fetch; summaries?: SummaryRebuildStatus };
}

/** Countersign as a Probot app: which events reach which handler. No logic lives here. */
export function countersignApp(services: AppServices, inbox: DeliveryInbox, options: AppOptions): ApplicationFunction {
  return (app: Probot, { addHandler }: Partial<ApplicationFunctionOptions> = {}) => {
    if (options.startup) app.log.info(options.startup, "countersign: ready");
    // On Probot's own HTTP server, when there is one: /metrics, /healthz and /readyz always, and the
    // evidence page when it is configured.
    addHttpHandlers(
      addHandler,
      [
        operationsRoutes({ metrics: services.metrics, readiness: options.readiness ?? null, log: app.log }),
        ...(services.evidence ? [evidenceRoute(services, services.evidence, { webUrl: options.webUrl ?? "https://github.com", log: app.log })] : []),
        ...(services.auditCheckpoints ? [checkpointKeysRoute(services.auditCheckpoints)] : []),
        ...(services.evidence && options.dashboard ? [dashboardRoutes(dashboardDeps(app, services, services.evidence, options.dashboard, options.webUrl ?? "https://github.com"))] : []),
        credentialsRoute({
          db: services.db,
          log: app.log,
          clock: services.clock,
          ratePerMinute: options.credentials?.ratePerMinute ?? 60,
          exchange: options.credentials?.app
            ? {
                reads: credentialReads(services.db, async (installationId) => octokitGitHub(await app.auth(installationId), services.gitHubCaches), new WorkloadKeySets(), services.clock),
                mint: credentialMint({ db: services.db, app: options.credentials.app, octokitWithToken: options.credentials.octokitWithToken, clock: services.clock, log: app.log }),
                botKnown: async () => ((await services.processAgentIdentities?.()) ?? []).length > 0,
              }
            : null,
        }),
      ],
      app.log,
    );
    // Every delivery passes through the inbox: processed once, however often GitHub sends it, after
    // GitHub has been answered (see deliveries/delivery-inbox.ts).
    const once = <C extends Context>(handler: (services: AppServices, context: C) => Promise<void>) => exactlyOnce<C>(inbox, (context) => handler(services, context));
    app.on(PULL_REQUEST_ACTIONS.map((action) => `pull_request.${action}` as const), once(onPullRequest));
    app.on(REVIEW_ACTIONS.map((action) => `pull_request_review.${action}` as const), once(onPullRequestReview));
    app.on("issue_comment.created", once(onIssueComment));
    app.on("issues.closed", once(onIssueClosed));
    app.on("check_run.rerequested", once(onCheckRunRerequested));
    app.on("check_suite.rerequested", once(onCheckSuiteRerequested));
    app.on("push", once(onPush));

    startExpirySweep(app, services, options.expirySweepMs);
    if (services.auditCheckpoints && (options.checkpointEveryMs ?? 0) > 0) startCheckpointSigning(app.log, services, services.auditCheckpoints, options.checkpointEveryMs as number);
    if (options.credentials?.app) startCredentialSweep(app, services, options.credentials.app, options.credentials.octokitWithToken, options.credentials.app.sweepMs);

    // Deliveries stored but not processed (abandoned by a stopped process, or beyond the in-memory
    // limit) are received again.
    startDeliverySweeps(inbox, (event) => app.receive(event as never), app.log, options.resumeSweepMs ?? 0, options.deliveryLeaseMs);
  };
}

/** The dashboard's routes' dependencies: its keys, the access check (asking GitHub as the app and the installation), the page's data and the sign-in. */
function dashboardDeps(app: Probot, services: AppServices, evidence: NonNullable<AppServices["evidence"]>, dashboard: NonNullable<AppOptions["dashboard"]>, webUrl: string) {
  const signIn = { ...dashboard.settings, webUrl, apiUrl: dashboard.apiUrl, redirectUri: new URL("/countersign/oauth/callback", dashboard.settings.publicUrl).toString() };
  return {
    keys: dashboardKeys(dashboard.settings.secret),
    access: new DashboardAccess(
      {
        orgInstallation: async (org: string) => readOrgInstallation(await app.auth(), org),
        installationGitHub: async (installationId: number) => octokitGitHub(await app.auth(installationId), services.gitHubCaches),
      },
      app.log,
      () => services.clock().getTime(),
    ),
    page: { db: services.db, evidence, webUrl, clock: services.clock, parsedStories: new ParsedStories(), ...(dashboard.summaries ? { summaries: dashboard.summaries } : {}) },
    authorizeUrl: (state: string) => authorizeUrl(signIn, state),
    userFromCode: (code: string) => signInWithCode(signIn, code, dashboard.fetch),
    secureCookies: new URL(dashboard.settings.publicUrl).protocol === "https:",
    clock: services.clock,
    log: app.log,
  };
}
