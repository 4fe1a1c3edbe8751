import { issuedCredentials } from "../../evidence/issued-credentials.js";
import { referencedTextHashes, type PullRequestStory, type StoryChainEvent, type StoryDecision, type StoryDecisionContext, type StoryDelegation, type StoryPolicyFile, type StoryTaskSnapshot } from "../../evidence/pr-story.js";
import type { ChainHead } from "./audit-reads.js";

// `countersign audit export`: one self-contained evidence record per agent pull request, for a SIEM
// or an auditor. Each fact carries the audit event it was read from (`recorded`), and `chain` lists
// every event used with its links, so a record can be checked against the log (`audit verify`) long
// after the pull request is gone. Pure: assembled from a story; the reads are in audit-reads.ts.
//
// The shape is a contract with whoever ingests it: add fields freely, but rename or remove one only
// with a new `schema` version. docs/audit.md documents every field.

/** The version of the record format. */
export const EXPORT_SCHEMA = "countersign.audit-export/1";

/** Where a fact is recorded in the audit log. */
export interface ExportEventRef {
  /** The audit event's sequence number. */
  seq: number;
  /** The audit event's hash (SHA-256 hex of its canonical form); null only for an unsealed row. */
  hash: string | null;
  /** When the event was recorded (ISO 8601, UTC). */
  at: string;
}

/** A GitHub account, as GitHub identified it. */
export interface ExportAccount {
  /** The login at the time of the event. */
  login: string;
  /** The numeric account id (stable across renames); null when it was not known. */
  id: number | null;
}

/** (a) A task request: a `/delegate` command that authorised agent work. */
export interface ExportTaskRequest {
  /** The delegation record it created (`dlg_…`). */
  delegationId: string;
  /** The task: `kind` is issue, url, ticket or none; `ref` as typed (untrusted text); `url` when known. */
  task: { kind: string; ref: string; url: string | null } | null;
  /** Who gave the command, and so owns the delegation. */
  requestedBy: ExportAccount;
  /** The comment that held the command. */
  commandUrl: string | null;
  /** Where it was given: the pull request itself, or the task issue. */
  subject: { type: string; number: number } | null;
  /** The agent the delegation names; null on a pull request, where the PR's own agent applies. */
  agent: ExportAccount | null;
  /** Path globs and base-branch patterns it covers; empty means no limit. */
  scope: { paths: string[]; branches: string[] };
  /** When it lapses (ISO 8601), or null for no expiry. */
  expiresAt: string | null;
  /**
   * The task as it stood when it was delegated: `hash` (SHA-256 of the stored text, a key of the
   * record's `texts`), `bytes`, `truncated`, `format` (`issue`: the JSON `{"title","body"}`; `url`
   * or `ticket`: the reference itself), `title` (capped), `fetchedAt`; or `{error, fetchedAt}` when
   * GitHub could not be read. Null for no task, or a delegation recorded before snapshots.
   */
  taskSnapshot: StoryTaskSnapshot | null;
  /** How it ended before the export, if it did: revoked (by whom, why), expired, or ended with its pull request. */
  ended: { how: "revoked" | "expired" | "ended"; by: string | null; reason: string | null; recorded: ExportEventRef } | null;
  /** The `delegation.created` event. */
  recorded: ExportEventRef;
}

/** (b) The delegating owner in force at the latest decision. */
export interface ExportOwner {
  /** `delegated` (an explicit `/delegate`) or `implicit` (a human author owns an agent-assisted PR). */
  kind: string;
  /** The owner. */
  account: ExportAccount;
  /**
   * For a delegated owner, the delegation the latest decision relied on (named by its event). Null
   * for an implicit owner.
   */
  delegationId: string | null;
  /** The decision that named this owner. */
  recorded: ExportEventRef;
}

/** An agent's tool inventory as recorded with a delegation. */
export interface ExportToolInventory {
  /** The delegation it was recorded with. */
  delegationId: string;
  /**
   * What each agent could do when the delegation was given, as read from GitHub: `kind: "app"` (the
   * app's permissions and events), `"machine-user"` (its repository permission), or `"unknown"`.
   */
  entries: unknown[];
  /** The `delegation.created` event that holds it. */
  recorded: ExportEventRef;
}

