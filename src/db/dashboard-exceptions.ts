import { z } from "zod";
import type { Store } from "./client.js";
import { inBatches } from "./in-batches.js";

// The reads behind the dashboard's exceptions (docs/dashboard.md#exceptions): what a security team
// must act on, from the database only. Each kind is read from what the app itself recorded when it
// happened (an audit event, an issued credential), so the page says what Countersign saw then.
// Stored JSON is parsed leniently: a payload that does not parse still lists its exception, with
// less detail, because an exception dropped for a malformed detail is worse than one shown plainly.

/** The time range (and optionally one repository, as `owner/name` or `name`) the exceptions are read for. */
export interface ExceptionWindow {
  from: Date;
  to: Date;
  repo?: string;
}

/** A merge of an agent-touched pull request without a countersign on its merged head (`merge.unverified`). */
export interface UnverifiedMergeRow {
  repository: string;
  number: number;
  headSha: string | null;
  mergeCommitSha: string | null;
  at: Date;
  mergedBy: string | null;
  agents: string[];
  /** What was missing on the head: `no decision`, or `decision <conclusion>`. */
  missing: string | null;
  /** Whether the gate was bypassed (`bypassed-required-check`), not required, or unknown. */
  gate: string | null;
}

/** A push by an agent identity straight to a protected branch (`push.flagged` for `direct-push-by-agent`). */
export interface DirectPushRow {
  repository: string;
  branch: string;
  headSha: string | null;
  at: Date;
  pusher: string | null;
  identity: string | null;
  /** `enforce`, or `evaluate` (a dry run: flagged neutral, not blocking). */
  mode: string | null;
  commits: number;
}

/** A policy that did not validate, per repository and policy source, and what it last blocked. */
export interface InvalidPolicyRow {
  repository: string;
  source: string | null;
  /** The pull request its latest evaluation blocked. */
  number: number | null;
  at: Date;
  /** How many evaluations in the window it made fail. */
  evaluations: number;
  problems: Array<{ file: string; path: string; message: string }>;
  agents: string[];
}

/** A pull request (or pushed commit) whose latest evaluation could not run, none having run since. */
export interface FailedEvaluationRow {
  repository: string;
  number: number | null;
  headSha: string | null;
  at: Date;
  errorId: string | null;
  cause: string | null;
  /** How many evaluations of it failed in the window. */
  failures: number;
  agents: string[];
}

/** An issued credential that outlived its end by more than the grace, or is still live past it. */
export interface LateCredentialRow {
  id: string;
  repository: string;
  delegationId: string;
  subject: { type: "pull_request" | "issue"; number: number } | null;
  agent: string | null;
  delegator: string | null;
  /** When it should have ended: its effective expiry, or its delegation's revocation if earlier. */
  dueAt: Date;
  /** When it ended, or null while it is still live. */
  endedAt: Date | null;
  endedAs: string | null;
  /** How many revocations GitHub did not confirm (`credential.revoke_failed`). */
  revokeFailures: number;
  /** The token's `hashed_token`, as GitHub's audit log shows it (a hash, not the token). */
  hashedToken: string;
}

/** A list cut at its limit: `rows` has at most the limit, `more` says whether there were others. */
export interface Listed<T> {
  rows: T[];
  more: boolean;
  /** Exceptions of the kind that were resolved since (superseded, fixed): not listed, counted. */
  resolved?: number;
}

/**
 * How late a credential's end may be before it counts: the credential sweep runs every 15 seconds by
 * default and at most every 5 minutes (COUNTERSIGN_CREDENTIAL_SWEEP_SECONDS), and a sweep can wait on
 * GitHub; twice the slowest setting leaves no honest sweep flagged.
 */
export const CREDENTIAL_END_GRACE_MS = 10 * 60_000;

// Reading more than this many events of one kind per page is a sign of something else gone wrong;
// the list says "more" and the count is a lower bound.
const SCAN_LIMIT = 2_000;

function repositoryFilter(org: string, window: ExceptionWindow): { equals: string } | { startsWith: string } {
  if (!window.repo) return { startsWith: `${org}/` };
  return { equals: window.repo.includes("/") ? window.repo : `${org}/${window.repo}` };
}

/** Whether `fullName` is in `org` and the window's repository (Prisma's `startsWith` may ignore case on SQLite). */
function inScope(org: string, window: ExceptionWindow, fullName: string | null): fullName is string {
  if (fullName === null) return false;
  const filter = repositoryFilter(org, window);
  return "equals" in filter ? fullName === filter.equals : fullName.startsWith(filter.startsWith);
}

