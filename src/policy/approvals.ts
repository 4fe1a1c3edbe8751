import { actorKey, matchAgentIdentity, sameActor } from "./agent-identities.js";
import { commitPersonAccount } from "./agent-detection.js";
import type { RepoPolicy } from "./repo-policy.js";
import { canWrite, type Actor, type Permission, type PullRequestFacts, type ReviewFacts } from "./types.js";

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
  | { code: "insufficient-permission"; permission: Permission }
  | { code: "permission-unknown" };

export type CommitRole = "author" | "committer" | "co-author";

/** A reviewer's standing opinion and whether it counts towards the required approvals. */
export interface ApprovalVerdict {
  reviewer: Actor;
  review: ReviewFacts;
  counted: boolean;
  objections: ApprovalObjection[];
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
  /** The delegating owner (explicit or implicit), whose approval never counts. */
  owner: { id: number; login: string } | null;
  /** Repository permission by `actorKey` of the reviewer, as looked up at evaluation time. */
  permissions: ReadonlyMap<string, Permission>;
}

/** Assesses every reviewer's standing opinion against the separation-of-duties rules. */
export function assessApprovals(input: ApprovalInput): ApprovalVerdict[] {
  const { pr, policy, owner, permissions } = input;
  const participants = commitParticipants(pr);
  return standingReviews(pr.reviews).map((review) => {
    const reviewer = review.reviewer;
    const objections: ApprovalObjection[] = [];
    if (review.state === "CHANGES_REQUESTED") objections.push({ code: "changes-requested" });
    if (review.state === "DISMISSED") objections.push({ code: "dismissed" });
    if (review.state === "APPROVED" && review.commitSha !== pr.headSha) {
      objections.push({ code: "stale", reviewedSha: review.commitSha, headSha: pr.headSha });
    }
    const agent = matchAgentIdentity(reviewer, policy.identities);
    if (agent) objections.push({ code: "agent", identity: agent.identity.name });
    else if (reviewer.kind !== "user") objections.push({ code: "bot" });
    if (owner && sameActor(reviewer, { ...owner, kind: "user" })) objections.push({ code: "delegator" });
    if (sameActor(reviewer, pr.author)) objections.push({ code: "pr-author" });
    const participant = participants.find((candidate) => sameActor(candidate.actor, reviewer));
    if (participant) objections.push({ code: "commit-participant", sha: participant.sha, role: participant.role });

    // Permission is looked up only for reviewers nothing else rules out (see reviewersNeedingPermission).
    if (objections.length === 0) {
      const permission = permissions.get(actorKey(reviewer));
      if (permission === undefined) objections.push({ code: "permission-unknown" });
      else if (!canWrite(permission)) objections.push({ code: "insufficient-permission", permission });
    }
    return { reviewer, review, counted: objections.length === 0, objections };
  });
}

/** Reviewers whose approval would count if they have write permission: the only lookups needed. */
export function reviewersNeedingPermission(verdicts: readonly ApprovalVerdict[]): Actor[] {
  return verdicts
    .filter((verdict) => verdict.objections.length === 1 && verdict.objections[0]?.code === "permission-unknown")
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
  if (input.owner) add({ ...input.owner, kind: "user" }, "delegator");
  add(input.pr.author, "pr-author");
  for (const participant of commitParticipants(input.pr)) add(participant.actor, "commit-participant");
  return excluded;
}
