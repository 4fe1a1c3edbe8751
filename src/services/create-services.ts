import type { Database } from "../db/client.js";
import { AgentInventoryReader } from "../github/agent-inventory.js";
import { PermissionReader, TeamMembershipReader } from "../github/permissions.js";
import { RequiredCheckDoctor } from "../github/required-check.js";
import type { EvidenceLinkSettings } from "../evidence/signed-links.js";
import type { Services } from "./deps.js";
import { KeyedSerializer } from "./keyed-serializer.js";

export interface ServiceSettings {
  /** How long permission and team-membership answers are trusted, in milliseconds. */
  peopleTtlMs: number;
  /** How long the setup doctor's answer for a branch is trusted, in milliseconds. */
  setupCheckTtlMs: number;
  appId: number | null;
  evidence?: EvidenceLinkSettings | null;
  clock?: () => Date;
}

/** Wires the services the app (and the simulator) runs on, with their per-process caches. */
export function createServices(db: Database, settings: ServiceSettings): Services {
  const clock = settings.clock ?? (() => new Date());
  const millis = () => clock().getTime();
  const permissions = new PermissionReader(settings.peopleTtlMs, millis);
  return {
    db,
    permissions,
    inventory: new AgentInventoryReader(permissions, 3_600_000, millis),
    memberships: new TeamMembershipReader(settings.peopleTtlMs, millis),
    doctor: new RequiredCheckDoctor(settings.setupCheckTtlMs, millis),
    serializer: new KeyedSerializer(),
    clock,
    appId: settings.appId,
    evidence: settings.evidence ?? null,
  };
}
