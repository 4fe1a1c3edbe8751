import { z } from "zod";
import type { StoredEvent } from "../audit/chain.js";

// The full story of one agent pull request, assembled from its audit events only: every fact here is
// backed by an event in the hash chain, and carries that event's sequence number and hash as proof.
// Pure: the database reads are in src/db/pr-records.ts; the renderings (CLI, export, the evidence
// page) take a story and never query anything themselves.

/** Where a fact sits in the chain. */
export interface ChainRef {
  seq: number;
  hash: string | null;
  at: string;
}

export interface StoryDelegation extends ChainRef {
  id: string;
  subject: { type: string; number: number } | null;
  owner: { id: number | null; login: string };
  task: { kind: string; ref: string; url: string | null } | null;
  scopePaths: string[];
  scopeBranches: string[];
  expiresAt: string | null;
  agent: { id: number | null; login: string } | null;
  agentInventory: unknown[];
  commandUrl: string | null;
  /** The task as it stood when it was delegated (its text is in the content store, by `hash`); null when none was recorded. */
  taskSnapshot: StoryTaskSnapshot | null;
  /** Later events that ended it: revocation (with who and why) or expiry. */
  ended: (ChainRef & { how: "revoked" | "expired" | "ended"; by: string | null; reason: string | null }) | null;
}

export interface StoryApproval extends ChainRef {
  reviewer: string;
  reviewerId: number | null;
  reviewId: number | null;
  commit: string | null;
  counted: boolean;
  objections: string[];
}

export interface StoryDecision extends ChainRef {
  headSha: string | null;
  /** The delegation the decision relied on, if any. */
  delegationId: string | null;
  conclusion: string;
  title: string;
  policyHash: string | null;
  policySource: string | null;
  deliveryId: string | null;
  tiers: string[];
  requirements: Array<{ kind: string; met: boolean; sources: string[] }>;
  /** The decision's reasons, as the engine gave them (`approvals:1/1`, unmet requirements…). */
  reasons: string[];
  /** What the decision saw of the pull request (title, commits, changed paths by hash); null when not recorded. */
  context: StoryDecisionContext | null;
  /** The hash of the policy's canonical text, and the files it was read from; null when not recorded. */
  policyTextHash: string | null;
  policyFiles: StoryPolicyFile[] | null;
}

/** A task snapshot as `delegation.created` records it: the stored text's hash, or why there is none. */
export type StoryTaskSnapshot = z.infer<typeof taskSnapshotSchema>;
/** A decision's context as its event records it. */
export type StoryDecisionContext = z.infer<typeof decisionContextSchema>;
/** A policy file as a decision's event names it. */
export type StoryPolicyFile = z.infer<typeof policyFileSchema>;

export interface StoryEntry extends ChainRef {
  type: string;
  text: string;
}

export interface PullRequestStory {
  repository: string;
  number: number;
  /** The agent(s) and how they were identified, from the latest decision. */
  agent: { involvement: string; agents: Array<{ login: string; id: number | null; kind: string }>; signals: unknown[] } | null;
  delegations: StoryDelegation[];
  /** The owner in force at the latest decision: explicit (a delegation) or implicit (the author). */
  owner: { kind: string; login: string; id: number | null } | null;
  approvals: StoryApproval[];
  decisions: StoryDecision[];
  /** Head commits the PR was evaluated on, in order: each new one is a push. */
  pushes: Array<ChainRef & { sha: string }>;
  /** The credential events (issued, revoked, expired, revoke_failed) as recorded: see issued-credentials.ts. */
  credentials: Array<ChainRef & { type: string; payload: unknown }>;
  /** Pushes GitHub says an agent identity made to the pull request's branch (whatever the commits claim). */
  agentPushes: Array<ChainRef & { pusher: string; pusherId: number | null; branch: string; before: string; after: string; forced: boolean; commits: string[]; source: string; credentials: Array<{ id: string; delegationId: string; runId: string | null; workflowRef: string | null }> | null }>;
  /** The merge, if it was merged: who merged, what Countersign had concluded, and whether it was verified. */
  merges: Array<ChainRef & { verified: boolean; mergedBy: string | null; headSha: string | null; decision: { conclusion: string; title: string } | null; requiredCheck: string | null; bypassed: boolean }>;
  timeline: StoryEntry[];
  /**
   * Every event the story was built from, in chain order, with every field its hash covers (the
   * canonical form, src/audit/chain.ts): enough to recompute each hash without the database.
   */
  chain: StoryChainEvent[];
}

