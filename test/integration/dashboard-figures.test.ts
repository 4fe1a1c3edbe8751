import { describe, expect, test } from "@jest/globals";
import { createDelegation, markDelegationExpired, revokeDelegation, type NewDelegation } from "../../src/db/delegations.js";
import type { Store } from "../../src/db/client.js";
import { computeFigures, loadFigureFacts } from "../../src/services/dashboard-figures.js";
import { parseDashboardFilters } from "../../src/services/dashboard-filters.js";
import { dashboardPageHtml } from "../../src/services/dashboard-page.js";
import { dashboardDownload } from "../../src/services/dashboard-export.js";
import { chainHead } from "../../src/db/audit-log.js";
import { recordDecisionWithEvent } from "../../src/services/record-decision.js";
import type { Conclusion } from "../../src/policy/evaluate.js";
import { useScratchDatabase } from "../helpers/scratch-database.js";

// The dashboard's main figures on a real database (SQLite, or PostgreSQL with
// COUNTERSIGN_TEST_DATABASE=postgres), seeded through the app's own functions: decisions with their
// audit events as evaluations record them, delegations as /delegate records them.

const { opened } = useScratchDatabase();

const API = { id: 1, fullName: "acme/api" };
const WEB = { id: 2, fullName: "acme/web" };
const HOSTILE = `<script>alert(1)</script>`;
const NOW = new Date("2026-11-20T12:00:00Z");
const LINKS = { evidence: { publicUrl: "https://cs.acme.dev", secret: "s".repeat(40), ttlMs: 3_600_000 }, webUrl: "https://github.com", now: NOW };

async function decide(db: Store, repo: { id: number; fullName: string }, number: number, at: string, conclusion: Conclusion, reasons: string[], agents: Array<{ login: string; kind: string }>, signals: string[], delegationId: string | null = null, title = `${conclusion} at ${at}`): Promise<void> {
  await recordDecisionWithEvent(
    { db },
    { repo, prNumber: number, headSha: "a".repeat(40), conclusion, title, reasons, deliveryId: null, delegationId, checkRunId: null, errorId: null, policy: null, evaluatedAt: new Date(at) },
    { type: "decision", actor: null, payload: { conclusion, reasons, delegationId, agents: agents.map((agent, index) => ({ ...agent, id: 100 + index })), signals: signals.map((kind) => ({ kind })) } },
  );
}

function delegation(repo: { id: number; fullName: string }, number: number, owner: string, inventory: unknown[] = []): NewDelegation {
  return {
    subjectType: "pull_request",
    subjectNumber: number,
    owner: { id: owner.length, login: owner },
    agent: null,
    task: { kind: "none", ref: "", url: null },
    scopePaths: [],
    scopeBranches: [],
    expiresAt: null,
    installationId: 9,
    agentInventory: inventory,
    repo,
    comment: { id: number * 1000 + owner.length, url: `https://github.com/${repo.fullName}/pull/${number}#issuecomment-1` },
  };
}

const DEVIN = [{ login: "devin[bot]", kind: "bot" }];
const COPILOT = [{ login: "copilot-swe", kind: "user" }];

