import { createHash } from "node:crypto";
import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import type { AuditExportRecord } from "../../src/cli/audit/export.js";
import { runCli, EXIT } from "../../src/cli.js";
import { eventHash } from "../../src/audit/chain.js";
import { appendAuditEvent, toStoredEvent } from "../../src/db/audit-log.js";
import { openDatabase } from "../../src/db/client.js";
import type { PullRequestStory } from "../../src/evidence/pr-story.js";
import { commentEvent, pullRequestEvent, REPO, reviewEvent } from "../fixtures/payloads.js";
import { alice, bob, claude } from "../fixtures/people.js";
import type { FakeGitHub } from "../mocks/github.js";
import type { TestApp } from "../helpers/test-app.js";
import { captureIo } from "../helpers/cli-io.js";
import { DELEGATED_HEAD as HEAD, delegatedAndApproved } from "../helpers/delegated-flow.js";
import { useApp } from "../helpers/use-app.js";

// The operator's audit tools against a real flow: Countersign (a real Probot instance) records an
// agent pull request that is delegated and independently approved; then `countersign audit verify`,
// `audit export` and `evidence` run in-process on the app's database, before and after someone with
// write access to the SQLite file tampers with it, as an attacker would (dropping the triggers first).

const ctx = useApp();


async function cli(app: TestApp, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { io, out, err } = captureIo();
  const code = await runCli(argv, { DATABASE_URL: app.databaseUrl }, io);
  return { code, out: out(), err: err() };
}

/** Runs SQL on the database directly, around the app, after dropping the append-only triggers. */
async function tamper(app: TestApp, ...statements: string[]): Promise<void> {
  await app.database.dropAuditGuards();
  for (const statement of statements) await app.database.rawSql(statement);
}

/** "Now" as an SQL literal the provider's DateTime column takes. */
function nowSql(app: TestApp): string {
  return app.database.provider === "postgres" ? "now()" : String(Date.now());
}

async function rows(app: TestApp): Promise<Array<{ seq: number; type: string; hash: string | null; prevHash: string | null }>> {
  return app.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" }, select: { seq: true, type: true, hash: true, prevHash: true } });
}