/**
 * An event as the story carries it: the stored event with its time as ISO 8601 (UTC, milliseconds)
 * in `at`: every field its hash covers, the payload exactly as stored (JSON text).
 */
export type StoryChainEvent = Omit<StoredEvent, "createdAt"> & { at: string };

const actorSchema = z.object({ id: z.number().nullable().optional(), login: z.string() });
const taskSchema = z.object({ kind: z.string(), ref: z.string(), url: z.string().nullable() });

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

// The snapshot, context and policy files were added to the events later: an older event has none,
// and a part that does not parse is left out (`catch`) rather than losing the event's other facts.
const taskSnapshotSchema = z.union([
  z.object({ hash: sha256Hex, bytes: z.number(), truncated: z.boolean(), format: z.string(), title: z.string().nullable(), titleTruncated: z.literal(true).optional(), fetchedAt: z.string() }),
  z.object({ error: z.string(), fetchedAt: z.string() }),
]);

const decisionContextSchema = z.object({
  title: z.string(),
  titleTruncated: z.literal(true).optional(),
  headSha: z.string(),
  baseSha: z.string().nullable(),
  changedFiles: z.object({ hash: sha256Hex, count: z.number(), truncated: z.boolean() }),
});

const policyFileSchema = z.object({ repository: z.string(), path: z.string(), blobSha: z.string().nullable(), commitSha: z.string().nullable(), textHash: sha256Hex });

const decisionPolicySchema = z.object({ textHash: sha256Hex.nullable(), files: z.array(policyFileSchema) });

const delegationCreatedSchema = z.object({
  delegationId: z.string(),
  commentUrl: z.string().optional(),
  subject: z.object({ type: z.string(), number: z.number() }).optional(),
  owner: actorSchema.optional(),
  task: taskSchema.optional(),
  scopePaths: z.array(z.string()).default([]),
  scopeBranches: z.array(z.string()).default([]),
  expiresAt: z.string().nullable().optional(),
  agent: actorSchema.nullable().optional(),
  agentInventory: z.array(z.unknown()).default([]),
  taskSnapshot: taskSnapshotSchema.nullable().optional().catch(undefined),
});

const delegationEndedSchema = z.object({ delegationId: z.string(), reason: z.string().nullable().optional() });

const decisionSchema = z.object({
  conclusion: z.string(),
  title: z.string(),
  delegationId: z.string().nullable().optional(),
  policyHash: z.string().nullable().optional(),
  policySource: z.string().nullable().optional(),
  involvement: z.string().optional(),
  agents: z.array(z.object({ login: z.string(), id: z.number().nullable(), kind: z.string() })).optional(),
  signals: z.array(z.unknown()).optional(),
  owner: z.object({ kind: z.string(), login: z.string(), id: z.number().nullable() }).nullable().optional(),
  tiers: z.array(z.string()).default([]),
  requirements: z.array(z.object({ kind: z.string(), met: z.boolean(), sources: z.array(z.string()) })).default([]),
  reasons: z.array(z.string()).default([]).catch([]),
  context: decisionContextSchema.optional().catch(undefined),
  policy: decisionPolicySchema.optional().catch(undefined),
  approvals: z
    .array(z.object({ reviewer: z.string(), reviewerId: z.number().nullable(), reviewId: z.number(), commit: z.string().nullable(), counted: z.boolean(), objections: z.array(z.string()) }))
    .default([]),
});