async function seed(db: Store): Promise<void> {
  // acme/api#1, Devin's: waits for a delegation (alice's, 4 hours later), then for an approval (24 hours), countersigned; a push the next week waits again.
  await decide(db, API, 1, "2026-11-03T10:00:00Z", "action_required", ["agent-authored", "no-delegation", "approvals:0/1", "unmet:owner", "unmet:approvals"], DEVIN, ["pr-author"]);
  const alice = await createDelegation(db, delegation(API, 1, "alice", [{ kind: "app", login: "devin[bot]", slug: "devin", name: "Devin", permissions: { contents: "write" }, events: ["push"], readAt: "2026-11-03T14:00:00Z" }]), new Date("2026-11-03T14:00:00Z"));
  await decide(db, API, 1, "2026-11-03T14:00:05Z", "action_required", ["agent-authored", `delegated:${alice.id}`, "approvals:0/1", "unmet:approvals"], DEVIN, ["pr-author"], alice.id);
  await decide(db, API, 1, "2026-11-04T14:00:00Z", "success", ["agent-authored", `delegated:${alice.id}`, "approvals:1/1"], DEVIN, ["pr-author"], alice.id);
  await decide(db, API, 1, "2026-11-10T09:00:00Z", "action_required", ["agent-authored", `delegated:${alice.id}`, "approvals:0/1", "unmet:approvals"], DEVIN, ["pr-author"], alice.id);
  // acme/web#2, Copilot's commits in a human's pull request: delegated by bob before the agent was seen, blocked out of scope; bob's delegation is later revoked.
  const bob = await createDelegation(db, delegation(WEB, 2, "bob"), new Date("2026-11-02T00:30:00Z"));
  await decide(db, WEB, 2, "2026-11-05T08:00:00Z", "failure", ["agent-assisted", `delegated:${bob.id}`, "approvals:0/1", "unmet:scope-paths", "unmet:approvals"], COPILOT, ["commit-author", "trailer"], bob.id, HOSTILE);
  await revokeDelegation(db, bob.id, { id: 3, login: "bob" }, "done", new Date("2026-11-06T00:00:00Z"));
  // alice delegates again; it expires.
  const expired = await createDelegation(db, delegation(API, 5, "alice"), new Date("2026-11-10T10:00:00Z"));
  await markDelegationExpired(db, expired.id);
  // Not agent pull requests of acme's: a human's, another organization's, and one decided after the range only.
  await decide(db, API, 3, "2026-11-04T10:00:00Z", "success", ["no-agent-signals"], [], []);
  await decide(db, { id: 3, fullName: "other/api" }, 4, "2026-11-04T10:00:00Z", "failure", ["agent-authored", "unmet:owner"], DEVIN, ["pr-author"]);
  await decide(db, API, 6, "2026-11-17T10:00:00Z", "failure", ["agent-authored", "unmet:agents-allowed"], DEVIN, ["pr-author"]);
}

async function figures(db: Store, query: string) {
  const { filters, notes } = parseDashboardFilters(new URLSearchParams(query), NOW, "acme");
  return computeFigures("acme", filters, await loadFigureFacts(db, "acme", filters), LINKS, notes);
}

const counts = (view: Awaited<ReturnType<typeof figures>>) => view.weekly.map((week) => [week.week, Object.fromEntries(week.counts.map((entry) => [entry.outcome, entry.count]))]);

