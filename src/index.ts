import type { ApplicationFunction, ApplicationFunctionOptions, Context, Probot } from "probot";
import { evidenceRoute } from "./handlers/evidence-route.js";
import { drainQueuedDeliveries, exactlyOnce, resumeAbandonedDeliveries } from "./handlers/exactly-once.js";
import { addHttpHandlers } from "./handlers/http-handlers.js";
import { onCheckRunRerequested, onCheckSuiteRerequested } from "./handlers/check-rerequest.js";
import { onIssueComment } from "./handlers/issue-comment.js";
import { operationsRoutes } from "./handlers/operations-routes.js";
import { onPullRequest, PULL_REQUEST_ACTIONS } from "./handlers/pull-request.js";
import { onPullRequestReview, REVIEW_ACTIONS } from "./handlers/pull-request-review.js";
import { onPush } from "./handlers/push.js";
import { instrumentGitHubRequests } from "./observability/github-requests.js";
import type { ReadinessCheck } from "./observability/readiness.js";
import type { AppServices } from "./services/create-services.js";
import { sweepExpiredDelegations } from "./services/expire-delegations.js";

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
}

/** How often to look for deliveries stored beyond the in-memory limit. */
const QUEUED_DELIVERY_SWEEP_MS = 1_000;

/** A delivery still unfinished this long after it was accepted was abandoned by a process that stopped. */
const ABANDONED_DELIVERY_MS = 5 * 60_000;

/** Countersign as a Probot app: which events reach which handler. No logic lives here. */
export function countersignApp(services: AppServices, options: AppOptions): ApplicationFunction {
  return (app: Probot, { addHandler }: Partial<ApplicationFunctionOptions> = {}) => {
    if (options.startup) app.log.info(options.startup, "countersign: ready");
    // On Probot's own HTTP server, when there is one: /metrics, /healthz and /readyz always, and the
    // evidence page when it is configured.
    addHttpHandlers(
      addHandler,
      [
        operationsRoutes({ metrics: services.metrics, readiness: options.readiness ?? null, log: app.log }),
        ...(services.evidence ? [evidenceRoute(services, services.evidence, { webUrl: options.webUrl ?? "https://github.com", log: app.log })] : []),
      ],
      app.log,
    );
    // Every delivery is processed once, however often GitHub sends it (see exactly-once.ts), and the
    // GitHub requests it makes are counted.
    const once = <C extends Context>(handler: (services: AppServices, context: C) => Promise<void>) =>
      exactlyOnce<C>(services, (context) => {
        instrumentGitHubRequests(context.octokit, services.metrics);
        return handler(services, context);
      });
    app.on(PULL_REQUEST_ACTIONS.map((action) => `pull_request.${action}` as const), once(onPullRequest));
    app.on(REVIEW_ACTIONS.map((action) => `pull_request_review.${action}` as const), once(onPullRequestReview));
    app.on("issue_comment.created", once(onIssueComment));
    app.on("check_run.rerequested", once(onCheckRunRerequested));
    app.on("check_suite.rerequested", once(onCheckSuiteRerequested));
    app.on("push", once(onPush));

    if (options.expirySweepMs > 0) {
      const sweep = () =>
        sweepExpiredDelegations(services, async (installationId) => instrumentGitHubRequests(await app.auth(installationId), services.metrics), app.log).catch((error: unknown) => {
          services.metrics.recordError("expiry_sweep");
          app.log.error({ err: error }, "countersign: expiry sweep failed; it will run again");
        });
      setInterval(sweep, options.expirySweepMs).unref();
    }

    if (options.resumeSweepMs && options.resumeSweepMs > 0) {
      const resume = () =>
        resumeAbandonedDeliveries(services, (event) => app.receive(event as never), app.log, ABANDONED_DELIVERY_MS).catch((error: unknown) => {
          services.metrics.recordError("resume");
          app.log.error({ err: error }, "countersign: could not resume abandoned deliveries; will try again");
        });
      setTimeout(resume, 1_000).unref();
      setInterval(resume, options.resumeSweepMs).unref();
      // Deliveries stored beyond the in-memory limit (here or on another replica): taken up when there
      // is room, a second at most after it appears. One look at a time.
      let draining = false;
      const drain = () => {
        if (draining) return;
        draining = true;
        drainQueuedDeliveries(services, (event) => app.receive(event as never), app.log)
          .catch((error: unknown) => {
            services.metrics.recordError("resume");
            app.log.error({ err: error }, "countersign: could not take up queued deliveries; will try again");
          })
          .finally(() => {
            draining = false;
          });
      };
      setInterval(drain, QUEUED_DELIVERY_SWEEP_MS).unref();
      // Only now may deliveries wait in the database: something takes them up.
      services.queue.spillToDatabase();
    }
  };
}
