import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { commentEvent, pullRequestEvent } from "../fixtures/payloads.js";
import { alice, claude, erin } from "../fixtures/people.js";
import { sweepExpiredDelegations } from "../../src/services/expire-delegations.js";
import { useApp } from "../helpers/use-app.js";

const ctx = useApp();
const HEAD = "a7".repeat(20);

describe("delegation expiry", () => {
  test("an expired delegation is marked by the sweep, logged, and its pull request blocked again at once", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(4, { number: 4, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: claude }], reviews: [], files: ["a.ts"] });
    github.expectEvaluation(4);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(4)));
    github.expectDelegation(4, "alice");
    await app.receive("issue_comment", commentEvent({ number: 4, onPullRequest: true, body: "/delegate SEC-3 expires:2h", author: alice }));
    expect(github.checkRunOn(HEAD)?.title).toBe("Needs approval by someone other than @alice");

    // Nothing expires early.
    expect(await sweepExpiredDelegations(app.services, (id) => app.probot.auth(id), app.probot.log)).toBe(0);

    app.now.value = new Date(app.now.value.getTime() + 2 * 3_600_000 + 1);
    github.expectEvaluation(4);
    expect(await sweepExpiredDelegations(app.services, (id) => app.probot.auth(id), app.probot.log)).toBe(1);

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(run).toMatchObject({ conclusion: "action_required", title: "Needs a delegation" });
    expect(run?.summary).toMatch(/The latest delegation `dlg_[0-9a-f]{16}` by @alice expired at 2026-11-25T14:00:00.000Z/);
    expect(run?.summary).toContain("delivery none (scheduled)");
    expect(await app.db.prisma.delegation.findFirstOrThrow()).toMatchObject({ status: "expired" });
    expect(await app.db.prisma.auditEvent.findFirst({ where: { type: "delegation.expired" } })).toMatchObject({ subjectNumber: 4 });
    // A second sweep finds nothing more to do.
    expect(await sweepExpiredDelegations(app.services, (id) => app.probot.auth(id), app.probot.log)).toBe(0);
  });
});

describe("agent-written text in the evidence", () => {
  test("trailers with Markdown, HTML and mentions are shown inert", async () => {
    const github = ctx.github();
    const hostile = "Assisted-by: [Approved by security](https://evil.example) <img src=x onerror=alert(1)> @security-team ``` ##";
    github.pulls.set(9, {
      number: 9,
      author: erin,
      headSha: HEAD,
      title: "[Click me](https://evil.example)",
      headRef: "claude/<script>",
      commits: [{ sha: HEAD, message: `Refactor\n\n${hostile}`, author: erin }],
      reviews: [],
      files: ["a.ts"],
    });
    github.expectEvaluation(9);

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(9)));

    expect(nock.pendingMocks()).toEqual([]);
    const summary = github.checkRunOn(HEAD)?.summary ?? "";
    // The whole trailer is one code span, fenced with more backticks than it contains.
    expect(summary).toContain(`trailer \`\`\`\`${hostile}\`\`\`\` (Assisted-by trailer)`);
    // Outside code spans there is no link, image or HTML an agent wrote.
    const outsideCode = summary.replace(/(`+)[^`][\s\S]*?\1/g, "");
    expect(outsideCode).not.toContain("evil.example");
    expect(outsideCode).not.toContain("<img");
    expect(outsideCode).not.toContain("@security-team");
  });
});
