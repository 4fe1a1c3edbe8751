import { generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { beforeEach, describe, expect, test } from "@jest/globals";
import { Probot, ProbotOctokit } from "probot";
import { commandRegistry, type CommandRegistry } from "../../src/commands/registry.js";
import { issueCommentHandler } from "../../src/handlers/issue-comment.js";
import { COMMANDS } from "../../src/services/commands.js";
import type { CommandEntry, CommandRequest } from "../../src/services/run-command.js";
import { commentEvent } from "../fixtures/payloads.js";
import { alice, claude } from "../fixtures/people.js";
import { useApp } from "../helpers/use-app.js";

// The issue_comment handler knows commands only through the registry it is given: a command added to
// a registry is found, refused and answered like `/delegate`, and a word no entry names is ignored.
// Each test runs the handler over a test-local registry, on a Probot instance of its own.

const ctx = useApp();
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });

type Echo = { kind: "echo"; text: string };
type Ping = { kind: "ping" };

/** What the fake commands were asked to perform, in order. */
let performed: Array<{ command: Echo | Ping; request: CommandRequest }>;

beforeEach(() => {
  performed = [];
});

const ECHO: CommandEntry<Echo> = {
  name: "/echo",
  parse(line) {
    const text = line.slice("/echo".length).trim();
    return text ? { ok: true, command: { kind: "echo", text } } : { ok: false, error: "nothing to echo" };
  },
  usage: (subject) => `/echo <text> (on ${subject === "issue" ? "an issue" : "a pull request"})`,
  action: "echo",
  refusedEvent: "delegation.refused",
  async perform(_services, _event, request, command) {
    performed.push({ command, request });
  },
};

const PING: CommandEntry<Ping> = {
  name: "/ping",
  parse: () => ({ ok: true, command: { kind: "ping" } }),
  usage: () => "/ping",
  action: "ping",
  refusedEvent: "delegation.refused",
  async perform(_services, _event, request, command) {
    performed.push({ command, request });
  },
};

/** Delivers an issue_comment.created to the handler over `registry`, and waits for it. */
async function deliver(registry: CommandRegistry<CommandEntry<{ kind: string }>>, payload: Record<string, unknown>): Promise<void> {
  const probot = new Probot({
    appId: 123456,
    privateKey,
    logLevel: "fatal",
    Octokit: ProbotOctokit.defaults((options: Record<string, any>) => ({ ...options, retry: { enabled: false }, throttle: { ...options.throttle, enabled: false } })),
  });
  const handle = issueCommentHandler(registry);
  await probot.load((app) => {
    app.on("issue_comment.created", (context) => handle(ctx.app().services, context));
  });
  await probot.receive({ id: "registry-test", name: "issue_comment", payload } as never);
}

const onPullRequest = (body: string, author = alice) => commentEvent({ number: 2, onPullRequest: true, body, author });

describe("the handler dispatches through the registry it is given", () => {
  test("a visible line naming a registered command reaches that command's service, parsed", async () => {
    await deliver(commandRegistry([ECHO, PING]), onPullRequest("Checking:\n/echo Hello there"));

    expect(performed).toEqual([{ command: { kind: "echo", text: "Hello there" }, request: expect.objectContaining({ subject: "pull_request", number: 2, sender: expect.objectContaining({ login: "alice" }) }) }]);
    expect(nock.pendingMocks()).toEqual([]);
    expect(ctx.github().comments).toEqual([]);
  });

  test("the first visible command wins, whichever entry it belongs to; names are matched ignoring case", async () => {
    await deliver(commandRegistry([ECHO, PING]), onPullRequest("> /echo quoted, so hidden\n\n/PING\n/echo later"));

    expect(performed.map((call) => call.command)).toEqual([{ kind: "ping" }]);
  });

  test.each([
    ["`/delegate`, which this registry does not hold", "/delegate SEC-1 paths:**"],
    ["an unknown word", "/unknown thing"],
    ["a longer word that starts with a name", "/echoes hello"],
    ["a name inside a word", "x/echo hello"],
    ["a registered command hidden in code", "```\n/echo hello\n```"],
  ])("%s is ignored: no service, no reply, no record, no API call", async (_description, body) => {
    await deliver(commandRegistry([ECHO, PING]), onPullRequest(body));

    expect(performed).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
    expect(ctx.github().comments).toEqual([]);
    expect(await ctx.app().db.prisma.auditEvent.count()).toBe(0);
  });

  test("a malformed line gets the entry's usage, and is recorded as malformed", async () => {
    ctx.github().expectComment(2);

    await deliver(commandRegistry([ECHO]), onPullRequest("/echo"));

    expect(performed).toEqual([]);
    expect(ctx.github().comments).toEqual([{ issueNumber: 2, body: expect.stringContaining("**Countersign could not read this command:** nothing to echo.") }]);
    expect(ctx.github().comments[0]?.body).toContain("/echo <text> (on a pull request)");
    expect(await ctx.app().db.prisma.auditEvent.findMany()).toEqual([expect.objectContaining({ type: "command.malformed", actorLogin: "alice" })]);
  });

  test("every entry gets the refusals no command escapes: a comment an app performed, and a bot's", async () => {
    ctx.github().expectComment(2);
    ctx.github().expectComment(2);
    const viaApp = onPullRequest("/echo hi");
    viaApp.comment.performed_via_github_app = { id: 77, slug: "some-agent", name: "Some Agent" };

    await deliver(commandRegistry([ECHO]), viaApp);
    await deliver(commandRegistry([ECHO]), onPullRequest("/echo hi", claude));

    expect(performed).toEqual([]);
    expect(ctx.github().comments.map((comment) => comment.body)).toEqual([
      expect.stringMatching(/not typed by .*alice.* To echo, .*alice must post the command themselves\./),
      expect.stringMatching(/claude.* is a bot account: only people can echo\./),
    ]);
    const events = await ctx.app().db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } });
    expect(events.map((event) => [event.type, JSON.parse(event.payload).command])).toEqual([
      ["delegation.refused", "echo"],
      ["delegation.refused", "echo"],
    ]);
  });
});

describe("the registry", () => {
  test("Countersign's registry holds `/delegate`, and only there is the name written", () => {
    expect(COMMANDS.entries.map((entry) => entry.name)).toEqual(["/delegate"]);
  });

  test.each([
    ["a name registered twice", [PING, PING], "/ping is registered twice"],
    ["a name without its slash", [{ ...PING, name: "ping" }], "not a command name: ping"],
    ["a name a pattern would read as more than itself", [{ ...PING, name: "/p.ng" }], "not a command name: /p.ng"],
    ["no names", [], "no command names"],
  ])("%s is refused when the registry is built", (_description, entries, message) => {
    expect(() => commandRegistry(entries)).toThrow(message);
  });
});
