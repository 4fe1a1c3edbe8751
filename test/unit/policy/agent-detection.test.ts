import { describe, expect, test } from "@jest/globals";
import { commitPersonAccount, detectAgents, parseTrailers } from "../../../src/policy/agent-detection.js";
import { compileLinearPattern } from "../../../src/policy/linear-pattern.js";
import { defaultPolicy, type RepoPolicy } from "../../../src/policy/repo-policy.js";
import type { Actor, CommitFacts, CommitPerson, PullRequestFacts } from "../../../src/policy/types.js";

const SHA = "c0ffee0000000000000000000000000000000001";
const SHA2 = "c0ffee0000000000000000000000000000000002";

const alice: Actor = { id: 1001, login: "alice", kind: "user" };
const bob: Actor = { id: 1002, login: "bob", kind: "user" };
const claudeBot: Actor = { id: 209825114, login: "claude[bot]", kind: "bot" };
const copilotBot: Actor = { id: 198982749, login: "Copilot", kind: "bot" };

/** A commit person backed by a GitHub account (as GitHub resolved it). */
function personOf(account: Actor): CommitPerson {
  return { name: account.login, email: `${account.id ?? 0}+${account.login}@users.noreply.github.com`, account };
}

/** A commit person GitHub did not resolve to an account. */
function unresolved(name: string, email: string): CommitPerson {
  return { name, email, account: null };
}

/** A commit by alice unless overridden. */
function commit(overrides: Partial<CommitFacts> = {}): CommitFacts {
  return { sha: SHA, message: "Fix the widget", authors: [personOf(alice)], committer: personOf(alice), ...overrides };
}

/** The part of a pull request detection reads; alice's PR with one plain commit unless overridden. */
function pr(overrides: Partial<Pick<PullRequestFacts, "author" | "commits">> = {}): Pick<PullRequestFacts, "author" | "commits"> {
  return { author: alice, commits: [commit()], ...overrides };
}

const claude = "Co-authored-by: Claude <noreply@anthropic.com>";

describe("parseTrailers", () => {
  test("reads every Key: value line, lower-casing the key and keeping the trimmed line", () => {
    const message = [
      "Add retry to the client",
      "",
      "Body text without a colon",
      "",
      "  Co-Authored-By: Claude <noreply@anthropic.com>  ",
      "Signed-off-by : Alice <alice@example.com>",
    ].join("\r\n");
    expect(parseTrailers(message)).toEqual([
      { key: "co-authored-by", value: "Claude <noreply@anthropic.com>", line: "Co-Authored-By: Claude <noreply@anthropic.com>" },
      { key: "signed-off-by", value: "Alice <alice@example.com>", line: "Signed-off-by : Alice <alice@example.com>" },
    ]);
  });

  test.each([
    ["a line without a value", "Co-authored-by:"],
    ["a key with a space", "Co authored by: Claude"],
    ["a key starting with a digit", "1-key: value"],
    ["plain prose", "Fix the widget"],
  ])("ignores %s", (_description, message) => {
    expect(parseTrailers(message)).toEqual([]);
  });

  const keys = (message: string) => parseTrailers(message).map((trailer) => trailer.line);

  // Git reads trailers from a message's last paragraph, so a long body must not hide them.
  test.each([
    ["after 70 KB of body", `Fix it\n\n${"x".repeat(70 * 1024)}\n\n${claude}`],
    ["after 70 KB of body lines", `Fix it\n\n${"lorem ipsum dolor\n".repeat(4000)}\n${claude}`],
    ["after 10 MB of body", `Fix it\n\n${"y".repeat(10 * 1024 * 1024)}\n\n${claude}`],
    ["followed by 200 KB of blank lines", `Fix it\n\n${"z".repeat(100 * 1024)}\n\n${claude}${"\n \t\n".repeat(50 * 1024)}`],
    ["at the start of a 10 MB message", `${claude}\n${"w".repeat(10 * 1024 * 1024)}`],
    ["in a 100 KB message (read whole)", `Fix it\n${"v".repeat(50 * 1024)}\n${claude}\n${"v".repeat(50 * 1024)}`],
  ])("finds a trailer %s", (_description, message) => {
    expect(keys(message)).toEqual([claude]);
  });

  test("reads the end and the start of a long message, never a line cut by a window", () => {
    // The end window starts exactly at "Cut-Key", in the middle of a line of m's.
    const end = `Cut-Key: b\n${"n".repeat(64 * 1024 - 22)}\nEnd-Key: c`;
    expect(end).toHaveLength(64 * 1024);
    const message = `Start-Key: a\n${"m".repeat(200 * 1024)}${end}`;
    expect(parseTrailers(message).map((trailer) => trailer.key)).toEqual(["start-key", "end-key"]);
  });

  test("folds git's continuation lines into the value, and still reads an indented trailer", () => {
    const message = ["Fix", "", "Co-authored-by: Claude", "  <noreply@anthropic.com>", "Reviewed-by: A <a@example.com>", "  Assisted-by: Claude Code"].join("\n");
    expect(parseTrailers(message)).toEqual([
      { key: "co-authored-by", value: "Claude <noreply@anthropic.com>", line: "Co-authored-by: Claude <noreply@anthropic.com>" },
      { key: "reviewed-by", value: "A <a@example.com> Assisted-by: Claude Code", line: "Reviewed-by: A <a@example.com> Assisted-by: Claude Code" },
      { key: "assisted-by", value: "Claude Code", line: "Assisted-by: Claude Code" },
    ]);
  });

  test("tests a bounded number of trailers, the last ones first", () => {
    const message = `Fix\n\n${Array.from({ length: 40_000 }, (_, index) => `Noise-${index}: x`).join("\n")}\n${claude}`;
    const trailers = parseTrailers(message);
    expect(trailers).toHaveLength(128);
    expect(trailers.at(-1)?.line).toBe(claude);
  });

  test("a message of many whitespace runs is read in one pass", () => {
    expect(keys(`${"a \n".repeat(200_000)}a`)).toEqual([]);
  });
});