describe("countersign audit verify", () => {
  test("an untouched chain verifies: events checked, time, rate and head", async () => {
    const app = ctx.app();
    await delegatedAndApproved(ctx.github(), app);
    const events = await rows(app);
    // The approval is chained before the decision it brought about.
    expect(events.map((event) => event.type)).toEqual(["decision", "delegation.created", "decision", "approval.counted", "decision"]);

    const result = await cli(app, "audit", "verify");

    expect(result.code).toBe(EXIT.pass);
    expect(result.out).toMatch(/^Audit log verified: 5 events checked in \d+ ms \([\d,]+ events\/s\), every link intact\.$/m);
    expect(result.out).toContain(`Chain head: #5 ${events[4]?.hash}`);
    expect(result.out).toContain("Unsealed rows: none.");
    expect(result.out).toContain(`Database: ${app.databaseUrl.replace(/^file:/, "")}`);
    // Reading never writes: the app goes on appending to the same chain.
    expect((await appendAuditEvent(app.db, { type: "push.flagged", repo: null, subjectNumber: null, sha: null, actor: null, deliveryId: null, payload: {}, at: new Date() })).prevHash).toBe(events[4]?.hash);
  });

  test("a byte flipped in one event's payload is named", async () => {
    const app = ctx.app();
    await delegatedAndApproved(ctx.github(), app);
    const payload = (await app.db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: 3 } })).payload;
    const bytes = Buffer.from(payload);
    const index = payload.indexOf("action_required") + 3;
    bytes[index] = (bytes[index] as number) ^ 0x01; // "action_required" → "actinn_required"
    await tamper(app, `UPDATE "AuditEvent" SET "payload" = '${bytes.toString().replace(/'/g, "''")}' WHERE "seq" = 3`);

    const result = await cli(app, "audit", "verify");

    expect(result.code).toBe(EXIT.broken);
    expect(result.out).toContain("Audit log BROKEN: the first broken event is #3.");
    expect(result.out).toContain("Reason: event #3 (decision) does not match its hash: its contents were altered");
    expect(result.out).toContain("2 events before it verified (#1 to #2)");
  });

  test("a deleted event is named by the event after the gap", async () => {
    const app = ctx.app();
    await delegatedAndApproved(ctx.github(), app);
    await tamper(app, 'DELETE FROM "AuditEvent" WHERE "seq" = 3');

    const result = await cli(app, "audit", "verify");

    expect(result.code).toBe(EXIT.broken);
    expect(result.out).toContain("the first broken event is #4.");
    expect(result.out).toContain("Reason: event #4 follows #2: 1 event(s) between them were removed");
  });

  test("two swapped events are named", async () => {
    const app = ctx.app();
    await delegatedAndApproved(ctx.github(), app);
    await tamper(app, 'UPDATE "AuditEvent" SET "seq" = -1 WHERE "seq" = 3', 'UPDATE "AuditEvent" SET "seq" = 3 WHERE "seq" = 4', 'UPDATE "AuditEvent" SET "seq" = 4 WHERE "seq" = -1');

    const result = await cli(app, "audit", "verify");

    expect(result.code).toBe(EXIT.broken);
    expect(result.out).toContain("the first broken event is #3.");
    expect(result.out).toContain("Reason: event #3 does not link to the event before it");
  });

  test("an unsealed row is named and listed; a row numbered below 1 is caught too", async () => {
    const app = ctx.app();
    await delegatedAndApproved(ctx.github(), app);
    // The database refuses an unsealed row outright...
    await expect(app.db.prisma.$executeRawUnsafe(`INSERT INTO "AuditEvent" ("seq", "type", "payload", "createdAt") VALUES (6, 'approval.counted', '{}', ${nowSql(app)})`)).rejects.toThrow(/must be sealed into the hash chain/);
    // ...so forging one takes dropping the trigger first, and verify still names it.
    await tamper(app, `INSERT INTO "AuditEvent" ("seq", "type", "payload", "createdAt") VALUES (6, 'approval.counted', '{}', ${nowSql(app)})`);

    let result = await cli(app, "audit", "verify");
    expect(result.code).toBe(EXIT.broken);
    expect(result.out).toContain("the first broken event is #6.");
    expect(result.out).toContain("Unsealed rows: 1 row with no hash (#6)");

    await app.database.rawSql(`DELETE FROM "AuditEvent" WHERE "seq" = 6; INSERT INTO "AuditEvent" ("seq", "type", "payload", "createdAt") VALUES (0, 'approval.counted', '{}', ${nowSql(app)})`);
    result = await cli(app, "audit", "verify");
    expect(result.code).toBe(EXIT.broken);
    expect(result.out).toContain("Audit log BROKEN: 1 row numbered 0 or below (#0) lies outside the chain");
  });

  test("events cut from the end leave a chain that verifies on its own, but not against a head recorded earlier", async () => {
    const app = ctx.app();
    await delegatedAndApproved(ctx.github(), app);
    const anchor = (await rows(app))[4]?.hash as string;
    expect((await cli(app, "audit", "verify", "--anchor", anchor)).out).toContain("Anchor: found at #5");
    // Cut the last event: the chain that is left is internally consistent.
    await tamper(app, 'DELETE FROM "AuditEvent" WHERE "seq" = 5');

    expect((await cli(app, "audit", "verify")).code).toBe(EXIT.pass);
    const result = await cli(app, "audit", "verify", "--anchor", anchor);
    expect(result.code).toBe(EXIT.broken);
    expect(result.out).toContain(`Audit log BROKEN: the anchor ${anchor} is not in the chain`);
  });

  test("a missing database, a bad anchor and unknown flags are explained", async () => {
    const { io, err } = captureIo();
    expect(await runCli(["audit", "verify"], { DATABASE_URL: "file:/nonexistent/countersign.db" }, io)).toBe(EXIT.error);
    expect(err()).toContain("no database at /nonexistent/countersign.db: pass --database-url, or set DATABASE_URL");
    const app = ctx.app();
    expect(await cli(app, "audit", "verify", "--anchor", "abc")).toMatchObject({ code: EXIT.error, err: expect.stringContaining("--anchor must be an event hash") });
    expect(await cli(app, "audit", "verify", "--repo", "a/b")).toMatchObject({ code: EXIT.error, err: expect.stringContaining("countersign audit verify: unknown option --repo (it takes --anchor, --checkpoints, --file, --keys, --database-url)") });
    expect(await cli(app, "audit", "verify", "--database-url")).toMatchObject({ code: EXIT.error, err: expect.stringContaining("--database-url needs a value: the app's database") });
    expect(await cli(app, "audit", "frobnicate")).toMatchObject({ code: EXIT.error, err: expect.stringContaining("unknown audit command: frobnicate (audit takes verify, export, checkpoint or checkpoint-key)") });
  });
});

