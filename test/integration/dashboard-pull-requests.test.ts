import { describe, expect, test } from "@jest/globals";
import { latestAgentPullRequestDecisions } from "../../src/db/dashboard-pull-requests.js";
import { recordDecision, type DecisionEntry } from "../../src/db/decisions.js";
import { useScratchDatabase } from "../helpers/scratch-database.js";

// The dashboard's figure, on SQLite and (with COUNTERSIGN_TEST_DATABASE=postgres) on PostgreSQL: the
// organization's pull requests some decision saw an agent in, each once, with its latest decision.

const { opened } = useScratchDatabase();

function decision(repo: { id: number; fullName: string }, prNumber: number, conclusion: DecisionEntry["conclusion"], minutes: number, reasons: string[] = ["agent-authored"]): DecisionEntry {
  return { repo, prNumber, headSha: "a".repeat(40), conclusion, title: `${conclusion} at ${minutes}`, reasons, deliveryId: null, delegationId: null, checkRunId: null, errorId: null, policy: null, evaluatedAt: new Date(Date.UTC(2026, 11, 7, 12, minutes)) };
}

describe("latestAgentPullRequestDecisions", () => {
  test("lists the organization's agent pull requests once each, with the latest decision, newest first", async () => {
    const db = opened().db;
    const api = { id: 1, fullName: "acme/api" };
    const web = { id: 2, fullName: "acme/web" };
    await recordDecision(db, decision(api, 1, "action_required", 0));
    await recordDecision(db, decision(api, 1, "success", 10));
    await recordDecision(db, decision(web, 2, "failure", 5));
    // A human's pull request (no agent reason), another organization's, and one whose name only starts like it.
    await recordDecision(db, decision(api, 3, "success", 20, []));
    await recordDecision(db, decision({ id: 3, fullName: "other/api" }, 4, "success", 30));
    await recordDecision(db, decision({ id: 4, fullName: "acme-labs/api" }, 5, "success", 30));
    // An agent seen in an earlier decision only: still an agent pull request, shown with its latest decision.
    await recordDecision(db, decision(web, 6, "action_required", 1, ["agent-assisted"]));
    await recordDecision(db, decision(web, 6, "failure", 2, ["evaluation-error"]));

    const rows = await latestAgentPullRequestDecisions(db, "acme", 10);
    expect(rows.map((row) => [row.repository, row.number, row.conclusion, row.title])).toEqual([
      ["acme/api", 1, "success", "success at 10"],
      ["acme/web", 2, "failure", "failure at 5"],
      ["acme/web", 6, "failure", "failure at 2"],
    ]);
    expect((await latestAgentPullRequestDecisions(db, "acme", 2)).map((row) => row.number)).toEqual([1, 2]);
    expect(await latestAgentPullRequestDecisions(db, "nobody", 10)).toEqual([]);
  });
});
