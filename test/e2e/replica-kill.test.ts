import type { ChildProcess } from "node:child_process";
import type { Server } from "node:http";
import pg from "pg";
import { afterAll, expect, test } from "@jest/globals";
import { runCli, EXIT } from "../../src/cli.js";
import { commentEvent, pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { alice, bob } from "../fixtures/people.js";
import { deliverWebhook, enterpriseEnv, freePort, listen, startApp, stopApp } from "./app-process.js";
import { fakeGhes, fakeGhesState } from "./fake-ghes.js";
import { ADMIN_URL, postgresReachable, scratchPostgres } from "./postgres-databases.js";
import { approvedAgentPullRequests } from "./replica-burst.js";

// A replica killed (SIGKILL: no shutdown, no last write) in the middle of a burst. The deliveries it
// had accepted (GitHub was answered 200, so GitHub will not send them again) are still processed: its
// heartbeat stops, and the surviving replica takes them over from their stored payloads. Then every
// delivery is done, every check run ends on the newest decision, and the audit log verifies.

const SECRET = "replica-kill-secret";
const PULLS = [71, 72, 73, 74, 75, 76];
const sha = (number: number) => number.toString(16).padStart(40, "f");

const reachable = await postgresReachable();
if (!reachable) console.warn(`countersign e2e: PostgreSQL not reachable at ${ADMIN_URL}: the replica-kill test is skipped`);

const scratch = scratchPostgres("countersign_kill");
const databaseUrl = scratch.url;
let ghes: Server | undefined;
const replicas: ChildProcess[] = [];

afterAll(async () => {
  await Promise.all(replicas.map(stopApp));
  if (ghes) await new Promise((resolve) => ghes?.close(resolve));
  if (reachable) await scratch.drop();
});

(reachable ? test : test.skip)("SIGKILL in the middle of a burst: the survivor takes over the dead replica's deliveries; each is done, check runs end on the newest decision, the log verifies", async () => {
  await scratch.create();
  const state = fakeGhesState();
  approvedAgentPullRequests(state, PULLS, sha);
  // GitHub answers slowly, so the killed replica dies with work in progress.
  state.latencyMs = () => 150 + Math.floor(Math.random() * 100);
  ghes = fakeGhes(state);
  const ghesPort = await listen(ghes);
  const ports = [await freePort(), await freePort()];
  const outputs: string[][] = [[], []];
  // A short lease, so the test need not wait a minute for the takeover.
  for (const [index, port] of ports.entries()) replicas.push(await startApp(enterpriseEnv({ ghesPort, port, databaseUrl, webhookSecret: SECRET, extra: { COUNTERSIGN_DELIVERY_LEASE_SECONDS: "4" } }), outputs[index] as string[]));

  const deliveries: Array<{ id: string; event: string; payload: Record<string, unknown> }> = [];
  for (const number of PULLS) {
    const pr = state.pulls.get(number)!;
    deliveries.push(
      { id: `kill-open-${number}`, event: "pull_request", payload: pullRequestEvent("opened", pr) },
      { id: `kill-delegate-${number}`, event: "issue_comment", payload: commentEvent({ number, onPullRequest: true, body: `/delegate SEC-${number}`, author: alice, commentId: number }) },
      { id: `kill-approve-${number}`, event: "pull_request_review", payload: reviewEvent("submitted", pr, { id: number * 10, reviewer: bob, state: "approved", commitSha: sha(number) }) },
    );
  }
  // Each delivery to one replica (alternating), all at once; GitHub answered 200 for every one.
  const answers = await Promise.all(deliveries.map((delivery, index) => deliverWebhook(`http://127.0.0.1:${ports[index % 2]}`, SECRET, delivery.event, delivery.id, delivery.payload)));
  expect(answers.every((answer) => answer.status === 200)).toBe(true);
  // The first replica dies while its deliveries are in flight.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const killed = replicas.shift() as ChildProcess;
  killed.removeAllListeners("exit");
  const gone = new Promise((resolve) => killed.once("exit", resolve));
  killed.kill("SIGKILL");
  await gone;

  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const inFlightAtKill = await db.query<{ id: string }>(`SELECT "id" FROM "Delivery" WHERE "status" <> 'done'`);
    expect(inFlightAtKill.rows.length).toBeGreaterThan(0);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await db.query<{ done: string }>(`SELECT count(*) AS done FROM "Delivery" WHERE "status" = 'done'`);
      if (Number(rows[0]?.done) === deliveries.length || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Let the last check-run write land.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const { rows: recorded } = await db.query<{ id: string; status: string; attempts: number }>(`SELECT "id", "status", "attempts" FROM "Delivery" ORDER BY "id"`);
    expect(recorded.map((row) => [row.id, row.status])).toEqual(deliveries.map((delivery) => [delivery.id, "done"]).sort());
    // Some were taken over from the dead replica: processed again, by the survivor, from their payload.
    expect(recorded.some((row) => row.attempts === 2)).toBe(true);
    expect(outputs[1]?.join("")).toContain("countersign: resuming a delivery accepted before a stop");

    for (const number of PULLS) {
      // Each check run ends where the newest recorded decision is, and that is the countersign.
      const writes = state.checkRunWrites.filter((write) => write.headSha === sha(number));
      const { rows } = await db.query<{ conclusion: string }>(`SELECT "conclusion" FROM "Decision" WHERE "prNumber" = $1 ORDER BY "evaluatedAt" DESC, "id" DESC LIMIT 1`, [number]);
      expect([number, writes.at(-1)?.conclusion]).toEqual([number, rows[0]?.conclusion]);
      expect([number, rows[0]?.conclusion]).toEqual([number, "success"]);
    }
    // A command taken over is not recorded twice: one delegation per pull request, from its comment.
    const { rows: delegations } = await db.query<{ subjectNumber: number }>(`SELECT "subjectNumber" FROM "Delegation" ORDER BY "subjectNumber"`);
    expect(delegations.map((row) => row.subjectNumber)).toEqual(PULLS);
    let out = "";
    const code = await runCli(["audit", "verify"], { DATABASE_URL: databaseUrl }, { out: (text) => (out += text), err: (text) => (out += text) });
    expect({ code, out }).toMatchObject({ code: EXIT.pass, out: expect.stringContaining("every link intact") });
  } finally {
    await db.end();
  }
}, 120_000);
