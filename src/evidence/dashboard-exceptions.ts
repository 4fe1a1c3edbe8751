import type { DirectPushRow, FailedEvaluationRow, InvalidPolicyRow, LateCredentialRow, Listed, UnverifiedMergeRow } from "../db/dashboard-exceptions.js";
import { externalLink, html, minuteTime } from "./html.js";

// The dashboard's exceptions section (docs/dashboard.md#exceptions), first on the page: one heading
// per kind with its count, then its rows, each saying what is wrong and what to do. A kind with no
// row says "None" in words, so "nothing happened" never looks like "not checked". Pure, and every
// value escaped: repository names, branches, logins and policy problems come from GitHub and agents.

/** A row's links: the pull request, issue or commit on GitHub, and the pull request's evidence page. */
export interface ExceptionLinks {
  subject: string | null;
  evidence: string | null;
}

type Linked<T> = T & { links: ExceptionLinks };

/** The exceptions of one organization in one window, with their links built. */
export interface DashboardExceptions {
  window: { from: Date; to: Date; repo: string | null };
  unverifiedMerges: Listed<Linked<UnverifiedMergeRow>>;
  directPushes: Listed<Linked<DirectPushRow>>;
  invalidPolicies: Listed<Linked<InvalidPolicyRow>>;
  failedEvaluations: Listed<Linked<FailedEvaluationRow>>;
  lateCredentials: Listed<Linked<LateCredentialRow>>;
}

function code(text: string): string {
  return `<code>${html(text)}</code>`;
}

function short(sha: string | null): string {
  return sha ? code(sha.slice(0, 12)) : "unknown commit";
}

function logins(names: readonly string[]): string {
  return names.length === 0 ? "" : names.map((name) => `@${html(name)}`).join(", ");
}

/** One table row: repository, subject, when, who, what is wrong, what to do, evidence. Cells are HTML. */
interface Cells {
  repository: string;
  subject: string;
  at: Date;
  who: string;
  wrong: string;
  todo: string;
  evidence: string | null;
}

const COLUMNS = ["Repository", "Pull request or branch", "When", "Who", "What is wrong", "What to do", "Evidence"] as const;
const HEAD = `<thead><tr>${COLUMNS.map((column) => `<th scope="col">${html(column)}</th>`).join("")}</tr></thead>`;

function kind<T>(id: string, title: string, listed: Listed<T>, cells: (row: T) => Cells, resolvedNote?: (count: number, more: string) => string): string {
  const count = listed.more ? `${listed.rows.length} or more` : String(listed.rows.length);
  const heading = `<h3 id="${id}">${html(title)}: <span class="count">${count}</span></h3>`;
  const resolved = resolvedNote && listed.resolved ? `<p class="resolved">${html(resolvedNote(listed.resolved, listed.rows.length > 0 ? " more" : ""))}</p>` : "";
  if (listed.rows.length === 0) return `${heading}<p class="none">None in this window.</p>${resolved}`;
  const rows = listed.rows.map((row) => {
    const c = cells(row);
    // Each cell names its column (data-label): on a phone the rows are cards, without the header row.
    const values = [html(c.repository), c.subject, minuteTime(c.at.toISOString()), c.who || "unknown", c.wrong, c.todo, c.evidence ?? "none"];
    return `<tr>${values.map((value, index) => `<td data-label="${html(COLUMNS[index])}">${value}</td>`).join("")}</tr>`;
  });
  const more = listed.more ? `<p>The ${listed.rows.length} most recent are shown; narrow the time range or the repository to see the rest.</p>` : "";
  return `${heading}<div class="scroll"><table class="exceptions">${HEAD}<tbody>${rows.join("")}</tbody></table></div>${more}${resolved}`;
}

function evidenceLink(links: ExceptionLinks): string | null {
  return links.evidence === null ? null : externalLink("evidence", links.evidence);
}

const GATES: Record<string, string> = {
  "bypassed-required-check": "the Countersign check was required and was bypassed",
  "check-not-required": "the Countersign check is not required on this branch",
  "required-check-unknown": "whether the check was required could not be read",
};

function mergeCells(row: Linked<UnverifiedMergeRow>): Cells {
  const missing = row.missing === null ? "no countersign" : row.missing === "no decision" ? "no Countersign decision" : `the ${row.missing.replace(/^decision /, "")} decision, not a countersign`;
  const gate = row.gate === null ? "" : ` (${html(GATES[row.gate] ?? row.gate)})`;
  return {
    repository: row.repository,
    subject: externalLink(`#${row.number}`, row.links.subject),
    at: row.at,
    who: [row.mergedBy === null ? "" : `merged by @${html(row.mergedBy)}`, row.agents.length > 0 ? `agents ${logins(row.agents)}` : ""].filter(Boolean).join("; "),
    wrong: `An agent's change was merged with ${html(missing)} on its head ${short(row.headSha)}${gate}.`,
    todo: `Review the merged change${row.mergeCommitSha ? ` (${short(row.mergeCommitSha)})` : ""}, revert it if it should not stand, and ${row.gate === "bypassed-required-check" ? "find out who may bypass the branch's rules" : "make the Countersign check required on the branch"}.`,
    evidence: evidenceLink(row.links),
  };
}

