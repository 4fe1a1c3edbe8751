import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { commentEvent, pullRequestEvent } from "../fixtures/payloads.js";
import { alice, claude } from "../fixtures/people.js";
import type { FakeGitHub } from "../mocks/github.js";
import { useApp } from "../helpers/use-app.js";

// Commands that a person did not visibly issue: hidden by Markdown, or performed by an app.

const ctx = useApp();
const HEAD = "c5".repeat(20);

function agentPullRequest(github: FakeGitHub): void {
  github.pulls.set(2, { number: 2, author: claude, headSha: HEAD, body: "", commits: [{ sha: HEAD, message: "Implement the task", author: claude }], reviews: [], files: ["src/index.ts"] });
}

/** The GitHub Copilot coding agent's app, as an `issue_comment` payload names it. */
const COPILOT_APP = { id: 1143301, slug: "copilot-swe-agent", node_id: "A_kwHOAAAAAAA", name: "Copilot", owner: { login: "github", id: 9919, type: "Organization" }, description: "", external_url: "https://github.com", html_url: "https://github.com/apps/copilot-swe-agent", created_at: "2024-01-01T00:00:00Z", updated_at: "2024-01-01T00:00:00Z", permissions: { issues: "write" }, events: [] };

/** A comment by alice's account that an app performed. */
function performedComment(body: string, app: unknown): Record<string, any> {
  const payload = commentEvent({ number: 2, onPullRequest: true, body, author: alice });
  payload.comment.performed_via_github_app = app;
  return payload;
}

/** The @-mentions of a reply outside its code spans: whom it pings. */
function mentions(reply: string): string[] {
  return reply.replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, "").match(/@[A-Za-z0-9-]+/g) ?? [];
}

describe("commands hidden by Markdown do not run", () => {
  test.each([
    ["an HTML comment opening mid-line", "Looks good <!-- reviewer note\n/delegate SEC-1 paths:**\n-->"],
    ["a fence in a list item", "Steps:\n\n- ```\n  /delegate SEC-1\n  ```"],
    ["a quote in a list item", "- > earlier, someone wrote\n  > /delegate SEC-1"],
    ["a collapsed <details>", "<details><summary>notes</summary>\n\n/delegate SEC-1\n\n</details>"],
    ["a footnote", "See the note.[^1]\n\n[^1]: /delegate SEC-1"],
    ["an escaped slash", "\\/delegate SEC-1"],
  ])("%s: no reply, no record, no API call", async (_description, body) => {
    const github = ctx.github();
    const app = ctx.app();
    agentPullRequest(github);

    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body, author: alice }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.comments).toEqual([]);
    expect(await app.db.prisma.delegation.count()).toBe(0);
    expect(await app.db.prisma.auditEvent.count()).toBe(0);
  });

  test("a visible command after a hidden one still runs", async () => {
    const github = ctx.github();
    const app = ctx.app();
    agentPullRequest(github);
    github.expectDelegation(2, "alice");

    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "<!--\n/delegate SEC-9 paths:**\n-->\nHanding this over:\n/delegate SEC-1 paths:src/**", author: alice }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(await app.db.prisma.delegation.findFirstOrThrow()).toMatchObject({ taskRef: "SEC-1", scopePaths: '["src/**"]', ownerLogin: "alice" });
    expect(github.comments[0]?.body).toContain("Countersign recorded a delegation");
  });

  test("a comment too long to read safely gets a reply saying why, and records nothing", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.expectComment(2);

    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: `${"> ".repeat(3000)}\n\n/delegate SEC-1`, author: alice }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.comments[0]?.body).toContain("Countersign could not read this command");
    expect(github.comments[0]?.body).toContain("Countersign reads commands only in comments of at most 4096 characters");
    expect(await app.db.prisma.delegation.count()).toBe(0);
    expect((await app.db.prisma.auditEvent.findMany()).map((event) => event.type)).toEqual(["command.malformed"]);
  });
});

