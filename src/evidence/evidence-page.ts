import { CONTROLS } from "./controls.js";
import type { PullRequestStory } from "./pr-story.js";

// The evidence page behind the check run's "Details" link: one pull request's story as a plain HTML
// document (no scripts, no external resources), every value escaped. Pure: takes a story, returns HTML.

/** Escapes text for HTML element content and quoted attribute values. */
export function html(text: unknown): string {
  return String(text ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A link, only to http(s) targets; anything else is shown as text. */
function anchor(label: string, url: string | null | undefined): string {
  if (!url || !/^https?:\/\/[^\s"'<>]+$/.test(url)) return html(label);
  return `<a href="${html(url)}" rel="noopener noreferrer">${html(label)}</a>`;
}

function short(hash: string | null | undefined, length = 12): string {
  return hash ? `<code title="${html(hash)}">${html(hash.slice(0, length))}</code>` : "<em>none</em>";
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

function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return "<p><em>None recorded.</em></p>";
  return `<table><thead><tr>${headers.map((header) => `<th scope="col">${html(header)}</th>`).join("")}</tr></thead><tbody>${rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px}
header{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 20px;margin-bottom:16px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:0 0 8px}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 20px;margin-bottom:16px}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{border-bottom:1px solid #eaeef2;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa} code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eff1f3;padding:1px 4px;border-radius:4px;word-break:break-all}
.pass{color:#1a7f37;font-weight:600}.block{color:#cf222e;font-weight:600}.neutral{color:#9a6700;font-weight:600}
.muted{color:#59636e;font-size:13px}
`;

function conclusionClass(conclusion: string): string {
  return conclusion === "success" ? "pass" : conclusion === "neutral" ? "neutral" : "block";
}

/** The evidence page for one pull request. */
export function renderEvidencePage(story: PullRequestStory, meta: { generatedAt: Date; chainHead: string | null; repositoryUrl: string | null }): string {
  const latest = story.decisions.at(-1);
  const prUrl = meta.repositoryUrl ? `${meta.repositoryUrl}/pull/${story.number}` : null;
  const title = `${story.repository}#${story.number}`;

  const delegations = table(
    ["Record", "Owner", "Task", "Agent", "Scope", "Expires", "Status", "What the agent could do"],
    story.delegations.map((delegation) => [
      `${anchor(delegation.id, delegation.commandUrl)}<br>${short(delegation.hash)}`,
      `@${html(delegation.owner.login)}`,
      delegation.task ? (delegation.task.kind === "none" ? "<em>none given</em>" : anchor(delegation.task.ref, delegation.task.url)) : "<em>unknown</em>",
      delegation.agent ? `@${html(delegation.agent.login)}` : "<em>the PR's agent</em>",
      `${delegation.scopePaths.length > 0 ? delegation.scopePaths.map((glob) => `<code>${html(glob)}</code>`).join(" ") : "whole repository"}${delegation.scopeBranches.length > 0 ? `<br>branches: ${delegation.scopeBranches.map((branch) => `<code>${html(branch)}</code>`).join(" ")}` : ""}`,
      html(delegation.expiresAt ?? "no expiry"),
      delegation.ended ? `${html(delegation.ended.how)} ${delegation.ended.by ? `by @${html(delegation.ended.by)}` : ""} ${html(delegation.ended.at)}${delegation.ended.reason ? `: ${html(delegation.ended.reason)}` : ""}` : "active",
      delegation.agentInventory.map(describeInventory).join("<br>") || "<em>not recorded</em>",
    ]),
  );

  const agents = story.agent
    ? `<p>${html(story.agent.involvement === "authored" ? "Agent-authored" : "Agent-assisted")}: ${story.agent.agents.map((agent) => `@${html(agent.login)} (id ${html(agent.id ?? "unknown")}, ${html(agent.kind)})`).join(", ") || "<em>an unidentified author</em>"}</p>`
    : "<p><em>No agent decision recorded.</em></p>";

  const approvals = table(
    ["Reviewer", "Commit", "Counted", "Why not", "Event"],
    story.approvals.map((approval) => [
      `@${html(approval.reviewer)}`,
      short(approval.commit, 7),
      approval.counted ? '<span class="pass">yes</span>' : '<span class="block">no</span>',
      html(approval.objections.join(", ")),
      `#${approval.seq} ${short(approval.hash)}`,
    ]),
  );

  const decisions = table(
    ["Time", "Commit", "Conclusion", "Decision", "Policy version", "Delivery", "Event"],
    story.decisions.map((decision) => [
      html(decision.at),
      short(decision.headSha, 7),
      `<span class="${conclusionClass(decision.conclusion)}">${html(decision.conclusion)}</span>`,
      html(decision.title),
      `${short(decision.policyHash)}<br><span class="muted">${html(decision.policySource ?? "")}</span>`,
      decision.deliveryId ? `<code>${html(decision.deliveryId)}</code>` : "<em>scheduled</em>",
      `#${decision.seq} ${short(decision.hash)}`,
    ]),
  );

  const timeline = table(
    ["Time", "Event", "What happened", "Seq", "Hash"],
    story.timeline.map((entry) => [html(entry.at), `<code>${html(entry.type)}</code>`, html(entry.text), `#${entry.seq}`, short(entry.hash)]),
  );

  const controls = table(
    ["Control", "What Countersign does", "OWASP Agentic Top 10 (2026)", "CSA MAESTRO", "NIST AI RMF (GOVERN)"],
    CONTROLS.map((control) => [`<strong>${html(control.id)}</strong> ${html(control.name)}`, html(control.what), html(control.owaspAgentic.join("; ")), html(control.maestro.join("; ")), html(control.nistGovern.join(", "))]),
  );

  const chain = table(
    ["Seq", "Type", "Time", "Hash", "Previous hash"],
    story.chain.map((link) => [`#${link.seq}`, `<code>${html(link.type)}</code>`, html(link.at), `<code>${html(link.hash ?? "unsealed")}</code>`, `<code>${html(link.prevHash ?? "")}</code>`]),
  );

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Countersign evidence: ${html(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
<h1>Countersign evidence: ${prUrl ? anchor(title, prUrl) : html(title)}</h1>
<p>${latest ? `Current decision on <code>${html(latest.headSha?.slice(0, 7) ?? "?")}</code>: <span class="${conclusionClass(latest.conclusion)}" id="decision">${html(latest.conclusion)}</span>, ${html(latest.title)}` : "No decision recorded yet."}</p>
<p class="muted">Owner: ${story.owner ? `@${html(story.owner.login)} (${html(story.owner.kind)})` : "none"} · ${story.pushes.length} head commit(s) evaluated · generated ${html(meta.generatedAt.toISOString())} · chain head ${short(meta.chainHead)}</p>
</header>
<section id="task"><h2>Task and delegation</h2>${delegations}</section>
<section id="agent"><h2>Agent</h2>${agents}</section>
<section id="timeline"><h2>Timeline</h2>${timeline}</section>
<section id="approvals"><h2>Approvals</h2>${approvals}</section>
<section id="decisions"><h2>Decisions</h2>${decisions}</section>
<section id="controls"><h2>Controls in force</h2><p class="muted">How each control maps to the frameworks security teams report against (Countersign's reading; see docs/controls-mapping.md).</p>${controls}</section>
<section id="chain"><h2>Hash chain</h2><p class="muted">Every fact above is an event in Countersign's append-only audit log. Each hash covers the event and the previous hash; <code>countersign audit verify</code> recomputes them.</p>${chain}</section>
</main>
</body>
</html>`;
}
