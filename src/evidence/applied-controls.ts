import { CONTROLS, type Control } from "./controls.js";
import type { PullRequestStory } from "./pr-story.js";

// Which of Countersign's controls one pull request's story shows at work. An auditor reading the
// evidence wants "what applied here, and where is the proof", not the generic mapping of all ten: each
// control is named with the first event in the chain that shows it. A control the story has no event
// for (a direct push is not part of any pull request) is left out rather than claimed.

/** A control, and the sequence number of the first event that shows it applied. */
export interface AppliedControl {
  control: Control;
  seq: number;
}

function first(seqs: Array<number | undefined>): number | undefined {
  const known = seqs.filter((seq): seq is number => seq !== undefined);
  return known.length > 0 ? Math.min(...known) : undefined;
}

/** The controls `story` shows applied, in the order of CONTROLS. */
export function appliedControls(story: PullRequestStory): AppliedControl[] {
  const decisions = story.decisions;
  const evidence: Record<string, number | undefined> = {
    // Every decision identifies the agent; it shows the control once a decision found one.
    "CS-1": story.agent ? decisions[0]?.seq : undefined,
    "CS-2": first(story.delegations.map((delegation) => delegation.seq)),
    "CS-3": first(
      story.delegations.flatMap((delegation) => [
        delegation.scopePaths.length > 0 || delegation.scopeBranches.length > 0 || delegation.expiresAt !== null ? delegation.seq : undefined,
        delegation.ended?.how === "expired" ? delegation.ended.seq : undefined,
      ]),
    ),
    "CS-4": first(story.approvals.map((approval) => approval.seq)),
    "CS-5": decisions.find((decision) => decision.tiers.length > 0)?.seq,
    "CS-6": decisions.find((decision) => decision.policyHash !== null)?.seq,
    "CS-7": story.timeline.find((entry) => entry.type === "push.flagged")?.seq,
    "CS-8": first(story.delegations.map((delegation) => (delegation.agentInventory.length > 0 ? delegation.seq : undefined))),
    "CS-9": story.chain[0]?.seq,
    "CS-10": story.timeline.find((entry) => entry.type === "evaluation.failed" || entry.type === "config.invalid")?.seq,
  };
  return CONTROLS.flatMap((control) => {
    const seq = evidence[control.id];
    return seq === undefined ? [] : [{ control, seq }];
  });
}