/** (c) The agent: who it is, how Countersign knew, and what it could do. */
export interface ExportAgent {
  /** `authored` (the agent opened the PR) or `assisted` (agent commits or co-authors); null if unknown. */
  involvement: string | null;
  /** The agent identities detected, from the latest decision. */
  identities: Array<{ login: string; id: number | null; kind: string }>;
  /** The signals that identified them (author, commit author, trailer…), from the latest decision. */
  signals: unknown[];
  /** The tool inventory recorded with each delegation. */
  toolInventory: ExportToolInventory[];
  /** The decision the identities and signals come from; null when there is none. */
  recorded: ExportEventRef | null;
}

/** (d) An approval and whether it counted. */
export interface ExportApproval {
  /** Who approved. */
  reviewer: ExportAccount;
  /** The GitHub review id. */
  reviewId: number | null;
  /** The commit SHA the approval was given on. */
  commit: string | null;
  /** Whether it counted towards the requirement. */
  counted: boolean;
  /** Why it did not count (Countersign's codes: `delegator`, `stale`, `permission`…); empty if it did. */
  objections: string[];
  /**
   * `approval-event`: recorded when the review arrived. `decision`: known only from the latest
   * decision's verdicts (an approval that went stale, or one given before Countersign was installed).
   */
  source: "approval-event" | "decision";
  /** The `approval.counted`/`approval.rejected` event, or the decision for `source: "decision"`. */
  recorded: ExportEventRef;
}

/** (e) A policy decision. */
export interface ExportDecision {
  /** The head commit evaluated. */
  headSha: string | null;
  /** The check run's conclusion: success, action_required, failure, neutral. */
  conclusion: string;
  /** The check run's title. */
  title: string;
  /**
   * The effective policy: SHA-256 of its canonical form, and the file(s) it came from. `textHash` is
   * the key in `texts` of the canonical text hashed (equal to `hash`: rehashing that text gives the
   * hash); `files` names each file (repository, path, blob SHA, commit SHA or null, and `textHash`,
   * the key of its text as read). Both are null for a decision recorded before they were kept.
   */
  policy: { hash: string | null; source: string | null; textHash: string | null; files: StoryPolicyFile[] | null };
  /** The decision's reasons, as the engine gave them (`approvals:1/1`, `config-invalid`…). */
  reasons: string[];
  /**
   * What the decision saw: the PR's title (capped at 256 characters, `titleTruncated` when cut), head
   * and base SHAs, and `changedFiles` (`hash` of the stored JSON list of paths, the `count` of paths,
   * `truncated` when the list kept only the first 3000). Null for a decision recorded before it was kept.
   */
  context: StoryDecisionContext | null;
  /** Risk tiers that applied. */
  tiers: string[];
  /** Each requirement, whether it was met, and the policy keys it came from. */
  requirements: Array<{ kind: string; met: boolean; sources: string[] }>;
  /** The webhook delivery that caused it (X-GitHub-Delivery). */
  deliveryId: string | null;
  /** The `decision` event. */
  recorded: ExportEventRef;
}

/** (f) A credential issued to (or revoked from) the agent. */
export interface ExportCredential {
  /** `credential.issued`, `credential.revoked`, `credential.expired` or `credential.revoke_failed`. */
  type: string;
  /** The event's details as recorded. */
  details: unknown;
  /** The credential event. */
  recorded: ExportEventRef;
}

