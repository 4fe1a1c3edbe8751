import { DELEGATE_SYNTAX, usage, type DelegateCommand } from "../commands/delegate-command.js";
import { loadPullRequestPolicy, loadRepoPolicy, type PolicyLoadResult } from "../config/repo-policy-loader.js";
import { delegationEventExists } from "../db/audit-log.js";
import { pullRequestsDecidedWithDelegation } from "../db/decisions.js";
import { activeDelegationsOn, createDelegation, delegationFromComment, delegationsForPullRequest, revokeDelegation } from "../db/delegations.js";
import { checkRunLines, delegationRecordedReply, refusedReply, revokedReply, type CheckRunShown } from "../evidence/command-replies.js";
import { decisionTitle } from "../evidence/check-run-output.js";
import type { AgentInventory } from "../github/agent-inventory.js";
import { matchAgentIdentity } from "../policy/agent-identities.js";
import { detectAgents } from "../policy/agent-detection.js";
import { applicableDelegations, resolveNamedAgent } from "../policy/delegation.js";
import { referencedIssues } from "../policy/issue-references.js";
import { delegationLifetime, delegatorRefusal, taskRefusal } from "../policy/delegation-rules.js";
import { POLICY_PATH } from "../policy/policy-file.js";
import { teamKey, type RepoPolicy } from "../policy/repo-policy.js";
import type { Actor, DelegationRecord, PullRequestFacts } from "../policy/types.js";
import { atLeast } from "../policy/types.js";
import type { EventContext } from "./event-context.js";
import type { EvaluationResult } from "./evaluation.js";
import { evaluateAndReport, type EvaluationDeps } from "./evaluation-queue.js";
import { auditCommand as audit, type CommandEntry, type CommandRequest } from "./run-command.js";
import type { Semaphore } from "../concurrency/semaphore.js";
import type { TaskSnapshotRecord } from "../evidence/task-snapshot.js";
import { snapshotTask } from "./task-snapshot.js";

/** What handling a command needs: evaluating pull requests again, and a place to read the pull request in. */
type Services = EvaluationDeps & { evaluationSemaphore: Semaphore };

/** What a `/delegate` command did: recorded a delegation, revoked some, or was refused (and why). */
type DelegateResult =
  | { kind: "recorded"; delegation: DelegationRecord; agents: string[]; agentInventory: AgentInventory[]; taskSnapshot: TaskSnapshotRecord | null; again?: boolean }
  | { kind: "revoked"; revoked: DelegationRecord[]; notAllowed: DelegationRecord[]; reason: string | null }
  | { kind: "refused"; why: string; usage?: boolean };

interface Subject {
  facts: PullRequestFacts | null;
  policy: PolicyLoadResult;
}

/**
 * Refuses agent identities once the policy is loaded: machine users have type User, so only the
 * policy's identity list tells them from people. A PR's own agent is always such an identity (that is
 * how it was detected), so this also keeps an agent from delegating its own work.
 */
function refuseAgent(request: CommandRequest, subject: Subject): string | null {
  const sender: Actor = { id: request.sender.id, login: request.sender.login, kind: "user" };
  if (!subject.policy.ok) return `the repository's Countersign policy (${POLICY_PATH}) is invalid, so agent identities cannot be told apart from people. Fix the policy first; the check run names the bad keys.`;
  const agent = matchAgentIdentity(sender, subject.policy.policy.identities);
  if (agent) return `@${sender.login} is an agent identity (${agent.identity.name}): agents can never delegate or revoke.`;
  return null;
}

/** The commenter's standing, read through the API at the time of the command (never cached). */
async function delegatorFacts(services: Services, event: EventContext, login: string, policy: RepoPolicy): Promise<Parameters<typeof delegatorRefusal>[0]> {
  const permission = await event.github.permission(event.repo, login, { fresh: true });
  const memberships = new Map<string, boolean>();
  const { teams, users } = policy.delegation.delegators;
  const listed = users.some((user) => user.toLowerCase() === login.toLowerCase());
  if (atLeast(permission, policy.delegation.delegators.minPermission) && !listed) {
    for (const team of teams) {
      const member = await event.github.isTeamMember(team, login, { fresh: true });
      memberships.set(teamKey(team), member);
      if (member) break;
    }
  }
  return { login, permission, memberships };
}

