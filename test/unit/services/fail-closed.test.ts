import { describe, expect, test } from "@jest/globals";
import { saveCheckRunId } from "../../../src/db/check-run-records.js";
import { Store, type DatabaseClient } from "../../../src/db/store.js";
import { failClosed } from "../../../src/services/fail-closed.js";
import { pullRequest } from "../policy/builders.js";
import { httpError } from "../../helpers/in-memory-github.js";
import { REPO, useServiceWorld } from "./service-harness.js";

// Failing closed: whatever failed, the commit is left with a blocking check run whose summary says
// what failed and carries an error id that is also in the log, and the failure is recorded.

const HEAD = "1".repeat(40);

/** A store whose database fails every statement, as one that is down does. */
function unreachableDatabase(): Store {
  const failing: object = new Proxy(() => undefined, {
    get: (_target, key) => (key === "then" ? undefined : failing),
    apply: () => Promise.reject(new Error("SQLITE_CANTOPEN: unable to open database file")),
  });
  return new Store(failing as DatabaseClient, "sqlite");
}
const OLDER = "3".repeat(40);

describe("failClosed", () => {
  const world = useServiceWorld();

  test("blocks the pull request's head, read from GitHub, with a summary naming the failure and the logged error id", async () => {
    const { services, github, logs, event } = world();
    github.addPullRequest(pullRequest({ number: 7, headSha: HEAD }));
    const errorId = await failClosed(services, event(), { prNumber: 7, headSha: null }, httpError(502));

    expect(github.callsOf("pullRequestHeadSha")).toEqual([[expect.objectContaining({ owner: "acme", name: "widgets" }), 7]]);
    const [run] = github.checkRunsOn(HEAD);
    expect(run).toMatchObject({ conclusion: "failure", title: "Could not evaluate: blocked until Countersign can" });
    expect(run?.summary).toContain("`GitHub API error: HTTP 502`");
    expect(run?.summary).toContain(`\`${errorId}\``);
    expect(logs).toContainEqual(expect.objectContaining({ level: "error", fields: expect.objectContaining({ errorId, pr: 7 }) }));
    const decisions = await services.db.prisma.decision.findMany();
    expect(decisions).toEqual([expect.objectContaining({ prNumber: 7, headSha: HEAD, conclusion: "failure", errorId, checkRunId: BigInt(run?.id ?? 0) })]);
    const events = await services.db.prisma.auditEvent.findMany();
    expect(events.map((row) => row.type)).toEqual(["evaluation.failed"]);
  });

  test("uses the commit the event named without asking GitHub", async () => {
    const { services, github, event } = world();
    await failClosed(services, event(), { prNumber: 7, headSha: HEAD }, new Error("boom"));
    expect(github.callsOf("pullRequestHeadSha")).toEqual([]);
    expect(github.checkRunsOn(HEAD)).toEqual([expect.objectContaining({ conclusion: "failure", summary: expect.stringContaining("`an unexpected error inside Countersign`") })]);
  });

  test("when GitHub cannot say the head either, blocks the commit it last wrote a check run on, updating that check run", async () => {
    const { services, github, event } = world();
    github.fail("pullRequestHeadSha");
    const earlier = await github.writeCheckRun(REPO, null, { headSha: OLDER, conclusion: "success", title: "Countersigned", summary: "ok" });
    await saveCheckRunId(services.db, REPO.id, OLDER, earlier, 7);
    await failClosed(services, event(), { prNumber: 7, headSha: null }, httpError(503));
    expect(github.checkRuns.get(earlier)).toMatchObject({ headSha: OLDER, conclusion: "failure", writes: 2 });
    expect(github.checkRuns.size).toBe(1);
  });

  test("still records the failure when the check run cannot be written, and logs both", async () => {
    const { services, github, logs, event } = world();
    github.fail("writeCheckRun", httpError(403));
    const errorId = await failClosed(services, event(), { prNumber: 7, headSha: HEAD }, httpError(500));
    expect(github.checkRuns.size).toBe(0);
    expect(logs).toContainEqual(expect.objectContaining({ level: "error", message: "countersign: could not write the blocking check run" }));
    expect(await services.db.prisma.decision.findMany()).toEqual([expect.objectContaining({ headSha: HEAD, conclusion: "failure", errorId, checkRunId: null })]);
  });

  test("with no commit to block (no head, no record), writes nothing and says so in the log", async () => {
    const { services, github, logs, event } = world();
    github.fail("pullRequestHeadSha", httpError(404));
    const errorId = await failClosed(services, event(), { prNumber: 7, headSha: null }, httpError(500));
    expect(github.checkRuns.size).toBe(0);
    expect(logs).toContainEqual(expect.objectContaining({ level: "error", fields: { errorId }, message: expect.stringContaining("could not find the commit to block") }));
  });

  test("a database outage still blocks the commit on GitHub", async () => {
    const { services, github, event } = world();
    const errorId = await failClosed({ ...services, db: unreachableDatabase() }, event(), { prNumber: 7, headSha: HEAD }, new Error("SQLITE_BUSY: database is locked"));
    expect(github.checkRunsOn(HEAD)).toEqual([expect.objectContaining({ conclusion: "failure", summary: expect.stringContaining("`Countersign's database could not be read or written`") })]);
    expect(github.checkRunsOn(HEAD)[0]?.summary).toContain(errorId);
  });
});
