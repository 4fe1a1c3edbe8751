import { describe, expect, test } from "@jest/globals";
import { buildExportRecord, EXPORT_SCHEMA, toJsonLine } from "../../../../src/cli/audit/export.js";
import { referencedTextHashes, type PullRequestStory, type StoryDelegation } from "../../../../src/evidence/pr-story.js";
import { textHash } from "../../../../src/evidence/text-ref.js";

// The export record is assembled from a story alone: here a hand-built one for a delegated agent pull
// request that was re-delegated, approved by the delegator (rejected) and by an independent reviewer.

const HEAD = "b1".repeat(20);
const hash = (seq: number) => seq.toString(16).padStart(64, "0");
const ref = (seq: number) => ({ seq, hash: hash(seq), at: `2026-11-25T12:0${seq}:00.000Z` });
const inventory = [{ kind: "app", login: "claude[bot]", slug: "claude", name: "Claude", permissions: { contents: "write" }, events: ["pull_request"], readAt: "2026-11-25T12:02:00.000Z" }];

function delegation(seq: number, id: string, ended: StoryDelegation["ended"]): StoryDelegation {
  return {
    ...ref(seq),
    id,
    subject: { type: "pull_request", number: 2 },
    owner: { id: 1001, login: "alice" },
    task: { kind: "ticket", ref: "SEC-1", url: null },
    scopePaths: ["src/**"],
    scopeBranches: [],
    expiresAt: null,
    agent: { id: 209825114, login: "claude[bot]" },
    agentInventory: inventory,
    commandUrl: `https://github.com/acme/payments-api/pull/2#issuecomment-${seq}`,
    taskSnapshot: { hash: textHash("SEC-1"), bytes: 5, truncated: false, format: "ticket", title: null, fetchedAt: ref(seq).at },
    ended,
  };
}

const POLICY_FILE_TEXT = "approvals:\n  required: 1\n";
const POLICY_TEXT = "countersign-policy/3\nacme\ntrue\n{}";
const POLICY_HASH = textHash(POLICY_TEXT);
const POLICY_FILE = { repository: "acme/payments-api", path: ".github/countersign.yml", blobSha: "be".repeat(20), commitSha: "c0".repeat(20), textHash: textHash(POLICY_FILE_TEXT) };
const PATHS_TEXT = JSON.stringify(["src/pay.ts"]);
const CONTEXT = { title: "Fix payments", headSha: HEAD, baseSha: "ba".repeat(20), changedFiles: { hash: textHash(PATHS_TEXT), count: 1, truncated: false } };
/** The content store as the CLI reads it: every referenced text, and one the record does not refer to. */
const TEXTS = new Map([POLICY_TEXT, POLICY_FILE_TEXT, PATHS_TEXT, "SEC-1", "unrelated"].map((text) => [textHash(text), text]));

const story: PullRequestStory = {
  repository: "acme/payments-api",
  number: 2,
  agent: { involvement: "authored", agents: [{ login: "claude[bot]", id: 209825114, kind: "bot" }], signals: [{ kind: "author" }] },
  delegations: [delegation(2, "dlg_old", { ...ref(3), how: "revoked", by: "alice", reason: "wrong task" }), delegation(4, "dlg_new", null)],
  owner: { kind: "delegated", login: "alice", id: 1001 },
  approvals: [
    { ...ref(5), reviewer: "alice", reviewerId: 1001, reviewId: 501, commit: HEAD, counted: false, objections: ["delegator"] },
    { ...ref(7), reviewer: "bob", reviewerId: 1002, reviewId: 502, commit: HEAD, counted: true, objections: [] },
    // Known only from the latest decision's verdicts.
    { ...ref(8), reviewer: "erin", reviewerId: 1005, reviewId: 400, commit: "a0".repeat(20), counted: false, objections: ["stale"] },
  ],
  decisions: [
    { ...ref(1), headSha: HEAD, delegationId: null, conclusion: "action_required", title: "Needs a delegation", policyHash: "9f".repeat(32), policySource: "default", deliveryId: "d-1", tiers: [], requirements: [{ kind: "owner", met: false, sources: ["delegation.required"] }], reasons: ["owner:missing"], context: null, policyTextHash: null, policyFiles: null },
    { ...ref(8), headSha: HEAD, delegationId: "dlg_new", conclusion: "success", title: "Countersigned: delegated by @alice, approved by @bob", policyHash: "9f".repeat(32), policySource: "acme/payments-api:.github/countersign.yml@main", deliveryId: "d-8", tiers: ["sensitive"], requirements: [{ kind: "approvals", met: true, sources: ["approvals.required"] }], reasons: ["approvals:1/1"], context: CONTEXT, policyTextHash: POLICY_HASH, policyFiles: [POLICY_FILE] },
  ],
  pushes: [{ ...ref(1), sha: HEAD }],
  credentials: [],
  agentPushes: [],
  merges: [],
  timeline: [],
  chain: [1, 2, 3, 4, 5, 7, 8].map((seq) => ({ seq, type: "decision", hash: hash(seq), prevHash: hash(seq - 1), at: ref(seq).at, repoId: 1, repoFullName: "acme/payments-api", subjectNumber: 2, sha: null, actorId: null, actorLogin: null, deliveryId: null, payload: "{}" })),
};