/** (f) A credential Countersign issued under one of the pull request's delegations, and how it ended. */
export interface ExportIssuedCredential {
  /** Countersign's id of the credential (`cred_…`); the token itself is never recorded. */
  credentialId: string;
  /** The delegation it was issued under. */
  delegationId: string;
  /** The agent login the workload acted for. */
  agent: string | null;
  /**
   * The workload, from its verified OIDC token's claims: `issuer` (`iss`), `subject` (`sub`), and for
   * GitHub Actions the `repository`, `workflowRef` (`job_workflow_ref`), `runId` and `actor`; null when absent.
   */
  workload: { issuer: string | null; subject: string | null; repository: string | null; workflowRef: string | null; runId: string | null; actor: string | null };
  /** The permissions GitHub granted the token. */
  permissions: Record<string, string>;
  /** When it was issued (ISO 8601). */
  issuedAt: string;
  /** When GitHub would expire it (its hour). */
  githubExpiresAt: string | null;
  /** When Countersign ends it: the earliest of GitHub's hour, the delegation's expiry and the policy's `max_ttl`. */
  expiresAt: string | null;
  /** `live`, `revoked`, `expired`, or `revoke_failed` (GitHub did not confirm a revocation; it is tried again). */
  state: "live" | "revoked" | "expired" | "revoke_failed";
  /** How it ended: `revoked`/`expired`, the trigger (`effective_expiry`, `delegation_revoked`, `delegation_expired`, `delegation_ended`…) and the event; null while it has not. */
  ended: { how: "revoked" | "expired"; trigger: string | null; recorded: ExportEventRef } | null;
  /** Revocations GitHub did not confirm, each with the trigger, GitHub's answer and the event. */
  revokeFailures: Array<{ trigger: string | null; github: string | null; recorded: ExportEventRef }>;
  /** The `credential.issued` event. */
  recorded: ExportEventRef;
}

/**
 * (g) The chain proof: every event the record was built from, with every field its hash covers, so
 * `countersign audit verify --file` can recompute each hash and rebuild the record with no database.
 */
export interface ExportChainProof {
  /** The chain's head when the export ran: every event below is at or before it. */
  head: ChainHead | null;
  /** The events, in chain order: `seq`, `type`, `hash`, `prevHash`, `at` and the canonical fields (docs/audit.md). */
  events: StoryChainEvent[];
  /**
   * The newest signed checkpoint of the log when the export ran, and for each event it covers (and
   * the head, when it covers it) the RFC 9162 inclusion proof of its hash under the checkpoint's
   * root, by `seq`: with the public key, proof that these events are the log's, unaltered since it
   * was signed. Null when no checkpoint was signed (no key configured).
   */
  checkpoint: ExportCheckpoint | null;
}

/** A signed checkpoint and the inclusion proofs of a record's events under it. */
export interface ExportCheckpoint {
  /** The signed note, exactly as signed (docs/audit.md, "Signed checkpoints"). */
  note: string;
  /** The tree size it signs: events #1..#treeSize. */
  treeSize: number;
  /** Inclusion proofs by event `seq` (hex hashes, leaf first); events after `treeSize` have none. */
  proofs: Record<string, string[]>;
}

/** One agent pull request's evidence: what `countersign audit export` emits per pull request. */
export interface AuditExportRecord {
  /** The record format (`countersign.audit-export/1`). */
  schema: typeof EXPORT_SCHEMA;
  /** When the export ran (ISO 8601, UTC). */
  exportedAt: string;
  /** The repository, `owner/name`. */
  repository: string;
  /** The pull request number. */
  pullRequest: number;
  /** The latest decision's conclusion and head commit, for filtering without reading `decisions`. */
  latest: { conclusion: string; headSha: string | null } | null;
  /** (a) The task request(s). */
  taskRequests: ExportTaskRequest[];
  /** (b) The delegating owner, explicit or implicit; null when there was none (the PR was blocked). */
  owner: ExportOwner | null;
  /** (c) The agent identity and its tool inventory. */
  agent: ExportAgent;
  /** (d) Approvals, with the commits they were given on and whether each counted. */
  approvals: ExportApproval[];
  /** (e) Policy decisions, with the policy hash and source. */
  decisions: ExportDecision[];
  /** (f) The credential events as recorded (token hashes, never tokens), in chain order. */
  credentials: ExportCredential[];
  /**
   * (f) Each credential Countersign issued under the pull request's delegations, with its workload,
   * permissions, validity and end. Empty for a vendor-hosted agent, whose credential is vendor-held
   * (`credentialHolder`).
   */
  issuedCredentials: ExportIssuedCredential[];
  /** `countersign` when Countersign issued the agent's credentials here; `vendor` when it issued none. */
  credentialHolder: "countersign" | "vendor";
  /** Pushes GitHub says an agent identity made to the pull request's branch, whatever the commits claim. */
  agentPushes: ExportAgentPush[];
  /** The merge, if the pull request was merged: `verified` is false for a merge without a countersign. */
  merge: ExportMerge | null;
  /** (g) The chain proof. */
  chain: ExportChainProof;
  /**
   * Every stored text the record's events refer to, by SHA-256 (hex) of its UTF-8 bytes: task
   * snapshots, decisions' changed paths, policy files and canonical policy texts. A hash with no
   * text here was not in the database's content store.
   */
  texts: Record<string, string>;
}

