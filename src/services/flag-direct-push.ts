import { loadRepoPolicy, type PolicyLoadResult } from "../config/repo-policy-loader.js";
import type { Store } from "../db/client.js";
import { delegationsOfCredentials } from "../db/credentials.js";
import { renderCredentialPushOutside, renderDirectPush, type DirectPush } from "../evidence/blocking-outputs.js";
import type { CheckRunOutput, EvaluationMeta } from "../evidence/check-run-output.js";
import { credentialPushOutside, type CredentialDelegationScope } from "../policy/credential-push-scope.js";
import { matchAgentIdentity } from "../policy/agent-identities.js";
import { anyGlobMatcher } from "../policy/glob-matchers.js";
import { defaultPolicy } from "../policy/repo-policy.js";
import type { Actor, AgentPush, PushCredential } from "../policy/types.js";
import { publishCheckRun } from "./check-run-publisher.js";
import type { EventContext } from "./event-context.js";
import { CREDENTIAL_BOT_IDENTITY, recordPushIfAgent, withProcessIdentities, type ProcessAgentIdentities } from "./record-agent-push.js";
import { recordDecisionWithEvent } from "./record-decision.js";

/** What handling a push needs: the database (pushes, check-run records, decisions) and the clock. */
export interface PushDeps extends ProcessAgentIdentities {
  db: Store;
  clock: () => Date;
}

/** A push to a repository, as the webhook reports it. */
export interface PushRequest {
  ref: string;
  defaultBranch: string;
  headSha: string;
  deleted: boolean;
  sender: Actor;
  commits: Array<{ sha: string; message: string }>;
  compareUrl: string | null;
  /** The branch's commit before the push (all zeros when the push created it). */
  beforeSha: string;
  /** Whether the push rewrote the branch's history. */
  forced: boolean;
}

/**
 * Whether a branch is protected: listed by `protected_branches`, or the default branch when unset
 * (or when `alsoDefault`: the organization's floor protects it whatever a repository lists).
 */
export function isProtectedBranch(branch: string, defaultBranch: string, patterns: readonly string[] | null, alsoDefault = patterns === null): boolean {
  if (alsoDefault && branch === defaultBranch) return true;
  return patterns ? anyGlobMatcher(patterns)(branch) : false;
}

/** The repository's policy for a push (its default branch's), or why it could not be read. */
async function loadPushPolicy(event: EventContext): Promise<PolicyLoadResult> {
  return loadRepoPolicy(event.github, event.repo).catch((error: unknown) => {
    event.log.warn({ err: error, repo: event.repo.fullName }, "countersign: could not read the policy; checking the push against built-in agent identities");
    return { ok: false, source: "unreadable", problems: [] };
  });
}

/**
 * A push to a branch: recorded when an agent identity made it (GitHub names the pusher; the commits'
 * authors are the agent's to write), so that the branch's pull request, now or opened later, is
 * agent-touched; and flagged when it went straight to a protected branch.
 */
export async function handlePush(services: PushDeps, event: EventContext, push: PushRequest): Promise<boolean> {
  if (push.deleted || !push.ref.startsWith("refs/heads/")) return false;
  const loaded = await loadPushPolicy(event);
  if (!loaded.ok) {
    // A broken policy still leaves the built-in agents recognisable: flag what can be flagged.
    event.log.warn({ repo: event.repo.fullName, problems: loaded.problems }, "countersign: invalid policy; checking the push against built-in agent identities");
  }
  const policy = await withProcessIdentities(services, loaded.ok ? loaded.policy : defaultPolicy());
  const recorded = await recordPushIfAgent(services, event, policy, {
    branch: push.ref.slice("refs/heads/".length),
    beforeSha: push.beforeSha,
    afterSha: push.headSha,
    forced: push.forced,
    pusher: push.sender,
    commits: push.commits.map((commit) => commit.sha),
    source: "push",
    prNumber: null,
    at: services.clock(),
  });
  if (await flagDirectPush(services, event, push, loaded.ok ? { ...loaded, policy } : loaded)) return true;
  return recorded?.identity === CREDENTIAL_BOT_IDENTITY ? flagCredentialPushOutsideDelegation(services, event, push, recorded, loaded) : false;
}

/** The delegations a push's live credentials were issued under, each with its pull request's head branch. */
async function credentialScopes(services: PushDeps, event: EventContext, credentials: readonly PushCredential[]): Promise<CredentialDelegationScope[]> {
  const delegations = await delegationsOfCredentials(services.db, credentials.map((credential) => credential.delegationId));
  return Promise.all(
    delegations.map(async (delegation) => {
      if (delegation.subjectType !== "pull_request") return { delegation, pullRequestHead: null };
      const branch = await event.github.pullRequestBranch(event.repo, delegation.subjectNumber);
      return { delegation, pullRequestHead: branch?.sameRepository ? branch.ref : null };
    }),
  );
}