describe("concurrent deliveries", () => {
  test("twenty pull requests evaluated at once append one unbroken chain, with no fork", async () => {
    const github = ctx.github();
    const app = ctx.app();
    const open = (number: number) => {
      const sha = number.toString(16).padStart(40, "0");
      github.pulls.set(number, { number, author: claude, headSha: sha, commits: [{ sha, message: "x", author: claude }], reviews: [], files: ["src/a.ts"] });
      github.expectEvaluation(number);
      return app.receive("pull_request", pullRequestEvent("opened", github.mustGet(number)));
    };
    // The first warms the setup doctor's per-branch cache (the fake GitHub answers its reads once).
    await open(100);
    const numbers = Array.from({ length: 20 }, (_, index) => 101 + index);
    await Promise.all(numbers.map(open));

    expect(nock.pendingMocks()).toEqual([]);
    const events = await rows(app);
    expect(events).toHaveLength(21);
    expect(new Set(events.map((event) => event.prevHash)).size).toBe(21);
    expect(new Set(events.map((event) => event.hash)).size).toBe(21);
    const result = await cli(app, "audit", "verify");
    expect(result.code).toBe(EXIT.pass);
    expect(result.out).toContain("Audit log verified: 21 events checked");
  });

  test("a second writer on the same file (another app process) appending meanwhile does not fork the chain", async () => {
    const github = ctx.github();
    const app = ctx.app();
    const other = await openDatabase(app.databaseUrl, { migrate: false });
    try {
      const numbers = Array.from({ length: 10 }, (_, index) => 200 + index);
      for (const number of numbers) {
        const sha = number.toString(16).padStart(40, "0");
        github.pulls.set(number, { number, author: claude, headSha: sha, commits: [{ sha, message: "x", author: claude }], reviews: [], files: ["src/a.ts"] });
        github.expectEvaluation(number);
      }
      await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(200)));
      const at = new Date("2026-11-25T12:00:00Z");
      await Promise.all([
        ...numbers.slice(1).map((number) => app.receive("pull_request", pullRequestEvent("opened", github.mustGet(number)))),
        ...numbers.map((number) => appendAuditEvent(other.db, { type: "push.flagged", repo: { id: REPO.id, fullName: REPO.fullName }, subjectNumber: null, sha: null, actor: null, deliveryId: null, payload: { number }, at })),
      ]);
    } finally {
      await other.close();
    }

    expect(nock.pendingMocks()).toEqual([]);
    const events = await rows(app);
    expect(events).toHaveLength(20);
    expect(new Set(events.map((event) => event.prevHash)).size).toBe(20);
    expect((await cli(app, "audit", "verify")).code).toBe(EXIT.pass);
  });
});

