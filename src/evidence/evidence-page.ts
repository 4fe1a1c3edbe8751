import { externalLink, html, htmlDocument } from "./html.js";
import { appliedControls } from "./applied-controls.js";
import { CONTROLS } from "./controls.js";
import { credentialState, issuedCredentials, VENDOR_HELD, type StoryIssuedCredential } from "./issued-credentials.js";
import { pushCredentialPhrase, type PullRequestStory, type StoryApproval, type StoryDecision, type StoryDelegation, type StoryEntry } from "./pr-story.js";

// The evidence page behind the check run's "Details" link: one pull request's story as a plain HTML
// document (no scripts, no external resources), every value escaped. Pure: takes a story, returns HTML.
//
// It is read by an auditor, top to bottom, as one story: what was decided and on whose authority (the
// facts), how it came about (one timeline, in chain order), who approved, the proof (the hash chain),
// and only then the controls. Times, hashes and event names are tokens: they never break across lines
// (a phone gets stacked cards instead of wide tables, and the chain's full hashes scroll in their box).


/** "1 head commit", "2 head commits". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** A hash or commit, abbreviated; the whole value is its title (and in the chain section). */
function short(hash: string | null | undefined, length = 12): string {
  return hash ? `<code title="${html(hash)}">${html(hash.slice(0, length))}</code>` : "<em>none</em>";
}

/** An ISO 8601 time in UTC as `2026-11-25 12:00:00Z`, keeping the exact value for machines and hovering. */
function time(iso: string | null | undefined): string {
  if (!iso) return "<em>unknown</em>";
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?Z$/.exec(iso);
  // A time read back from a payload that is not one of ours is shown as it is, not reinterpreted.
  if (!match) return html(iso);
  return `<time datetime="${html(iso)}" title="${html(iso)}">${match[1]} ${match[2]}Z</time>`;
}

/** A link to an event's row in the hash chain. */
function eventLink(seq: number): string {
  const n = Number(seq);
  return `<a href="#event-${n}">#${n}</a>`;
}

function person(login: string): string {
  return `@${html(login)}`;
}

function conclusionClass(conclusion: string): string {
  return conclusion === "success" ? "pass" : conclusion === "neutral" ? "neutral" : "block";
}

function badge(conclusion: string, id?: string): string {
  return `<strong class="badge ${conclusionClass(conclusion)}"${id ? ` id="${id}"` : ""}>${html(conclusion)}</strong>`;
}

function describeInventory(entry: unknown): string {
  const value = entry as { kind?: string; slug?: string; permissions?: Record<string, string>; events?: string[]; permission?: string; reason?: string; login?: string };
  if (value.kind === "app") {
    const grants = Object.entries(value.permissions ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([scope, access]) => `${scope}: ${access}`);
    return `GitHub App <code>${html(value.slug)}</code>: ${grants.map((grant) => `<code>${html(grant)}</code>`).join(", ") || "no permissions"}${value.events?.length ? `; events: ${value.events.map((event) => html(event)).join(", ")}` : ""}`;
  }
  if (value.kind === "machine-user") return `machine user with <code>${html(value.permission)}</code> permission`;
  return `unknown (${html(value.reason ?? "not recorded")})`;
}

/** The task as given. Only an issue's URL is Countersign's own; any other URL is text the command gave. */
function task(delegation: StoryDelegation): string {
  const given = delegation.task;
  if (!given || given.kind === "none") return "<em>no task given</em>";
  if (given.kind === "issue") return `${externalLink(given.ref, given.url)} (issue)`;
  return `<code class="text">${html(given.ref)}</code> (${html(given.kind)})`;
}

function scope(delegation: StoryDelegation): string {
  const paths = delegation.scopePaths.length > 0 ? `paths ${delegation.scopePaths.map((glob) => `<code class="text">${html(glob)}</code>`).join(", ")}` : "the whole repository";
  const branches = delegation.scopeBranches.length > 0 ? `; base branches ${delegation.scopeBranches.map((branch) => `<code class="text">${html(branch)}</code>`).join(", ")}` : "";
  return paths + branches;
}