/**
 * Flags a push by the credential app's bot that went outside the delegation its token was issued
 * under (see policy/credential-push-scope.ts), or that no issued token could have made: a failing
 * `Countersign` check run on the pushed head (neutral in a dry run) and a `push.flagged` audit event.
 */
async function flagCredentialPushOutsideDelegation(services: PushDeps, event: EventContext, push: PushRequest, recorded: AgentPush, loaded: PolicyLoadResult): Promise<boolean> {
  const branch = push.ref.slice("refs/heads/".length);
  const credentials = recorded.credentials ?? [];
  const outside = credentialPushOutside(branch, await credentialScopes(services, event, credentials));
  if (outside.length === 0) return false;
  await publishPushFlag(services, event, push, loaded, {
    reason: "credential-push-outside-delegation",
    render: (meta, dryRun) => renderCredentialPushOutside(flaggedPush(push, recorded.identity), { credentials, outside }, meta, dryRun),
    payload: { identity: recorded.identity, reason: "credential-push-outside-delegation", outside, credentials, pushId: recorded.id },
  });
  event.log.warn({ repo: event.repo.fullName, sha: push.headSha, branch, credentials: credentials.map((credential) => credential.id) }, "countersign: a push by the credential app's bot outside its delegation");
  return true;
}

/**
 * Flags a push made by an agent identity straight to a protected branch (by default, the default
 * branch): a failing `Countersign` check run on the pushed head commit (neutral in a dry run) and an
 * audit event. Pushes to other branches are judged through their pull requests. Returns whether the
 * push was flagged.
 */
async function flagDirectPush(services: PushDeps, event: EventContext, push: PushRequest, loaded: PolicyLoadResult): Promise<boolean> {
  const branch = push.ref.slice("refs/heads/".length);
  // The sender is the authenticated account that pushed; commit authors are only git metadata.
  const policy = await withProcessIdentities(services, loaded.ok ? loaded.policy : defaultPolicy());
  if (!isProtectedBranch(branch, push.defaultBranch, policy.protectedBranches, policy.protectsDefaultBranch)) return false;
  const match = matchAgentIdentity(push.sender, policy.identities);
  if (!match) return false;
  await publishPushFlag(services, event, push, loaded.ok ? { ...loaded, policy } : loaded, {
    reason: "direct-push-by-agent",
    render: (meta, dryRun) => renderDirectPush(flaggedPush(push, match.identity.name), meta, dryRun),
    payload: { identity: match.identity.name, matchedBy: match.matchedBy },
  });
  event.log.warn({ repo: event.repo.fullName, sha: push.headSha, sender: push.sender.login }, "countersign: direct push to a protected branch by an agent");
  return true;
}

/** A push as the flag's evidence shows it. */
function flaggedPush(push: PushRequest, identity: string): DirectPush {
  return { ref: push.ref, headSha: push.headSha, pusher: { id: push.sender.id, login: push.sender.login }, identity, commits: push.commits, compareUrl: push.compareUrl };
}

/**
 * Publishes a flagged push: a failing `Countersign` check run on the pushed head (neutral in a dry
 * run), the decision row and a `push.flagged` audit event with `flag.payload` and the commits.
 */
async function publishPushFlag(
  services: PushDeps,
  event: EventContext,
  push: PushRequest,
  loaded: PolicyLoadResult,
  flag: { reason: string; render: (meta: EvaluationMeta, dryRun: boolean) => CheckRunOutput; payload: Record<string, unknown> },
): Promise<void> {
  const dryRun = loaded.ok && loaded.policy.mode === "evaluate";
  const conclusion = dryRun ? "neutral" : "failure";
  const now = services.clock();
  const policySource = loaded.ok ? loaded.policy.source : "invalid; built-in agent identities used";
  const output = flag.render({ evaluatedAt: now, deliveryId: event.deliveryId, policySource, policyHash: loaded.ok ? loaded.policy.hash : null }, dryRun);
  const checkRunId = await publishCheckRun(services, event, { headSha: push.headSha, prNumber: null }, conclusion, output);
  await recordDecisionWithEvent(
    services,
    {
      repo: { id: event.repo.id, fullName: event.repo.fullName },
      prNumber: null,
      headSha: push.headSha,
      conclusion,
      title: output.title,
      reasons: [flag.reason, ...(dryRun ? ["mode:evaluate"] : [])],
      deliveryId: event.deliveryId,
      delegationId: null,
      checkRunId,
      errorId: null,
      policy: loaded.ok ? { hash: loaded.policy.hash, source: policySource } : null,
      evaluatedAt: now,
    },
    {
      type: "push.flagged",
      actor: { id: push.sender.id, login: push.sender.login },
      payload: { ref: push.ref, mode: dryRun ? "evaluate" : "enforce", ...flag.payload, commits: push.commits.map((commit) => commit.sha), checkRunId },
    },
  );
}