describe("countersign audit export", () => {
  async function exported(app: TestApp, ...flags: string[]): Promise<{ code: number; records: AuditExportRecord[]; out: string; err: string }> {
    const result = await cli(app, "audit", "export", ...flags);
    const json = flags.includes("json");
    const records = json ? (JSON.parse(result.out) as AuditExportRecord[]) : result.out.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as AuditExportRecord);
    return { ...result, records };
  }

  test("one record per agent PR, with the six evidence items and chain hashes that match the database", async () => {
    const github = ctx.github();
    const app = ctx.app();
    await delegatedAndApproved(github, app);
    // A person's own pull request is not agent work: it is not exported.
    const human = "d1".repeat(20);
    github.pulls.set(1, { number: 1, author: alice, headSha: human, commits: [{ sha: human, message: "Fix typo", author: alice }], reviews: [], files: ["README.md"] });
    github.expectEvaluation(1);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(1)));
    expect(nock.pendingMocks()).toEqual([]);

    const { code, records, out, err } = await exported(app);

    expect(code).toBe(EXIT.pass);
    expect(err).toBe("exported 1 agent pull request as of chain head #6\n");
    expect(out.split("\n")).toHaveLength(2); // one line, newline-terminated
    expect(records).toHaveLength(1);
    const [record] = records as [AuditExportRecord];
    const delegation = await app.db.prisma.delegation.findFirstOrThrow();
    const decision = await app.db.prisma.decision.findFirstOrThrow({ where: { prNumber: 2, conclusion: "success" } });
    expect(record).toMatchObject({ repository: REPO.fullName, pullRequest: 2, latest: { conclusion: "success", headSha: HEAD } });
    // (a) the task request
    expect(record.taskRequests).toEqual([
      expect.objectContaining({ delegationId: delegation.id, task: { kind: "ticket", ref: "SEC-1", url: null }, requestedBy: { login: "alice", id: 1001 }, commandUrl: delegation.commentUrl, recorded: expect.objectContaining({ seq: 2 }) }),
    ]);
    // (b) the delegating owner
    expect(record.owner).toEqual({ kind: "delegated", account: { login: "alice", id: 1001 }, delegationId: delegation.id, recorded: expect.objectContaining({ seq: 5 }) });
    // (c) the agent and its tool inventory
    expect(record.agent).toMatchObject({ involvement: "authored", identities: [{ login: "claude[bot]", id: claude.id }], toolInventory: [{ delegationId: delegation.id, entries: [expect.objectContaining({ kind: "app", slug: "claude", permissions: expect.objectContaining({ contents: "write" }) })] }] });
    expect(record.agent.signals.length).toBeGreaterThan(0);
    // (d) the approval, on the head commit, counted
    expect(record.approvals).toEqual([{ reviewer: { login: "bob", id: 1002 }, reviewId: 502, commit: HEAD, counted: true, objections: [], source: "approval-event", recorded: expect.objectContaining({ seq: 4 }) }]);
    // (e) the decisions, with the policy hash and source
    expect(record.decisions.map((entry) => entry.conclusion)).toEqual(["action_required", "action_required", "success"]);
    expect(record.decisions.at(-1)?.policy).toEqual({ hash: decision.policyHash, source: decision.policySource, textHash: decision.policyHash, files: [expect.objectContaining({ repository: REPO.fullName, path: ".github/countersign.yml" })] });
    // The policy's texts travel with the export: the canonical text rehashes to the policy hash, and
    // the file's text is the file as the repository held it.
    const policy = record.decisions.at(-1)!.policy;
    expect(createHash("sha256").update(record.texts[policy.textHash!]!).digest("hex")).toBe(decision.policyHash);
    expect(record.texts[policy.files![0]!.textHash]).toBe("approvals:\n  required: 1\n");
    expect(record.decisions.at(-1)?.reasons.length).toBeGreaterThan(0);
    expect(record.decisions.at(-1)?.context).toMatchObject({ headSha: HEAD, changedFiles: { count: expect.any(Number), truncated: false } });
    const snapshot = record.taskRequests[0]?.taskSnapshot;
    expect(snapshot).toMatchObject({ format: "ticket", hash: createHash("sha256").update("SEC-1").digest("hex") });
    expect(record.texts[(snapshot as { hash: string }).hash]).toBe("SEC-1");
    expect(decision.policyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(decision.policySource).toContain(".github/countersign.yml");
    // (f) credentials: none yet
    expect(record.credentials).toEqual([]);
    // (g) the chain proof: the rows as stored, and the head at export time
    const stored = await rows(app);
    // Every field the hash covers, exactly as stored: enough to recompute each hash without the database.
    const full = (await app.db.prisma.auditEvent.findMany({ where: { seq: { lte: 5 } }, orderBy: { seq: "asc" } })).map(toStoredEvent);
    expect(record.chain.events).toEqual(full.map(({ createdAt, ...row }) => ({ ...row, at: createdAt.toISOString() })));
    for (const event of record.chain.events) expect(eventHash({ ...event, createdAt: new Date(event.at) })).toBe(event.hash);
    expect(record.chain.head).toEqual({ seq: 6, hash: stored[5]?.hash });
    for (const item of [...record.taskRequests, ...record.approvals, ...record.decisions]) expect(item.recorded.hash).toBe(stored.find((row) => row.seq === item.recorded.seq)?.hash);
  });

  test("json is a pretty array of the same records; --repo and --since filter", async () => {
    const app = ctx.app();
    await delegatedAndApproved(ctx.github(), app);

    const jsonl = await exported(app);
    const json = await exported(app, "--format", "json");
    expect(json.code).toBe(EXIT.pass);
    expect(json.out.startsWith("[\n  {\n    \"schema\": \"countersign.audit-export/1\",")).toBe(true);
    expect(json.out).toBe(`${JSON.stringify(json.records, null, 2)}\n`);
    expect(json.records.map(({ exportedAt, ...rest }) => rest)).toEqual(jsonl.records.map(({ exportedAt, ...rest }) => rest));

    expect((await exported(app, "--repo", REPO.fullName)).records).toHaveLength(1);
    expect((await exported(app, "--repo", "acme/other")).records).toHaveLength(0);
    // GitHub's names are case-insensitive: any spelling finds the repository, told under GitHub's own.
    const shouted = await exported(app, "--repo", REPO.fullName.toUpperCase());
    expect(shouted.records).toHaveLength(1);
    expect(shouted.records[0]).toMatchObject({ repository: REPO.fullName });
    expect((await exported(app, "--since", "2026-11-25")).records).toHaveLength(1);
    expect((await exported(app, "--since", "2026-11-26")).records).toHaveLength(0);
    expect((await cli(app, "audit", "export", "--format", "json", "--since", "2026-11-26")).out).toBe("[]\n");
    expect(await cli(app, "audit", "export", "--since", "yesterday")).toMatchObject({ code: EXIT.error, err: expect.stringContaining("--since must be a date, YYYY-MM-DD") });
    expect(await cli(app, "audit", "export", "--format", "csv")).toMatchObject({ code: EXIT.error, err: expect.stringContaining("--format must be jsonl or json") });
  });
});