function status(delegation: StoryDelegation): string {
  const ended = delegation.ended;
  if (!ended) return "in force";
  return `${html(ended.how)}${ended.by ? ` by ${person(ended.by)}` : ""} ${time(ended.at)} (${eventLink(ended.seq)})${ended.reason ? `: ${html(ended.reason)}` : ""}`;
}

interface Column {
  header: string;
  /** A class for the cells: the phone layout places some cells on one line. */
  className?: string;
}

function table(className: string, columns: Column[], rows: Array<{ id?: string; cells: string[] }>, empty: string): string {
  if (rows.length === 0) return `<p><em>${html(empty)}</em></p>`;
  const head = columns.map((column) => `<th scope="col">${html(column.header)}</th>`).join("");
  const body = rows
    .map((row) => `<tr${row.id ? ` id="${html(row.id)}"` : ""}>${row.cells.map((cell, index) => `<td data-label="${html(columns[index]?.header)}"${columns[index]?.className ? ` class="${columns[index]?.className}"` : ""}>${cell}</td>`).join("")}</tr>`)
    .join("");
  return `<table class="${className}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The facts at the top: what stands now, and on whose authority. */
function facts(story: PullRequestStory, latest: StoryDecision | undefined, meta: { generatedAt: Date; chainHead: string | null }): string {
  const delegation = story.delegations.find((candidate) => candidate.id === latest?.delegationId) ?? story.delegations.filter((candidate) => !candidate.ended).at(-1);
  const owner = story.owner;
  const ownerText = owner ? `${person(owner.login)}${owner.kind === "delegated" ? ", who delegated the work" : owner.kind === "implicit" ? ", the pull request's human author (implicit owner)" : ` (${html(owner.kind)})`}` : "<em>none: nobody had delegated the work</em>";
  const agent = story.agent
    ? `${story.agent.involvement === "authored" ? "Agent-authored" : "Agent-assisted"}: ${story.agent.agents.map((identified) => `${person(identified.login)} (${html(identified.kind)}, id ${html(identified.id ?? "unknown")})`).join(", ") || "<em>an unidentified author</em>"}`
    : "<em>no decision identified an agent</em>";
  const first = story.chain[0];
  const last = story.chain.at(-1);
  const rows: Array<[string, string]> = [
    ["Head commit", `${latest?.headSha ? short(latest.headSha, 7) : "<em>unknown</em>"} · ${count(story.pushes.length, "head commit")} evaluated`],
    ["Owner", ownerText],
    ["Agent", agent],
    ...(story.agentPushes.length > 0
      ? [["Agent pushes", story.agentPushes.map((push) => `${person(push.pusher)} ${push.forced ? "force-pushed" : "pushed"} ${short(push.after, 7)} to <code>${html(push.branch)}</code>${html(pushCredentialPhrase(push.credentials))}`).join("; ")] as [string, string]]
      : []),
    ...mergeFact(story),
    ["Task", delegation ? `${task(delegation)}, delegated by ${person(delegation.owner.login)} (${status(delegation)})` : "<em>no delegation</em>"],
    ...(latest ? [["Policy", `${short(latest.policyHash)}${latest.policySource ? ` from ${html(latest.policySource)}` : ""}`] as [string, string]] : []),
    ["Evidence", `${count(story.chain.length, "event")} of the audit log${first && last ? ` (${eventLink(first.seq)} to ${eventLink(last.seq)})` : ""}; chain head ${short(meta.chainHead)}; generated ${time(meta.generatedAt.toISOString())}`],
  ];
  return `<dl class="facts">${rows.map(([term, value]) => `<div><dt>${html(term)}</dt><dd>${value}</dd></div>`).join("")}</dl>`;
}

/** The merge, when there was one: who merged, and whether Countersign had countersigned the merged head. */
function mergeFact(story: PullRequestStory): Array<[string, string]> {
  const merge = story.merges.at(-1);
  if (!merge) return [];
  const by = merge.mergedBy ? person(merge.mergedBy) : "<em>an unknown account</em>";
  const standing = merge.verified
    ? '<span class="pass-text">countersigned</span> (or no agent was involved)'
    : `<span class="block-text">merged without a countersign</span>: ${merge.decision ? `the decision on the merged head was ${html(merge.decision.conclusion)}` : "no decision on the merged head"}${merge.bypassed ? ", and the required check was bypassed" : ""}`;
  return [["Merge", `${by} merged ${short(merge.headSha, 7)}: ${standing} (${eventLink(merge.seq)})`]];
}

function delegationCard(delegation: StoryDelegation): string {
  const rows: Array<[string, string]> = [
    ["Owner", person(delegation.owner.login)],
    ["Task", task(delegation)],
    ["Agent", delegation.agent ? person(delegation.agent.login) : "<em>the pull request's agent</em>"],
    ["Scope", scope(delegation)],
    ["Expires", delegation.expiresAt ? time(delegation.expiresAt) : "no expiry"],
    ["Status", status(delegation)],
    ["What the agent could do", delegation.agentInventory.map(describeInventory).join("<br>") || "<em>not recorded</em>"],
    ["Given", `${time(delegation.at)} (${eventLink(delegation.seq)})${delegation.commandUrl ? `, ${externalLink("the command", delegation.commandUrl)}` : ""}`],
  ];
  return `<article class="card"><h3>Delegation <code>${html(delegation.id)}</code></h3><dl class="grid">${rows.map(([term, value]) => `<div><dt>${html(term)}</dt><dd>${value}</dd></div>`).join("")}</dl></article>`;
}

/** A credential's permissions as `contents: write, pull_requests: write`. */
function permissionList(permissions: Record<string, string>): string {
  const entries = Object.entries(permissions);
  return entries.length > 0 ? entries.map(([name, level]) => `<code>${html(name)}: ${html(level)}</code>`).join(", ") : "<em>none recorded</em>";
}

/** One credential Countersign issued: the workload, what it could do, its window, how it ended. Never the token. */
function credentialCard(credential: StoryIssuedCredential): string {
  const workload = credential.workload;
  const ended = credential.ended;
  const rows: Array<[string, string]> = [
    ["Delegation", `<code>${html(credential.delegationId)}</code>${credential.agent ? `, for ${person(credential.agent)}` : ""}`],
    ["Workload", [
      `issuer <code class="text">${html(workload.issuer ?? "unknown")}</code>`,
      ...(workload.repository ? [`repository <code class="text">${html(workload.repository)}</code>`] : []),
      ...(workload.workflowRef ? [`workflow <code class="text">${html(workload.workflowRef)}</code>`] : []),
      ...(workload.runId ? [`run <code>${html(workload.runId)}</code>`] : []),
      ...(workload.actor ? [`actor ${person(workload.actor)}`] : []),
      ...(!workload.workflowRef && workload.subject ? [`subject <code class="text">${html(workload.subject)}</code>`] : []),
    ].join("<br>")],
    ["Permissions", permissionList(credential.permissions)],
    ["Valid", `${time(credential.at)} to ${time(credential.expiresAt)} (GitHub's expiry ${time(credential.githubExpiresAt)})`],
    ["Ended", ended ? `${html(credentialState(credential))} at ${time(ended.at)} (${eventLink(ended.seq)})` : `<span class="block-text">${html(credentialState(credential))}</span>`],
    ...(credential.revokeFailures.length > 0 ? [["Failed revocations", credential.revokeFailures.map((failure) => `${time(failure.at)} ${html(failure.github ?? "")} (${eventLink(failure.seq)})`).join("<br>")] as [string, string]] : []),
    ["Issued", `${time(credential.at)} (${eventLink(credential.seq)})`],
  ];
  return `<article class="card"><h3>Credential <code>${html(credential.id)}</code></h3><dl class="grid">${rows.map(([term, value]) => `<div><dt>${html(term)}</dt><dd>${value}</dd></div>`).join("")}</dl></article>`;
}

