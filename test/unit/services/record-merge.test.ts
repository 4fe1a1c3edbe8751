import { describe, expect, test } from "@jest/globals";
import { recordPullRequestClosed, type ClosedPullRequest } from "../../../src/services/record-merge.js";
import type { Actor } from "../../../src/policy/types.js";
import { httpError } from "../../helpers/in-memory-github.js";
import { HEAD, pullRequest } from "../policy/builders.js";
import { auditTypes, NOW, useServiceWorld } from "./service-harness.js";

// A merge of an agent-touched pull request without a success on its head is an exception the team is
// told about (an audit event, a comment, the check run); what is known about the pull request comes
// from Countersign's records, else from GitHub at merge time, and what cannot be read counts as touched.

const alice: Actor = { id: 1001, login: "alice", kind: "user" };

function closed(overrides: Partial<ClosedPullRequest> = {}): ClosedPullRequest {
  return {
    number: 7,
    merged: true,
    headSha: HEAD,
    headRef: "claude/retry",
    headInRepo: true,
    baseRef: "main",
    mergeCommitSha: "6".repeat(40),
    mergedBy: alice,
    closedBy: alice,
    url: "https://github.com/acme/widgets/pull/7",
    at: NOW,
    ...overrides,
  };
}


describe("recordPullRequestClosed", () => {
  const world = useServiceWorld();

  test("an agent's pull request merged before Countersign judged it is read from GitHub and announced as unverified", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest({ state: "MERGED" }));
    await recordPullRequestClosed(services, event(), closed());
    expect(github.callsOf("readPullRequest")).toHaveLength(1);
    expect(await auditTypes(world().services.db)).toEqual(["merge.recorded", "merge.unverified"]);
    expect(github.comments).toEqual([expect.objectContaining({ issueNumber: 7, body: expect.stringContaining("merged without a countersign") })]);
    expect(github.checkRunsOn(HEAD)).toEqual([expect.objectContaining({ conclusion: "failure", title: "Merged without a countersign" })]);
    const unverified = await services.db.prisma.auditEvent.findFirstOrThrow({ where: { type: "merge.unverified" } });
    expect(JSON.parse(unverified.payload)).toMatchObject({ gate: "bypassed-required-check", agentEvidence: "read-at-merge", agents: ["claude[bot]"] });
  });

  test("a person's pull request with no agent in it is recorded and nothing is announced", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest({ state: "MERGED", author: alice, headRef: "alice/retry", commits: [{ sha: HEAD, message: "Retry", authors: [{ name: "alice", email: "alice@example.com", account: alice }], committer: null }] }));
    await recordPullRequestClosed(services, event(), closed({ headRef: "alice/retry" }));
    expect(await auditTypes(world().services.db)).toEqual(["merge.recorded"]);
    expect(github.comments).toEqual([]);
    expect(github.checkRuns.size).toBe(0);
  });

  test("a pull request GitHub cannot give back is reported as unverified (fail closed), and the gate unknown when its setup is unreadable", async () => {
    const { services, github, logs, event } = world();
    github.fail("readPullRequest", httpError(502)).fail("requiredCheckStatus", new Error("rulesets unreadable"));
    await recordPullRequestClosed(services, event(), closed());
    const unverified = await services.db.prisma.auditEvent.findFirstOrThrow({ where: { type: "merge.unverified" } });
    expect(JSON.parse(unverified.payload)).toMatchObject({ agentEvidence: "unreadable", gate: "required-check-unknown", requiredCheck: "unknown" });
    expect(logs).toContainEqual(expect.objectContaining({ level: "warn", message: expect.stringContaining("could not read a merged pull request") }));
  });

  test("a failing comment does not keep the check run from being written", async () => {
    const { services, github, logs, event } = world();
    github.addPullRequest(pullRequest({ state: "MERGED" })).fail("postComment", httpError(403));
    await recordPullRequestClosed(services, event(), closed());
    expect(github.checkRunsOn(HEAD)).toEqual([expect.objectContaining({ conclusion: "failure" })]);
    expect(logs).toContainEqual(expect.objectContaining({ level: "error", message: expect.stringContaining("could not announce an unverified merge") }));
  });

  test("a pull request closed without merging reads nothing from GitHub and announces nothing", async () => {
    const { services, github, event } = world();
    await recordPullRequestClosed(services, event(), closed({ merged: false, mergedBy: null, mergeCommitSha: null }));
    expect(github.calls).toEqual([]);
    expect(await auditTypes(world().services.db)).toEqual([]);
  });
});
