import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { commentEvent, pullRequestEvent } from "../fixtures/payloads.js";
import { alice, claude } from "../fixtures/people.js";
import { API } from "../mocks/github.js";
import { useApp } from "../helpers/use-app.js";

const ctx = useApp();
const HEAD = "c1".repeat(20);

describe("failing closed", () => {
  test("13. a GitHub API error during evaluation blocks with 'could not evaluate' and an error id, replacing an earlier success", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(5, { number: 5, author: alice, headSha: HEAD, commits: [{ sha: HEAD, message: "Docs", author: alice }], reviews: [], files: ["docs/a.md"] });
    github.expectEvaluation(5);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(5)));
    expect(github.checkRunOn(HEAD)?.conclusion).toBe("success");

    nock(API).post("/graphql").reply(502, { message: "Server Error" });
    github.expectCheckRunWrite(HEAD);
    await app.receive("pull_request", pullRequestEvent("edited", github.mustGet(5)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(github.checkRuns).toHaveLength(1); // the same check run: the success did not survive
    expect(run).toMatchObject({ conclusion: "failure", title: "Could not evaluate: blocked until Countersign can" });
    const errorId = /Error id: `(cs-[0-9a-f]{10})`/.exec(run?.summary ?? "")?.[1];
    expect(errorId).toMatch(/^cs-[0-9a-f]{10}$/);
    expect(run?.summary).toContain("What failed: `GitHub API error: HTTP 502 on POST /graphql`");
    const decision = await app.db.prisma.decision.findFirstOrThrow({ where: { errorId } });
    expect(decision).toMatchObject({ conclusion: "failure", headSha: HEAD, prNumber: 5 });
    expect(await app.db.prisma.auditEvent.findFirst({ where: { type: "evaluation.failed" } })).toMatchObject({ sha: HEAD, subjectNumber: 5 });
  });

  test("after a failure, the next evaluation that decides as before writes its decision back (the failure is not mistaken for it)", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(5, { number: 5, author: alice, headSha: HEAD, commits: [{ sha: HEAD, message: "Docs", author: alice }], reviews: [], files: ["docs/a.md"] });
    github.expectEvaluation(5);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(5)));
    nock(API).post("/graphql").reply(502, { message: "Server Error" });
    github.expectCheckRunWrite(HEAD);
    await app.receive("pull_request", pullRequestEvent("edited", github.mustGet(5)));
    expect(github.checkRunOn(HEAD)?.conclusion).toBe("failure");

    // GitHub is back; nothing about the PR changed, so the decision is the first one's: it must be
    // written again, since the check run now shows the failure.
    github.expectEvaluation(5);
    await app.receive("pull_request", pullRequestEvent("edited", github.mustGet(5)));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRuns).toHaveLength(1);
    expect(github.checkRunOn(HEAD)?.conclusion).toBe("success");
  });

  test("14. an invalid .github/countersign.yml blocks, naming each bad key", async () => {
    const github = ctx.github();
    github.policyYaml = "approvals:\n  required: two\nagents:\n  identites: []\n";
    github.pulls.set(6, { number: 6, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: claude }], reviews: [], files: ["a.ts"] });
    github.expectEvaluation(6, { invalidPolicy: true });

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(6)));

    expect(nock.pendingMocks()).toEqual([]);
    const run = github.checkRunOn(HEAD);
    expect(run?.conclusion).toBe("failure");
    expect(run?.title).toMatch(/^Invalid \.github\/countersign\.yml: (approvals\.required|agents\.identites)$/);
    expect(run?.summary).toContain("| `Codertocat/Hello-World:.github/countersign.yml@main` | `approvals.required` |");
    expect(run?.summary).toContain("| `Codertocat/Hello-World:.github/countersign.yml@main` | `agents.identites` | unknown key |");
    expect(await ctx.app().db.prisma.decision.findFirstOrThrow()).toMatchObject({ conclusion: "failure" });
  });

  test("a policy file that is not YAML blocks too, and never falls back to the defaults", async () => {
    const github = ctx.github();
    github.policyYaml = "approvals: [unclosed\n";
    github.pulls.set(6, { number: 6, author: alice, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: alice }], reviews: [], files: ["a.ts"] });
    github.expectEvaluation(6, { invalidPolicy: true });

    await ctx.app().receive("pull_request", pullRequestEvent("opened", github.mustGet(6)));

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(HEAD)).toMatchObject({ conclusion: "failure", title: "Invalid .github/countersign.yml: (file)" });
  });
});

describe("rate limits", () => {
  test("a rate-limited evaluation blocks meanwhile and is tried again when GitHub allows", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(8, { number: 8, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: claude }], reviews: [], files: ["a.ts"] });
    nock(API).post("/graphql").reply(403, { message: "API rate limit exceeded for installation ID 1001." }, { "x-ratelimit-remaining": "0", "retry-after": "0" });
    github.expectCheckRunWrite(HEAD);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(8)));

    const blocked = github.checkRunOn(HEAD);
    expect(blocked?.conclusion).toBe("failure");
    expect(blocked?.summary).toContain("GitHub's rate limit was reached: Countersign tries again automatically at");
    expect(blocked?.summary).toContain("GitHub API refused the request (permission or rate limit): HTTP 403 on POST /graphql");

    // The retry runs on its own, without another webhook.
    github.expectEvaluation(8);
    for (let waited = 0; nock.pendingMocks().length > 0 && waited < 3000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    // The retry has read what it needs; its check-run write follows (however loaded the machine).
    await app.services.retries.settled();

    expect(nock.pendingMocks()).toEqual([]);
    expect(github.checkRunOn(HEAD)).toMatchObject({ conclusion: "action_required", title: "Needs a delegation" });
    expect(app.services.retries.size).toBe(0);
  });
});

describe("a command that fails", () => {
  test("blocks and says so in the thread, without claiming nothing was recorded (the failure can come after the delegation is)", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(6, { number: 6, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "Retry", author: claude }], reviews: [], files: ["src/a.ts"] });
    github.expectEvaluation(6);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(6)));

    nock(API).post("/graphql").reply(502, { message: "Server Error" });
    github.expectCheckRunWrite(HEAD);
    github.expectComment(6);
    await app.receive("issue_comment", commentEvent({ number: 6, onPullRequest: true, body: "/delegate SEC-1", author: alice, commentId: 9191 }));

    expect(nock.pendingMocks()).toEqual([]);
    const reply = github.comments.at(-1)?.body ?? "";
    expect(reply).toMatch(/^\*\*Countersign could not process this command\*\* \(error `cs-[0-9a-f]{10}`\)\. It may not have taken effect, or only in part/);
    expect(reply).toContain("Check it before giving the command again.");
    expect(reply).not.toContain("Nothing was recorded");
    expect(github.checkRunOn(HEAD)?.conclusion).toBe("failure");
  });
});
