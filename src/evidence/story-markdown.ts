import { z } from "zod";
import type { AgentInventory } from "../github/agent-inventory.js";
import { PERMISSION_LEVELS } from "../policy/types.js";
import { describeInventory } from "./command-replies.js";
import { credentialState, issuedCredentials, VENDOR_HELD, type StoryIssuedCredential } from "./issued-credentials.js";
import { code, escapeText, handle, link, login, plainLine, shortSha } from "./markdown.js";
import type { ChainRef, PullRequestStory, StoryApproval, StoryDecision, StoryDelegation, StoryEntry } from "./pr-story.js";

// `countersign evidence --format md`: one pull request's whole story as Markdown, for an auditor or a
// ticket. It is often pasted into GitHub, so it obeys the check run's rules: whatever came from outside
// Countersign (task refs and URLs, revocation reasons, policy sources, titles, anything read back from
// a payload) goes through markdown.ts's untrusted() (code(), escapeText(), plainLine()), whose output
// never holds a `|` that could split a table cell; logins a commit named are shown with handle().

// The inventory is read back from the log as unknown JSON: parsed before it is described, and shown
// as inert code when it does not parse (an older or foreign shape).
const inventorySchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("app"), login: z.string(), slug: z.string(), name: z.string(), permissions: z.record(z.string(), z.string()), events: z.array(z.string()), readAt: z.string() }),
  z.object({ kind: z.literal("machine-user"), login: z.string(), permission: z.enum(PERMISSION_LEVELS), readAt: z.string() }),
  z.object({ kind: z.literal("unknown"), login: z.string(), reason: z.string(), readAt: z.string() }),
]);

function event(ref: ChainRef): string {
  return `event #${ref.seq}${ref.hash ? ` ${code(ref.hash.slice(0, 12))}` : " (unsealed)"}`;
}

function task(task: StoryDelegation["task"]): string {
  if (!task || task.kind === "none") return "none given";
  // Only an issue's URL is Countersign's own (built from the repository's URL); a `url` task is
  // whatever the command said, so it is shown, never linked.
  if (task.kind === "issue" && task.url) return `${link(task.ref, task.url)} (issue)`;
  return `${code(task.ref)} (${escapeText(task.kind)})`;
}

function inventoryLine(entry: unknown): string {
  const parsed = inventorySchema.safeParse(entry);
  if (!parsed.success) return `- Recorded inventory: ${code(JSON.stringify(entry) ?? "null")}`;
  return `- What ${handle(parsed.data.login)} could do: ${describeInventory(parsed.data satisfies AgentInventory)}`;
}

function delegationSection(delegation: StoryDelegation): string[] {
  const scope = [
    delegation.scopePaths.length > 0 ? `paths ${delegation.scopePaths.map((glob) => code(glob)).join(", ")}` : "whole repository",
    ...(delegation.scopeBranches.length > 0 ? [`base branches ${delegation.scopeBranches.map((branch) => code(branch)).join(", ")}`] : []),
  ].join("; ");
  const ended = delegation.ended
    ? `- Ended: ${delegation.ended.how}${delegation.ended.by ? ` by ${login(delegation.ended.by)}` : ""}${delegation.ended.reason ? ` (${escapeText(delegation.ended.reason)})` : ""}, ${code(delegation.ended.at)}, ${event(delegation.ended)}`
    : "- Ended: no (in force when this was assembled, unless it expired without a sweep)";
  return [
    `### Delegation ${code(delegation.id)}`,
    "",
    `- Owner: ${login(delegation.owner.login)}${delegation.owner.id !== null ? ` (id ${delegation.owner.id})` : ""}`,
    `- Task: ${task(delegation.task)}`,
    `- Given on: ${delegation.subject ? `${escapeText(delegation.subject.type.replace(/_/g, " "))} #${delegation.subject.number}` : "unknown"}${delegation.commandUrl ? `, ${link("the command", delegation.commandUrl)}` : ""}`,
    `- Agent: ${delegation.agent ? login(delegation.agent.login) : "the pull request's own agent"}`,
    `- Scope: ${scope}`,
    `- Expires: ${delegation.expiresAt ? code(delegation.expiresAt) : "no expiry"}`,
    ...(delegation.agentInventory.length > 0 ? delegation.agentInventory.map(inventoryLine) : ["- What the agent could do: not recorded"]),
    ended,
    `- Recorded: ${code(delegation.at)}, ${event(delegation)}`,
    "",
  ];
}