const context = { head: { seq: 9, hash: hash(9) }, exportedAt: new Date("2026-11-26T09:00:00Z"), texts: TEXTS };

describe("the audit export record", () => {
  const record = buildExportRecord(story, context);

  test("identifies the pull request, the export and the latest outcome", () => {
    expect(record).toMatchObject({ schema: EXPORT_SCHEMA, exportedAt: "2026-11-26T09:00:00.000Z", repository: "acme/payments-api", pullRequest: 2, latest: { conclusion: "success", headSha: HEAD } });
  });

  test("(a) every task request: task, who requested it, the command, when, how it ended", () => {
    expect(record.taskRequests).toEqual([
      {
        delegationId: "dlg_old",
        task: { kind: "ticket", ref: "SEC-1", url: null },
        requestedBy: { login: "alice", id: 1001 },
        commandUrl: "https://github.com/acme/payments-api/pull/2#issuecomment-2",
        subject: { type: "pull_request", number: 2 },
        agent: { login: "claude[bot]", id: 209825114 },
        scope: { paths: ["src/**"], branches: [] },
        expiresAt: null,
        taskSnapshot: { hash: textHash("SEC-1"), bytes: 5, truncated: false, format: "ticket", title: null, fetchedAt: ref(2).at },
        ended: { how: "revoked", by: "alice", reason: "wrong task", recorded: ref(3) },
        recorded: ref(2),
      },
      expect.objectContaining({ delegationId: "dlg_new", ended: null, recorded: ref(4) }),
    ]);
  });

  test("(b) the owner, with the delegation the latest decision relied on (not the revoked one)", () => {
    expect(record.owner).toEqual({ kind: "delegated", account: { login: "alice", id: 1001 }, delegationId: "dlg_new", recorded: ref(8) });
  });

  test("(b) an implicit owner names no delegation", () => {
    expect(buildExportRecord({ ...story, delegations: [], owner: { kind: "implicit", login: "erin", id: 1005 } }, context).owner).toEqual({ kind: "implicit", account: { login: "erin", id: 1005 }, delegationId: null, recorded: ref(8) });
  });

  test("(c) the agent's identity, signals and the tool inventory recorded with each delegation", () => {
    expect(record.agent).toEqual({
      involvement: "authored",
      identities: [{ login: "claude[bot]", id: 209825114, kind: "bot" }],
      signals: [{ kind: "author" }],
      toolInventory: [
        { delegationId: "dlg_old", entries: inventory, recorded: ref(2) },
        { delegationId: "dlg_new", entries: inventory, recorded: ref(4) },
      ],
      recorded: ref(8),
    });
  });

  test("(d) approvals with the commit each was given on, whether it counted, and where it is recorded", () => {
    expect(record.approvals).toEqual([
      { reviewer: { login: "alice", id: 1001 }, reviewId: 501, commit: HEAD, counted: false, objections: ["delegator"], source: "approval-event", recorded: ref(5) },
      { reviewer: { login: "bob", id: 1002 }, reviewId: 502, commit: HEAD, counted: true, objections: [], source: "approval-event", recorded: ref(7) },
      { reviewer: { login: "erin", id: 1005 }, reviewId: 400, commit: "a0".repeat(20), counted: false, objections: ["stale"], source: "decision", recorded: ref(8) },
    ]);
  });

  test("(e) decisions with the policy hash and source", () => {
    expect(record.decisions.map((decision) => [decision.conclusion, decision.policy, decision.recorded.seq])).toEqual([
      ["action_required", { hash: "9f".repeat(32), source: "default", textHash: null, files: null }, 1],
      ["success", { hash: "9f".repeat(32), source: "acme/payments-api:.github/countersign.yml@main", textHash: POLICY_HASH, files: [POLICY_FILE] }, 8],
    ]);
    expect(record.decisions[1]).toMatchObject({ headSha: HEAD, tiers: ["sensitive"], deliveryId: "d-8", requirements: [{ kind: "approvals", met: true }] });
  });

  test("(f) credentials: none yet", () => {
    expect(record.credentials).toEqual([]);
    const issued = buildExportRecord({ ...story, credentials: [{ ...ref(9), type: "credential.issued", payload: { scope: "contents:read" } }] }, context);
    expect(issued.credentials).toEqual([{ type: "credential.issued", details: { scope: "contents:read" }, recorded: ref(9) }]);
  });

  test("(g) the chain proof: every event used, with its links, and the head at export time", () => {
    expect(record.chain.head).toEqual({ seq: 9, hash: hash(9) });
    expect(record.chain.events).toHaveLength(7);
    expect(record.chain.events[0]).toEqual({
      seq: 1,
      type: "decision",
      hash: hash(1),
      prevHash: hash(0),
      at: ref(1).at,
      repoId: 1,
      repoFullName: "acme/payments-api",
      subjectNumber: 2,
      sha: null,
      actorId: null,
      actorLogin: null,
      deliveryId: null,
      payload: "{}",
    });
    expect(record.chain.checkpoint).toBeNull();
  });

  test("a pull request with no decision has no owner and an unknown involvement", () => {
    const bare = buildExportRecord({ ...story, agent: null, owner: null, decisions: [], approvals: [] }, context);
    expect(bare).toMatchObject({ latest: null, owner: null, agent: { involvement: null, identities: [], signals: [], recorded: null } });
  });

  test("a JSONL line is one compact line that parses back to the record", () => {
    const line = toJsonLine(record);
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(JSON.parse(line)).toEqual(record);
  });
});

