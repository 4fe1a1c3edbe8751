import type { Database } from "../db/client.js";
import { AgentInventoryReader } from "../github/agent-inventory.js";
import { PermissionReader, TeamMembershipReader } from "../github/permissions.js";
import { RequiredCheckDoctor } from "../github/required-check.js";
import type { EvidenceLinkSettings } from "../evidence/signed-links.js";
import { createMetrics, type Metrics } from "../observability/metrics.js";
import type { Services } from "./deps.js";
import { CoalescingSerializer } from "./coalescing-serializer.js";
import { RetryScheduler } from "./retry-scheduler.js";
import { DeliveryQueue } from "./delivery-queue.js";

export interface ServiceSettings {
  /** How long permission and team-membership answers are trusted, in milliseconds. */
  peopleTtlMs: number;
  /** How long the setup doctor's answer for a branch is trusted, in milliseconds. */
  setupCheckTtlMs: number;
  appId: number | null;
  evidence?: EvidenceLinkSettings | null;
  retries?: RetryScheduler;
  /** How many deliveries are processed at once (default 32). */
  concurrency?: number;
  /** How many accepted deliveries are held in memory at most (default 1,000); the rest wait in the database. */
  maxDeliveriesInMemory?: number;
  clock?: () => Date;
  /**
   * The metrics to record into. Without them, a registry of its own without process metrics: the
   * process that serves `/metrics` (main.ts) creates them with process metrics and passes them here.
   */
  metrics?: Metrics;
}

/** Wires the services the app (and the simulator) runs on, with their per-process caches. */
export function createServices(db: Database, settings: ServiceSettings): Services {
  const clock = settings.clock ?? (() => new Date());
  const millis = () => clock().getTime();
  const permissions = new PermissionReader(settings.peopleTtlMs, millis);
  const metrics = settings.metrics ?? createMetrics({ processMetrics: false });
  return {
    db,
    permissions,
    inventory: new AgentInventoryReader(permissions, 3_600_000, millis),
    memberships: new TeamMembershipReader(settings.peopleTtlMs, millis),
    doctor: new RequiredCheckDoctor(settings.setupCheckTtlMs, millis),
    serializer: new CoalescingSerializer(),
    retries: settings.retries ?? new RetryScheduler(),
    queue: new DeliveryQueue(settings.concurrency ?? 32, settings.maxDeliveriesInMemory ?? 1_000),
    clock,
    appId: settings.appId,
    evidence: settings.evidence ?? null,
    metrics,
    onEvaluated: (result, durationMs) => metrics.recordEvaluation(result, durationMs),
  };
}
