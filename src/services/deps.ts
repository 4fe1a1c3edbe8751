import type { Logger, ProbotOctokit } from "probot";
import type { Database } from "../db/client.js";
import type { AgentInventoryReader } from "../github/agent-inventory.js";
import type { PermissionReader, TeamMembershipReader } from "../github/permissions.js";
import type { RequiredCheckDoctor } from "../github/required-check.js";
import type { EvidenceLinkSettings } from "../evidence/signed-links.js";
import type { Metrics } from "../observability/metrics.js";
import type { CoalescingSerializer } from "./coalescing-serializer.js";
import type { EvaluationResult, QueuedEvaluation } from "./evaluate-pull-request.js";
import type { RetryScheduler } from "./retry-scheduler.js";
import type { Slots } from "./slots.js";
import type { DeliveryQueue } from "./delivery-queue.js";

/** What the services need from the outside world, passed in so tests can control every piece. */
export interface Services {
  db: Database;
  permissions: PermissionReader;
  memberships: TeamMembershipReader;
  /** What agents are able to do (their apps' grants), recorded with each delegation. */
  inventory: AgentInventoryReader;
  /** Finds out whether `Countersign` is a required check on the base branch. */
  doctor: RequiredCheckDoctor;
  /**
   * Evaluations of the same pull request run one at a time, in arrival order; requests arriving while
   * one waits for its turn join it.
   */
  serializer: CoalescingSerializer<QueuedEvaluation, EvaluationResult>;
  /** Places for reading and evaluating pull requests: evaluations take one (via the serializer), and so do commands' reads. */
  evaluationSlots: Slots;
  /** Evaluations GitHub rate-limited, to be tried again later. */
  retries: RetryScheduler;
  /** Deliveries accepted (GitHub answered) and processed afterwards. */
  queue: DeliveryQueue;
  clock: () => Date;
  /** This GitHub App's id, so that its own comments are never read as commands (null in setup mode). */
  appId: number | null;
  /** Signed links to the evidence page, when it is configured (public URL and secret); else null. */
  evidence: EvidenceLinkSettings | null;
  /** The app's Prometheus metrics (served at `/metrics`). */
  metrics: Metrics;
  /**
   * Called once an evaluation has finished, with its result and how long it took (not counting the
   * wait for an earlier evaluation of the same pull request): it feeds the decision and latency metrics.
   */
  onEvaluated?: (result: EvaluationResult, durationMs: number) => void;
}

/** The repository an event concerns. */
export interface RepoContext {
  owner: string;
  name: string;
  id: number;
  fullName: string;
}

/** The logging the services use (Probot's logger, or a plain one in the CLI). */
export type Log = Pick<Logger, "info" | "warn" | "error">;

/** Who, where and how an event reached Countersign. */
export interface EventContext {
  octokit: ProbotOctokit;
  log: Log;
  repo: RepoContext;
  deliveryId: string | null;
  installationId: number | null;
}