function approvalsTable(approvals: readonly StoryApproval[]): string[] {
  if (approvals.length === 0) return ["No approvals were recorded.", ""];
  return [
    "| Reviewer | Commit | Counted | Why not | Recorded |",
    "| --- | --- | --- | --- | --- |",
    ...approvals.map((approval) =>
      [
        login(approval.reviewer),
        approval.commit ? code(approval.commit) : "unknown",
        approval.counted ? "yes" : "no",
        approval.objections.length > 0 ? approval.objections.map((objection) => code(objection)).join(", ") : "",
        event(approval),
      ].join(" | "),
    ).map((row) => `| ${row} |`),
    "",
  ];
}

function decisionLines(decision: StoryDecision): string[] {
  return [
    `- ${code(decision.at)} on ${shortSha(decision.headSha)}: **${code(decision.conclusion)}**, ${plainLine(decision.title)}`,
    `  - Policy: ${decision.policyHash ? code(decision.policyHash) : "none (the policy did not load)"}${decision.policySource ? ` from ${code(decision.policySource)}` : ""}`,
    ...(decision.tiers.length > 0 ? [`  - Tiers: ${decision.tiers.map((tier) => code(tier)).join(", ")}`] : []),
    ...(decision.requirements.length > 0 ? [`  - Requirements: ${decision.requirements.map((requirement) => `${code(requirement.kind)} ${requirement.met ? "met" : "not met"}`).join(", ")}`] : []),
    `  - ${decision.deliveryId ? `Delivery ${code(decision.deliveryId)}, ` : ""}${event(decision)}`,
  ];
}

/** A timeline entry in our own words, from the structured story; the story's text only as a fallback. */
function timelineText(entry: StoryEntry, story: PullRequestStory): string {
  const at = (ref: ChainRef) => ref.seq === entry.seq;
  switch (entry.type) {
    case "delegation.created": {
      const delegation = story.delegations.find(at);
      if (delegation) return `${login(delegation.owner.login)} delegated task ${task(delegation.task)}${delegation.agent ? ` to ${login(delegation.agent.login)}` : ""} (record ${code(delegation.id)})`;
      break;
    }
    case "delegation.revoked":
    case "delegation.expired": {
      const delegation = story.delegations.find((candidate) => candidate.ended?.seq === entry.seq);
      if (delegation?.ended) return `delegation ${code(delegation.id)} ${delegation.ended.how}${delegation.ended.by ? ` by ${login(delegation.ended.by)}` : ""}${delegation.ended.reason ? `: ${escapeText(delegation.ended.reason)}` : ""}`;
      break;
    }
    case "approval.counted":
    case "approval.rejected": {
      const approval = story.approvals.find(at);
      if (approval) return `${login(approval.reviewer)} approved ${shortSha(approval.commit)}: ${approval.counted ? "counted" : `not counted (${approval.objections.map((objection) => code(objection)).join(", ")})`}`;
      break;
    }
    case "decision": {
      const decision = story.decisions.find(at);
      if (decision) return `decision on ${shortSha(decision.headSha)}: **${code(decision.conclusion)}**${decision.policyHash ? ` under policy ${code(decision.policyHash.slice(0, 12))}` : ""}`;
      break;
    }
    case "push": {
      const push = story.pushes.find(at);
      if (push) return `the head moved to ${shortSha(push.sha)}`;
      break;
    }
  }
  return escapeText(entry.text);
}

/** One credential Countersign issued, as a list item: workload, permissions, window, end. Never the token. */
function credentialLines(credential: StoryIssuedCredential): string[] {
  const workload = credential.workload;
  const who = [
    `issuer ${code(workload.issuer ?? "unknown")}`,
    ...(workload.repository ? [`repository ${code(workload.repository)}`] : []),
    ...(workload.workflowRef ? [`workflow ${code(workload.workflowRef)}`] : []),
    ...(workload.runId ? [`run ${code(workload.runId)}`] : []),
    ...(workload.actor ? [`actor ${login(workload.actor)}`] : []),
    ...(!workload.workflowRef && workload.subject ? [`subject ${code(workload.subject)}`] : []),
  ];
  const permissions = Object.entries(credential.permissions).map(([name, level]) => code(`${name}: ${level}`));
  return [
    `- ${code(credential.id)} under delegation ${code(credential.delegationId)}${credential.agent ? ` for ${login(credential.agent)}` : ""}, ${event(credential)}`,
    `  - Workload: ${who.join(", ")}`,
    `  - Permissions: ${permissions.length > 0 ? permissions.join(", ") : "none recorded"}`,
    `  - Valid: ${code(credential.at)} to ${code(credential.expiresAt ?? "unknown")} (GitHub's expiry ${code(credential.githubExpiresAt ?? "unknown")})`,
    `  - Ended: ${escapeText(credentialState(credential))}${credential.ended ? ` at ${code(credential.ended.at)}, ${event(credential.ended)}` : ""}`,
    ...credential.revokeFailures.map((failure) => `  - Revocation failed at ${code(failure.at)}${failure.github ? ` (${escapeText(failure.github)})` : ""}, ${event(failure)}`),
  ];
}