/** A push to the pull request's branch by an agent identity. */
export interface ExportAgentPush {
  pusher: ExportAccount;
  branch: string;
  before: string;
  after: string;
  forced: boolean;
  /** The commits the push added, when the event listed them. */
  commits: string[];
  /** How Countersign learned of it: `push`, `pull_request.synchronize` or `activity`. */
  source: string;
  /**
   * A push by the credential app's bot: the credentials Countersign had issued that were live when
   * it was recorded (empty: none was, so a token from elsewhere pushed). Null for other pushers.
   */
  credentials: Array<{ id: string; delegationId: string; runId: string | null; workflowRef: string | null }> | null;
  recorded: ExportEventRef;
}

/** How the pull request was merged, against Countersign's decision on its head. */
export interface ExportMerge {
  mergedBy: string | null;
  headSha: string | null;
  /** Countersign's latest decision on the merged head at merge time; null when it had made none. */
  decision: { conclusion: string; title: string } | null;
  /** Whether `Countersign` was a required check on the base branch (`required`, `not-required`, `unknown`). */
  requiredCheck: string | null;
  /** True when the check was required and an unverified merge went in anyway. */
  bypassed: boolean;
  /** False for `merge.unverified`: an agent-touched change merged without a success on its head. */
  verified: boolean;
  recorded: ExportEventRef;
}

function recorded(ref: { seq: number; hash: string | null; at: string }): ExportEventRef {
  return { seq: ref.seq, hash: ref.hash, at: ref.at };
}

/** The delegation a decision relied on, as the decision's own event names it. */
function decisionDelegation(story: PullRequestStory, decision: StoryDecision): StoryDelegation | null {
  if (!decision.delegationId) return null;
  return story.delegations.find((delegation) => delegation.id === decision.delegationId) ?? null;
}

/**
 * Assembles the export record of one pull request from its story, as of the chain's `head`, with the
 * stored texts its events refer to (`texts`, read by the caller; see `referencedTextHashes`).
 */