describe("a trailer at the end of a long message marks the commit", () => {
  test("a human's commit with a 70 KB message ending in Claude's co-author trailer is agent-assisted", () => {
    const message = `Rework the parser\n\n${"Explanation of the change. ".repeat(3000)}\n\n${claude}`;
    const detection = detectAgents(pr({ commits: [commit({ message })] }), defaultPolicy());
    expect(detection.involvement).toBe("assisted");
    expect(detection.signals).toEqual([{ kind: "trailer", sha: SHA, trailer: claude, rule: "Claude" }]);
  });
});

describe("commitPersonAccount", () => {
  test.each([
    ["the resolved account first", personOf(bob), bob],
    ["the noreply address when unresolved", unresolved("claude[bot]", "209825114+claude[bot]@users.noreply.github.com"), claudeBot],
    ["nothing for a plain address", unresolved("Alice", "alice@example.com"), null],
  ])("uses %s", (_description, person, expected) => {
    expect(commitPersonAccount(person)).toEqual(expected);
  });
});

describe("detectAgents: trailers", () => {
  test.each([
    ["Claude Code", "Co-Authored-By: Claude <noreply@anthropic.com>", "Claude"],
    ["Claude Code naming the model", "Co-Authored-By: Claude Opus 4.1 <noreply@anthropic.com>", "Claude"],
    ["Copilot chat", "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>", "GitHub Copilot"],
    ["the Copilot coding agent", "Co-authored-by: copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>", "GitHub Copilot"],
    ["Cursor", "Co-authored-by: Cursor Agent <cursoragent@cursor.com>", "Cursor"],
    ["aider", "Co-authored-by: aider (gpt-4o) <noreply@aider.chat>", "Aider"],
    ["aider's other address", "Co-authored-by: aider <aider@aider.chat>", "Aider"],
    ["Assisted-by", "Assisted-by: Claude:claude-opus-4-1", "Assisted-by trailer"],
    ["Generated-by", "Generated-by: some-llm-tool v2", "Generated-by trailer"],
    ["a lower-case key", "co-authored-by: Claude <noreply@anthropic.com>", "Claude"],
    ["Devin's noreply address", "Co-authored-by: devin-ai-integration[bot] <158243242+devin-ai-integration[bot]@users.noreply.github.com>", "Devin"],
    ["Claude's app noreply address", "Co-authored-by: claude[bot] <209825114+claude[bot]@users.noreply.github.com>", "Claude"],
    ["Jules's noreply address", "Co-authored-by: google-labs-jules[bot] <161369871+google-labs-jules[bot]@users.noreply.github.com>", "Google Jules"],
  ])("%s: a human's PR is agent-assisted, and the evidence names the commit and the trailer line", (_description, trailer, rule) => {
    const detection = detectAgents(pr({ commits: [commit({ message: `Fix the widget\n\n${trailer}\n` })] }), defaultPolicy());
    expect(detection).toEqual({
      involvement: "assisted",
      signals: [{ kind: "trailer", sha: SHA, trailer, rule }],
      agents: [],
    });
  });

  test.each([
    ["a human co-author", "Co-authored-by: Bob <bob@example.com>"],
    ["a human co-author's noreply address", "Co-authored-by: bob <1002+bob@users.noreply.github.com>"],
    ["a human named like a bot", "Co-authored-by: cursor <55+cursor@users.noreply.github.com>"],
    ["Anthropic's address in another trailer", "Signed-off-by: Claude <noreply@anthropic.com>"],
    ["an empty Assisted-by", "Assisted-by:"],
    ["an agent mentioned in prose", "Thanks to Claude <noreply@anthropic.com> for the idea"],
  ])("%s is not an agent signal", (_description, line) => {
    const detection = detectAgents(pr({ commits: [commit({ message: `Fix\n\n${line}` })] }), defaultPolicy());
    expect(detection).toEqual({ involvement: "none", signals: [], agents: [] });
  });

  test("a repository's own trailer rule is applied", () => {
    const policy: RepoPolicy = {
      ...defaultPolicy(),
      trailerRules: [...defaultPolicy().trailerRules, { name: "Acme bot", key: "co-authored-by", pattern: compileLinearPattern("<bot@acme\\.dev>", { caseInsensitive: true }) }],
    };
    const detection = detectAgents(pr({ commits: [commit({ message: "Fix\n\nCo-authored-by: Acme <BOT@acme.dev>" })] }), policy);
    expect(detection.signals).toEqual([{ kind: "trailer", sha: SHA, trailer: "Co-authored-by: Acme <BOT@acme.dev>", rule: "Acme bot" }]);
  });

  test("each matching trailer of each commit is its own signal", () => {
    const detection = detectAgents(
      pr({
        commits: [
          commit({ sha: SHA, message: "One\n\nCo-Authored-By: Claude <noreply@anthropic.com>\nAssisted-by: aider" }),
          commit({ sha: SHA2, message: "Two\n\nGenerated-by: tool" }),
        ],
      }),
      defaultPolicy(),
    );
    expect(detection.signals).toEqual([
      { kind: "trailer", sha: SHA, trailer: "Co-Authored-By: Claude <noreply@anthropic.com>", rule: "Claude" },
      { kind: "trailer", sha: SHA, trailer: "Assisted-by: aider", rule: "Assisted-by trailer" },
      { kind: "trailer", sha: SHA2, trailer: "Generated-by: tool", rule: "Generated-by trailer" },
    ]);
  });
});