describe("the texts an export carries", () => {
  const record = buildExportRecord(story, context);

  test("every text the events refer to, by hash, and no other; each rehashes to its key", () => {
    expect(Object.keys(record.texts).sort()).toEqual([textHash("SEC-1"), textHash(PATHS_TEXT), POLICY_HASH, textHash(POLICY_FILE_TEXT)].sort());
    for (const [key, text] of Object.entries(record.texts)) expect(textHash(text)).toBe(key);
    expect(record.texts[record.decisions[1]!.policy.textHash!]).toBe(POLICY_TEXT);
    expect(record.texts[record.decisions[1]!.policy.files![0]!.textHash]).toBe(POLICY_FILE_TEXT);
    expect(JSON.parse(record.texts[record.decisions[1]!.context!.changedFiles.hash]!)).toEqual(["src/pay.ts"]);
  });

  test("the decisions' reasons and context are exported as recorded", () => {
    expect(record.decisions.map((decision) => decision.reasons)).toEqual([["owner:missing"], ["approvals:1/1"]]);
    expect(record.decisions[1]!.context).toEqual(CONTEXT);
    expect(record.decisions[0]!.context).toBeNull();
  });

  test("a text the store did not have is left out, and the record says nothing false about it", () => {
    const partial = buildExportRecord(story, { ...context, texts: new Map([[POLICY_HASH, POLICY_TEXT]]) });
    expect(partial.texts).toEqual({ [POLICY_HASH]: POLICY_TEXT });
    expect(buildExportRecord(story, { head: context.head, exportedAt: context.exportedAt }).texts).toEqual({});
  });

  test("referencedTextHashes names each referenced text once", () => {
    expect(referencedTextHashes(story)).toEqual([textHash("SEC-1"), textHash(PATHS_TEXT), POLICY_HASH, textHash(POLICY_FILE_TEXT)]);
  });
});