/** The credentials section: each one Countersign issued, or that the agent's credential is vendor-held. */
function credentialsSection(story: PullRequestStory): string {
  const credentials = issuedCredentials(story);
  if (credentials.length > 0) return credentials.map(credentialCard).join("");
  return `<p>${html(story.agent ? VENDOR_HELD : "Countersign issued no credential.")}</p>`;
}

/**
 * The decision whose evaluation recorded an approval event, stamped with the same evaluation time. The
 * verdict is chained just before the decision it brought about; chains written before 0.2 have it
 * just after, so the decision before it counts when none follows.
 */
function judgedBy(story: PullRequestStory, approval: StoryApproval): StoryDecision | undefined {
  const sameEvaluation = story.decisions.filter((decision) => decision.at === approval.at);
  return sameEvaluation.find((decision) => decision.seq > approval.seq) ?? sameEvaluation.filter((decision) => decision.seq < approval.seq).at(-1);
}

function detail(parts: string[]): string {
  return parts.length > 0 ? `<span class="detail">${parts.join(" · ")}</span>` : "";
}

/** One timeline row's story, in our own words from the structured story; the entry's text as a fallback. */
function whatHappened(entry: StoryEntry, story: PullRequestStory): string {
  switch (entry.type) {
    case "delegation.created": {
      const delegation = story.delegations.find((candidate) => candidate.seq === entry.seq);
      if (!delegation) break;
      return `${person(delegation.owner.login)} delegated ${delegation.task && delegation.task.kind !== "none" ? `task ${task(delegation)}` : "the change (no task given)"}${delegation.agent ? ` to ${person(delegation.agent.login)}` : ""}${detail([`record <code>${html(delegation.id)}</code>`, scope(delegation)])}`;
    }
    case "delegation.revoked":
    case "delegation.ended":
    case "delegation.expired": {
      const delegation = story.delegations.find((candidate) => candidate.ended?.seq === entry.seq);
      if (!delegation?.ended) break;
      const ended = delegation.ended;
      return `${ended.how === "revoked" && ended.by ? `${person(ended.by)} revoked` : `${html(ended.how)}:`} delegation <code>${html(delegation.id)}</code>${ended.reason ? detail([`reason: ${html(ended.reason)}`]) : ""}`;
    }
    case "credential.issued":
    case "credential.revoked":
    case "credential.expired":
    case "credential.revoke_failed":
      // The text names Countersign's id and trigger only; the details are in the Credentials section.
      return `${html(entry.text)}${detail([`<a href="#credentials">credentials</a>`])}`;
    case "approval.counted":
    case "approval.rejected": {
      const approval = story.approvals.find((candidate) => candidate.seq === entry.seq);
      if (!approval) break;
      const decision = judgedBy(story, approval);
      return `${person(approval.reviewer)} approved ${short(approval.commit, 7)}: ${approval.counted ? '<span class="pass-text">counted</span>' : `<span class="block-text">not counted</span> (${html(approval.objections.join(", "))})`}${detail([...(approval.reviewId !== null ? [`review ${html(approval.reviewId)}`] : []), ...(decision ? [`the verdict of decision ${eventLink(decision.seq)}`] : [])])}`;
    }
    case "decision": {
      const decision = story.decisions.find((candidate) => candidate.seq === entry.seq);
      if (!decision) break;
      const pushIndex = story.pushes.findIndex((push) => push.seq === decision.seq);
      // Re-evaluations under the same policy say so, instead of repeating where it was read from.
      const previous = story.decisions[story.decisions.indexOf(decision) - 1];
      const samePolicy = previous !== undefined && previous.policyHash === decision.policyHash && previous.policySource === decision.policySource;
      return `${badge(decision.conclusion)} ${html(decision.title)}${detail([
        `on ${short(decision.headSha, 7)}${pushIndex > 0 ? " (the head moved)" : ""}`,
        `policy ${short(decision.policyHash)}${samePolicy ? " (unchanged)" : decision.policySource ? ` from ${html(decision.policySource)}` : ""}`,
        decision.deliveryId ? `delivery <code>${html(decision.deliveryId)}</code>` : "scheduled (no delivery)",
        ...(decision.tiers.length > 0 ? [`tiers ${decision.tiers.map((tier) => `<code class="text">${html(tier)}</code>`).join(", ")}`] : []),
      ])}`;
    }
  }
  return html(entry.text);
}

