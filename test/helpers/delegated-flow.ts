import nock from "nock";
import { expect } from "@jest/globals";
import { commentEvent, pullRequestEvent, reviewEvent } from "../fixtures/payloads.js";
import { alice, bob, claude } from "../fixtures/people.js";
import type { FakeGitHub } from "../mocks/github.js";
import type { TestApp } from "./test-app.js";

/** The head commit of the pull request `delegatedAndApproved` makes. */
export const DELEGATED_HEAD = "c1".repeat(20);

/**
 * Claude's PR #2 opened → `/delegate SEC-1` by alice → bob approves the head → success. Five audit
 * events: decision, delegation.created, decision, approval.counted, decision.
 */
export async function delegatedAndApproved(github: FakeGitHub, app: TestApp): Promise<void> {
  // A repository policy, so that decisions carry a real policy hash and the file as their source.
  github.policyYaml = "approvals:\n  required: 1\n";
  github.pulls.set(2, { number: 2, author: claude, headSha: DELEGATED_HEAD, title: "Add retries", commits: [{ sha: DELEGATED_HEAD, message: "Add retries", author: claude }], reviews: [], files: ["src/payments/client.ts"] });
  github.expectEvaluation(2);
  await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(2)));
  github.expectDelegation(2, "alice");
  await app.receive("issue_comment", commentEvent({ number: 2, onPullRequest: true, body: "/delegate SEC-1", author: alice, commentId: 4242 }));
  github.expectEvaluation(2, { permissionLookups: ["bob"] });
  const pr = github.mustGet(2);
  pr.reviews.push({ id: 502, reviewer: bob, state: "APPROVED", commitSha: DELEGATED_HEAD, submittedAt: "2026-11-25T12:10:00Z" });
  await app.receive("pull_request_review", reviewEvent("submitted", pr, { id: 502, reviewer: bob, state: "approved", commitSha: DELEGATED_HEAD }));
  expect(nock.pendingMocks()).toEqual([]);
  expect(github.checkRunOn(DELEGATED_HEAD)).toMatchObject({ conclusion: "success", title: "Countersigned: delegated by @alice, approved by @bob" });
}
