import { describe, expect, test } from "@jest/globals";
import { findCheckRun } from "../../../src/db/check-run-records.js";
import { publishCheckRun, publishFailureCheckRun, publishNewest, takePublishingTicket } from "../../../src/services/check-run-publisher.js";
import { httpError } from "../../helpers/in-memory-github.js";
import { REPO, useServiceWorld } from "./service-harness.js";

// The publisher owns the one `Countersign` check run per commit: created once, then updated; not
// written again when it already says the same; published in the order evaluations started.

const HEAD = "1".repeat(40);
const footer = (at: string) => `\n---\nHead ${HEAD} · evaluated ${at} · policy: acme/widgets:.github/countersign.yml (hash abc)`;
const output = (title: string, at = "2025-06-01T12:00:00Z") => ({ title, summary: `**${title}**${footer(at)}` });

describe("publishCheckRun", () => {
  const world = useServiceWorld();

  test("creates the commit's check run once and records it; a changed decision updates the same check run", async () => {
    const { services, github, event } = world();
    const first = await publishCheckRun(services, event(), { headSha: HEAD, prNumber: 7 }, "failure", output("Blocked"));
    const second = await publishCheckRun(services, event(), { headSha: HEAD, prNumber: 7 }, "success", output("Countersigned"));
    expect(second).toBe(first);
    expect(github.checkRunsOn(HEAD)).toEqual([expect.objectContaining({ id: first, conclusion: "success", title: "Countersigned", writes: 2 })]);
    expect(await findCheckRun(services.db, REPO.id, HEAD)).toMatchObject({ checkRunId: first });
  });

  test("does not write again when only the footer's time changed; a Re-run (forceWrite) writes anyway", async () => {
    const { services, github, event } = world();
    await publishCheckRun(services, event(), { headSha: HEAD, prNumber: 7 }, "success", output("Countersigned"));
    await publishCheckRun(services, event(), { headSha: HEAD, prNumber: 7 }, "success", output("Countersigned", "2025-06-01T12:05:00Z"));
    expect(github.callsOf("writeCheckRun")).toHaveLength(1);
    await publishCheckRun(services, event(), { headSha: HEAD, prNumber: 7, forceWrite: true }, "success", output("Countersigned", "2025-06-01T12:06:00Z"));
    expect(github.callsOf("writeCheckRun")).toHaveLength(2);
  });

  test("a write GitHub refuses is thrown and leaves no record, so the next write creates the check run", async () => {
    const { services, github, event } = world();
    github.fail("writeCheckRun", httpError(502));
    await expect(publishCheckRun(services, event(), { headSha: HEAD, prNumber: 7 }, "success", output("Countersigned"))).rejects.toMatchObject({ status: 502 });
    expect(await findCheckRun(services.db, REPO.id, HEAD)).toBeNull();
    github.heal("writeCheckRun");
    await publishCheckRun(services, event(), { headSha: HEAD, prNumber: 7 }, "success", output("Countersigned"));
    expect(github.checkRunsOn(HEAD)).toEqual([expect.objectContaining({ conclusion: "success" })]);
  });
});

describe("publishFailureCheckRun", () => {
  const world = useServiceWorld();

  test("replaces a success on the commit with the failure, on the same check run", async () => {
    const { services, github, event } = world();
    const id = await publishCheckRun(services, event(), { headSha: HEAD, prNumber: 7 }, "success", output("Countersigned"));
    expect(await publishFailureCheckRun(services, event(), { headSha: HEAD, prNumber: 7 }, output("Could not evaluate"))).toBe(id);
    expect(github.checkRuns.get(id)).toMatchObject({ conclusion: "failure", title: "Could not evaluate" });
  });

  test("when the database is down, the failure is still written; the next decision, though unchanged from the record, is written over it", async () => {
    const { services, github, event } = world();
    await publishCheckRun(services, event(), { headSha: HEAD, prNumber: 7 }, "success", output("Countersigned"));
    // The check-run records cannot be read or written: the failure goes on a check run of its own.
    await services.db.prisma.$executeRawUnsafe('ALTER TABLE "CheckRunRecord" RENAME TO "CheckRunRecordAway"');
    const failure = await publishFailureCheckRun(services, event(), { headSha: HEAD, prNumber: 7 }, output("Could not evaluate"));
    expect(github.checkRuns.get(failure)).toMatchObject({ conclusion: "failure" });
    await services.db.prisma.$executeRawUnsafe('ALTER TABLE "CheckRunRecordAway" RENAME TO "CheckRunRecord"');
    // The record still says "success, this output": trusting it would skip the write and leave the failure.
    await publishCheckRun(services, event(), { headSha: HEAD, prNumber: 7 }, "success", output("Countersigned"));
    expect(github.checkRuns.get(failure)).toMatchObject({ conclusion: "success", writes: 2 });
  });
});

describe("publishNewest", () => {
  const world = useServiceWorld();

  test("an evaluation that started earlier publishes nothing once a later one has published", async () => {
    const { services, github, event } = world();
    const earlier = await takePublishingTicket(services, event(), 7);
    const later = await takePublishingTicket(services, event(), 7);
    const target = { headSha: HEAD, detailsUrl: "https://github.com/acme/widgets/pull/7" };
    const recorded: number[] = [];
    expect(await publishNewest(services, event(), later, target, "failure", output("Blocked: newer"), async (id) => void recorded.push(id))).toEqual(expect.any(Number));
    expect(await publishNewest(services, event(), earlier, target, "success", output("Countersigned: older"), async (id) => void recorded.push(id))).toBeNull();
    expect(github.checkRunsOn(HEAD)).toEqual([expect.objectContaining({ title: "Blocked: newer", writes: 1, detailsUrl: target.detailsUrl })]);
    expect(recorded).toHaveLength(1);
  });
});
