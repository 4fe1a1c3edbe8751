import { describe, expect, test } from "@jest/globals";
import { readTexts } from "../../../src/db/content-texts.js";
import { TASK_BODY_MAX_BYTES } from "../../../src/evidence/task-snapshot.js";
import { textHash } from "../../../src/evidence/text-ref.js";
import { COMMANDS } from "../../../src/services/commands.js";
import { runCommand, type CommandRequest } from "../../../src/services/run-command.js";
import { httpError } from "../../helpers/in-memory-github.js";
import { pullRequest } from "../policy/builders.js";
import { NOW, useServiceWorld } from "./service-harness.js";

// The task as it stood when it was delegated: an issue's title and body are read from GitHub and kept
// in the content store, the `delegation.created` event carrying their hash; a URL task keeps the URL.
// A failed read is said in the event, and the delegation is recorded all the same.

function request(body: string, overrides: Partial<CommandRequest> = {}): CommandRequest {
  return {
    subject: "issue",
    number: 12,
    repoHtmlUrl: "https://github.com/acme/widgets",
    comment: { id: 501, url: "https://github.com/acme/widgets/issues/12#issuecomment-501", body },
    sender: { id: 1001, login: "alice", type: "User" },
    performedVia: null,
    ...overrides,
  };
}

describe("the task snapshot of a delegation", () => {
  const world = useServiceWorld();

  async function createdPayload(): Promise<Record<string, any>> {
    const { services } = world();
    const events = await services.db.prisma.auditEvent.findMany({ where: { type: "delegation.created" } });
    expect(events).toHaveLength(1);
    return JSON.parse(events[0]!.payload) as Record<string, any>;
  }

  test("an issue delegation keeps the issue's title and body as GitHub served them, by hash", async () => {
    const { services, github, event } = world();
    github.permissions.set("alice", "write");
    const issue = { title: "Fix the login bug ✓", body: "Steps:\n1. open /login\n2. <script>alert(1)</script>" };
    github.issueTexts.set("acme/widgets#12", issue);
    await runCommand(services, event(), COMMANDS, request("/delegate @claude"));
    expect(await services.db.prisma.delegation.count()).toBe(1);
    const { taskSnapshot } = await createdPayload();
    const stored = JSON.stringify(issue);
    expect(taskSnapshot).toEqual({ hash: textHash(stored), bytes: Buffer.byteLength(stored), truncated: false, format: "issue", title: issue.title, fetchedAt: NOW.toISOString() });
    const texts = await readTexts(services.db, [taskSnapshot.hash]);
    expect(JSON.parse(texts.get(taskSnapshot.hash)!)).toEqual(issue);
  });

  test("a body over the bound is cut and flagged; a long title is capped in the event but kept whole in the text", async () => {
    const { services, github, event } = world();
    github.permissions.set("alice", "write");
    const title = "t".repeat(300);
    github.issueTexts.set("acme/widgets#12", { title, body: "é".repeat(TASK_BODY_MAX_BYTES) });
    await runCommand(services, event(), COMMANDS, request("/delegate @claude"));
    const { taskSnapshot } = await createdPayload();
    expect(taskSnapshot).toMatchObject({ truncated: true, title: "t".repeat(256), titleTruncated: true });
    const kept = JSON.parse((await readTexts(services.db, [taskSnapshot.hash])).get(taskSnapshot.hash)!) as { title: string; body: string };
    expect(kept.title).toBe(title);
    expect(Buffer.byteLength(kept.body)).toBe(TASK_BODY_MAX_BYTES);
    expect(kept.body).toBe("é".repeat(TASK_BODY_MAX_BYTES / 2));
  });

  test("when the issue cannot be read the delegation is still recorded, and the event says why there is no snapshot", async () => {
    const { services, github, event } = world();
    github.permissions.set("alice", "write");
    github.fail("issueText", httpError(502, "Bad Gateway"));
    await runCommand(services, event(), COMMANDS, request("/delegate @claude"));
    expect(await services.db.prisma.delegation.count()).toBe(1);
    expect((await createdPayload()).taskSnapshot).toEqual({ error: "GitHub answered 502 when the issue was read", fetchedAt: NOW.toISOString() });
    expect(await services.db.prisma.contentText.count()).toBe(0);
  });

  test("a URL task keeps the URL itself, without asking GitHub", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest());
    github.permissions.set("alice", "write");
    await runCommand(services, event(), COMMANDS, request("/delegate https://tracker.example.com/T-1", { subject: "pull_request", number: 7 }));
    const { taskSnapshot } = await createdPayload();
    expect(taskSnapshot).toMatchObject({ hash: textHash("https://tracker.example.com/T-1"), format: "url", truncated: false, title: null });
    expect(github.callsOf("issueText")).toEqual([]);
  });

  test("a pull request delegated with an issue as its task keeps that issue's text", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest());
    github.permissions.set("alice", "write");
    github.issueTexts.set("acme/widgets#3", { title: "Add caching", body: "" });
    await runCommand(services, event(), COMMANDS, request("/delegate #3", { subject: "pull_request", number: 7 }));
    const { taskSnapshot } = await createdPayload();
    expect(taskSnapshot).toMatchObject({ hash: textHash(JSON.stringify({ title: "Add caching", body: "" })), title: "Add caching" });
    expect(github.callsOf("issueText")).toEqual([[expect.objectContaining({ name: "widgets" }), 3]]);
  });
});