/** The credentials section: each one Countersign issued, or that the agent's credential is vendor-held. */
function credentialsSection(story: PullRequestStory): string[] {
  const credentials = issuedCredentials(story);
  if (credentials.length > 0) return credentials.flatMap(credentialLines);
  return [story.agent ? VENDOR_HELD : "None issued."];
}

function chainTable(story: PullRequestStory): string[] {
  return [
    "| Event | Type | Hash | Previous hash | Recorded |",
    "| --- | --- | --- | --- | --- |",
    ...story.chain.map((link) => `| ${[`#${link.seq}`, code(link.type), link.hash ? code(link.hash) : "unsealed", link.prevHash ? code(link.prevHash) : "unsealed", code(link.at)].join(" | ")} |`),
    "",
  ];
}

/** The Markdown evidence of one pull request's story. */
export function renderStoryMarkdown(story: PullRequestStory): string {
  const first = story.chain[0];
  const last = story.chain.at(-1);
  const latest = story.decisions.at(-1);
  const owner = story.owner;
  const lines: string[] = [
    `# Evidence: ${code(`${story.repository}#${story.number}`)}`,
    "",
    `Assembled from ${story.chain.length} event${story.chain.length === 1 ? "" : "s"} of Countersign's hash-chained audit log${first && last ? ` (#${first.seq} to #${last.seq})` : ""}. Run \`countersign audit verify\` to check the chain they belong to.`,
    "",
    latest ? `Latest decision: **${code(latest.conclusion)}** on ${shortSha(latest.headSha)}, ${plainLine(latest.title)}` : "No decision was recorded.",
    "",
    "## Agent",
    "",
  ];
  if (story.agent) {
    lines.push(`- Involvement: ${escapeText(story.agent.involvement)}`);
    lines.push(`- Identified: ${story.agent.agents.length > 0 ? story.agent.agents.map((agent) => `${handle(agent.login)} (${escapeText(agent.kind)}${agent.id !== null ? `, id ${agent.id}` : ""})`).join(", ") : "no agent"}`);
    if (story.agent.signals.length > 0) lines.push(`- Signals: ${story.agent.signals.map((signal) => code(JSON.stringify(signal) ?? "null")).join(", ")}`);
  } else {
    lines.push("No decision identified an agent.");
  }
  lines.push("", "## Owner", "");
  lines.push(
    owner
      ? `${login(owner.login)}${owner.id !== null ? ` (id ${owner.id})` : ""}: ${owner.kind === "delegated" ? "delegated the work (explicit owner)" : owner.kind === "implicit" ? "the pull request's human author (implicit owner)" : escapeText(owner.kind)}, at the latest decision.`
      : "No owner at the latest decision: nobody had delegated the work.",
    "",
    "## Delegations",
    "",
  );
  if (story.delegations.length === 0) lines.push("None recorded.", "");
  for (const delegation of story.delegations) lines.push(...delegationSection(delegation));
  lines.push("## Approvals", "", ...approvalsTable(story.approvals));
  lines.push("## Decisions", "", ...(story.decisions.length > 0 ? story.decisions.flatMap(decisionLines) : ["None recorded."]), "");
  lines.push("## Credentials", "", ...credentialsSection(story), "");
  lines.push("## Timeline", "", ...story.timeline.map((entry) => `- ${code(entry.at)} #${entry.seq}: ${timelineText(entry, story)}`), "");
  lines.push("## Chain", "", ...chainTable(story));
  return `${lines.join("\n").trimEnd()}\n`;
}