const STYLE = `
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#f6f8fa;overflow-wrap:break-word}
main{max-width:1100px;margin:0 auto;padding:24px}
header,section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 20px;margin-bottom:16px}
h1{font-size:22px;margin:0 0 8px;overflow-wrap:anywhere}h2{font-size:17px;margin:0 0 4px}h3{font-size:15px;margin:0 0 8px}
p{margin:0 0 8px}a{color:#0969da}
code{font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eff1f3;padding:1px 4px;border-radius:4px;white-space:nowrap}
code.text{white-space:normal;overflow-wrap:anywhere}
time{white-space:nowrap;font-variant-numeric:tabular-nums}
.muted{color:#59636e;font-size:13px}
.badge{display:inline-block;padding:0 8px;border-radius:999px;font-size:13px;white-space:nowrap}
.pass{color:#1a7f37;background:#dafbe1}.block{color:#cf222e;background:#ffebe9}.neutral{color:#9a6700;background:#fff8c5}
.pass-text{color:#1a7f37;font-weight:600}.block-text{color:#cf222e;font-weight:600}
.verdict{font-size:17px;margin:0 0 12px}
dl{margin:0}dt{color:#59636e;font-weight:600}dd{margin:0;overflow-wrap:anywhere;min-width:0}
dl.facts,dl.grid{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:4px 16px}
dl.facts>div,dl.grid>div{display:contents}
.card{border:1px solid #eaeef2;border-radius:6px;padding:12px 14px;margin-top:10px}
table{border-collapse:collapse;width:100%;font-size:13px;margin-top:8px}
th,td{border-bottom:1px solid #eaeef2;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;white-space:nowrap}
/* The story column takes the room, and breaks long outside text anywhere rather than widen the table. */
td.what{width:100%;overflow-wrap:anywhere}
.detail{display:block;color:#59636e;font-size:12px;margin-top:2px}
.scroll{overflow-x:auto}
.hash{overflow-x:auto;max-width:100%;white-space:nowrap}.hash+.hash{margin-top:2px}
details{margin-top:12px}summary{cursor:pointer;font-weight:600}
ul.controls{margin:8px 0 0;padding-left:20px}ul.controls li{margin-bottom:4px}
tr:target{background:#fff8c5}
@media (max-width:720px){
main{padding:8px}
header,section{padding:12px;margin-bottom:10px;border-radius:6px}
h1{font-size:19px}.verdict{font-size:15px}
dl.facts,dl.grid{grid-template-columns:minmax(0,1fr);gap:0}
dd{margin-bottom:6px}
table,tbody,tr,td{display:block;width:auto}
thead{display:none}
tr{border-bottom:1px solid #d0d7de;padding:8px 0}
td{border:0;padding:1px 0}
td::before{content:attr(data-label) ": ";color:#59636e;font-weight:600}
table.story tr{display:flex;flex-wrap:wrap;align-items:baseline;column-gap:10px}
table.story td::before{content:none}
table.story td.what,table.story td.wide{flex:0 0 100%;min-width:0;order:1}
td:empty{display:none}
/* The event number links to the chain, which has the hash in full: a phone's line keeps to the story. */
table.story td.aside{display:none}
td.what{width:auto}
}
`;

