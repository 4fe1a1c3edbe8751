import { loadPullRequestPolicy, type PolicyLoadResult } from "../config/repo-policy-loader.js";
import type { Store } from "../db/client.js";
import { delegationsForPullRequest } from "../db/delegations.js";
import { credentialCounts } from "../db/credentials.js";
import { renderInvalidConfig } from "../evidence/blocking-outputs.js";
import { renderDecision, type CheckRunOutput, type EvaluationMeta } from "../evidence/check-run-output.js";
import type { PullRequestHead, PullRequestSnapshot } from "../github/pull-request-facts.js";
import type { CredentialRulesStatus } from "../github/credential-rules.js";
import type { RequiredCheckStatus } from "../github/required-check.js";
import { actorKey } from "../policy/agent-identities.js";
import { NO_PEOPLE_FACTS, type PeopleFacts } from "../policy/approvals.js";
import { evaluatePullRequest, examinePullRequest, type Decision, type EvaluationInput } from "../policy/evaluate.js";
import { referencedIssues } from "../policy/issue-references.js";
import { defaultPolicy, teamKey } from "../policy/repo-policy.js";
import type { DelegationRecord, Permission, PullRequestFacts } from "../policy/types.js";
import type { EvaluationRequest } from "./evaluation.js";
import type { EventContext } from "./event-context.js";
import { agentPushesForPullRequest, recordPushIfAgent, withProcessIdentities, type ProcessAgentIdentities } from "./record-agent-push.js";

/** What judging a pull request reads besides GitHub's answers: the database and the clock. */
export interface JudgeDeps extends ProcessAgentIdentities {
  db: Store;
  clock: () => Date;
  /** This GitHub App's id (null in setup mode): the required-check read tells whether a ruleset pins the check to it. */
  appId: number | null;
}

/** Everything read and decided about a pull request, before anything is written. */
export type Judgement =
  | { kind: "closed"; facts: PullRequestFacts }
  | { kind: "invalid-policy"; facts: PullRequestFacts; policy: Extract<PolicyLoadResult, { ok: false }>; output: CheckRunOutput; evaluatedAt: Date }
  | { kind: "decided"; facts: PullRequestFacts; policy: Extract<PolicyLoadResult, { ok: true }>["policy"]; decision: Decision; setup: RequiredCheckStatus; credentialRules: CredentialRulesStatus | null; output: CheckRunOutput; evaluatedAt: Date };

/** Looks up what the pending approvals depend on: reviewers' permissions and team memberships. */
async function lookUpPeople(services: JudgeDeps, event: EventContext, facts: PullRequestFacts, pending: Decision["pendingLookups"]): Promise<PeopleFacts> {
  const permissions = new Map<string, Permission>();
  const memberships = new Map<string, Map<string, boolean>>();
  await Promise.all(
    pending.reviewers.map(async (reviewer) => {
      permissions.set(actorKey(reviewer), await event.github.permission({ ...event.repo, id: facts.repo.id }, reviewer.login));
      for (const team of pending.teams) {
        const member = await event.github.isTeamMember(team, reviewer.login);
        const byActor = memberships.get(teamKey(team)) ?? new Map<string, boolean>();
        byActor.set(actorKey(reviewer), member);
        memberships.set(teamKey(team), byActor);
      }
    }),
  );
  return { permissions, memberships };
}

/**
 * Reads everything a decision needs and decides, writing nothing: the PR (one GraphQL query), the
 * policy from its base branch, the delegations, the people the approvals depend on, and whether the
 * check is required. Shared by the app and by the read-only `countersign simulate`.
 */
