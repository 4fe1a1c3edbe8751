import { actorKey, matchAgentIdentity, sameActor } from "./agent-identities.js";
import { commitPersonAccount } from "./agent-detection.js";
import { teamKey, teamName, type RepoPolicy, type TeamRef } from "./repo-policy.js";
import { atLeast, type Actor, type Permission, type PullRequestFacts, type ReviewFacts } from "./types.js";

/** Why an approval does not count (an approval counts when it has none). */
export type ApprovalObjection =
  | { code: "changes-requested" }
  | { code: "dismissed" }
  | { code: "stale"; reviewedSha: string | null; headSha: string }
  | { code: "bot" }
  | { code: "agent"; identity: string }
  | { code: "delegator" }
  | { code: "pr-author" }
  | { code: "commit-participant"; sha: string; role: CommitRole }
  | { code: "insufficient-permission"; permission: Permission; required: Permission }
  | { code: "permission-unknown" }
  | { code: "not-in-approver-team"; teams: string[] }
  | { code: "membership-unknown" };

/** Objections that only a lookup (permission, team membership) can settle. */
const LOOKUP_OBJECTIONS: ReadonlySet<ApprovalObjection["code"]> = new Set(["permission-unknown", "membership-unknown"]);

export type CommitRole = "author" | "committer" | "co-author";

/** A separation-of-duties rule the policy loosened for this approval (shown in the evidence). */
export type WaivedExclusion = "delegator" | "pr-author" | "commit-participant";

/** A reviewer's standing opinion and whether it counts towards the required approvals. */
export interface ApprovalVerdict {
  reviewer: Actor;
  review: ReviewFacts;
  counted: boolean;
  objections: ApprovalObjection[];
  /** Exclusions that would have applied had the policy not switched them off. */
  waived: WaivedExclusion[];
}

/** What the engine knows about people, looked up through the API by the services layer. */
export interface PeopleFacts {
  /** Repository permission by `actorKey`. */
  permissions: ReadonlyMap<string, Permission>;
  /** Team membership: `teamKey` → `actorKey` → member or not. Absent means not looked up. */
  memberships: ReadonlyMap<string, ReadonlyMap<string, boolean>>;
}

/** Knowing nothing yet about anyone. */
export const NO_PEOPLE_FACTS: PeopleFacts = { permissions: new Map(), memberships: new Map() };

/** Whether `actor` is in `team`: true, false, or undefined when not looked up. */
export function isMember(people: PeopleFacts, team: TeamRef, actor: Actor): boolean | undefined {
  return people.memberships.get(teamKey(team))?.get(actorKey(actor));
}

/** Someone whose approval cannot count, whatever they do, and why. */
export interface ExcludedPerson {
  actor: Pick<Actor, "id" | "login" | "kind">;
  why: "delegator" | "pr-author" | "commit-participant";
}

// GitHub's own rule: a COMMENTED review does not withdraw an earlier approval or change request, and
// a pending review is not submitted. The reviewer's latest APPROVED / CHANGES_REQUESTED / DISMISSED
// review is their standing opinion (a dismissed approval shows as DISMISSED and never counts).
const OPINIONATED: ReadonlySet<ReviewFacts["state"]> = new Set(["APPROVED", "CHANGES_REQUESTED", "DISMISSED"]);

/** Each reviewer's latest opinionated review, in the order reviewers first appear. */
export function standingReviews(reviews: readonly ReviewFacts[]): ReviewFacts[] {
  const latest = new Map<string, ReviewFacts>();
  const ordered = [...reviews]
    .map((review, index) => ({ review, index }))
    .sort((a, b) => {
      const byTime = (a.review.submittedAt ?? "").localeCompare(b.review.submittedAt ?? "");
      return byTime !== 0 ? byTime : a.index - b.index;
    });
  for (const { review } of ordered) {
    if (!OPINIONATED.has(review.state)) continue;
    const key = review.reviewer.id !== null ? `id:${review.reviewer.id}` : actorKey(review.reviewer);
    latest.set(key, review);
  }
  return [...latest.values()];
}

/** Accounts that authored, committed or co-authored a commit of the PR, with the first place seen. */
export function commitParticipants(pr: Pick<PullRequestFacts, "commits">): Array<{ actor: Actor; sha: string; role: CommitRole }> {
  const participants: Array<{ actor: Actor; sha: string; role: CommitRole }> = [];
  for (const commit of pr.commits) {
    const people = [
      ...commit.authors.map((person, index) => ({ person, role: (index === 0 ? "author" : "co-author") as CommitRole })),
      ...(commit.committer ? [{ person: commit.committer, role: "committer" as CommitRole }] : []),
    ];
    for (const { person, role } of people) {
      const actor = commitPersonAccount(person);
      // GitHub's web-flow account commits merges and web edits on behalf of the signed-in user.
      if (!actor || actor.login.toLowerCase() === "web-flow") continue;
      if (!participants.some((known) => sameActor(known.actor, actor))) participants.push({ actor, sha: commit.sha, role });
    }
  }
  return participants;
}

