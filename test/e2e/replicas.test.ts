import type { ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import type { Server } from "node:http";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { runCli, EXIT } from "../../src/cli.js";
import { commentEvent, pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { alice, bob } from "../fixtures/people.js";
import { deliverWebhook, enterpriseEnv, freePort, listen, root, startApp, stopApp } from "./app-process.js";
import { fakeGhes, fakeGhesState } from "./fake-ghes.js";
import { ADMIN_URL, postgresReachable, scratchPostgres } from "./postgres-databases.js";
import { approvedAgentPullRequests } from "./replica-burst.js";

// Several app processes sharing one PostgreSQL must behave like one. Two replicas of the built app
// receive a burst of interleaved deliveries for the same pull requests (each also redelivered to the
// other replica, as a load balancer retry would), while the fake GitHub answers with random latency so
// that work finishes out of order. Then: every delivery was processed once, each check run ended on
// the newest decision and never went back to an older one, and the audit log is one unbroken chain.

const SECRET = "replica-webhook-secret";
const PULLS = [61, 62, 63, 64];
const sha = (number: number) => `${number.toString(16)}`.padStart(40, "e");

const reachable = await postgresReachable();
if (!reachable) console.warn(`countersign e2e: PostgreSQL not reachable at ${ADMIN_URL}: the replica test is skipped`);
const replicaTest = reachable ? test : test.skip;

describe("two replicas on one PostgreSQL", () => {
  const state = fakeGhesState();
  const scratch = scratchPostgres("countersign_replicas");
  const databaseUrl = scratch.url;
  let ghes: Server;
  const replicas: ChildProcess[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    if (!reachable) return;
    await scratch.create();
    // GitHub's final state, as the events describe it: each PR has bob's approval of its head.
    approvedAgentPullRequests(state, PULLS, sha);
    state.latencyMs = () => Math.floor(Math.random() * 40);
    ghes = fakeGhes(state);
    const ghesPort = await listen(ghes);
    // Both start at once: their migrations must not collide.
    const ports = [await freePort(), await freePort()];
    const started = await Promise.all(ports.map((port) => startApp(enterpriseEnv({ ghesPort, port, databaseUrl, webhookSecret: SECRET }), [])));
    replicas.push(...started);
    urls.push(...ports.map((port) => `http://127.0.0.1:${port}`));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map(stopApp));
    if (ghes) await new Promise((resolve) => ghes.close(resolve));
    if (reachable) await scratch.drop();
  });

  replicaTest("replicas starting at once apply each migration exactly once", async () => {
    // Prisma's schema engine holds a PostgreSQL advisory lock while it migrates; the other replica
    // waits, then finds nothing left to apply.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ migration_name: string; finished_at: Date | null }>(`SELECT "migration_name", "finished_at" FROM "_prisma_migrations" ORDER BY "migration_name"`);
      const onDisk = readdirSync(path.join(root, "prisma/migrations/postgres"), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
      expect(rows.map((row) => row.migration_name)).toEqual(onDisk);
      expect(rows.every((row) => row.finished_at !== null)).toBe(true);
    } finally {
      await db.end();
    }
  });

  replicaTest("a burst of interleaved deliveries: each processed once, newest decision wins, one chain", async () => {
    const deliveries: Array<{ id: string; event: string; payload: Record<string, unknown> }> = [];
    for (const number of PULLS) {
      const pr = state.pulls.get(number)!;
      deliveries.push(
        { id: `open-${number}`, event: "pull_request", payload: pullRequestEvent("opened", pr) },
        { id: `delegate-${number}`, event: "issue_comment", payload: commentEvent({ number, onPullRequest: true, body: `/delegate SEC-${number}`, author: alice, commentId: number }) },
        { id: `approve-${number}`, event: "pull_request_review", payload: reviewEvent("submitted", pr, { id: number * 10, reviewer: bob, state: "approved", commitSha: sha(number) }) },
        { id: `edit-${number}`, event: "pull_request", payload: pullRequestEvent("edited", pr) },
      );
    }
    // Every delivery goes to both replicas, in a shuffled order, all at once.
    const sends = deliveries.flatMap((delivery) => urls.map((url) => ({ url, delivery })));
    sends.sort(() => Math.random() - 0.5);
    const answers = await Promise.all(sends.map(({ url, delivery }) => deliverWebhook(url, SECRET, delivery.event, delivery.id, delivery.payload)));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      // Wait until every delivery is done (processed once, by one replica or the other).
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { rows } = await db.query<{ done: string }>(`SELECT count(*) AS done FROM "Delivery" WHERE "status" = 'done'`);
        if (Number(rows[0]?.done) === deliveries.length || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Let any in-flight check-run write land.
      await new Promise((resolve) => setTimeout(resolve, 500));

      const { rows: recorded } = await db.query<{ id: string; status: string; attempts: number }>(`SELECT "id", "status", "attempts" FROM "Delivery" ORDER BY "id"`);
      expect(recorded).toHaveLength(deliveries.length);
      expect(recorded.every((row) => row.status === "done" && row.attempts === 1)).toBe(true);

      // One delegation and one reply per PR, although each command arrived twice.
      const { rows: delegations } = await db.query<{ subjectNumber: number }>(`SELECT "subjectNumber" FROM "Delegation" ORDER BY "subjectNumber"`);
      expect(delegations.map((row) => row.subjectNumber)).toEqual(PULLS);
      expect(state.comments.map((comment) => comment.issue).sort()).toEqual(PULLS);

      for (const number of PULLS) {
        // The check run on each head ends countersigned, and once it said so, it never went back.
        const writes = state.checkRunWrites.filter((write) => write.headSha === sha(number)).map((write) => write.conclusion);
        expect(writes.at(-1)).toBe("success");
        expect(writes.slice(writes.indexOf("success"))).toEqual(writes.slice(writes.indexOf("success")).map(() => "success"));
        expect(new Set(state.checkRunWrites.filter((write) => write.headSha === sha(number)).map((write) => write.id)).size).toBe(1);
        // The newest recorded decision agrees.
        const { rows } = await db.query<{ conclusion: string }>(`SELECT "conclusion" FROM "Decision" WHERE "prNumber" = $1 ORDER BY "evaluatedAt" DESC, "id" LIMIT 1`, [number]);
        expect(rows[0]?.conclusion).toBe("success");
      }

      // One chain, no fork, across both processes.
      const { rows: chain } = await db.query<{ total: string; links: string }>(`SELECT count(*) AS total, count(DISTINCT "prevHash") AS links FROM "AuditEvent"`);
      expect(Number(chain[0]?.links)).toBe(Number(chain[0]?.total));
      let out = "";
      const code = await runCli(["audit", "verify"], { DATABASE_URL: databaseUrl }, { out: (text) => (out += text), err: (text) => (out += text) });
      expect({ code, out }).toMatchObject({ code: EXIT.pass, out: expect.stringContaining("every link intact") });
    } finally {
      await db.end();
    }
  }, 60_000);
});