export async function judgePullRequest(services: JudgeDeps, event: EventContext, request: EvaluationRequest): Promise<Judgement> {
  // The delegations depend only on what the first page tells (the PR's number, body, closing issues):
  // they are read while a long PR's further pages arrive.
  const early: { issues?: number[]; delegations?: Promise<DelegationRecord[]> } = {};
  const onHead = (head: PullRequestHead) => {
    early.issues = referencedIssues(head);
    early.delegations = delegationsForPullRequest(services.db, head.repo.id, head.number, early.issues);
    early.delegations.catch(() => undefined);
  };
  const snapshot = request.preloaded ? null : await event.github.readPullRequest(event.repo, request.prNumber, { onHead });
  const read = request.preloaded?.facts ?? (snapshot as PullRequestSnapshot).facts;
  if (read.state !== "OPEN") return { kind: "closed", facts: read };
  const evaluatedAt = services.clock();
  // The policy comes from the base branch: a pull request cannot rewrite the rules that judge it. It
  // was read with the pull request, in the same request.
  const loaded = request.preloaded?.policy ?? (await loadPullRequestPolicy(event.github, event.repo, read.baseRef, (snapshot as PullRequestSnapshot).policy));
  // The credential app's bot is an agent wherever the policy's identities are used.
  const policy = loaded.ok ? { ...loaded, policy: await withProcessIdentities(services, loaded.policy) } : loaded;
  // Who pushed is recorded before anything is decided, and under a broken policy too (with the
  // built-in identities): the record outlives this evaluation, and the next one must not forget it.
  const identities = policy.ok ? policy.policy : await withProcessIdentities(services, defaultPolicy());
  for (const push of request.pushes ?? []) {
    await recordPushIfAgent(services, { repo: event.repo, deliveryId: push.deliveryId ?? event.deliveryId }, identities, {
      branch: read.headRef,
      beforeSha: push.beforeSha,
      afterSha: push.afterSha,
      forced: push.forced,
      pusher: push.pusher,
      commits: [],
      source: "pull_request.synchronize",
      prNumber: read.number,
      at: evaluatedAt,
    });
  }
  const facts: PullRequestFacts = { ...read, agentPushes: await agentPushesForPullRequest(services, event, read, identities, { readActivity: request.readActivity === true }) };
  if (!policy.ok) {
    const output = renderInvalidConfig(policy.problems, policy.source, facts.headSha, { evaluatedAt, deliveryId: event.deliveryId, policySource: policy.source, policyHash: null });
    return { kind: "invalid-policy", facts, policy, output, evaluatedAt };
  }

  const issues = referencedIssues(facts);
  const delegations =
    early.delegations && early.issues?.join() === issues.join() ? await early.delegations : await delegationsForPullRequest(services.db, facts.repo.id, facts.number, issues);
  const input: Omit<EvaluationInput, "people"> = { pr: facts, policy: policy.policy, delegations, now: evaluatedAt };
  // Decide once knowing nobody, to learn whose permission and memberships matter; look up only those.
  const examined = examinePullRequest(facts, policy.policy);
  const provisional = evaluatePullRequest({ ...input, people: NO_PEOPLE_FACTS }, examined);
  const decision = provisional.pendingLookups.reviewers.length > 0 ? evaluatePullRequest({ ...input, people: await lookUpPeople(services, event, facts, provisional.pendingLookups) }, examined) : provisional;
  // The setup doctor: is the check required, and, where credentials are issued (a `credentials:`
  // section), does a ruleset keep the credential app's bot off the base branch?
  const [setup, credentialRules] = await Promise.all([
    event.github.requiredCheckStatus({ ...event.repo, id: facts.repo.id }, facts.baseRef, services.appId),
    policy.policy.credentials ? event.github.credentialBotRules({ ...event.repo, id: facts.repo.id }, facts.baseRef) : null,
  ]);
  const credentials = await credentialCounts(services.db, delegations.map((delegation) => delegation.id), evaluatedAt);
  const output = renderDecision(decision, facts, { evaluatedAt, deliveryId: event.deliveryId, policySource: policy.policy.source, policyHash: policy.policy.hash, setup, credentialRules, credentials });
  return { kind: "decided", facts, policy: policy.policy, decision, setup, credentialRules, output, evaluatedAt };
}