export interface ApprovalInput {
  pr: Pick<PullRequestFacts, "author" | "headSha" | "commits" | "reviews">;
  policy: RepoPolicy;
  /** The delegating owner (explicit or implicit). */
  owner: { id: number; login: string } | null;
  people: PeopleFacts;
}

/** Assesses every reviewer's standing opinion against the separation-of-duties rules. */
export function assessApprovals(input: ApprovalInput): ApprovalVerdict[] {
  const { pr, policy, owner, people } = input;
  const { exclude, approvers } = policy.approvals;
  const participants = commitParticipants(pr);
  return standingReviews(pr.reviews).map((review) => {
    const reviewer = review.reviewer;
    const objections: ApprovalObjection[] = [];
    const waived: WaivedExclusion[] = [];
    if (review.state === "CHANGES_REQUESTED") objections.push({ code: "changes-requested" });
    if (review.state === "DISMISSED") objections.push({ code: "dismissed" });
    if (review.state === "APPROVED" && review.commitSha !== pr.headSha) {
      objections.push({ code: "stale", reviewedSha: review.commitSha, headSha: pr.headSha });
    }
    // Bots and agents never count: no policy setting loosens this.
    const agent = matchAgentIdentity(reviewer, policy.identities);
    if (agent) objections.push({ code: "agent", identity: agent.identity.name });
    else if (reviewer.kind !== "user") objections.push({ code: "bot" });
    if (owner && sameActor(reviewer, { ...owner, kind: "user" })) {
      if (exclude.delegator) objections.push({ code: "delegator" });
      else waived.push("delegator");
    }
    if (sameActor(reviewer, pr.author)) {
      if (exclude.prAuthor) objections.push({ code: "pr-author" });
      else waived.push("pr-author");
    }
    const participant = participants.find((candidate) => sameActor(candidate.actor, reviewer));
    if (participant) {
      if (exclude.commitAuthors) objections.push({ code: "commit-participant", sha: participant.sha, role: participant.role });
      else waived.push("commit-participant");
    }

    // Permission and team membership are looked up only for reviewers nothing else rules out.
    if (objections.length === 0) {
      const permission = people.permissions.get(actorKey(reviewer));
      if (permission === undefined) objections.push({ code: "permission-unknown" });
      else if (!atLeast(permission, approvers.minPermission)) objections.push({ code: "insufficient-permission", permission, required: approvers.minPermission });
      if (approvers.teams.length > 0) {
        const states = approvers.teams.map((team) => isMember(people, team, reviewer));
        if (!states.includes(true)) {
          objections.push(states.includes(undefined) ? { code: "membership-unknown" } : { code: "not-in-approver-team", teams: approvers.teams.map(teamName) });
        }
      }
    }
    return { reviewer, review, counted: objections.length === 0, objections, waived };
  });
}

/** Reviewers whose approval could count once their permission and team memberships are known. */
export function reviewersPendingLookups(verdicts: readonly ApprovalVerdict[]): Actor[] {
  return verdicts
    .filter((verdict) => verdict.objections.length > 0 && verdict.objections.every((objection) => LOOKUP_OBJECTIONS.has(objection.code)))
    .map((verdict) => verdict.reviewer);
}

/** Everyone whose approval cannot count on this PR, for the "needs approval by someone other than" title. */
export function excludedApprovers(input: Pick<ApprovalInput, "pr" | "owner" | "policy">): ExcludedPerson[] {
  const excluded: ExcludedPerson[] = [];
  const add = (actor: ExcludedPerson["actor"], why: ExcludedPerson["why"]) => {
    // Bots and agents are never approvers anyway; naming them here would only add noise.
    if (actor.kind !== "user" || matchAgentIdentity(actor, input.policy.identities)) return;
    if (!excluded.some((known) => sameActor(known.actor, actor))) excluded.push({ actor, why });
  };
  const { exclude } = input.policy.approvals;
  if (input.owner && exclude.delegator) add({ ...input.owner, kind: "user" }, "delegator");
  if (exclude.prAuthor) add(input.pr.author, "pr-author");
  if (exclude.commitAuthors) for (const participant of commitParticipants(input.pr)) add(participant.actor, "commit-participant");
  return excluded;
}
