import { describe, expect, test } from "@jest/globals";
import { renderStoryMarkdown } from "../../../src/evidence/story-markdown.js";
import type { PullRequestStory } from "../../../src/evidence/pr-story.js";
import { githubView } from "../../helpers/github-markdown.js";
import type { ParsedView } from "../../helpers/github-markdown.js";

// `countersign evidence --format md` over a story whose outside text is hostile: nothing in it may
// become a link, an image, HTML, a heading or a mention, and no table may gain a column.

const HOSTILE = "[click](https://evil.example/x) <img src=x onerror=alert(1)> @everyone | `tick` # Approved";
const HEAD = "b1".repeat(20);
const hash = (seq: number) => seq.toString(16).padStart(64, "0");
const ref = (seq: number) => ({ seq, hash: hash(seq), at: `2026-11-25T12:0${seq}:00.000Z` });

const story: PullRequestStory = {
  repository: "acme/payments-api",
  number: 2,
  agent: { involvement: "authored", agents: [{ login: "claude[bot]", id: 209825114, kind: "bot" }], signals: [{ kind: "trailer", trailer: HOSTILE }] },
  delegations: [
    {
      ...ref(2),
      id: "dlg_0a1b",
      subject: { type: "pull_request", number: 2 },
      owner: { id: 1001, login: "alice" },
      task: { kind: "url", ref: `https://evil.example/${HOSTILE}`, url: "https://evil.example/phish" },
      scopePaths: [HOSTILE],
      scopeBranches: ["main"],
      expiresAt: "2026-12-01T00:00:00.000Z",
      agent: { id: 209825114, login: "claude[bot]" },
      agentInventory: [
        { kind: "app", login: "claude[bot]", slug: "claude", name: "Claude", permissions: { contents: "write", metadata: "read" }, events: ["pull_request"], readAt: "2026-11-25T12:02:00.000Z" },
        { kind: "something-new", note: HOSTILE },
      ],
      commandUrl: "https://github.com/acme/payments-api/pull/2#issuecomment-1",
      taskSnapshot: null,
      ended: { ...ref(3), how: "revoked", by: "alice", reason: HOSTILE },
    },
  ],
  owner: { kind: "delegated", login: "alice", id: 1001 },
  approvals: [
    { ...ref(5), reviewer: "bob", reviewerId: 1002, reviewId: 502, commit: HEAD, counted: true, objections: [] },
    { ...ref(6), reviewer: "weird|name", reviewerId: null, reviewId: 503, commit: HEAD, counted: false, objections: ["permission"] },
  ],
  decisions: [
    { ...ref(7), headSha: HEAD, delegationId: null, conclusion: "success", title: "Countersigned: delegated by @alice, approved by @bob", policyHash: "9f".repeat(32), policySource: `acme/payments-api:.github/countersign.yml@${HOSTILE}`, deliveryId: "d-7", tiers: ["sensitive"], requirements: [{ kind: "approvals", met: true, sources: [] }], reasons: [], context: null, policyTextHash: null, policyFiles: null },
  ],
  pushes: [{ ...ref(7), sha: HEAD }],
  credentials: [],
  agentPushes: [],
  merges: [],
  timeline: [
    { ...ref(2), type: "delegation.created", text: "raw" },
    { ...ref(3), type: "delegation.revoked", text: "raw" },
    { ...ref(5), type: "approval.counted", text: "raw" },
    { ...ref(7), type: "decision", text: "raw" },
    { ...ref(8), type: "something.new", text: HOSTILE },
  ],
  chain: [2, 3, 5, 6, 7, 8].map((seq) => ({ seq, type: "decision", hash: hash(seq), prevHash: hash(seq - 1), at: ref(seq).at, repoId: 1, repoFullName: "acme/payments-api", subjectNumber: 2, sha: null, actorId: null, actorLogin: null, deliveryId: null, payload: "{}" })),
};


describe("the evidence as Markdown", () => {
  const markdown = renderStoryMarkdown(story);

  test("names the owner, the task, the approval with its commit, and the decision with its policy hash", () => {
    expect(markdown).toContain("# Evidence: `acme/payments-api#2`");
    expect(markdown).toContain("@alice (id 1001): delegated the work (explicit owner)");
    expect(markdown).toContain("### Delegation `dlg_0a1b`");
    expect(markdown).toContain(`| @bob | \`${HEAD}\` | yes |  | event #5 \`${hash(5).slice(0, 12)}\` |`);
    expect(markdown).toContain(`Policy: \`${"9f".repeat(32)}\``);
    // Named, not mentioned: an agent's login may come from a commit's noreply address.
    expect(markdown).toContain("What \\@\u200bclaude\\[bot\\] could do: GitHub App `claude` with `contents: write`, `metadata: read`");
    expect(markdown).toContain(`| #7 | \`decision\` | \`${hash(7)}\` | \`${hash(6)}\` |`);
  });

  test("outside text is never interpreted: no link, image, HTML, heading, mention or autolink survives", () => {
    for (const view of Object.values(githubView(markdown)) as ParsedView[]) {
      // The only link is GitHub's own (the command's comment).
      expect(view.live).toEqual([expect.stringMatching(/^(link: "the command"|<a href="https:\/\/github\.com\/acme\/payments-api\/pull\/2#issuecomment-1">)$/)]);
      // Only the accounts GitHub authenticated are mentioned (the owner, the reviewer, the delegated
      // agent); no autolink is left for GitHub to make.
      expect([...new Set(view.mentions)].sort()).toEqual(["alice", "bob", "claude[bot]"]);
      expect(view.filtered.filter((finding) => /autolink/.test(finding))).toEqual([]);
      expect(view.hidden).toEqual([]);
      expect(view.text).toContain("@everyone");
    }
    expect(markdown).not.toMatch(/^#+ Approved/m);
  });

  test("a shape it does not know is shown inert (as escaped text, not code: it holds a `|`)", () => {
    expect(markdown).toContain('- Recorded inventory: {"kind":"something-new","note":"\\[click\\](https:\u200b//evil.example/x) \\<img');
    expect(markdown).toMatch(/#8: .*\\\[click\\\]/);
  });

  test("every table row keeps its columns, whatever a cell holds", () => {
    const rows = markdown.split("\n").filter((line) => line.startsWith("| "));
    expect(rows.length).toBeGreaterThan(4);
    for (const row of rows) expect(row.replace(/\\\|/g, "").split("|")).toHaveLength(7);
    // As both parsers read them: the approvals table's second row keeps its reviewer and five cells.
    for (const view of Object.values(githubView(markdown)) as ParsedView[]) {
      expect(view.tables[0]?.map((row) => row.length)).toEqual([5, 5, 5]);
      expect(view.tables[0]?.[2]?.[0]).toBe("weird|name");
    }
  });
});
