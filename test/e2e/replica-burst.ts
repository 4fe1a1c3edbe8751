import { alice, bob, claude } from "../fixtures/people.js";
import type { FakeGhesState } from "./fake-ghes.js";

// The world the replica tests burst into: agent pull requests by Claude that alice may delegate and
// bob has approved, as GitHub shows them at the end of their story.

/** Claude's pull requests `numbers`, each with bob's approval of its head `sha(number)`; alice and bob can write. */
export function approvedAgentPullRequests(state: FakeGhesState, numbers: readonly number[], sha: (number: number) => string): void {
  state.permissions.set(alice.login, "write");
  state.permissions.set(bob.login, "write");
  for (const number of numbers) {
    state.pulls.set(number, {
      number,
      author: claude,
      headSha: sha(number),
      commits: [{ sha: sha(number), message: "Agent change", author: claude }],
      reviews: [{ id: number * 10, reviewer: bob, state: "APPROVED", commitSha: sha(number), submittedAt: "2026-11-25T12:00:00Z" }],
      files: ["src/a.ts"],
    });
  }
}
