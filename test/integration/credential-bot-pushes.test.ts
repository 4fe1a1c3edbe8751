import { generateKeyPairSync, randomBytes } from "node:crypto";
import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { ProbotOctokit } from "probot";
import { pullRequestEvent } from "../fixtures/payloads.js";
import { erin } from "../fixtures/people.js";
import { createTestApp } from "../helpers/test-app.js";
import { useApp } from "../helpers/use-app.js";

// Pushes made with an issued token are the credential app's bot's: through a real Probot, the app
// reads the credential app's slug once (GET /app, with that app's JWT), and a push by `<slug>[bot]`
// into a person's pull request makes it agent-touched; with no credential live at the time, the
// summary says so plainly.

const ctx = useApp();
const FIRST = "a1".repeat(20);
const PUSHED = "b2".repeat(20);
const privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const bot = { id: 91919191, login: "countersign-agents[bot]", type: "Bot" as const };

describe("the credential app's bot", () => {
  test("its push into a person's pull request (commit authored as the person, no trailer) makes it agent-touched, and the summary says no credential was live", async () => {
    const github = ctx.github();
    const slugReads = nock("https://api.github.com").get("/app").once().reply(200, { id: 5151, slug: "countersign-agents", name: "Countersign agents" });
    const app = await createTestApp({
      credentials: {
        // No credential sweep: its timer would outlive the test's database (the sweep has its own tests).
        app: { appId: 5151, privateKey, tokenKey: randomBytes(32), ratePerMinute: 60, sweepMs: 0 },
        ratePerMinute: 60,
        octokitWithToken: (token) => new ProbotOctokit({ auth: { token }, retry: { enabled: false }, throttle: { enabled: false } }),
      },
    });
    try {
      github.pulls.set(40, { number: 40, author: erin, headRef: "erin/ledger", headSha: FIRST, commits: [{ sha: FIRST, message: "Add the ledger export", author: erin }], reviews: [], files: ["src/ledger.ts"] });
      const pr = github.mustGet(40);
      pr.headSha = PUSHED;
      pr.commits.push({ sha: PUSHED, message: "Tidy the export", author: erin });
      github.expectEvaluation(40);
      await app.receive("pull_request", pullRequestEvent("synchronize", pr, bot));
      expect(slugReads.isDone()).toBe(true);
      const run = github.checkRunOn(PUSHED);
      expect(run?.conclusion).toBe("action_required");
      expect(run?.summary).toContain("pushed to this branch by @countersign-agents\\[bot\\] (id 91919191), **Countersign credential app**");
      expect(run?.summary).toContain("**no credential Countersign issued was live when it was pushed**");
      expect(await app.db.prisma.agentPush.findMany()).toEqual([expect.objectContaining({ pusherLogin: "countersign-agents[bot]", identity: "Countersign credential app" })]);
    } finally {
      await app.close();
    }
  });
});
