import { CoalescingSerializer } from "../concurrency/coalescing-serializer.js";
import { Semaphore } from "../concurrency/semaphore.js";
import type { Store } from "../db/client.js";
import type { CredentialAppClients } from "../github/credential-rules.js";
import { createGitHubCaches, type GitHubCaches } from "../github/octokit-github.js";
import type { EvidenceLinkSettings } from "../evidence/signed-links.js";
import { createMetrics, type Metrics } from "../observability/metrics.js";
import type { AgentIdentity } from "../policy/agent-identities.js";
import { RetryScheduler } from "./retry-scheduler.js";
import type { EvaluationDeps } from "./evaluation-queue.js";
import type { AuditCheckpoints } from "./audit-checkpoints.js";
import type { PushDeps } from "./flag-direct-push.js";

/**
 * What the handlers are given: every service's dependencies, wired once per process. Each service
 * declares the few it uses (EvaluationDeps, PushDeps, ...) and is passed this whole; nothing below the
 * handlers names it.
 */
export interface AppServices extends EvaluationDeps, PushDeps {
  /** The audit checkpoint signer, when a key is configured. */
  auditCheckpoints: AuditCheckpoints | null;
  /** GitHub's answers kept for a while (people's standing, agents' grants, the required-check setup), shared by every event's client. */
  gitHubCaches: GitHubCaches;
  /** Places for reading and evaluating pull requests: evaluations take one (via the serializer), and so do commands' reads. */
  evaluationSemaphore: Semaphore;
}

export interface ServiceSettings {
  /** How long permission and team-membership answers are trusted, in milliseconds. */
  peopleTtlMs: number;
  /** How long the setup doctor's answer for a branch is trusted, in milliseconds. */
  setupCheckTtlMs: number;
  appId: number | null;
  evidence?: EvidenceLinkSettings | null;
  retries?: RetryScheduler;
  /**
   * How many pull requests are read and evaluated at once (default 32): a large one's read holds its
   * pages in memory. Deliveries waiting for a place still join an evaluation of their pull request.
   */
  concurrency?: number;
  clock?: () => Date;
  /**
   * The metrics to record into. Without them, a registry of its own without process metrics: the
   * process that serves `/metrics` (main.ts) creates them with process metrics and passes them here.
   */
  metrics?: Metrics;
  /**
   * The credential app, when this process has one (docs/credentials.md): `identities` resolves its bot
   * as an agent identity for every service, and `clients` (null when only its slug is known) let the
   * setup doctor ask, as that bot, whether a ruleset keeps it off a base branch.
   */
  credentialApp?: { identities: () => Promise<AgentIdentity[]>; clients: CredentialAppClients | null } | null;
  /** The audit checkpoint signer (its newest checkpoint rides on every check run), when a key is configured. */
  checkpoints?: AuditCheckpoints | null;
}

/** Wires the services the app (and the simulator) runs on, with their per-process caches. */
export function createServices(db: Store, settings: ServiceSettings): AppServices {
  const clock = settings.clock ?? (() => new Date());
  const millis = () => clock().getTime();
  const metrics = settings.metrics ?? createMetrics({ processMetrics: false });
  const evaluationSemaphore = new Semaphore(settings.concurrency ?? 32);
  return {
    db,
    gitHubCaches: createGitHubCaches({
      peopleTtlMs: settings.peopleTtlMs,
      setupCheckTtlMs: settings.setupCheckTtlMs,
      clock: millis,
      credentialApp: settings.credentialApp ? { clients: settings.credentialApp.clients } : null,
    }),
    serializer: new CoalescingSerializer(evaluationSemaphore),
    evaluationSemaphore,
    retries: settings.retries ?? new RetryScheduler(),
    clock,
    appId: settings.appId,
    evidence: settings.evidence ?? null,
    auditCheckpoints: settings.checkpoints ?? null,
    metrics,
    onEvaluated: (result, durationMs) => metrics.recordEvaluation(result, durationMs),
    // Pushes made with issued tokens are the credential app's bot's: an agent identity for every service.
    ...(settings.credentialApp ? { processAgentIdentities: settings.credentialApp.identities } : {}),
  };
}
