import { afterEach, expect, test } from "@jest/globals";
import { openDatabase } from "../../src/db/client.js";
import { recordDecision } from "../../src/db/decisions.js";
import { createTestDatabase, type TestDatabase } from "../helpers/test-database.js";
import { enterpriseEnv, freePort, startApp, stopApp, waitFor } from "./app-process.js";

// A database upgraded from a version without the dashboard's pull request summaries holds decisions
// and no summaries. The app finds them at start, says how many in its ready line, and rebuilds them
// in the background (src/start.ts), so the dashboard counts the pull requests decided before the upgrade.

let database: TestDatabase | undefined;
let child: Awaited<ReturnType<typeof startApp>> | undefined;

afterEach(async () => {
  await stopApp(child);
  child = undefined;
  await database?.dispose();
  database = undefined;
});

test("decisions recorded before the summaries existed are summarized after the app starts, without holding up its start", async () => {
  database = await createTestDatabase();
  const opened = await openDatabase(database.url);
  // What an older version left behind: decisions only (recordDecision alone writes no summary).
  for (let number = 1; number <= 30; number += 1) {
    for (const [hours, conclusion, reasons] of [
      [0, "action_required", ["agent-authored", "no-delegation", "unmet:owner"]],
      [5, "success", ["agent-authored", "approvals:1/1"]],
    ] as const) {
      await recordDecision(opened.db, { repo: { id: 77, fullName: "acme/api" }, prNumber: number, headSha: "a".repeat(40), conclusion, title: conclusion, reasons: [...reasons], deliveryId: null, delegationId: null, checkRunId: null, errorId: null, policy: null, evaluatedAt: new Date(Date.now() - 86_400_000 + hours * 3_600_000) });
    }
  }
  await opened.close();
  expect(await database.rows(`SELECT "prNumber" FROM "PullRequestSummary"`)).toEqual([]);

  const output: string[] = [];
  child = await startApp(enterpriseEnv({ ghesPort: await freePort(), port: await freePort(), databaseUrl: database.url, webhookSecret: "summaries-secret" }), output);
  await waitFor(() => output.join("").includes("countersign: ready"));
  expect(output.join("")).toContain('"dashboardSummariesToRebuild":30');
  await waitFor(() => output.join("").includes("countersign: dashboard summaries rebuilt"), 30_000);
  expect(output.join("")).toContain('"rebuilt":30');
  const rows = await database.rows(`SELECT "prNumber", "decisions", "org" FROM "PullRequestSummary" ORDER BY "prNumber"`);
  expect(rows).toHaveLength(30);
  expect(rows.every((row) => Number(row.decisions) === 2 && row.org === "acme")).toBe(true);

  // A second start finds nothing out of step.
  await stopApp(child);
  output.length = 0;
  child = await startApp(enterpriseEnv({ ghesPort: await freePort(), port: await freePort(), databaseUrl: database.url, webhookSecret: "summaries-secret" }), output);
  await waitFor(() => output.join("").includes("countersign: ready"));
  expect(output.join("")).toContain('"dashboardSummariesToRebuild":0');
});