describe("countersign evidence", () => {
  test("the full story as Markdown: owner, task, the approval with its commit, the decision with its policy hash", async () => {
    const app = ctx.app();
    await delegatedAndApproved(ctx.github(), app);
    const decision = await app.db.prisma.decision.findFirstOrThrow({ where: { prNumber: 2, conclusion: "success" } });
    const stored = await rows(app);

    const result = await cli(app, "evidence", "--repo", REPO.fullName, "--pr", "2");

    expect(result.code).toBe(EXIT.pass);
    expect(result.out).toContain(`# Evidence: \`${REPO.fullName}#2\``);
    expect(result.out).toContain("@alice (id 1001): delegated the work (explicit owner)");
    expect(result.out).toContain("- Task: `SEC-1` (ticket)");
    expect(result.out).toContain("What \\@\u200bclaude\\[bot\\] could do: GitHub App `claude` with `contents: write`");
    expect(result.out).toMatch(new RegExp(`\\| @bob \\| \`${HEAD}\` \\| yes \\|`));
    expect(result.out).toContain("**`success`**, Countersigned: delegated by \\@\u200balice, approved by \\@\u200bbob");
    expect(result.out).toContain(`Policy: \`${decision.policyHash}\``);
    for (const row of stored) expect(result.out).toContain(`| #${row.seq} | \`${row.type}\` | \`${row.hash}\` | \`${row.prevHash}\` |`);
  });

  test("--format json is the story; a PR with no events is an error that says so", async () => {
    const app = ctx.app();
    await delegatedAndApproved(ctx.github(), app);

    const json = await cli(app, "evidence", "--repo", REPO.fullName, "--pr", "2", "--format", "json");
    expect(json.code).toBe(EXIT.pass);
    const story = JSON.parse(json.out) as PullRequestStory;
    expect(story).toMatchObject({ repository: REPO.fullName, number: 2, owner: { kind: "delegated", login: "alice" }, approvals: [{ reviewer: "bob", commit: HEAD, counted: true }] });
    expect(story.chain).toHaveLength(5);

    const lower = await cli(app, "evidence", "--repo", REPO.fullName.toLowerCase(), "--pr", "2", "--format", "json");
    expect(JSON.parse(lower.out)).toMatchObject({ repository: REPO.fullName, number: 2 });

    const none = await cli(app, "evidence", "--repo", REPO.fullName, "--pr", "99");
    expect(none.code).toBe(EXIT.error);
    expect(none.err).toContain(`no audit events for ${REPO.fullName}#99`);
    expect(await cli(app, "evidence", "--repo", REPO.fullName)).toMatchObject({ code: EXIT.error, err: expect.stringContaining("countersign evidence: --pr is required: the pull request's number, e.g. --pr 42") });
    expect(await cli(app, "evidence", `--repo=${REPO.fullName}`, "--pr=2", "--format=json")).toMatchObject({ code: EXIT.pass, out: json.out });
  });
});