export function buildExportRecord(story: PullRequestStory, context: { head: ChainHead | null; exportedAt: Date; texts?: ReadonlyMap<string, string>; checkpoint?: ExportCheckpoint | null }): AuditExportRecord {
  const latest = story.decisions.at(-1) ?? null;
  const decisionSeqs = new Set(story.decisions.map((decision) => decision.seq));
  const issued = issuedCredentials(story);
  return {
    schema: EXPORT_SCHEMA,
    exportedAt: context.exportedAt.toISOString(),
    repository: story.repository,
    pullRequest: story.number,
    latest: latest ? { conclusion: latest.conclusion, headSha: latest.headSha } : null,
    taskRequests: story.delegations.map((delegation) => ({
      delegationId: delegation.id,
      task: delegation.task,
      requestedBy: { login: delegation.owner.login, id: delegation.owner.id },
      commandUrl: delegation.commandUrl,
      subject: delegation.subject,
      agent: delegation.agent,
      scope: { paths: delegation.scopePaths, branches: delegation.scopeBranches },
      expiresAt: delegation.expiresAt,
      taskSnapshot: delegation.taskSnapshot,
      ended: delegation.ended ? { how: delegation.ended.how, by: delegation.ended.by, reason: delegation.ended.reason, recorded: recorded(delegation.ended) } : null,
      recorded: recorded(delegation),
    })),
    owner:
      story.owner && latest
        ? { kind: story.owner.kind, account: { login: story.owner.login, id: story.owner.id }, delegationId: decisionDelegation(story, latest)?.id ?? null, recorded: recorded(latest) }
        : null,
    agent: {
      involvement: story.agent?.involvement ?? null,
      identities: story.agent?.agents ?? [],
      signals: story.agent?.signals ?? [],
      toolInventory: story.delegations.map((delegation) => ({ delegationId: delegation.id, entries: delegation.agentInventory, recorded: recorded(delegation) })),
      recorded: story.agent && latest ? recorded(latest) : null,
    },
    approvals: story.approvals.map((approval) => ({
      reviewer: { login: approval.reviewer, id: approval.reviewerId },
      reviewId: approval.reviewId,
      commit: approval.commit,
      counted: approval.counted,
      objections: approval.objections,
      source: decisionSeqs.has(approval.seq) ? "decision" : "approval-event",
      recorded: recorded(approval),
    })),
    decisions: story.decisions.map((decision) => ({
      headSha: decision.headSha,
      conclusion: decision.conclusion,
      title: decision.title,
      policy: { hash: decision.policyHash, source: decision.policySource, textHash: decision.policyTextHash, files: decision.policyFiles },
      reasons: decision.reasons,
      context: decision.context,
      tiers: decision.tiers,
      requirements: decision.requirements,
      deliveryId: decision.deliveryId,
      recorded: recorded(decision),
    })),
    credentials: story.credentials.map((credential) => ({ type: credential.type, details: credential.payload, recorded: recorded(credential) })),
    issuedCredentials: issued.map((credential) => ({
      credentialId: credential.id,
      delegationId: credential.delegationId,
      agent: credential.agent,
      workload: credential.workload,
      permissions: credential.permissions,
      issuedAt: credential.at,
      githubExpiresAt: credential.githubExpiresAt,
      expiresAt: credential.expiresAt,
      state: credential.ended ? credential.ended.how : credential.revokeFailures.length > 0 ? "revoke_failed" : "live",
      ended: credential.ended ? { how: credential.ended.how, trigger: credential.ended.trigger, recorded: recorded(credential.ended) } : null,
      revokeFailures: credential.revokeFailures.map((failure) => ({ trigger: failure.trigger, github: failure.github, recorded: recorded(failure) })),
      recorded: recorded(credential),
    })),
    credentialHolder: issued.length > 0 ? "countersign" : "vendor",
    agentPushes: story.agentPushes.map((push) => ({
      pusher: { login: push.pusher, id: push.pusherId },
      branch: push.branch,
      before: push.before,
      after: push.after,
      forced: push.forced,
      commits: push.commits,
      source: push.source,
      credentials: push.credentials,
      recorded: recorded(push),
    })),
    merge: (() => {
      const merge = story.merges.at(-1);
      return merge ? { mergedBy: merge.mergedBy, headSha: merge.headSha, decision: merge.decision, requiredCheck: merge.requiredCheck, bypassed: merge.bypassed, verified: merge.verified, recorded: recorded(merge) } : null;
    })(),
    chain: { head: context.head, events: story.chain.map((event) => ({ ...event })), checkpoint: context.checkpoint ?? null },
    texts: exportedTexts(story, context.texts),
  };
}

/** The texts a story refers to, from those read; in the order first referred to. */
function exportedTexts(story: PullRequestStory, texts: ReadonlyMap<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const hash of referencedTextHashes(story)) {
    const text = texts?.get(hash);
    if (text !== undefined) out[hash] = text;
  }
  return out;
}

/** A record as one JSONL line (compact, newline-terminated), for SIEM ingestion. */
export function toJsonLine(record: AuditExportRecord): string {
  return `${JSON.stringify(record)}\n`;
}
