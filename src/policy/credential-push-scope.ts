import { anyGlobMatcher } from "./glob-matchers.js";
import type { DelegationRecord } from "./types.js";

// Whether a push by the credential app's bot stayed inside the delegation its token was issued
// under. GitHub cannot limit an installation token to a branch, so Countersign judges the push after
// the fact and flags one that went elsewhere, as it flags an agent's direct push. Pure: the caller
// reads which credentials were live (db/credentials.ts) and where their pull requests' heads are.
//
// A delegation's `branches:` are the base branches its work may land in, through a pull request:
// a push straight to one of them skipped the review the delegation is for. A delegation given on a
// pull request is for that pull request's branch: a push to any other branch is outside it. A
// delegation given on an issue leaves the working branch to the agent; the pull request it opens
// from there is judged like any other. Protected branches are flagged before this is asked.

/** A delegation a live credential was issued under, with its pull request's head branch when it was given on one. */
export interface CredentialDelegationScope {
  delegation: Pick<DelegationRecord, "id" | "subjectType" | "subjectNumber" | "scopeBranches">;
  /** The head branch of the delegation's pull request in this repository; null when unknown or in a fork. */
  pullRequestHead: string | null;
}

/** Why one delegation does not cover a push (or, with no delegation, that no issued credential was live). */
export type OutsideReason =
  | { kind: "no-credential" }
  | { kind: "base-branch"; delegationId: string; patterns: string[] }
  | { kind: "other-branch"; delegationId: string; pullRequest: number; head: string }
  | { kind: "head-unconfirmed"; delegationId: string; pullRequest: number };

/** Why a push to `branch` was outside every delegation whose credential could have made it; empty: it was inside one. */
export function credentialPushOutside(branch: string, scopes: readonly CredentialDelegationScope[]): OutsideReason[] {
  if (scopes.length === 0) return [{ kind: "no-credential" }];
  const reasons: OutsideReason[] = [];
  for (const { delegation, pullRequestHead } of scopes) {
    const why = outsideOne(branch, delegation, pullRequestHead);
    if (why === null) return [];
    reasons.push(why);
  }
  return reasons;
}

function outsideOne(branch: string, delegation: CredentialDelegationScope["delegation"], pullRequestHead: string | null): OutsideReason | null {
  if (delegation.scopeBranches.length > 0 && anyGlobMatcher(delegation.scopeBranches)(branch)) return { kind: "base-branch", delegationId: delegation.id, patterns: [...delegation.scopeBranches] };
  if (delegation.subjectType === "pull_request") {
    if (pullRequestHead === null) return { kind: "head-unconfirmed", delegationId: delegation.id, pullRequest: delegation.subjectNumber };
    if (pullRequestHead !== branch) return { kind: "other-branch", delegationId: delegation.id, pullRequest: delegation.subjectNumber, head: pullRequestHead };
  }
  return null;
}
