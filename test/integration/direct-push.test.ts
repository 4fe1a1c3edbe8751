import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { pushEvent } from "../fixtures/payloads.js";
import { alice, claude } from "../fixtures/people.js";
import { useApp } from "../helpers/use-app.js";

const ctx = useApp();
const SHA = "f1".repeat(20);

describe("pushes", () => {
  test("12. an agent's direct push to the default branch gets a failing check on the pushed commit", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.expectPolicyRead();
    github.expectCheckRunWrite(SHA);

    const delivery = await app.receive("push", pushEvent({ ref: "refs/heads/main", after: SHA, sender: claude, commits: [{ id: SHA, message: "Hotfix [skip review](https://evil.example)" }] }));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(SHA);
    expect(run).toMatchObject({ name: "Countersign", conclusion: "failure", title: "Direct push by an agent, not reviewed" });
    expect(run?.summary).toContain("@claude\\[bot\\] (id 209825114), the agent identity **Claude**, pushed directly to `refs/heads/main`");
    // The commit message is agent-written: shown as code, never as a link.
    expect(run?.summary).toContain("`Hotfix [skip review](https://evil.example)`");
    // Recorded as an agent's push (who GitHub says pushed), then flagged as a direct one.
    expect(await app.db.prisma.auditEvent.findMany({ orderBy: { seq: "asc" } })).toEqual([
      expect.objectContaining({ type: "push.agent", sha: SHA, actorLogin: "claude[bot]", deliveryId: delivery }),
      expect.objectContaining({ type: "push.flagged", sha: SHA, actorLogin: "claude[bot]", deliveryId: delivery }),
    ]);
    expect(await app.db.prisma.decision.findMany()).toEqual([expect.objectContaining({ headSha: SHA, conclusion: "failure", prNumber: null })]);
  });

  test("a person's push to the default branch, and an agent's push to another branch, are not flagged (the agent's is recorded)", async () => {
    const github = ctx.github();
    github.expectPolicyRead();
    await ctx.app().receive("push", pushEvent({ ref: "refs/heads/main", after: SHA, sender: alice }));
    await ctx.app().receive("push", pushEvent({ ref: "refs/heads/claude/feature", after: SHA, sender: claude }));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRuns).toEqual([]);
    // The agent's push is kept for the branch's pull request, now or later; the person's is not.
    expect((await ctx.app().db.prisma.auditEvent.findMany()).map((event) => [event.type, event.actorLogin])).toEqual([["push.agent", "claude[bot]"]]);
    expect(await ctx.app().db.prisma.agentPush.findMany()).toEqual([expect.objectContaining({ branch: "claude/feature", afterSha: SHA, pusherLogin: "claude[bot]", source: "push" })]);
  });
});