describe("detectAgents: commit authors and committers", () => {
  test.each([
    ["authored by a resolved agent account", commit({ authors: [personOf(claudeBot)] }), "commit-author", claudeBot, "Claude", "id"],
    [
      "authored by an agent known only by its noreply address",
      commit({ authors: [unresolved("claude[bot]", "209825114+claude[bot]@users.noreply.github.com")] }),
      "commit-author",
      claudeBot,
      "Claude",
      "id",
    ],
    [
      "authored by Copilot's noreply address",
      commit({ authors: [unresolved("Copilot", "198982749+Copilot@users.noreply.github.com")] }),
      "commit-author",
      { id: 198982749, login: "Copilot", kind: "user" },
      "GitHub Copilot coding agent",
      "id",
    ],
    [
      "committed by an agent known only by its noreply address",
      commit({ committer: unresolved("devin", "158243242+devin-ai-integration[bot]@users.noreply.github.com") }),
      "commit-committer",
      { id: 158243242, login: "devin-ai-integration[bot]", kind: "bot" },
      "Devin",
      "id",
    ],
    [
      "co-authored by an agent GitHub resolved",
      commit({ authors: [personOf(alice), personOf({ id: null, login: "cursor", kind: "bot" })] }),
      "commit-co-author",
      { id: null, login: "cursor", kind: "bot" },
      "Cursor",
      "login",
    ],
  ] as const)("a human's PR %s is assisted", (_description, agentCommit, kind, agent, identity, matchedBy) => {
    const detection = detectAgents(pr({ commits: [agentCommit] }), defaultPolicy());
    expect(detection.involvement).toBe("assisted");
    expect(detection.signals).toEqual([{ kind, sha: SHA, actor: agent, identity, matchedBy }]);
    expect(detection.agents).toEqual([agent]);
  });

  test("a commit by a human named cursor is not an agent's", () => {
    const cursorHuman: Actor = { id: 31337, login: "cursor", kind: "user" };
    expect(detectAgents(pr({ author: cursorHuman, commits: [commit({ authors: [personOf(cursorHuman)], committer: personOf(cursorHuman) })] }), defaultPolicy())).toEqual({
      involvement: "none",
      signals: [],
      agents: [],
    });
  });

  test("a commit by a human with a plain address and no account is not an agent's", () => {
    const anonymous = unresolved("Claude Shannon", "claude@example.com");
    expect(detectAgents(pr({ commits: [commit({ authors: [anonymous], committer: anonymous })] }), defaultPolicy()).involvement).toBe("none");
  });
});

