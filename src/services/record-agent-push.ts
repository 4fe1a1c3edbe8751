import { agentPushesFor, recordAgentPush } from "../db/agent-pushes.js";
import { appendAuditEvent } from "../db/audit-log.js";
import { credentialsLiveWhenPushed } from "../db/credentials.js";
import { matchAgentIdentity, type AgentIdentity } from "../policy/agent-identities.js";
import type { RepoPolicy } from "../policy/repo-policy.js";
import type { Actor, AgentPush, PullRequestFacts } from "../policy/types.js";
import type { EventContext } from "./event-context.js";
import type { Store } from "../db/client.js";

/**
 * Agent identities known to the process rather than the policy: the credential app's bot (see
 * credentials/credential-bot.ts). Optional: without a credential app there are none.
 */
export interface ProcessAgentIdentities {
  processAgentIdentities?: () => Promise<AgentIdentity[]>;
}

/** The name the credential app's bot is listed under as an agent identity (its pushes name a credential). */
export const CREDENTIAL_BOT_IDENTITY = "Countersign credential app";

/** `policy` with the process's agent identities added to its own (the policy itself stays pure). */
export async function withProcessIdentities<P extends { identities: AgentIdentity[] }>(services: ProcessAgentIdentities, policy: P): Promise<P> {
  const extra = services.processAgentIdentities ? await services.processAgentIdentities() : [];
  return extra.length === 0 ? policy : { ...policy, identities: [...policy.identities, ...extra] };
}

/** A push as an event reported it: the branch, the commits before and after, and who GitHub says pushed. */
export interface ReportedPush {
  branch: string;
  beforeSha: string;
  afterSha: string;
  forced: boolean;
  pusher: Actor;
  commits: string[];
  source: AgentPush["source"];
  prNumber: number | null;
  at: Date;
}

/**
 * Records `push` if GitHub says an agent identity made it, and appends a `push.agent` audit event the
 * first time it is seen. Returns the record, or null when the pusher is not an agent.
 */
export async function recordPushIfAgent(services: { db: Store }, event: Pick<EventContext, "repo" | "deliveryId">, policy: Pick<RepoPolicy, "identities">, push: ReportedPush): Promise<AgentPush | null> {
  const match = matchAgentIdentity(push.pusher, policy.identities);
  if (!match) return null;
  // A push by the credential app's bot was made with a token Countersign issued, or with none of
  // them: which ones were live is kept with the push (and in its audit event), as it stood then.
  const credentials = match.identity.name === CREDENTIAL_BOT_IDENTITY ? await credentialsLiveWhenPushed(services.db, event.repo.id, push.at) : null;
  const { push: recorded, created } = await recordAgentPush(services.db, {
    repo: { id: event.repo.id, fullName: event.repo.fullName },
    prNumber: push.prNumber,
    deliveryId: event.deliveryId,
    branch: push.branch,
    beforeSha: push.beforeSha,
    afterSha: push.afterSha,
    forced: push.forced,
    pusher: push.pusher,
    identity: match.identity.name,
    commits: push.commits,
    source: push.source,
    pushedAt: push.at,
    credentials,
  });
  if (created) {
    await appendAuditEvent(services.db, {
      type: "push.agent",
      repo: { id: event.repo.id, fullName: event.repo.fullName },
      subjectNumber: push.prNumber,
      sha: push.afterSha,
      actor: { id: push.pusher.id, login: push.pusher.login },
      deliveryId: event.deliveryId,
      payload: {
        pushId: recorded.id,
        branch: push.branch,
        before: push.beforeSha,
        after: push.afterSha,
        forced: push.forced,
        identity: match.identity.name,
        matchedBy: match.matchedBy,
        commits: push.commits,
        source: push.source,
        ...(recorded.credentials !== null ? { credentials: recorded.credentials } : {}),
      },
      at: push.at,
    });
  }
  return recorded;
}

/** Whether an activity-log failure means "not offered here" (older GitHub Enterprise Server, no access). */
function activityUnavailable(error: unknown): boolean {
  const status = (error as { status?: number }).status;
  return status === 404 || status === 403 || status === 410;
}

/**
 * The agent pushes a pull request's head branch has received: those recorded from webhooks, plus,
 * when `readActivity` is set (the pull request was just opened or reopened, so pushes before it may
 * never have reached Countersign), those in GitHub's activity log for the branch.
 */
export async function agentPushesForPullRequest(
  services: { db: Store; clock: () => Date },
  event: EventContext,
  facts: PullRequestFacts,
  policy: Pick<RepoPolicy, "identities">,
  options: { readActivity: boolean },
): Promise<AgentPush[]> {
  const headInRepo = facts.crossRepository !== true;
  if (options.readActivity && headInRepo) {
    try {
      const pushes = await event.github.recentPushesToBranch({ owner: facts.repo.owner, name: facts.repo.name }, facts.headRef);
      for (const push of pushes) {
        await recordPushIfAgent(services, { repo: event.repo, deliveryId: event.deliveryId }, policy, { ...push, branch: facts.headRef, pusher: push.actor, commits: [], source: "activity", prNumber: facts.number });
      }
    } catch (error) {
      if (!activityUnavailable(error)) throw error;
      // Webhooks still name every pusher from now on; only pushes made before are unattributed.
      event.log.warn({ repo: event.repo.fullName, pr: facts.number, status: (error as { status?: number }).status }, "countersign: the repository activity log is not available; pushes before the app saw this branch are judged by their commits");
    }
  }
  return agentPushesFor(services.db, facts.repo.id, { number: facts.number, headRef: facts.headRef, headInRepo });
}