async function delegate(services: Services, event: EventContext, request: CommandRequest, command: Extract<DelegateCommand, { kind: "delegate-pr" | "delegate-issue" }>, subject: Subject): Promise<DelegateResult> {
  if (!subject.policy.ok) return { kind: "refused", why: "the policy is invalid." };
  const policy = subject.policy.policy;
  const notAllowed = delegatorRefusal(await delegatorFacts(services, event, request.sender.login, policy), policy);
  if (notAllowed) return { kind: "refused", why: notAllowed };
  if (command.kind === "delegate-pr") {
    const badTask = taskRefusal(command.task, policy);
    if (badTask) return { kind: "refused", why: badTask, usage: true };
  }
  const lifetime = delegationLifetime(command.expiresIn, policy);
  if (!lifetime.ok) return { kind: "refused", why: lifetime.why };

  let agent: { id: number | null; login: string } | null = null;
  let agents: Actor[] = [];
  if (command.kind === "delegate-issue") {
    const named = resolveNamedAgent(command.agentLogin, policy);
    if (!named) {
      return { kind: "refused", why: `@${command.agentLogin} is not a known agent identity. Built-in agents are listed in Countersign's README; add others under \`agents.identities\` in ${POLICY_PATH}.` };
    }
    const identity = policy.identities.find((candidate) => candidate.name === named.identity);
    agent = { id: identity?.ids.length === 1 ? (identity.ids[0] as number) : null, login: named.login };
    agents = [{ ...agent, kind: /\[bot\]$/i.test(named.login) ? "bot" : "user" }];
  } else if (subject.facts) {
    agents = detectAgents(subject.facts, policy).agents;
    if (matchAgentIdentity(subject.facts.author, policy.identities)) {
      agent = { id: subject.facts.author.id, login: subject.facts.author.login };
    }
  }
  // What the agent is able to do, recorded with the delegation: part of what the owner authorised.
  const agentInventory = await Promise.all(
    agents.map((actor) => event.github.agentInventory(event.repo, actor, matchAgentIdentity(actor, policy.identities)?.identity.logins ?? [])),
  );

  const task: DelegationRecord["task"] =
    command.kind === "delegate-issue"
      ? { kind: "issue", ref: `#${request.number}`, url: `${request.repoHtmlUrl}/issues/${request.number}` }
      : (command.task ?? { kind: "none", ref: "none", url: null });
  // The task as it stands now, before the delegation is recorded: the issue may change afterwards.
  const taskSnapshot = await snapshotTask(services, event.github, event.repo, task);

  // The same comment performed again (its delivery taken over after a process died part-way): the
  // delegation it recorded stands, and no second one is made from it.
  const recorded = await delegationFromComment(services.db, event.repo.id, request.comment.id);
  if (recorded) return { kind: "recorded", delegation: recorded, agents: agents.map((actor) => actor.login), agentInventory, taskSnapshot, again: true };

  const now = services.clock();
  const delegation = await createDelegation(
    services.db,
    {
      installationId: event.installationId,
      repo: { id: event.repo.id, fullName: event.repo.fullName },
      subjectType: request.subject,
      subjectNumber: request.number,
      owner: { id: request.sender.id, login: request.sender.login },
      agent,
      task,
      scopePaths: command.scopePaths,
      scopeBranches: command.scopeBranches,
      expiresAt: lifetime.milliseconds === null ? null : new Date(now.getTime() + lifetime.milliseconds),
      comment: { id: request.comment.id, url: request.comment.url },
      agentInventory,
    },
    now,
  );
  return { kind: "recorded", delegation, agents: agents.map((actor) => actor.login), agentInventory, taskSnapshot };
}

async function revoke(services: Services, event: EventContext, request: CommandRequest, reason: string | null, subject: Subject): Promise<DelegateResult> {
  if (!subject.policy.ok) return { kind: "refused", why: "the policy is invalid." };
  let active: DelegationRecord[];
  if (request.subject === "issue" || !subject.facts) {
    active = await activeDelegationsOn(services.db, event.repo.id, request.subject, request.number);
  } else {
    // On a PR, revoke whatever currently authorises it: its own delegations and a linked issue's.
    const facts = subject.facts;
    const issues = referencedIssues(facts);
    const candidates = await delegationsForPullRequest(services.db, facts.repo.id, facts.number, issues);
    const detection = detectAgents(facts, subject.policy.policy);
    active = applicableDelegations(facts, issues, detection, candidates, subject.policy.policy).filter((delegation) => delegation.status === "active");
  }
  if (active.length === 0) return { kind: "refused", why: "there is no active delegation here to revoke." };

  const ownsAll = active.every((delegation) => delegation.owner.id === request.sender.id);
  const isAdmin = ownsAll ? false : (await event.github.permission(event.repo, request.sender.login, { fresh: true })) === "admin";
  const allowed = active.filter((delegation) => isAdmin || delegation.owner.id === request.sender.id);
  const notAllowed = active.filter((delegation) => !allowed.includes(delegation));
  if (allowed.length === 0) return { kind: "refused", why: `only the delegation's owner (${[...new Set(active.map((delegation) => `@${delegation.owner.login}`))].join(", ")}) or a repository admin may revoke it.` };

  const now = services.clock();
  const revoked: DelegationRecord[] = [];
  for (const delegation of allowed) {
    if (await revokeDelegation(services.db, delegation.id, { id: request.sender.id, login: request.sender.login }, reason, now)) revoked.push(delegation);
  }
  if (revoked.length === 0) return { kind: "refused", why: "the delegation was already revoked." };
  return { kind: "revoked", revoked, notAllowed, reason };
}

async function loadSubject(services: Services, event: EventContext, request: CommandRequest): Promise<Subject> {
  if (request.subject === "pull_request") {
    // A read like an evaluation's: it takes one of the places evaluations share.
    const { facts, policy } = await services.evaluationSemaphore.run(() => event.github.readPullRequest(event.repo, request.number));
    return { facts, policy: await loadPullRequestPolicy(event.github, event.repo, facts.baseRef, policy) };
  }
  return { facts: null, policy: await loadRepoPolicy(event.github, event.repo) };
}