describe("detectAgents: involvement", () => {
  test("a human's PR with human commits has no agent involvement", () => {
    expect(detectAgents(pr(), defaultPolicy())).toEqual({ involvement: "none", signals: [], agents: [] });
  });

  test("a PR with no commits has no agent involvement", () => {
    expect(detectAgents(pr({ commits: [] }), defaultPolicy())).toEqual({ involvement: "none", signals: [], agents: [] });
  });

  test("an agent's PR is authored, and the agent is listed once across its signals", () => {
    const agentCommit = commit({
      authors: [personOf(claudeBot)],
      committer: unresolved("claude[bot]", "209825114+claude[bot]@users.noreply.github.com"),
      message: "Add retry\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
    });
    const detection = detectAgents(pr({ author: claudeBot, commits: [agentCommit] }), defaultPolicy());
    expect(detection.involvement).toBe("authored");
    expect(detection.signals).toEqual([
      { kind: "pr-author", actor: claudeBot, identity: "Claude", matchedBy: "id" },
      { kind: "commit-author", sha: SHA, actor: claudeBot, identity: "Claude", matchedBy: "id" },
      { kind: "commit-committer", sha: SHA, actor: claudeBot, identity: "Claude", matchedBy: "id" },
      { kind: "trailer", sha: SHA, trailer: "Co-Authored-By: Claude <noreply@anthropic.com>", rule: "Claude" },
    ]);
    expect(detection.agents).toEqual([claudeBot]);
  });

  test("an agent's PR with only human commits is still authored", () => {
    const detection = detectAgents(pr({ author: copilotBot }), defaultPolicy());
    expect(detection.involvement).toBe("authored");
    expect(detection.signals).toEqual([{ kind: "pr-author", actor: copilotBot, identity: "GitHub Copilot coding agent", matchedBy: "id" }]);
  });

  test("a PR opened by a GraphQL-spelt agent login is authored, matched by login", () => {
    const graphqlClaude: Actor = { id: null, login: "claude", kind: "bot" };
    const detection = detectAgents(pr({ author: graphqlClaude }), defaultPolicy());
    expect(detection.involvement).toBe("authored");
    expect(detection.signals).toEqual([{ kind: "pr-author", actor: graphqlClaude, identity: "Claude", matchedBy: "login" }]);
  });

  test("every distinct agent account is listed, in the order first seen", () => {
    const codex: Actor = { id: 199175422, login: "chatgpt-codex-connector[bot]", kind: "bot" };
    const detection = detectAgents(
      pr({ commits: [commit({ sha: SHA, authors: [personOf(codex)] }), commit({ sha: SHA2, authors: [personOf(claudeBot)], committer: personOf(codex) })] }),
      defaultPolicy(),
    );
    expect(detection.involvement).toBe("assisted");
    expect(detection.agents).toEqual([codex, claudeBot]);
  });

  test("an unknown bot is not an agent", () => {
    const dependabot: Actor = { id: 49699333, login: "dependabot[bot]", kind: "bot" };
    expect(detectAgents(pr({ author: dependabot, commits: [commit({ authors: [personOf(dependabot)] })] }), defaultPolicy()).involvement).toBe("none");
  });
});

describe("an author nobody can identify is held to the agent rules", () => {
  test.each([
    [{ id: null, login: "ghost", kind: "unknown" as const }],
    [{ id: 77, login: "imported-user", kind: "mannequin" as const }],
  ])("%j", (author) => {
    const detection = detectAgents({ author, commits: [] }, defaultPolicy());
    expect(detection).toEqual({ involvement: "authored", signals: [{ kind: "unidentified-author", actor: author }], agents: [] });
  });
});

describe("pushes GitHub attributes to an agent", () => {
  const push = {
    id: "push_0123456789abcdef",
    branch: "alice/fix",
    beforeSha: SHA,
    afterSha: SHA2,
    forced: true,
    pusher: claudeBot,
    identity: "Claude",
    commits: [SHA2],
    source: "push" as const,
    pushedAt: new Date("2026-11-25T12:00:00Z"),
    credentials: null,
  };

  test("an agent's push into a person's pull request whose commits all claim the person makes it agent-assisted, with the pusher as an agent", () => {
    const detection = detectAgents({ ...pr({ commits: [commit(), commit({ sha: SHA2 })] }), agentPushes: [push] }, defaultPolicy());
    expect(detection.involvement).toBe("assisted");
    expect(detection.signals).toEqual([expect.objectContaining({ kind: "agent-push", actor: claudeBot, identity: "Claude", push: expect.objectContaining({ forced: true, afterSha: SHA2, commits: [SHA2] }) })]);
    expect(detection.agents).toEqual([claudeBot]);
  });

  test("the record stands under a later policy that no longer names the identity", () => {
    const policy: RepoPolicy = { ...defaultPolicy(), identities: [] };
    expect(detectAgents({ ...pr(), agentPushes: [push] }, policy).involvement).toBe("assisted");
  });

  test("no recorded pushes: nothing changes", () => {
    expect(detectAgents({ ...pr(), agentPushes: [] }, defaultPolicy()).involvement).toBe("none");
  });
});
