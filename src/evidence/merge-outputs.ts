import type { CheckRunOutput, EvaluationMeta } from "./check-run-output.js";
import { footer } from "./check-run-output.js";
import { code, escapeText, login, shortSha } from "./markdown.js";

/** What Countersign knows about a merge of an agent-touched pull request that had no success on its head. */
export interface UnverifiedMerge {
  prNumber: number;
  headSha: string;
  mergeCommitSha: string | null;
  mergedBy: { id: number | null; login: string } | null;
  /** Countersign's latest decision on the merged head, if it made one. */
  decision: { conclusion: string; title: string } | null;
  /** How the merge got past the gate. */
  gate: "bypassed-required-check" | "check-not-required" | "required-check-unknown";
  /** The agents that touched the pull request. */
  agents: string[];
}

function missing(merge: UnverifiedMerge): string {
  return merge.decision
    ? `Countersign's decision on the merged head ${shortSha(merge.headSha)} was ${code(merge.decision.conclusion)}: ${escapeText(merge.decision.title)}`
    : `Countersign had made no decision on the merged head ${shortSha(merge.headSha)} (it was merged before Countersign finished, or while it was not running)`;
}

function how(merge: UnverifiedMerge): string {
  switch (merge.gate) {
    case "bypassed-required-check":
      return "`Countersign` is a required check on the base branch, so the merge bypassed the rules (an administrator or a bypass list).";
    case "check-not-required":
      return "`Countersign` is not a required check on the base branch, so nothing stopped the merge.";
    case "required-check-unknown":
      return "Whether `Countersign` is required on the base branch could not be read.";
  }
}

function merger(merge: UnverifiedMerge): string {
  return merge.mergedBy ? `${login(merge.mergedBy.login)} (id ${merge.mergedBy.id ?? "unknown"})` : "an unknown account";
}

/** The check run on the merged head, rewritten to say the change merged without a countersign. */
export function renderUnverifiedMergeCheckRun(merge: UnverifiedMerge, meta: EvaluationMeta): CheckRunOutput {
  return {
    title: "Merged without a countersign",
    summary: [
      `**Merged without a countersign** — this agent-touched pull request was merged by ${merger(merge)}${merge.mergeCommitSha ? ` as ${shortSha(merge.mergeCommitSha)}` : ""} without a success from Countersign on its head.`,
      "",
      `- What was missing: ${missing(merge)}.`,
      `- How it got in: ${how(merge)}`,
      `- Agents: ${merge.agents.length > 0 ? merge.agents.map((agent) => login(agent)).join(", ") : "unknown"}`,
      "",
      "### What to do next",
      "Review the merged change now and revert it if it should not stand; then make `Countersign` a required check without bypass on this branch. The merge is recorded in the audit log as `merge.unverified`.",
      "",
      footer(merge.headSha, meta),
    ].join("\n"),
  };
}

/** The comment on the merged pull request that tells the team what was missing and who merged. */
export function renderUnverifiedMergeComment(merge: UnverifiedMerge): string {
  return [
    `**Countersign: merged without a countersign.** ${merger(merge)} merged this agent-touched pull request without a success from Countersign on its head ${shortSha(merge.headSha)}.`,
    "",
    `- What was missing: ${missing(merge)}.`,
    `- How it got in: ${how(merge)}`,
    "",
    "This is recorded in the audit log as `merge.unverified`. Review the merged change, and make `Countersign` a required check without bypass so this cannot happen again.",
  ].join("\n");
}