/** What an evaluation's result left on the check run, for the reply. */
function shownOnCheckRun(number: number, result: EvaluationResult): CheckRunShown {
  switch (result.status) {
    case "decided":
      return { number, kind: "published", conclusion: result.conclusion, title: decisionTitle(result.decision) };
    case "invalid-config":
      return { number, kind: "invalid-policy" };
    case "failed":
      return { number, kind: "not-published", errorId: result.errorId };
    case "skipped":
      return { number, kind: "not-evaluated", reason: result.reason };
  }
}

async function reevaluate(services: Services, event: EventContext, request: CommandRequest, outcome: DelegateResult & { subject?: Subject }): Promise<CheckRunShown[]> {
  const subject = outcome.subject;
  if (request.subject === "pull_request") {
    const result = await evaluateAndReport(services, event, { prNumber: request.number, headShaHint: subject?.facts?.headSha ?? null, ...(subject?.facts ? { preloaded: { facts: subject.facts, policy: subject.policy } } : {}) });
    return [shownOnCheckRun(request.number, result)];
  }
  // An issue delegation or revocation changes the pull requests that reference the issue.
  const numbers = new Set(await event.github.openPullRequestsReferencingIssue(event.repo, request.number));
  if (outcome.kind === "revoked") {
    for (const delegation of outcome.revoked) {
      for (const number of await pullRequestsDecidedWithDelegation(services.db, delegation.id)) numbers.add(number);
    }
  }
  const shown: CheckRunShown[] = [];
  for (const number of numbers) shown.push(shownOnCheckRun(number, await evaluateAndReport(services, event, { prNumber: number, headShaHint: null })));
  return shown;
}

/**
 * Performs a `/delegate` command a person issued (run-command.ts has refused what no command may be):
 * checks the commenter's standing, records or revokes the delegation, re-evaluates what it affects,
 * and replies saying what was recorded (or why not).
 */
async function performDelegateCommand(services: Services, event: EventContext, request: CommandRequest, command: DelegateCommand): Promise<void> {
  const outcome = await decide(services, event, request, command);

  switch (outcome.kind) {
    case "refused":
      await event.github.postComment(event.repo, request.number, refusedReply(outcome.why, outcome.usage ? usage(request.subject) : null));
      await audit(services, event, request, "delegation.refused", { command: command.kind, why: outcome.why });
      // A refusal changes nothing, so nothing is re-evaluated.
      return;
    case "recorded":
      // Performed again: its event is in the chain already, unless the process died between the two.
      if (outcome.again && (await delegationEventExists(services.db, "delegation.created", outcome.delegation.id))) break;
      await audit(services, event, request, "delegation.created", {
        delegationId: outcome.delegation.id,
        subject: { type: outcome.delegation.subjectType, number: outcome.delegation.subjectNumber },
        owner: outcome.delegation.owner,
        task: outcome.delegation.task,
        // What the task said when it was delegated (its text is in the content store, by hash): evidence only.
        taskSnapshot: outcome.taskSnapshot,
        scopePaths: outcome.delegation.scopePaths,
        scopeBranches: outcome.delegation.scopeBranches,
        expiresAt: outcome.delegation.expiresAt?.toISOString() ?? null,
        agent: outcome.delegation.agent,
        agents: outcome.agents,
        agentInventory: outcome.agentInventory,
      });
      break;
    case "revoked":
      for (const delegation of outcome.revoked) await audit(services, event, request, "delegation.revoked", { delegationId: delegation.id, reason: outcome.reason });
      break;
  }
  // The reply is written once the check run is: it says what the check run shows, never what it
  // should show (a failed write leaves the earlier decision standing until the retry publishes).
  const shown = await reevaluate(services, event, request, outcome);
  const reply = outcome.kind === "recorded" ? delegationRecordedReply(outcome.delegation, outcome.agents, request.comment.url, outcome.agentInventory) : revokedReply(outcome.revoked, outcome.notAllowed, outcome.reason);
  await event.github.postComment(event.repo, request.number, [reply, ...checkRunLines(shown)].join("\n"));
}

async function decide(services: Services, event: EventContext, request: CommandRequest, command: DelegateCommand): Promise<DelegateResult & { subject: Subject }> {
  const subject = await loadSubject(services, event, request);
  const agent = refuseAgent(request, subject);
  if (agent) return { kind: "refused", why: agent, subject };
  const outcome = command.kind === "revoke" ? await revoke(services, event, request, command.reason, subject) : await delegate(services, event, request, command, subject);
  return { ...outcome, subject };
}

/** The `/delegate` command: delegating work to an agent, and revoking a delegation. */
export const DELEGATE: CommandEntry<DelegateCommand> = {
  ...DELEGATE_SYNTAX,
  action: "delegate or revoke",
  refusedEvent: "delegation.refused",
  perform: performDelegateCommand,
};
