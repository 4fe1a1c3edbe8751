import type { ConfigProblem } from "../config/repo-policy-loader.js";
import { POLICY_PATH } from "../policy/policy-file.js";
import type { OutsideReason } from "../policy/credential-push-scope.js";
import type { CheckRunOutput, EvaluationMeta } from "./check-run-output.js";
import { footer } from "./check-run-output.js";
import { code, escapeText, login, shortSha, visible } from "./markdown.js";

/** Evidence for an evaluation that failed: blocking, with an id the operator can find in the logs. */
export function renderEvaluationFailure(errorId: string, cause: string, headSha: string, meta: EvaluationMeta, retryAt: Date | null = null, rateLimited = true): CheckRunOutput {
  return {
    title: "Could not evaluate: blocked until Countersign can",
    summary: [
      "**Decision: blocked** — Countersign could not evaluate this change, so it fails closed.",
      "",
      `- What failed: ${code(cause)}`,
      `- Error id: ${code(errorId)} (search the app's logs for it)`,
      "",
      "### What to do next",
      ...(retryAt ? [`${rateLimited ? "GitHub's rate limit was reached" : "GitHub or the database failed"}: Countersign tries again automatically at ${retryAt.toISOString()}. The check stays blocking until then.`, ""] : []),
      "Re-run this check once the cause is fixed (the **Re-run** button on this check, or push a commit). If it keeps failing, give the error id to whoever operates Countersign.",
      "",
      footer(headSha, meta),
    ].join("\n"),
  };
}

/** Evidence for a policy file that does not validate: blocking, naming each bad key. */
export function renderInvalidConfig(problems: ConfigProblem[], source: string, headSha: string, meta: EvaluationMeta): CheckRunOutput {
  const first = problems[0];
  return {
    title: `Invalid ${POLICY_PATH}: ${first ? visible(first.path) : "unreadable"}`,
    summary: [
      "**Decision: blocked** — the Countersign policy that applies to this repository is invalid, and a broken policy never falls back to defaults.",
      "",
      `Policy: ${code(source)}`,
      "",
      "| File | Key | Problem |",
      "| --- | --- | --- |",
      ...problems.slice(0, 50).map((problem) => `| ${code(problem.file)} | ${code(problem.path)} | ${escapeText(problem.message)} |`),
      "",
      "### What to do next",
      "Fix the keys above in the file named (the repository's policy on the base branch, or the organization's `.github` repository it extends; see the configuration reference in Countersign's README), then re-run this check.",
      "",
      footer(headSha, meta),
    ].join("\n"),
  };
}

/** What is known of a push that went straight to a protected branch. */
export interface DirectPush {
  ref: string;
  headSha: string;
  pusher: { id: number | null; login: string };
  identity: string;
  commits: Array<{ sha: string; message: string }>;
  compareUrl: string | null;
}

/** One reason a delegation does not cover a push, in Markdown (branch names are agent-chosen: code spans). */
function outsideText(reason: OutsideReason, branch: string): string {
  switch (reason.kind) {
    case "no-credential":
      return "no credential Countersign issued was live when the push was recorded: a token from elsewhere pushed as the credential app";
    case "base-branch":
      return `delegation ${code(reason.delegationId)}: ${code(branch)} is a base branch its work must reach through a pull request (\`branches:\` ${reason.patterns.map((pattern) => code(pattern)).join(", ")})`;
    case "other-branch":
      return `delegation ${code(reason.delegationId)} was given on pull request #${reason.pullRequest}, whose branch is ${code(reason.head)}, not ${code(branch)}`;
    case "head-unconfirmed":
      return `delegation ${code(reason.delegationId)} was given on pull request #${reason.pullRequest}, whose branch could not be confirmed to be ${code(branch)} (gone, or in a fork)`;
  }
}

/**
 * Evidence for a push by the credential app's bot outside the delegation its token was issued under
 * (or with no issued token live): which credentials could have made it and why each delegation does
 * not cover the branch.
 */
export function renderCredentialPushOutside(
  push: DirectPush,
  why: { credentials: ReadonlyArray<{ id: string; delegationId: string; runId: string | null; workflowRef: string | null }>; outside: readonly OutsideReason[] },
  meta: EvaluationMeta,
  dryRun = false,
): CheckRunOutput {
  const credentials = why.credentials.map((credential) => {
    const workload = [credential.runId ? `run ${code(credential.runId)}` : null, credential.workflowRef ? `workflow ${code(credential.workflowRef)}` : null].filter((part) => part !== null).join(", ");
    return `- ${code(credential.id)} under delegation ${code(credential.delegationId)}${workload ? ` (${workload})` : ""}`;
  });
  return {
    title: `${dryRun ? "Would flag: " : ""}Push with an issued credential outside its delegation`,
    summary: [
      `**Decision: ${dryRun ? "would block (dry run, \`mode: evaluate\`)" : "blocked"}** — ${login(push.pusher.login)} (id ${push.pusher.id ?? "unknown"}), **${escapeText(push.identity)}**, pushed to ${code(push.ref)}, which no delegation behind a live credential covers.`,
      "",
      "### Why",
      ...why.outside.map((reason) => `- ${outsideText(reason, push.ref.replace(/^refs\/heads\//, ""))}`),
      "",
      "### Credentials that could have made it",
      ...(credentials.length > 0 ? credentials : ["- none: no credential Countersign issued was live when the push was recorded"]),
      "",
      ...pushedCommits(push),
      "",
      "### What to do next",
      "Review these commits now; revert them if they should not stand, and revoke the delegation (`/delegate revoke`) if its workload is misbehaving: its credentials are revoked with it. Restrict the credential app's bot to the agent branches with a ruleset (docs/credentials.md).",
      "",
      footer(push.headSha, meta),
    ].join("\n"),
  };
}

/** The "Commits pushed" section of a flagged push: the first twenty, each with its message's first line (as code: agent-written). */
function pushedCommits(push: DirectPush): string[] {
  const commits = push.commits.slice(0, 20).map((commit) => `- ${shortSha(commit.sha)} ${code(commit.message.split("\n")[0] ?? "")}`);
  return ["### Commits pushed", ...(commits.length > 0 ? commits : ["- (none listed in the push)"]), ...(push.commits.length > 20 ? [`- … and ${push.commits.length - 20} more`] : [])];
}

/** Evidence for an agent's direct push to a protected branch (neutral, "would flag", in a dry run). */
export function renderDirectPush(push: DirectPush, meta: EvaluationMeta, dryRun = false): CheckRunOutput {
  return {
    title: `${dryRun ? "Would flag: " : ""}Direct push by an agent, not reviewed`,
    summary: [
      `**Decision: ${dryRun ? "would block (dry run, `mode: evaluate`)" : "blocked"}** — ${login(push.pusher.login)} (id ${push.pusher.id ?? "unknown"}), the agent identity **${escapeText(push.identity)}**, pushed directly to ${code(push.ref)} without a pull request: no human delegated or approved this change.`,
      "",
      ...pushedCommits(push),
      "",
      "### What to do next",
      "Review these commits now; revert them or open a pull request for them if they should not stand. Then stop the agent from pushing to this branch: give its app no write access to it, or add a ruleset or branch protection that requires a pull request (and this check) before merging.",
      "",
      footer(push.headSha, meta),
    ].join("\n"),
  };
}
