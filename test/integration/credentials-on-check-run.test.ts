import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { recordIssuedCredential } from "../../src/db/credentials.js";
import { commentEvent, pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { alice, bob, claude } from "../fixtures/people.js";
import { useApp } from "../helpers/use-app.js";

// The check run of a pull request whose delegation credentials were issued under says so in one line
// (how many, how many live), and never shows a token: the evidence page has the rest.

const ctx = useApp();
const HEAD = "c1".repeat(20);

describe("credentials on the check run", () => {
  test("a delegation with credentials issued under it is named with their count; the token is not shown", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(2, { number: 2, author: claude, headSha: HEAD, title: "Agent work", commits: [{ sha: HEAD, message: "Agent work", author: claude }], reviews: [], files: ["src/a.ts"] });
    github.expectEvaluation(2);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(2)));
    expect(github.checkRunOn(HEAD)?.summary).not.toContain("**Credentials:**");

    github.expectDelegation(2, "alice");
    await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "/delegate SEC-1", author: alice, commentId: 77 }));
    const delegation = await app.db.prisma.delegation.findFirstOrThrow();
    const now = new Date("2026-11-25T12:00:00Z"); // the test app's clock
    for (const [id, expiresAt] of [["cred_live", new Date(now.getTime() + 20 * 60_000)], ["cred_past", new Date(now.getTime() - 60_000)]] as const) {
      await recordIssuedCredential(app.db, {
        id,
        delegationId: delegation.id,
        repo: { id: Number(delegation.repoId), fullName: delegation.repoFullName },
        installationId: 9999,
        tokenSha256: `${id}-sha`,
        tokenHashedBase64: `${id}-hashed`,
        encryptedToken: "sealed-token-never-shown",
        permissions: { contents: "write" },
        workload: { iss: "https://token.actions.githubusercontent.com" },
        githubExpiresAt: new Date(now.getTime() + 60 * 60_000),
        expiresAt,
        issuedAt: now,
      });
    }

    github.expectEvaluation(2, { permissionLookups: ["bob"] });
    const pr = github.mustGet(2);
    pr.reviews.push({ id: 9, reviewer: bob, state: "APPROVED", commitSha: HEAD, submittedAt: now.toISOString() });
    await app.receive("pull_request_review", reviewEvent("submitted", pr, { id: 9, reviewer: bob, state: "approved", commitSha: HEAD }));

    expect(nock.pendingMocks()).toEqual([]);
    const summary = github.checkRunOn(HEAD)?.summary ?? "";
    expect(summary).toContain(`**Credentials:** Countersign issued 2 credentials under delegation \`${delegation.id}\` (1 live now)`);
    expect(summary).not.toContain("sealed-token-never-shown");
    expect(summary).not.toContain("cred_live-sha");
  });
});