describe("the dashboard's figures", () => {
  test("count each agent pull request once a week under its latest decision of the week", async () => {
    const db = opened().db;
    await seed(db);
    const view = await figures(db, "from=2026-11-02&to=2026-11-15");
    expect(counts(view)).toEqual([
      ["2026-11-02", { countersigned: 1, "waiting-delegation": 0, "waiting-approval": 0, blocked: 1 }],
      ["2026-11-09", { countersigned: 0, "waiting-delegation": 0, "waiting-approval": 1, blocked: 0 }],
    ]);
    // Each count links to the list of its pull requests.
    expect(view.weekly[0]?.counts[0]?.href).toBe("?from=2026-11-02&to=2026-11-15&week=2026-11-02&outcome=countersigned#matching");
  });

  test("measure the waits from first seen to delegated (never below zero) and from delegated to countersigned", async () => {
    const db = opened().db;
    await seed(db);
    const view = await figures(db, "from=2026-11-02&to=2026-11-15");
    const HOUR = 3_600_000;
    expect(view.toDelegation.byWeek.filter((row) => row.count > 0).map((row) => [row.label, row.count, row.medianMs, row.p90Ms])).toEqual([["2026-11-02", 2, 0, 4 * HOUR]]);
    expect(view.toDelegation.byRepository.map((row) => [row.label, row.count, row.medianMs])).toEqual([
      ["acme/api", 1, 4 * HOUR],
      ["acme/web", 1, 0],
    ]);
    expect(view.toCountersign.byWeek.filter((row) => row.count > 0).map((row) => [row.label, row.count, row.medianMs])).toEqual([["2026-11-02", 1, 24 * HOUR]]);
    expect(view.toCountersign.byRepository.map((row) => [row.label, row.href])).toEqual([["acme/api", "?from=2026-11-02&to=2026-11-15&repo=acme%2Fapi#matching"]]);
  });

  test("list the agents with how they were detected and their inventory, and the owners' delegations", async () => {
    const db = opened().db;
    await seed(db);
    const view = await figures(db, "from=2026-11-02&to=2026-11-15");
    expect(view.agents.map((agent) => [agent.login, agent.kind, agent.detectedBy, agent.pullRequests, agent.inventory])).toEqual([
      ["copilot-swe", "user", ["commit-author", "trailer"], 1, null],
      ["devin[bot]", "bot", ["pr-author"], 1, "GitHub App devin; permissions contents: write; events push"],
    ]);
    expect(view.owners.map((owner) => [owner.login, owner.delegated, owner.active, owner.revoked, owner.expired, owner.pullRequests])).toEqual([
      ["alice", 2, 1, 0, 1, 1],
      ["bob", 1, 0, 1, 0, 1],
    ]);
  });

  test("filter by agent, owner and repository, and narrow the list to a week's outcome", async () => {
    const db = opened().db;
    await seed(db);
    expect(counts(await figures(db, "from=2026-11-02&to=2026-11-15&agent=copilot-swe"))).toEqual([
      ["2026-11-02", { countersigned: 0, "waiting-delegation": 0, "waiting-approval": 0, blocked: 1 }],
      ["2026-11-09", { countersigned: 0, "waiting-delegation": 0, "waiting-approval": 0, blocked: 0 }],
    ]);
    expect((await figures(db, "from=2026-11-02&to=2026-11-15&owner=ALICE")).matching.pullRequests.map((pr) => `${pr.repository}#${pr.number}`)).toEqual(["acme/api#1"]);
    expect((await figures(db, "from=2026-11-02&to=2026-11-15&repo=web")).matching.pullRequests.map((pr) => `${pr.repository}#${pr.number}`)).toEqual(["acme/web#2"]);
    const drill = await figures(db, "from=2026-11-02&to=2026-11-15&week=2026-11-02&outcome=countersigned");
    expect(drill.matching.pullRequests.map((pr) => [`${pr.repository}#${pr.number}`, pr.outcome, pr.evaluatedAt, pr.pullRequestUrl])).toEqual([["acme/api#1", "countersigned", "2026-11-04T14:00:00.000Z", "https://github.com/acme/api/pull/1"]]);
    expect(drill.matching.pullRequests[0]?.evidenceUrl).toMatch(/^https:\/\/cs\.acme\.dev\/countersign\/evidence\/acme\/api\/1\?/);
    // The default range (12 weeks up to today) sees the pull request decided after the 15th too.
    expect((await figures(db, "")).matching.pullRequests.map((pr) => pr.number)).toEqual([6, 1, 2]);
  });

  test("render on the page from the database, hostile text escaped, a bad filter noted", async () => {
    const db = opened().db;
    await seed(db);
    const page = await dashboardPageHtml({ db, ...LINKS, clock: () => NOW }, "acme", "octocat", new URLSearchParams("from=2026-11-02&to=2026-11-15&agent=%3Cscript%3E"));
    expect(page).not.toContain("<script>");
    expect(page).toContain("&quot;agent&quot; was ignored");
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(page).toContain('<form class="filters" method="get" action="/countersign/org/acme">');
    expect(page).toContain('<input type="date" name="from" value="2026-11-02" required>');
  });
});

