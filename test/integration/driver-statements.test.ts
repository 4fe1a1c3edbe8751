import { describe, expect, test } from "@jest/globals";
import { appendAuditEvent } from "../../src/db/audit-log.js";
import { recordDecision } from "../../src/db/decisions.js";
import { verifyAuditLog } from "../../src/cli/audit/verify-log.js";
import { useApp } from "../helpers/use-app.js";

// The statements every evaluation makes (decision, audit event, ticket, publish claim and check-run
// record), some of them raw SQL through Prisma (src/db/raw-statement.ts). What they write
// must read back through Prisma exactly as Prisma's own writes do: the time stamps to the millisecond
// (an audit event's hash covers its time), the big integers, the nulls. Runs on SQLite and, under
// `npm run test:postgres`, on PostgreSQL.

const ctx = useApp();

describe("statements written by hand", () => {
  test("a decision reads back as written: time to the millisecond, big ids, nulls", async () => {
    const db = ctx.app().db;
    const evaluatedAt = new Date("2026-11-26T02:45:00.123Z");
    const id = await recordDecision(db, {
      repo: { id: 9_007_199_254, fullName: "acme/api" },
      prNumber: 12,
      headSha: "ab".repeat(20),
      conclusion: "action_required",
      title: "Needs approval",
      reasons: ["needs-approval"],
      deliveryId: "delivery-1",
      delegationId: null,
      checkRunId: 98_765_432_101,
      errorId: null,
      policy: { hash: "f".repeat(64), source: "acme/.github:.github/countersign.yml" },
      evaluatedAt,
    });
    const row = await db.prisma.decision.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({
      repoId: 9_007_199_254n,
      repoFullName: "acme/api",
      prNumber: 12,
      conclusion: "action_required",
      reasons: '["needs-approval"]',
      deliveryId: "delivery-1",
      delegationId: null,
      checkRunId: 98_765_432_101n,
      errorId: null,
      policyHash: "f".repeat(64),
    });
    expect(row.evaluatedAt.toISOString()).toBe("2026-11-26T02:45:00.123Z");
  });

  test("audit events appended by the app verify: the stored time and fields hash as they were written", async () => {
    const db = ctx.app().db;
    for (const [index, actor] of [null, { id: 1002, login: "bob" }, { id: null, login: "ghost" }].entries()) {
      await appendAuditEvent(db, {
        type: "decision",
        repo: index === 0 ? null : { id: 5_000_000_001, fullName: "acme/api" },
        subjectNumber: index === 0 ? null : 12,
        sha: index === 2 ? null : "cd".repeat(20),
        actor,
        deliveryId: index === 1 ? "delivery-2" : null,
        payload: { index, text: "quote \" and ünïcode" },
        at: new Date(Date.UTC(2026, 10, 26, 2, 45, index, 7 + index)),
      });
    }
    const verification = await verifyAuditLog(db);
    expect(verification.result).toMatchObject({ ok: true, checked: 3 });
    const rows = await db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } });
    expect(rows.map((row) => row.createdAt.toISOString())).toEqual(["2026-11-26T02:45:00.007Z", "2026-11-26T02:45:01.008Z", "2026-11-26T02:45:02.009Z"]);
    expect(rows[1]).toMatchObject({ repoId: 5_000_000_001n, actorId: 1002n, actorLogin: "bob", deliveryId: "delivery-2" });
    expect(rows[2]).toMatchObject({ actorId: null, actorLogin: "ghost", sha: null });
  });
});
