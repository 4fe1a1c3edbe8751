import { describe, expect, test } from "@jest/globals";
import type { StoredEvent } from "../../../src/audit/chain.js";
import { buildStory, referencedTextHashes } from "../../../src/evidence/pr-story.js";

// The story reads the stored texts' hashes from the events that carry them (a delegation's task
// snapshot, a decision's context and policy), and an event recorded before they were kept, or one
// whose new part does not parse, keeps every other fact it had.

const HEAD = "b1".repeat(20);
const h = (digit: string) => digit.repeat(64);

function event(seq: number, type: string, payload: Record<string, unknown>): StoredEvent {
  return { seq, type, repoId: 1, repoFullName: "acme/widgets", subjectNumber: 7, sha: type === "decision" ? HEAD : null, actorId: 1001, actorLogin: "alice", deliveryId: `d-${seq}`, payload: JSON.stringify(payload), createdAt: new Date(`2026-12-01T12:0${seq}:00Z`), hash: h(String(seq)), prevHash: h(String(seq - 1)) };
}

const delegated = (taskSnapshot: unknown) => ({ delegationId: "dlg_1", owner: { id: 1001, login: "alice" }, task: { kind: "issue", ref: "#12", url: null }, taskSnapshot });
const decided = (extra: Record<string, unknown>) => ({ conclusion: "action_required", title: "Needs approval", delegationId: "dlg_1", policyHash: h("a"), policySource: "acme/widgets:.github/countersign.yml@main", ...extra });

describe("the stored texts a story refers to", () => {
  test("the snapshot, the changed paths and the policy texts are read from their events, each hash once", () => {
    const snapshot = { hash: h("c"), bytes: 40, truncated: false, format: "issue", title: "Fix it", fetchedAt: "2026-12-01T12:01:00.000Z" };
    const context = { title: "Fix it", headSha: HEAD, baseSha: null, changedFiles: { hash: h("d"), count: 1, truncated: false } };
    const policy = { hash: h("a"), source: "x", textHash: h("a"), files: [{ repository: "acme/widgets", path: ".github/countersign.yml", blobSha: "be".repeat(20), commitSha: null, textHash: h("e") }] };
    const story = buildStory("acme/widgets", 7, [event(1, "delegation.created", delegated(snapshot)), event(2, "decision", decided({ reasons: ["approvals:0/1"], context, policy })), event(3, "decision", decided({ context, policy }))]);
    expect(story.delegations[0]?.taskSnapshot).toEqual(snapshot);
    expect(story.decisions[0]).toMatchObject({ reasons: ["approvals:0/1"], context, policyTextHash: h("a"), policyFiles: policy.files });
    expect(referencedTextHashes(story)).toEqual([h("c"), h("d"), h("a"), h("e")]);
  });

  test("an older event without them, or a part that does not parse, keeps the rest of its facts", () => {
    const story = buildStory("acme/widgets", 7, [
      event(1, "delegation.created", delegated({ hash: "not-a-hash" })),
      event(2, "decision", decided({ context: { title: 5 }, policy: "nonsense", reasons: "approvals" })),
      event(3, "decision", decided({})),
    ]);
    expect(story.delegations).toEqual([expect.objectContaining({ id: "dlg_1", task: { kind: "issue", ref: "#12", url: null }, taskSnapshot: null })]);
    expect(story.decisions).toHaveLength(2);
    expect(story.decisions[0]).toMatchObject({ conclusion: "action_required", policyHash: h("a"), reasons: [], context: null, policyTextHash: null, policyFiles: null });
    expect(referencedTextHashes(story)).toEqual([]);
  });

  test("a snapshot that failed is kept as the error it records, and refers to no text", () => {
    const story = buildStory("acme/widgets", 7, [event(1, "delegation.created", delegated({ error: "GitHub answered 502 when the issue was read", fetchedAt: "2026-12-01T12:01:00.000Z" }))]);
    expect(story.delegations[0]?.taskSnapshot).toEqual({ error: "GitHub answered 502 when the issue was read", fetchedAt: "2026-12-01T12:01:00.000Z" });
    expect(referencedTextHashes(story)).toEqual([]);
  });
});
