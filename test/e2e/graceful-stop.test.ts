import type { Server } from "node:http";
import { afterAll, expect, test } from "@jest/globals";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { claude } from "../fixtures/people.js";
import { createTestDatabase, type TestDatabase } from "../helpers/test-database.js";
import { deliverWebhook, enterpriseEnv, freePort, listen, startApp, stopApp, waitFor } from "./app-process.js";
import { fakeGhes, fakeGhesState } from "./fake-ghes.js";

// A process manager stops the app (SIGTERM) while it is still working on a delivery it accepted: the
// app finishes it before closing its database, so the check run it writes has its decision and audit
// event recorded, not a gap in the evidence until another process resumes the delivery.

const SECRET = "e2e-graceful-stop-secret";
let database: TestDatabase | undefined;
let ghes: Server | undefined;

afterAll(async () => {
  if (ghes) await new Promise((resolve) => ghes?.close(resolve));
  await database?.dispose();
});

test("SIGTERM in the middle of an evaluation: the check run is written and its decision recorded before the process exits", async () => {
  database = await createTestDatabase();
  const state = fakeGhesState();
  // GitHub answers slowly, so the evaluation is still reading when the signal comes.
  state.latencyMs = () => 400;
  ghes = fakeGhes(state);
  const ghesPort = await listen(ghes);
  const port = await freePort();
  const output: string[] = [];
  const child = await startApp(enterpriseEnv({ ghesPort, port, databaseUrl: database.url, webhookSecret: SECRET }), output);
  const head = "9a".repeat(20);
  const pr = { number: 90, author: claude, headSha: head, commits: [{ sha: head, message: "Change", author: claude }], reviews: [], files: ["src/change.ts"] };
  state.pulls.set(90, pr);
  expect((await deliverWebhook(`http://127.0.0.1:${port}`, SECRET, "pull_request", "graceful-1", pullRequestEvent("opened", pr))).status).toBe(200);
  await waitFor(() => state.requests.some((request) => request.url.endsWith("/graphql")), 10_000);
  expect(state.checkRuns.size).toBe(0);

  await stopApp(child);

  expect([...state.checkRuns.values()].map((run) => run.head_sha)).toEqual([head]);
  const decisions = await database.rows(`SELECT "seq" FROM "AuditEvent" WHERE "type" = 'decision' AND "subjectNumber" = 90`);
  expect(decisions).toHaveLength(1);
  expect(output.join("")).toContain("countersign: stopping: finishing the deliveries already accepted");
}, 60_000);
