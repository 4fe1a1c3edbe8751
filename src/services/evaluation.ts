import type { PolicyLoadResult } from "../config/repo-policy-loader.js";
import type { Conclusion, Decision } from "../policy/evaluate.js";
import type { Actor, PullRequestFacts } from "../policy/types.js";

// One evaluation of a pull request: what asks for it, and what it ends in. Queued by
// evaluation-queue.ts, judged by judge-pull-request.ts, published by publish-evaluation.ts.

/** A request to evaluate one pull request and publish the result. */
export interface EvaluationRequest {
  prNumber: number;
  /** The head SHA the event named, used to block the right commit if reading the PR fails. */
  headShaHint: string | null;
  /** Facts and policy already read for this delivery (by a command), to avoid reading them twice. */
  preloaded?: { facts: PullRequestFacts; policy: PolicyLoadResult };
  /**
   * The reviews whose submission, edit or dismissal caused this evaluation, each with the delivery that
   * told of it: their verdicts are logged.
   */
  reviews?: ReadonlyArray<{ id: number; deliveryId: string | null }>;
  /** Write the check run even if its decision is unchanged: someone pressed "Re-run" and expects it. */
  forceWrite?: boolean;
  /** How many times this evaluation was already tried (after rate limits). */
  attempt?: number;
  /** Other deliveries this evaluation answers as well (their requests joined it while it waited). */
  alsoFor?: readonly string[];
  /**
   * Pushes to the pull request's branch that caused this evaluation (`synchronize`), with the account
   * GitHub says pushed: an agent's push makes the pull request agent-touched, whatever its commits say.
   */
  pushes?: ReadonlyArray<{ pusher: Actor; beforeSha: string; afterSha: string; forced: boolean; deliveryId: string | null }>;
  /** The pull request was just opened or reopened: read who pushed its branch from GitHub's activity log. */
  readActivity?: boolean;
}

/** What an evaluation concluded (the policy engine's decision, once published), or why it could not. */
export type EvaluationResult =
  | { status: "decided"; decision: Decision; conclusion: Conclusion; checkRunId: number }
  | { status: "invalid-config"; checkRunId: number }
  | { status: "skipped"; reason: string }
  | { status: "failed"; errorId: string };
