import { describe, expect, test } from "@jest/globals";
import { agentPushesForPullRequest, recordPushIfAgent, type ReportedPush } from "../../../src/services/record-agent-push.js";
import { defaultPolicy } from "../../../src/policy/repo-policy.js";
import type { Actor } from "../../../src/policy/types.js";
import { httpError } from "../../helpers/in-memory-github.js";
import { pullRequest } from "../policy/builders.js";
import { NOW, useServiceWorld } from "./service-harness.js";

// Who pushed a pull request's branch, as GitHub says (never as commits say): recorded from webhooks,
// and, for a pull request just opened, read from the repository's activity log.

const claude: Actor = { id: 209825114, login: "claude[bot]", kind: "bot" };
const alice: Actor = { id: 1001, login: "alice", kind: "user" };
const AFTER = "5".repeat(40);

function reported(pusher: Actor): ReportedPush {
  return { branch: "claude/retry", beforeSha: "4".repeat(40), afterSha: AFTER, forced: false, pusher, commits: [AFTER], source: "push", prNumber: null, at: NOW };
}

describe("recordPushIfAgent", () => {
  const world = useServiceWorld();

  test("records an agent's push with one push.agent event, however often it is reported", async () => {
    const { services, event } = world();
    expect(await recordPushIfAgent(services, event(), defaultPolicy(), reported(claude))).toMatchObject({ pusher: { login: "claude[bot]" }, identity: expect.any(String) });
    await recordPushIfAgent(services, event(), defaultPolicy(), reported(claude));
    expect(await services.db.prisma.agentPush.count()).toBe(1);
    expect((await services.db.prisma.auditEvent.findMany()).map((row) => row.type)).toEqual(["push.agent"]);
  });

  test("a person's push is not recorded", async () => {
    const { services, event } = world();
    expect(await recordPushIfAgent(services, event(), defaultPolicy(), reported(alice))).toBeNull();
    expect(await services.db.prisma.agentPush.count()).toBe(0);
  });
});

describe("agentPushesForPullRequest", () => {
  const world = useServiceWorld();
  const pr = pullRequest({ author: alice, headRef: "claude/retry" });
  const activity = [{ beforeSha: "4".repeat(40), afterSha: AFTER, forced: true, actor: claude, at: NOW }];

  test("for a pull request just opened, attributes the pushes in the branch's activity log", async () => {
    const { services, github, event } = world();
    github.activity.set("claude/retry", activity);
    const pushes = await agentPushesForPullRequest(services, event(), pr, defaultPolicy(), { readActivity: true });
    expect(github.callsOf("recentPushesToBranch")).toEqual([[{ owner: "acme", name: "widgets" }, "claude/retry"]]);
    expect(pushes).toEqual([expect.objectContaining({ afterSha: AFTER, forced: true, source: "activity", pusher: expect.objectContaining({ login: "claude[bot]" }) })]);
  });

  test("otherwise, and for a fork's branch, reads only what was recorded", async () => {
    const { services, github, event } = world();
    github.activity.set("claude/retry", activity);
    expect(await agentPushesForPullRequest(services, event(), pr, defaultPolicy(), { readActivity: false })).toEqual([]);
    expect(await agentPushesForPullRequest(services, event(), { ...pr, crossRepository: true }, defaultPolicy(), { readActivity: true })).toEqual([]);
    expect(github.callsOf("recentPushesToBranch")).toEqual([]);
  });

  test("an activity log GitHub does not offer (404) is logged and skipped; any other failure is thrown", async () => {
    const { services, github, logs, event } = world();
    github.fail("recentPushesToBranch", httpError(404));
    expect(await agentPushesForPullRequest(services, event(), pr, defaultPolicy(), { readActivity: true })).toEqual([]);
    expect(logs).toContainEqual(expect.objectContaining({ level: "warn", message: expect.stringContaining("activity log is not available") }));
    github.fail("recentPushesToBranch", httpError(500));
    await expect(agentPushesForPullRequest(services, event(), pr, defaultPolicy(), { readActivity: true })).rejects.toMatchObject({ status: 500 });
  });
});