describe("the dashboard's downloads", () => {
  const deps = (db: Store) => ({ db, ...LINKS, clock: () => NOW });
  const query = new URLSearchParams("from=2026-11-02&to=2026-11-15");

  test("JSON holds what the page shows for the same filters, and the chain's head read after every figure", async () => {
    const db = opened().db;
    await seed(db);
    const download = await dashboardDownload(deps(db), "acme", query, "json");
    expect(download.contentType).toBe("application/json; charset=utf-8");
    expect(download.fileName).toBe("countersign-acme-2026-11-20.json");
    const body = JSON.parse(download.body);
    const head = await chainHead(db);
    expect(head).not.toBeNull();
    expect(body).toMatchObject({ format: "countersign-dashboard/1", org: "acme", generatedAt: NOW.toISOString(), chainHead: head, filters: { from: "2026-11-02", to: "2026-11-15" } });
    const view = await figures(db, query.toString());
    expect(body.weekly).toEqual(view.weekly.map((week) => ({ week: week.week, counts: Object.fromEntries(week.counts.map((entry) => [entry.outcome, entry.count])) })));
    expect(body.owners.map((owner: { login: string }) => owner.login).sort()).toEqual(view.owners.map((owner) => owner.login).sort());
    expect(body.matching.pullRequests.map((pr: { repository: string; number: number }) => `${pr.repository}#${pr.number}`)).toEqual(view.matching.pullRequests.map((pr) => `${pr.repository}#${pr.number}`));
    expect(Object.keys(body.exceptions)).toEqual(expect.arrayContaining(["unverifiedMerges", "directPushes", "invalidPolicies", "failedEvaluations", "lateCredentials"]));
    // The hash is the chain's: `audit verify --anchor` finds it in the log.
    const anchored = await db.prisma.auditEvent.findFirst({ where: { hash: body.chainHead.hash } });
    expect(anchored?.seq).toBe(body.chainHead.seq);
  });

  test("CSV: one table per download, a preamble naming the chain head, hostile titles kept as text and never as formulas", async () => {
    const db = opened().db;
    await seed(db);
    await decide(db, API, 7, "2026-11-12T10:00:00Z", "failure", ["agent-authored", "unmet:owner"], DEVIN, ["pr-author"], null, '=HYPERLINK("https://evil.example","click")');
    const head = await chainHead(db);
    const prs = await dashboardDownload(deps(db), "acme", query, "csv");
    expect(prs.contentType).toBe("text/csv; charset=utf-8");
    expect(prs.fileName).toBe("countersign-acme-pull-requests-2026-11-20.csv");
    const lines = prs.body.split("\r\n");
    expect(lines[0]).toBe(`# Countersign dashboard pull-requests for acme; from=2026-11-02 to=2026-11-15; generated ${NOW.toISOString()}; audit chain head ${head!.hash} (event ${head!.seq})`);
    expect(lines[1]).toBe("repository,number,outcome,title,evaluated_at,pull_request_url,evidence_url");
    const formula = lines.find((line) => line.startsWith("acme/api,7,"));
    expect(formula).toContain(`"'=HYPERLINK(""https://evil.example"",""click"")"`);
    expect(lines.some((line) => line.startsWith("acme/web,2,") && line.includes("<script>alert(1)</script>"))).toBe(true);
    const weekly = await dashboardDownload(deps(db), "acme", new URLSearchParams(`${query}&table=weekly`), "csv");
    const view = await figures(db, query.toString());
    const weeklyLines = weekly.body.split("\r\n").slice(2).filter((line) => line !== "");
    expect(weeklyLines.map((line) => line.split(",")[0])).toEqual(view.weekly.map((week) => week.week));
    // An unknown table is the default one, not an error.
    expect((await dashboardDownload(deps(db), "acme", new URLSearchParams("table=nope"), "csv")).fileName).toBe("countersign-acme-pull-requests-2026-11-20.csv");
  });
});

describe("the dashboard on a long history", () => {
  test("counts more pull requests and delegations than one statement may name (SQLite's and Prisma's parameter limits): all of them, none twice", async () => {
    const db = opened().db;
    const count = 1_100;
    for (let number = 1; number <= count; number += 1) {
      // Given before the range: who gave it is read by its id as the decision is recorded.
      const given = await createDelegation(db, delegation(API, number, `owner-${number % 7}`), new Date("2026-10-01T00:00:00Z"));
      await decide(db, API, number, "2026-11-12T10:00:00Z", "action_required", ["agent-authored", `delegated:${given.id}`, "approvals:0/1", "unmet:approvals"], DEVIN, ["pr-author"], given.id);
    }
    const { filters } = parseDashboardFilters(new URLSearchParams("from=2026-11-02&to=2026-11-15"), NOW, "acme");
    const facts = await loadFigureFacts(db, "acme", filters);
    expect(facts.pullRequests).toHaveLength(count);
    expect(new Set(facts.pullRequests.map((row) => row.number)).size).toBe(count);
    const owned = (await figures(db, "from=2026-11-02&to=2026-11-15&owner=owner-3")).matching.total;
    expect(owned).toBe(Array.from({ length: count }, (_, index) => index + 1).filter((number) => number % 7 === 3).length);
    expect(await dashboardPageHtml({ db, ...LINKS, clock: () => NOW }, "acme", "octocat", new URLSearchParams("from=2026-11-02&to=2026-11-15"))).toContain("Agent pull requests per week, by outcome");
  }, 60_000);
});
