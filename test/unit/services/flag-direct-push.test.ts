import { describe, expect, test } from "@jest/globals";
import { handlePush, type PushRequest } from "../../../src/services/flag-direct-push.js";
import type { Actor } from "../../../src/policy/types.js";
import { httpError } from "../../helpers/in-memory-github.js";
import { REPO, useServiceWorld } from "./service-harness.js";

// A push by an agent identity straight to a protected branch is flagged on its head commit and
// recorded; a person's push, or a push to another branch, is not. The policy that says which branches
// are protected is read through the seam, and an unreadable one still leaves built-in agents flagged.

const HEAD = "9".repeat(40);
const claude: Actor = { id: 209825114, login: "claude[bot]", kind: "bot" };
const alice: Actor = { id: 1001, login: "alice", kind: "user" };

function push(sender: Actor, ref = "refs/heads/main"): PushRequest {
  return { ref, defaultBranch: "main", headSha: HEAD, deleted: false, sender, commits: [{ sha: HEAD, message: "Fix it" }], compareUrl: null, beforeSha: "8".repeat(40), forced: false };
}

describe("handlePush", () => {
  const world = useServiceWorld();

  test("an agent's push to the default branch gets a failing check run on its head, a decision and a push.flagged event", async () => {
    const { services, github, event } = world();
    expect(await handlePush(services, event(), push(claude))).toBe(true);
    expect(github.checkRunsOn(HEAD)).toEqual([expect.objectContaining({ conclusion: "failure", title: "Direct push by an agent, not reviewed" })]);
    expect(await services.db.prisma.decision.findMany()).toEqual([expect.objectContaining({ headSha: HEAD, conclusion: "failure", prNumber: null })]);
    const events = await services.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } });
    expect(events.map((row) => row.type)).toEqual(["push.agent", "push.flagged"]);
    expect(await services.db.prisma.agentPush.findMany()).toEqual([expect.objectContaining({ branch: "main", afterSha: HEAD, pusherLogin: "claude[bot]", source: "push" })]);
  });

  test("reads the repository's policy from its default branch through the contents API, and a dry run is neutral", async () => {
    const { services, github, event } = world();
    github.setPolicy(REPO, "mode: evaluate\n");
    await handlePush(services, event(), push(claude));
    expect(github.callsOf("readPolicyFile").map(([file]) => file)).toEqual(expect.arrayContaining([{ owner: "acme", repo: "widgets", path: ".github/countersign.yml" }]));
    expect(github.checkRunsOn(HEAD)).toEqual([expect.objectContaining({ conclusion: "neutral", title: "Would flag: Direct push by an agent, not reviewed" })]);
  });

  test("a branch the policy does not protect, and a person's push, are not flagged", async () => {
    const { services, github, event } = world();
    github.setPolicy(REPO, "protected_branches: [release/*]\n");
    expect(await handlePush(services, event(), push(claude, "refs/heads/main"))).toBe(false);
    expect(await handlePush(services, event(), push(alice, "refs/heads/release/1"))).toBe(false);
    expect(github.checkRuns.size).toBe(0);
    expect(await handlePush(services, event(), push(claude, "refs/heads/release/1"))).toBe(true);
    expect(github.checkRunsOn(HEAD)).toHaveLength(1);
  });

  test("when the policy cannot be read, the built-in agents are still flagged, blocking, and the log says why", async () => {
    const { services, github, logs, event } = world();
    github.fail("readPolicyFile", httpError(500));
    expect(await handlePush(services, event(), push(claude))).toBe(true);
    expect(github.checkRunsOn(HEAD)).toEqual([expect.objectContaining({ conclusion: "failure" })]);
    expect(github.checkRunsOn(HEAD)[0]?.summary).toContain("invalid; built-in agent identities used");
    expect(logs).toContainEqual(expect.objectContaining({ level: "warn", message: expect.stringContaining("could not read the policy") }));
  });

  test("a check-run write GitHub refuses is thrown (the handler then fails closed), after the push is recorded", async () => {
    const { services, github, event } = world();
    github.fail("writeCheckRun", httpError(502));
    await expect(handlePush(services, event(), push(claude))).rejects.toMatchObject({ status: 502 });
    expect(await services.db.prisma.agentPush.count()).toBe(1);
  });

  test("the credential app's bot, an agent identity the services are given, is recorded and flagged on a protected branch", async () => {
    const { services, github, event } = world();
    const credentialBot: Actor = { id: 777, login: "acme-agents[bot]", kind: "bot" };
    expect(await handlePush(services, event(), push(credentialBot))).toBe(false);
    services.processAgentIdentities = async () => [{ name: "Countersign credential app", ids: [], logins: ["acme-agents[bot]"] }];
    expect(await handlePush(services, event(), push(credentialBot))).toBe(true);
    expect(github.checkRunsOn(HEAD)).toEqual([expect.objectContaining({ conclusion: "failure", title: "Direct push by an agent, not reviewed" })]);
    expect(await services.db.prisma.agentPush.findMany()).toEqual([expect.objectContaining({ pusherLogin: "acme-agents[bot]", identity: "Countersign credential app" })]);
  });
});