const agentPushSchema = z.object({
  branch: z.string(),
  before: z.string(),
  after: z.string(),
  forced: z.boolean().default(false),
  commits: z.array(z.string()).default([]),
  source: z.string().default("push"),
  /** A push by the credential app's bot: the credentials live when it was recorded (see db/credentials.ts). */
  credentials: z.array(z.object({ id: z.string(), delegationId: z.string(), runId: z.string().nullable(), workflowRef: z.string().nullable() })).nullable().default(null),
});

/** Which issued credential a push by the credential app's bot was made with, as a phrase; "" for other pushers. */
export function pushCredentialPhrase(credentials: ReadonlyArray<{ id: string; delegationId: string }> | null): string {
  if (credentials === null) return "";
  if (credentials.length === 0) return ", with no credential Countersign issued live then (a token from elsewhere pushed as the credential app)";
  const named = credentials.map((credential) => `${credential.id} (delegation ${credential.delegationId})`);
  return credentials.length === 1 ? `, with credential ${named[0]}` : `, with one of the credentials live then: ${named.join(", ")}`;
}

const mergeSchema = z.object({
  decision: z.object({ conclusion: z.string(), title: z.string() }).nullable().optional(),
  requiredCheck: z.string().nullable().optional(),
  bypassed: z.boolean().default(false),
});

const approvalSchema = z.object({ reviewId: z.number(), objections: z.array(z.object({ code: z.string() })).default([]) });

function ref(event: StoredEvent): ChainRef {
  return { seq: event.seq, hash: event.hash, at: event.createdAt.toISOString() };
}