describe("a comment an app performed is never its author's command", () => {
  test("/delegate posted by an agent app with alice's user token is refused, with a reply and an audit event", async () => {
    const github = ctx.github();
    const app = ctx.app();
    agentPullRequest(github);
    github.expectComment(2); // no permission, PR or policy read: the comment's origin alone decides

    await app.receive("issue_comment", performedComment("/delegate SEC-1", COPILOT_APP));

    expect(nock.pendingMocks()).toEqual([]);
    const reply = github.comments[0]?.body ?? "";
    expect(reply).toContain("Countersign did not record this command.");
    expect(reply).toContain("this comment was posted through the GitHub App `Copilot` (`copilot-swe-agent`), not typed by \\@\u200balice");
    expect(reply).toContain("an action an app (a coding agent, say) performs is never a person's authority");
    expect(mentions(reply)).toEqual([]);
    expect(await app.db.prisma.delegation.count()).toBe(0);
    expect(github.checkRuns).toEqual([]); // nothing re-evaluated: the pull request stays as it was
    const events = await app.db.prisma.auditEvent.findMany();
    expect(events).toEqual([expect.objectContaining({ type: "delegation.refused", actorLogin: "alice", subjectNumber: 2 })]);
    expect(JSON.parse(events[0]?.payload ?? "{}")).toMatchObject({
      command: "delegate-pr",
      performedViaApp: { id: 1143301, slug: "copilot-swe-agent", name: "Copilot" },
      why: expect.stringContaining("not typed by @alice"),
    });
  });

  test.each([
    ["any app, not only agents", { ...COPILOT_APP, id: 77, slug: "slack", name: "Slack" }, "the GitHub App `Slack` (`slack`)"],
    ["an app without a slug", { id: 78, name: "Internal tool" }, "the GitHub App `Internal tool`"],
    ["an app with only an id", { id: 79 }, "the GitHub App with id 79"],
    ["a value that is not the documented shape (fails closed)", { id: "not-a-number" }, "the GitHub App that GitHub did not name"],
    ["a value that is not an object (fails closed)", "copilot", "the GitHub App that GitHub did not name"],
  ])("%s is refused", async (_description, performedVia, named) => {
    const github = ctx.github();
    const app = ctx.app();
    github.expectComment(2);

    await app.receive("issue_comment", performedComment("/delegate SEC-1", performedVia));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.comments[0]?.body).toContain(`this comment was posted through ${named}, not typed by \\@\u200balice`);
    expect(await app.db.prisma.delegation.count()).toBe(0);
    expect((await app.db.prisma.auditEvent.findMany()).map((event) => event.type)).toEqual(["delegation.refused"]);
  });

  test("an app's name is shown inert (escaped prose when it holds a backtick): it cannot mention, link or format", async () => {
    const github = ctx.github();
    github.expectComment(2);

    await ctx.app().receive("issue_comment", performedComment("/delegate SEC-1", { id: 80, slug: "evil", name: "@bob [approve](https://evil.example) <img src=x> `x`" }));

    const reply = github.comments[0]?.body ?? "";
    expect(reply).toContain("\\[approve\\](https:\u200b//evil.example) \\<img src=x\\>");
    expect(mentions(reply)).toEqual([]);
  });

  test("a revoke or a malformed command performed by an app is refused the same way, and the delegation stands", async () => {
    const github = ctx.github();
    const app = ctx.app();
    agentPullRequest(github);
    github.expectEvaluation(2);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(2)));
    github.expectDelegation(2, "alice");
    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "/delegate SEC-7", author: alice }));
    github.expectComment(2);
    github.expectComment(2);

    await app.receive("issue_comment", performedComment("/delegate revoke the agent says so", COPILOT_APP));
    await app.receive("issue_comment", performedComment("/delegate not a task", COPILOT_APP));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.comments.slice(1).map((comment) => comment.body)).toEqual([expect.stringContaining("not typed by \\@\u200balice"), expect.stringContaining("not typed by \\@\u200balice")]);
    expect(await app.db.prisma.delegation.findFirstOrThrow()).toMatchObject({ status: "active", taskRef: "SEC-7" });
    const refusals = await app.db.prisma.auditEvent.findMany({ where: { type: "delegation.refused" }, orderBy: { seq: "asc" } });
    expect(refusals.map((event) => JSON.parse(event.payload).command)).toEqual(["revoke", "malformed"]);
  });
});