/** The evidence page for one pull request. */
export function renderEvidencePage(story: PullRequestStory, meta: { generatedAt: Date; chainHead: string | null; repositoryUrl: string | null }): string {
  const latest = story.decisions.at(-1);
  const prUrl = meta.repositoryUrl ? `${meta.repositoryUrl}/pull/${story.number}` : null;
  const title = `${story.repository}#${story.number}`;

  // A new head is a fact of the decision made on it, not an event of its own: it is told in that row.
  const entries = story.timeline.filter((entry) => entry.type !== "push");
  const timeline = table(
    "story",
    [{ header: "Event" }, { header: "Time" }, { header: "Type" }, { header: "What happened", className: "what" }, { header: "Hash", className: "aside" }],
    entries.map((entry) => ({ cells: [eventLink(entry.seq), time(entry.at), `<code>${html(entry.type)}</code>`, whatHappened(entry, story), short(entry.hash)] })),
    "No events recorded.",
  );

  const approvals = table(
    "cards",
    [{ header: "Reviewer" }, { header: "Commit" }, { header: "Counted" }, { header: "Why not" }, { header: "Recorded" }],
    story.approvals.map((approval) => {
      const own = story.timeline.some((entry) => entry.seq === approval.seq && entry.type.startsWith("approval."));
      const decision = own ? judgedBy(story, approval) : story.decisions.find((candidate) => candidate.seq === approval.seq);
      const recorded = own ? `${eventLink(approval.seq)}${decision ? `, the verdict of decision ${eventLink(decision.seq)}` : ""}` : `in decision ${eventLink(approval.seq)}'s verdicts (no review event of its own)`;
      return {
        cells: [
          person(approval.reviewer),
          short(approval.commit, 7),
          approval.counted ? '<span class="pass-text">yes</span>' : '<span class="block-text">no</span>',
          approval.objections.length > 0 ? approval.objections.map((objection) => `<code class="text">${html(objection)}</code>`).join(", ") : "",
          recorded,
        ],
      };
    }),
    "No approvals recorded.",
  );

  const chain = table(
    "story",
    [{ header: "Event" }, { header: "Type" }, { header: "Recorded" }, { header: "Hash, then the previous event's hash", className: "wide" }],
    story.chain.map((link) => ({
      id: `event-${Number(link.seq)}`,
      cells: [
        `#${Number(link.seq)}`,
        `<code>${html(link.type)}</code>`,
        time(link.at),
        `<div class="hash">${link.hash ? `<code>${html(link.hash)}</code>` : "<em>unsealed</em>"}</div><div class="hash muted">after ${link.prevHash ? `<code>${html(link.prevHash)}</code>` : "<em>unsealed</em>"}</div>`,
      ],
    })),
    "No events recorded.",
  );

  const applied = appliedControls(story);
  const mapping = table(
    "cards",
    [{ header: "Control" }, { header: "What Countersign does" }, { header: "OWASP Agentic Top 10 (2026)" }, { header: "CSA MAESTRO" }, { header: "NIST AI RMF (GOVERN)" }],
    CONTROLS.map((control) => ({ cells: [`<strong>${html(control.id)}</strong> ${html(control.name)}`, html(control.what), html(control.owaspAgentic.join("; ")), html(control.maestro.join("; ")), html(control.nistGovern.join(", "))] })),
    "No controls.",
  );
  const controls = `${
    applied.length > 0
      ? `<ul class="controls">${applied.map(({ control, seq }) => `<li><strong>${html(control.id)} ${html(control.name)}</strong>, first shown by ${eventLink(seq)}<br><span class="muted">${html(control.owaspAgentic.join("; "))}</span></li>`).join("")}</ul>`
      : "<p><em>No control is shown by an event of this story.</em></p>"
  }<details><summary>All ${count(CONTROLS.length, "control")} and how they map to OWASP, CSA MAESTRO and NIST AI RMF</summary>${mapping}</details>`;

  return htmlDocument({
    title: `Countersign evidence: ${title}`,
    style: STYLE,
    body: `<main>
<header>
<h1>Countersign evidence: ${prUrl ? externalLink(title, prUrl) : html(title)}</h1>
<p class="verdict">${latest ? `Decision now: ${badge(latest.conclusion, "decision")} ${html(latest.title)}` : "No decision recorded yet."}</p>
${story.merges.some((merge) => !merge.verified) ? `<p class="verdict block-text"><strong>Merged without a countersign</strong>: an agent's change reached the base branch without Countersign's success on its head (see the Merge row below).</p>` : ""}
${facts(story, latest, meta)}
</header>
<section id="task"><h2>Task and delegation</h2>${story.delegations.length > 0 ? story.delegations.map(delegationCard).join("") : "<p><em>No delegation recorded.</em></p>"}</section>
<section id="credentials"><h2>Credentials</h2>${credentialsSection(story)}</section>
<section id="timeline"><h2>Timeline</h2><p class="muted">Every event, in the order of the hash chain (by event number; times are UTC). A decision's row names its policy version and the delivery it answered.</p>${timeline}</section>
<section id="approvals"><h2>Approvals</h2>${approvals}</section>
<section id="chain"><h2>Hash chain</h2><p class="muted">Every fact above is an event in Countersign's append-only audit log. Each hash covers the event and the previous hash; <code>countersign audit verify</code> recomputes them.</p><div class="scroll">${chain}</div></section>
<section id="controls"><h2>Controls</h2><p class="muted">The controls this story shows at work, each with the first event that shows it (Countersign's reading of each framework; the same table is in <code>docs/controls-mapping.md</code>).</p>${controls}</section>
</main>`,
  });
}
