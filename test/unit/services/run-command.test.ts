import { describe, expect, test } from "@jest/globals";
import { COMMANDS } from "../../../src/services/commands.js";
import { runCommand, type CommandRequest } from "../../../src/services/run-command.js";
import { httpError } from "../../helpers/in-memory-github.js";
import { pullRequest } from "../policy/builders.js";
import { auditTypes, useServiceWorld } from "./service-harness.js";

// Commands, from the comment to the reply: what no command may be is refused before anything is read,
// a malformed one is answered with its usage, and `/delegate` checks the commenter's standing with
// GitHub at that moment, records, re-evaluates what it changed and says so in the thread.

const HEAD = "1".repeat(40);

function request(body: string, overrides: Partial<CommandRequest> = {}): CommandRequest {
  return {
    subject: "pull_request",
    number: 7,
    repoHtmlUrl: "https://github.com/acme/widgets",
    comment: { id: 501, url: "https://github.com/acme/widgets/pull/7#issuecomment-501", body },
    sender: { id: 1001, login: "alice", type: "User" },
    performedVia: null,
    ...overrides,
  };
}


describe("runCommand", () => {
  const world = useServiceWorld();

  test("a comment without a command is left alone", async () => {
    const { services, github, event } = world();
    expect(await runCommand(services, event(), COMMANDS, request("Looks good to me"))).toBe(false);
    expect(github.calls).toEqual([]);
  });

  test("a command posted through an app is refused in the thread and recorded, before anything is read", async () => {
    const { services, github, event } = world();
    const viaApp = request("/delegate SEC-7", { performedVia: { id: 99, slug: "some-agent", name: "Some Agent" } });
    expect(await runCommand(services, event(), COMMANDS, viaApp)).toBe(true);
    expect(github.calls.map((call) => call.operation)).toEqual(["postComment"]);
    expect(github.comments).toEqual([expect.objectContaining({ issueNumber: 7, body: expect.stringContaining("posted through the GitHub App") })]);
    expect(await auditTypes(services.db)).toEqual(["delegation.refused"]);
    expect(await services.db.prisma.delegation.count()).toBe(0);
  });

  test("a bot's command is refused: only people can delegate", async () => {
    const { services, github, event } = world();
    await runCommand(services, event(), COMMANDS, request("/delegate SEC-7", { sender: { id: 5, login: "helper[bot]", type: "Bot" } }));
    expect(github.comments).toEqual([expect.objectContaining({ body: expect.stringContaining("only people can delegate or revoke") })]);
    expect(await services.db.prisma.delegation.count()).toBe(0);
  });

  test("a malformed command is answered with its usage", async () => {
    const { services, github, event } = world();
    await runCommand(services, event(), COMMANDS, request("/delegate not-a-task"));
    expect(github.comments).toEqual([expect.objectContaining({ body: expect.stringMatching(/could not read this command[\s\S]*Usage:[\s\S]*\/delegate <task>/) })]);
    expect(await auditTypes(services.db)).toEqual(["command.malformed"]);
  });
});

describe("the /delegate command", () => {
  const world = useServiceWorld();

  test("a writer's delegation is recorded, the pull request re-evaluated, and the reply posted after the check run", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest());
    github.permissions.set("alice", "write");
    await runCommand(services, event(), COMMANDS, request("/delegate SEC-7"));
    // Standing is read fresh: delegating is judged at the moment of the command.
    expect(github.callsOf("permission")[0]).toEqual([expect.objectContaining({ owner: "acme", name: "widgets" }), "alice", { fresh: true }]);
    expect(await services.db.prisma.delegation.findMany()).toEqual([expect.objectContaining({ subjectNumber: 7, ownerLogin: "alice" })]);
    expect(github.checkRunsOn(HEAD)).toHaveLength(1);
    const operations = github.calls.map((call) => call.operation);
    expect(operations.lastIndexOf("postComment")).toBeGreaterThan(operations.indexOf("writeCheckRun"));
    expect(github.comments).toEqual([expect.objectContaining({ body: expect.stringContaining("- Owner: @alice") })]);
    expect(await auditTypes(services.db)).toContain("delegation.created");
  });

  test("someone with read permission is refused, nothing is recorded and nothing re-evaluated", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest());
    github.permissions.set("alice", "read");
    await runCommand(services, event(), COMMANDS, request("/delegate SEC-7"));
    expect(await services.db.prisma.delegation.count()).toBe(0);
    expect(github.checkRuns.size).toBe(0);
    expect(github.comments).toEqual([expect.objectContaining({ body: expect.stringContaining("did not record this command") })]);
  });

  test("a delegation on an issue re-evaluates the open pull requests that reference it", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest({ number: 8 }));
    github.issueReferences.set(12, [8]);
    github.permissions.set("alice", "write");
    await runCommand(services, event(), COMMANDS, request("/delegate @claude", { subject: "issue", number: 12 }));
    expect(github.callsOf("openPullRequestsReferencingIssue")).toEqual([[expect.objectContaining({ name: "widgets" }), 12]]);
    expect(github.callsOf("readPullRequest").map(([, number]) => number)).toEqual([8]);
    expect(github.checkRunsOn(HEAD)).toHaveLength(1);
  });

  test("only the owner or an admin may revoke", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest());
    github.permissions.set("alice", "write").set("bob", "write");
    await runCommand(services, event(), COMMANDS, request("/delegate SEC-7"));
    await runCommand(services, event(), COMMANDS, request("/delegate revoke", { sender: { id: 1002, login: "bob", type: "User" } }));
    expect(await services.db.prisma.delegation.findMany()).toEqual([expect.objectContaining({ status: "active" })]);
    // Logins in a refusal are escaped, so that the reply mentions nobody.
    expect(github.comments.at(-1)?.body).toMatch(/only the delegation's owner \(.*alice\) or a repository admin may revoke it/);
  });

  test("a failed re-read of the pull request throws, for the handler to fail closed", async () => {
    const { services, github, event } = world();
    github.fail("readPullRequest", httpError(502));
    await expect(runCommand(services, event(), COMMANDS, request("/delegate SEC-7"))).rejects.toMatchObject({ status: 502 });
    expect(await services.db.prisma.delegation.count()).toBe(0);
  });
});