function parsePayload<T>(schema: z.ZodType<T>, text: string): Partial<T> {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

async function eventsOfType(db: Store, org: string, window: ExceptionWindow, type: string, take: number) {
  const rows = await db.prisma.auditEvent.findMany({
    where: { type, repoFullName: repositoryFilter(org, window), createdAt: { gte: window.from, lte: window.to } },
    orderBy: [{ createdAt: "desc" }, { seq: "desc" }],
    take,
  });
  return rows.filter((row) => inScope(org, window, row.repoFullName));
}

function cut<T>(rows: T[], limit: number, resolved?: number): Listed<T> {
  return { rows: rows.slice(0, limit), more: rows.length > limit, ...(resolved === undefined ? {} : { resolved }) };
}

const unverifiedPayload = z.object({
  mergeCommitSha: z.string().nullable(),
  agents: z.array(z.string()),
  missing: z.string(),
  gate: z.string(),
});

/** The merges of agent-touched pull requests without a countersign on the merged head, newest first. */
export async function unverifiedMerges(db: Store, org: string, window: ExceptionWindow, limit: number): Promise<Listed<UnverifiedMergeRow>> {
  const rows = await eventsOfType(db, org, window, "merge.unverified", limit + 1);
  return cut(
    rows.map((row) => {
      const payload = parsePayload(unverifiedPayload, row.payload);
      return {
        repository: row.repoFullName as string,
        number: row.subjectNumber ?? 0,
        headSha: row.sha,
        mergeCommitSha: payload.mergeCommitSha ?? null,
        at: row.createdAt,
        mergedBy: row.actorLogin,
        agents: payload.agents ?? [],
        missing: payload.missing ?? null,
        gate: payload.gate ?? null,
      };
    }),
    limit,
  );
}

const flaggedPayload = z.object({
  ref: z.string(),
  mode: z.string(),
  identity: z.string(),
  reason: z.string().optional(),
  commits: z.array(z.string()),
});

/**
 * The pushes an agent identity made straight to a protected branch, newest first. A `push.flagged`
 * event names its reason only for a credential push outside its delegation (another exception), so
 * one without a reason, or with `direct-push-by-agent`, is a direct push.
 */
export async function agentDirectPushes(db: Store, org: string, window: ExceptionWindow, limit: number): Promise<Listed<DirectPushRow>> {
  const rows = await eventsOfType(db, org, window, "push.flagged", SCAN_LIMIT);
  // A push handled twice (redelivered by hand after a failure) is flagged twice: one push, one row.
  const seen = new Set<string>();
  const direct = rows.flatMap((row) => {
    const payload = parsePayload(flaggedPayload, row.payload);
    if (payload.reason !== undefined && payload.reason !== "direct-push-by-agent") return [];
    const key = JSON.stringify([row.repoFullName, payload.ref ?? null, row.sha, row.actorLogin]);
    if (seen.has(key)) return [];
    seen.add(key);
    const ref = payload.ref ?? "";
    return [
      {
        repository: row.repoFullName as string,
        branch: ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : ref,
        headSha: row.sha,
        at: row.createdAt,
        pusher: row.actorLogin,
        identity: payload.identity ?? null,
        mode: payload.mode ?? null,
        commits: payload.commits?.length ?? 0,
      },
    ];
  });
  return cut(direct, limit);
}

const invalidPayload = z.object({
  source: z.string(),
  problems: z.array(z.object({ file: z.string(), path: z.string(), message: z.string() })),
});

/** The agents the latest decision on a pull request saw (none when it saw none, or there is none). */
async function agentsOf(db: Store, repoId: bigint | null, number: number | null): Promise<string[]> {
  if (repoId === null || number === null) return [];
  const row = await db.prisma.auditEvent.findFirst({ where: { repoId, subjectNumber: number, type: "decision", payload: { contains: '"agents"' } }, orderBy: { seq: "desc" }, select: { payload: true } });
  if (!row) return [];
  return parsePayload(z.object({ agents: z.array(z.object({ login: z.string() })) }), row.payload).agents?.map((agent) => agent.login) ?? [];
}

/**
 * The policies that did not validate, one row per repository and policy source (newest first), with
 * the problems of the latest failure. A policy counts as fixed, and is not listed, once a later
 * decision in the same repository loaded a valid policy (it records the policy's hash).
 */
export async function invalidPolicies(db: Store, org: string, window: ExceptionWindow, limit: number): Promise<Listed<InvalidPolicyRow>> {
  const events = await eventsOfType(db, org, window, "config.invalid", SCAN_LIMIT);
  const groups = new Map<string, { row: InvalidPolicyRow; repoId: bigint | null; count: number }>();
  for (const event of events) {
    const payload = parsePayload(invalidPayload, event.payload);
    const key = JSON.stringify([event.repoFullName, payload.source ?? null]);
    const group = groups.get(key);
    if (group) {
      group.count += 1;
      continue;
    }
    groups.set(key, {
      repoId: event.repoId,
      count: 1,
      row: { repository: event.repoFullName as string, source: payload.source ?? null, number: event.subjectNumber, at: event.createdAt, evaluations: 0, problems: payload.problems ?? [], agents: [] },
    });
  }
  // When each repository last loaded a valid policy (a decision records its hash), in one read.
  const repoIds = [...new Set([...groups.values()].flatMap((group) => (group.repoId === null ? [] : [group.repoId])))];
  const validSince = new Map<string, Date>();
  const latest = await inBatches(repoIds, CHUNK, (batch) => db.prisma.decision.groupBy({ by: ["repoId"], where: { repoId: { in: batch }, policyHash: { not: null } }, _max: { evaluatedAt: true } }));
  for (const group of latest) if (group._max.evaluatedAt) validSince.set(String(group.repoId), group._max.evaluatedAt);
  const open: InvalidPolicyRow[] = [];
  let resolved = 0;
  for (const { row, repoId, count } of groups.values()) {
    const valid = repoId === null ? undefined : validSince.get(String(repoId));
    if (valid && valid.getTime() > row.at.getTime()) {
      resolved += 1;
      continue;
    }
    if (open.length > limit) continue;
    open.push({ ...row, evaluations: count, agents: await agentsOf(db, repoId, row.number) });
  }
  return cut(open, limit, resolved);
}

const failedPayload = z.object({ errorId: z.string(), cause: z.string() });

/**
 * The pull requests (or pushed commits) whose evaluation could not run and failed closed, one row per
 * subject (its latest failure), newest first: only those no evaluation has run on since. A later
 * evaluation that ran, whatever it concluded, replaced the blocking "could not evaluate" with a real
 * decision; the failure stays in the audit log, and is counted as resolved.
 */
export async function failedEvaluations(db: Store, org: string, window: ExceptionWindow, limit: number): Promise<Listed<FailedEvaluationRow>> {
  const events = await eventsOfType(db, org, window, "evaluation.failed", SCAN_LIMIT);
  const groups = new Map<string, { row: FailedEvaluationRow; repoId: bigint | null; count: number }>();
  for (const event of events) {
    const key = JSON.stringify([event.repoFullName, event.subjectNumber ?? event.sha]);
    const group = groups.get(key);
    if (group) {
      group.count += 1;
      continue;
    }
    const payload = parsePayload(failedPayload, event.payload);
    groups.set(key, {
      repoId: event.repoId,
      count: 1,
      row: { repository: event.repoFullName as string, number: event.subjectNumber, headSha: event.sha, at: event.createdAt, errorId: payload.errorId ?? null, cause: payload.cause ?? null, failures: 0, agents: [] },
    });
  }
  const ran = await latestDecisionsThatRan(db, [...groups.values()].flatMap(({ repoId, row }) => (repoId === null ? [] : [{ repoId, number: row.number, headSha: row.headSha }])));
  const open: FailedEvaluationRow[] = [];
  let resolved = 0;
  for (const { row, repoId, count } of groups.values()) {
    // Strictly later: a failure and the decision it failed on never share an instant in one process.
    const since = repoId === null ? undefined : ran.get(subjectKey(repoId, row.number, row.headSha));
    if (since && since.getTime() > row.at.getTime()) {
      resolved += 1;
      continue;
    }
    if (open.length > limit) continue;
    open.push({ ...row, failures: count, agents: await agentsOf(db, repoId, row.number) });
  }
  return cut(open, limit, resolved);
}

// Subjects looked up per query: far below SQLite's limit on an expression's depth.
const CHUNK = 100;

function subjectKey(repoId: bigint, number: number | null, headSha: string | null): string {
  return number !== null ? `${repoId}#${number}` : `${repoId}@${headSha ?? ""}`;
}

/**
 * When an evaluation that ran (a decision without `evaluation-failed`) last decided each subject: a
 * pull request by its number, a pushed commit (no pull request) by its SHA. Keyed by `subjectKey`.
 */
async function latestDecisionsThatRan(db: Store, subjects: ReadonlyArray<{ repoId: bigint; number: number | null; headSha: string | null }>): Promise<Map<string, Date>> {
  const latest = new Map<string, Date>();
  const ran = { NOT: { reasons: { contains: '"evaluation-failed"' } } };
  const pullRequests = subjects.filter((subject) => subject.number !== null);
  const commits = subjects.filter((subject) => subject.number === null && subject.headSha !== null);
  const byNumber = await inBatches(pullRequests, CHUNK, (batch) =>
    db.prisma.decision.groupBy({ by: ["repoId", "prNumber"], where: { ...ran, OR: batch.map((subject) => ({ repoId: subject.repoId, prNumber: subject.number })) }, _max: { evaluatedAt: true } }),
  );
  for (const group of byNumber) if (group._max.evaluatedAt) latest.set(subjectKey(group.repoId, group.prNumber, null), group._max.evaluatedAt);
  const byCommit = await inBatches(commits, CHUNK, (batch) =>
    db.prisma.decision.groupBy({ by: ["repoId", "headSha"], where: { ...ran, prNumber: null, OR: batch.map((subject) => ({ repoId: subject.repoId, headSha: subject.headSha as string })) }, _max: { evaluatedAt: true } }),
  );
  for (const group of byCommit) if (group._max.evaluatedAt) latest.set(subjectKey(group.repoId, null, group.headSha), group._max.evaluatedAt);
  return latest;
}

/**
 * The issued credentials that did not end on time: still live more than the grace after they were
 * due, or ended (revoked, or left to expire at GitHub) more than the grace after. Due is the effective
 * expiry, or the delegation's revocation when that came first (a revoked delegation's credentials
 * are revoked at the next sweep); with its delegation gone from the database, its expiry. Read:
 * the credentials issued in the window (they live an hour at most), and every live one whatever its age.
 */
export async function lateCredentials(db: Store, org: string, window: ExceptionWindow, now: Date, limit: number): Promise<Listed<LateCredentialRow>> {
  const repoFullName = repositoryFilter(org, window);
  const candidates = await db.prisma.issuedCredential.findMany({
    where: { repoFullName, OR: [{ endedAs: null }, { issuedAt: { gte: new Date(window.from.getTime() - 24 * 3_600_000), lte: window.to } }] },
    select: { id: true, delegationId: true, repoFullName: true, expiresAt: true, endedAt: true, endedAs: true, tokenHashedBase64: true },
    orderBy: [{ expiresAt: "desc" }, { id: "asc" }],
    take: SCAN_LIMIT * 10,
  });
  const scoped = candidates.filter((row) => inScope(org, window, row.repoFullName));
  const delegationIds = [...new Set(scoped.map((row) => row.delegationId))];
  const delegationRows = await inBatches(delegationIds, CHUNK, (batch) =>
    db.prisma.delegation.findMany({ where: { id: { in: batch } }, select: { id: true, status: true, revokedAt: true, subjectType: true, subjectNumber: true, agentLogin: true, ownerLogin: true } }),
  );
  const delegations = new Map(delegationRows.map((row) => [row.id, row]));
  const late: LateCredentialRow[] = [];
  for (const row of scoped) {
    const delegation = delegations.get(row.delegationId);
    const revokedAt = delegation?.status === "revoked" ? delegation.revokedAt : null;
    const dueAt = !delegation ? row.expiresAt : revokedAt && revokedAt.getTime() < row.expiresAt.getTime() ? revokedAt : row.expiresAt;
    const endedOrNow = row.endedAt ?? now;
    if (endedOrNow.getTime() - dueAt.getTime() <= CREDENTIAL_END_GRACE_MS) continue;
    // A late end outside the window belongs to another window; a live one is late now, whatever the window.
    if (row.endedAt !== null && (dueAt.getTime() < window.from.getTime() || dueAt.getTime() > window.to.getTime())) continue;
    late.push({
      id: row.id,
      repository: row.repoFullName,
      delegationId: row.delegationId,
      subject: delegation ? { type: delegation.subjectType === "issue" ? "issue" : "pull_request", number: delegation.subjectNumber } : null,
      agent: delegation?.agentLogin ?? null,
      delegator: delegation?.ownerLogin ?? null,
      dueAt,
      endedAt: row.endedAt,
      endedAs: row.endedAs,
      revokeFailures: 0,
      hashedToken: row.tokenHashedBase64,
    });
  }
  // Still-live ones first (they need action now), then the latest due.
  late.sort((a, b) => Number(a.endedAt !== null) - Number(b.endedAt !== null) || b.dueAt.getTime() - a.dueAt.getTime());
  const shown = late.slice(0, limit);
  if (shown.length > 0) {
    const failures = await db.prisma.auditEvent.findMany({ where: { type: "credential.revoke_failed", OR: shown.map((row) => ({ payload: { contains: JSON.stringify(row.id) } })) }, select: { payload: true } });
    for (const row of shown) row.revokeFailures = failures.filter((event) => parsePayload(z.object({ credentialId: z.string() }), event.payload).credentialId === row.id).length;
  }
  return { rows: shown, more: late.length > limit };
}