function parse<T extends z.ZodTypeAny>(schema: T, event: StoredEvent): z.infer<T> | null {
  try {
    const result = schema.safeParse(JSON.parse(event.payload));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

/** A credential event in words (the id and trigger are Countersign's own; never the token's hashes). */
function credentialText(type: string, payload: unknown): string {
  const data = z.object({ credentialId: z.string().optional(), trigger: z.string().optional() }).safeParse(payload);
  const id = data.success && data.data.credentialId ? ` ${data.data.credentialId}` : "";
  const trigger = data.success && data.data.trigger ? ` (${data.data.trigger})` : "";
  if (type === "credential.issued") return `credential${id} was issued to the agent's workload`;
  if (type === "credential.expired") return `credential${id} expired${trigger}`;
  if (type === "credential.revoke_failed") return `credential${id} could not be revoked${trigger}; it is tried again`;
  return `credential${id} was revoked${trigger}`;
}

/**
 * Assembles the story of `repository#number` from its events (in chain order): the PR's own events and
 * the delegation events of the delegations its decisions relied on.
 */
export function buildStory(repository: string, number: number, events: readonly StoredEvent[]): PullRequestStory {
  const ordered = [...events].sort((a, b) => a.seq - b.seq);
  const delegations = new Map<string, StoryDelegation>();
  const approvals: StoryApproval[] = [];
  const decisions: StoryDecision[] = [];
  const pushes: PullRequestStory["pushes"] = [];
  const credentials: PullRequestStory["credentials"] = [];
  const agentPushes: PullRequestStory["agentPushes"] = [];
  const merges: PullRequestStory["merges"] = [];
  const timeline: StoryEntry[] = [];
  let agent: PullRequestStory["agent"] = null;
  let owner: PullRequestStory["owner"] = null;
  let latestApprovals: z.infer<typeof decisionSchema>["approvals"] = [];
  let latestDecisionRef: ChainRef | null = null;

  for (const event of ordered) {
    const at = ref(event);
    switch (event.type) {
      case "delegation.created": {
        const data = parse(delegationCreatedSchema, event);
        if (!data) break;
        const delegation: StoryDelegation = {
          ...at,
          id: data.delegationId,
          subject: data.subject ?? null,
          owner: { id: data.owner?.id ?? event.actorId, login: data.owner?.login ?? event.actorLogin ?? "unknown" },
          task: data.task ?? null,
          scopePaths: data.scopePaths,
          scopeBranches: data.scopeBranches,
          expiresAt: data.expiresAt ?? null,
          agent: data.agent ? { id: data.agent.id ?? null, login: data.agent.login } : null,
          agentInventory: data.agentInventory,
          commandUrl: data.commentUrl ?? null,
          taskSnapshot: data.taskSnapshot ?? null,
          ended: null,
        };
        delegations.set(delegation.id, delegation);
        timeline.push({ ...at, type: event.type, text: `@${delegation.owner.login} delegated ${delegation.task ? `task ${delegation.task.ref}` : "the change"}${delegation.agent ? ` to @${delegation.agent.login}` : ""} (record ${delegation.id})` });
        break;
      }
      case "delegation.revoked":
      case "delegation.ended":
      case "delegation.expired": {
        const data = parse(delegationEndedSchema, event);
        const delegation = data ? delegations.get(data.delegationId) : undefined;
        const how = event.type === "delegation.expired" ? "expired" : event.type === "delegation.ended" ? "ended" : "revoked";
        if (delegation) delegation.ended = { ...at, how, by: event.actorLogin, reason: data?.reason ?? null };
        timeline.push({ ...at, type: event.type, text: `delegation ${data?.delegationId ?? "?"} ${how}${event.actorLogin ? ` by @${event.actorLogin}` : ""}${data?.reason ? `: ${data.reason}` : ""}` });
        break;
      }
      case "delegation.refused":
      case "command.malformed":
        timeline.push({ ...at, type: event.type, text: `a command by @${event.actorLogin ?? "unknown"} was ${event.type === "command.malformed" ? "malformed" : "refused"}` });
        break;
      case "approval.counted":
      case "approval.rejected": {
        const data = parse(approvalSchema, event);
        const approval: StoryApproval = {
          ...at,
          reviewer: event.actorLogin ?? "unknown",
          reviewerId: event.actorId,
          reviewId: data?.reviewId ?? null,
          commit: event.sha,
          counted: event.type === "approval.counted",
          objections: data?.objections.map((objection) => objection.code) ?? [],
        };
        approvals.push(approval);
        timeline.push({ ...at, type: event.type, text: `@${approval.reviewer} approved ${approval.commit?.slice(0, 7) ?? "?"}: ${approval.counted ? "counted" : `not counted (${approval.objections.join(", ")})`}` });
        break;
      }
      case "decision": {
        const data = parse(decisionSchema, event);
        if (!data) break;
        if (event.sha && pushes.at(-1)?.sha !== event.sha) {
          pushes.push({ ...at, sha: event.sha });
          if (pushes.length > 1) timeline.push({ ...at, type: "push", text: `the head moved to ${event.sha.slice(0, 7)}` });
        }
        decisions.push({
          ...at,
          headSha: event.sha,
          delegationId: data.delegationId ?? null,
          conclusion: data.conclusion,
          title: data.title,
          policyHash: data.policyHash ?? null,
          policySource: data.policySource ?? null,
          deliveryId: event.deliveryId,
          tiers: data.tiers,
          requirements: data.requirements,
          reasons: data.reasons,
          context: data.context ?? null,
          policyTextHash: data.policy?.textHash ?? null,
          policyFiles: data.policy?.files ?? null,
        });
        if (data.involvement) agent = { involvement: data.involvement, agents: data.agents ?? [], signals: data.signals ?? [] };
        owner = data.owner ?? null;
        latestApprovals = data.approvals;
        latestDecisionRef = at;
        timeline.push({ ...at, type: event.type, text: `decision on ${event.sha?.slice(0, 7) ?? "?"}: ${data.conclusion} (${data.title})${data.policyHash ? ` under policy ${data.policyHash.slice(0, 12)}` : ""}` });
        break;
      }
      case "evaluation.failed":
      case "config.invalid":
        timeline.push({ ...at, type: event.type, text: event.type === "config.invalid" ? "the policy was invalid: blocked" : "evaluation failed: blocked" });
        break;
      case "credential.issued":
      case "credential.revoked":
      case "credential.expired":
      case "credential.revoke_failed": {
        const payload = JSON.parse(event.payload) as unknown;
        credentials.push({ ...at, type: event.type, payload });
        timeline.push({ ...at, type: event.type, text: credentialText(event.type, payload) });
        break;
      }
      case "push.agent": {
        const data = parse(agentPushSchema, event);
        if (!data) break;
        agentPushes.push({ ...at, pusher: event.actorLogin ?? "unknown", pusherId: event.actorId, ...data });
        timeline.push({ ...at, type: event.type, text: `@${event.actorLogin ?? "unknown"} (an agent identity) ${data.forced ? "force-pushed" : "pushed"} ${data.before.slice(0, 7)} → ${data.after.slice(0, 7)} to branch ${data.branch}${pushCredentialPhrase(data.credentials)}` });
        break;
      }
      case "merge.recorded":
      case "merge.unverified": {
        const data = parse(mergeSchema, event);
        if (!data) break;
        const verified = event.type === "merge.recorded";
        // Every merge has a merge.recorded event; an unverified one has a merge.unverified right after it.
        const known = merges.find((merge) => merge.headSha === event.sha);
        if (known) known.verified = known.verified && verified;
        else merges.push({ ...at, verified, mergedBy: event.actorLogin, headSha: event.sha, decision: data.decision ?? null, requiredCheck: data.requiredCheck ?? null, bypassed: data.bypassed });
        timeline.push({
          ...at,
          type: event.type,
          text: verified ? `merged by @${event.actorLogin ?? "unknown"} at ${event.sha?.slice(0, 7) ?? "?"}` : `MERGED WITHOUT A COUNTERSIGN: @${event.actorLogin ?? "unknown"} merged ${event.sha?.slice(0, 7) ?? "?"} with ${data.decision ? `decision ${data.decision.conclusion}` : "no decision"} on it${data.bypassed ? " (the required check was bypassed)" : ""}`,
        });
        break;
      }
      default:
        timeline.push({ ...at, type: event.type, text: event.type });
    }
  }

  // Reviews the latest decision judged without a review event of their own (an approval that went
  // stale, or one given before Countersign was installed) are still part of the story.
  const decisionRef = latestDecisionRef as ChainRef | null;
  for (const verdict of latestApprovals) {
    const known = approvals.some((approval) => approval.reviewId === verdict.reviewId && approval.counted === verdict.counted && approval.commit === verdict.commit);
    if (!known && decisionRef) {
      approvals.push({ ...decisionRef, reviewer: verdict.reviewer, reviewerId: verdict.reviewerId, reviewId: verdict.reviewId, commit: verdict.commit, counted: verdict.counted, objections: verdict.objections });
    }
  }
  // Those sit at the latest decision's place in the chain, which is before the review events that
  // decision's evaluation recorded after it: the list stays in chain order (a stable sort).
  approvals.sort((a, b) => a.seq - b.seq);

  return {
    repository,
    number,
    agent,
    delegations: [...delegations.values()],
    owner,
    approvals,
    decisions,
    pushes,
    credentials,
    agentPushes,
    merges,
    timeline,
    chain: ordered.map((event) => ({
      seq: event.seq,
      type: event.type,
      hash: event.hash,
      prevHash: event.prevHash,
      at: event.createdAt.toISOString(),
      repoId: event.repoId,
      repoFullName: event.repoFullName,
      subjectNumber: event.subjectNumber,
      sha: event.sha,
      actorId: event.actorId,
      actorLogin: event.actorLogin,
      deliveryId: event.deliveryId,
      payload: event.payload,
    })),
  };
}

/**
 * The hashes of every stored text a story's events refer to (task snapshots, decisions' changed
 * paths, policy texts and files), each once, in the order first referred to: what an export carries
 * in `texts`.
 */
export function referencedTextHashes(story: Pick<PullRequestStory, "delegations" | "decisions">): string[] {
  const hashes = new Set<string>();
  for (const delegation of story.delegations) if (delegation.taskSnapshot && "hash" in delegation.taskSnapshot) hashes.add(delegation.taskSnapshot.hash);
  for (const decision of story.decisions) {
    if (decision.context) hashes.add(decision.context.changedFiles.hash);
    if (decision.policyTextHash) hashes.add(decision.policyTextHash);
    for (const file of decision.policyFiles ?? []) hashes.add(file.textHash);
  }
  return [...hashes];
}