function pushCells(row: Linked<DirectPushRow>): Cells {
  return {
    repository: row.repository,
    subject: `${code(row.branch)} at ${externalLink(row.headSha ? row.headSha.slice(0, 12) : "unknown commit", row.links.subject)}`,
    at: row.at,
    who: [row.pusher === null ? "" : `@${html(row.pusher)}`, row.identity === null ? "" : `(${html(row.identity)})`].filter(Boolean).join(" "),
    wrong: `An agent pushed ${row.commits === 1 ? "1 commit" : `${row.commits} commits`} straight to a protected branch: no pull request, no delegation, no review${row.mode === "evaluate" ? " (dry run: flagged neutral, not blocked)" : ""}.`,
    todo: "Review the pushed commits, revert them if they should not stand, and take the agent's push access to protected branches away (branch protection or rulesets).",
    evidence: null,
  };
}

function policyCells(row: Linked<InvalidPolicyRow>): Cells {
  const problems = row.problems.slice(0, 5).map((problem) => `${code(`${problem.file}: ${problem.path}`)} ${html(problem.message)}`);
  const rest = row.problems.length > 5 ? ` and ${row.problems.length - 5} more` : "";
  return {
    repository: row.repository,
    subject: row.number === null ? "" : `last blocked ${externalLink(`#${row.number}`, row.links.subject)}`,
    at: row.at,
    who: logins(row.agents),
    wrong: `The policy ${row.source === null ? "" : `${code(row.source)} `}did not validate, so ${row.evaluations === 1 ? "an evaluation" : `${row.evaluations} evaluations`} failed closed${problems.length > 0 ? `: ${problems.join("; ")}${rest}` : ""}.`,
    todo: "Fix the policy file (the problems name the key); pull requests stay blocked until it validates.",
    evidence: evidenceLink(row.links),
  };
}

function failureCells(row: Linked<FailedEvaluationRow>): Cells {
  return {
    repository: row.repository,
    subject: row.number === null ? `commit ${externalLink(row.headSha ? row.headSha.slice(0, 12) : "unknown", row.links.subject)}` : externalLink(`#${row.number}`, row.links.subject),
    at: row.at,
    who: logins(row.agents),
    wrong: `Countersign could not evaluate it${row.cause === null ? "" : ` (${html(row.cause)})`}${row.failures > 1 ? `, ${row.failures} times` : ""}; it is blocked and nothing has been decided since.`,
    todo: `Look up ${row.errorId === null ? "the error" : code(row.errorId)} in Countersign's logs, fix the cause, then re-run the check on GitHub.`,
    evidence: evidenceLink(row.links),
  };
}

function credentialCells(row: Linked<LateCredentialRow>): Cells {
  const subject = row.subject === null ? "delegation gone" : externalLink(`${row.subject.type === "issue" ? "issue " : ""}#${row.subject.number}`, row.links.subject);
  const minutes = (to: Date) => Math.round((to.getTime() - row.dueAt.getTime()) / 60_000);
  const state =
    row.endedAt === null
      ? `is still live, due to end at ${minuteTime(row.dueAt.toISOString())}`
      : `${row.endedAs === "expired" ? "was left to expire at GitHub" : "was revoked"} ${minutes(row.endedAt)} minutes after it was due (${minuteTime(row.dueAt.toISOString())})`;
  const failures = row.revokeFailures > 0 ? `; GitHub did not confirm ${row.revokeFailures === 1 ? "a revocation" : `${row.revokeFailures} revocations`}` : "";
  return {
    repository: row.repository,
    subject,
    at: row.dueAt,
    who: [row.agent === null ? "" : `agent @${html(row.agent)}`, row.delegator === null ? "" : `delegated by @${html(row.delegator)}`].filter(Boolean).join("; "),
    wrong: `Credential ${code(row.id)} ${state}${failures}.`,
    todo:
      row.endedAt === null
        ? `Check that the credential sweep runs (logs, the errors metric); until it is revoked, treat the token as exposed. GitHub's audit log shows its uses under hashed_token ${code(row.hashedToken)}.`
        : `Check GitHub's audit log for uses after it was due (hashed_token ${code(row.hashedToken)}), and why the sweep was late.`,
    evidence: evidenceLink(row.links),
  };
}

/** The exceptions section of the dashboard. */
export function renderExceptionsSection(exceptions: DashboardExceptions): string {
  const scope = exceptions.window.repo === null ? "all repositories" : `repository ${code(exceptions.window.repo)}`;
  return `<section aria-labelledby="exceptions"><h2 id="exceptions">Exceptions to act on</h2>
<p>From ${minuteTime(exceptions.window.from.toISOString())} to ${minuteTime(exceptions.window.to.toISOString())}, ${scope}. Each kind is checked; "None" means none was found.</p>
${kind("ex-merges", "Merged without a countersign", exceptions.unverifiedMerges, mergeCells)}
${kind("ex-pushes", "Agent pushes to protected branches", exceptions.directPushes, pushCells)}
${kind("ex-policies", "Policies that did not validate", exceptions.invalidPolicies, policyCells, (n, more) => `${n}${more} ${n === 1 ? "was" : "were"} fixed since (a later evaluation in the repository loaded a valid policy).`)}
${kind("ex-failures", "Evaluations that could not run", exceptions.failedEvaluations, failureCells, (n, more) => `${n}${more} ${n === 1 ? "was" : "were"} resolved by a later evaluation that ran.`)}
${kind("ex-credentials", "Credentials not revoked on time", exceptions.lateCredentials, credentialCells)}
</section>`;
}
