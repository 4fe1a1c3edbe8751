import { describe, expect, test } from "@jest/globals";
import { actorKey } from "../../../src/policy/agent-identities.js";
import {
  assessApprovals,
  commitParticipants,
  excludedApprovers,
  reviewersPendingLookups,
  standingReviews,
  type ApprovalInput,
  type ApprovalObjection,
} from "../../../src/policy/approvals.js";
import { defaultPolicy } from "../../../src/policy/repo-policy.js";
import type { Actor, CommitFacts, CommitPerson, Permission, ReviewFacts, ReviewState } from "../../../src/policy/types.js";

const HEAD = "a".repeat(40);
const OLD = "b".repeat(40);

const alice: Actor = { id: 1001, login: "alice", kind: "user" };
const bob: Actor = { id: 1002, login: "bob", kind: "user" };
const carol: Actor = { id: 1003, login: "carol", kind: "user" };
const dave: Actor = { id: 1004, login: "dave", kind: "user" };
const claudeBot: Actor = { id: 209825114, login: "claude[bot]", kind: "bot" };
const dependabot: Actor = { id: 49699333, login: "dependabot[bot]", kind: "bot" };
const webFlow: Actor = { id: 19864447, login: "web-flow", kind: "user" };

let nextReviewId = 1;

/** A review of the head commit, submitted at `minute` minutes past noon. */
function review(reviewer: Actor, state: ReviewState, minute: number, commitSha: string | null = HEAD): ReviewFacts {
  const id = nextReviewId++;
  const submittedAt = state === "PENDING" ? null : `2025-06-01T12:${String(minute).padStart(2, "0")}:00Z`;
  return { id, reviewer, state, commitSha, submittedAt, url: `https://github.com/acme/widgets/pull/7#pullrequestreview-${id}` };
}

/** A commit person backed by an account. */
function personOf(account: Actor): CommitPerson {
  return { name: account.login, email: `${account.login}@example.com`, account };
}

/** A commit authored and committed by `author` unless overridden. */
function commit(sha: string, author: Actor, overrides: Partial<CommitFacts> = {}): CommitFacts {
  return { sha, message: "Change", authors: [personOf(author)], committer: personOf(author), ...overrides };
}

/** Write permission for every listed actor. */
function writers(...actors: Actor[]): Map<string, Permission> {
  return new Map(actors.map((actor) => [actorKey(actor), "write" as Permission]));
}

/** Changes to the default input: `pr` is merged field by field; `permissions` replaces the people's permissions. */
type Overrides = Omit<Partial<ApprovalInput>, "pr"> & { pr?: Partial<ApprovalInput["pr"]>; permissions?: Map<string, Permission> };

/** An approval input for a PR by claude[bot], owned by alice, with one agent commit; override any part. */
function input(overrides: Overrides = {}): ApprovalInput {
  const { pr, permissions, ...rest } = overrides;
  return {
    policy: defaultPolicy(),
    owner: { id: alice.id as number, login: alice.login },
    people: { permissions: permissions ?? writers(bob, carol, dave), memberships: new Map() },
    ...rest,
    pr: { author: claudeBot, headSha: HEAD, commits: [commit(HEAD, claudeBot)], reviews: [], ...pr },
  };
}

describe("standingReviews", () => {
  test.each<[string, (r: typeof review) => ReviewFacts[], Array<[string, ReviewState]>]>([
    ["an approval stands", (r) => [r(bob, "APPROVED", 1)], [["bob", "APPROVED"]]],
    ["a later comment does not withdraw an approval", (r) => [r(bob, "APPROVED", 1), r(bob, "COMMENTED", 2)], [["bob", "APPROVED"]]],
    ["a later comment does not withdraw a change request", (r) => [r(bob, "CHANGES_REQUESTED", 1), r(bob, "COMMENTED", 2)], [["bob", "CHANGES_REQUESTED"]]],
    ["a later change request wins over an approval", (r) => [r(bob, "APPROVED", 1), r(bob, "CHANGES_REQUESTED", 2)], [["bob", "CHANGES_REQUESTED"]]],
    ["a later approval wins over a change request", (r) => [r(bob, "CHANGES_REQUESTED", 1), r(bob, "APPROVED", 2)], [["bob", "APPROVED"]]],
    ["a dismissed approval stands as dismissed", (r) => [r(bob, "DISMISSED", 1)], [["bob", "DISMISSED"]]],
    ["a pending review is ignored", (r) => [r(bob, "APPROVED", 1), r(bob, "PENDING", 2)], [["bob", "APPROVED"]]],
    ["only comments give no standing opinion", (r) => [r(bob, "COMMENTED", 1), r(carol, "PENDING", 2)], []],
    ["time order wins over list order", (r) => [r(bob, "CHANGES_REQUESTED", 5), r(bob, "APPROVED", 1)], [["bob", "CHANGES_REQUESTED"]]],
    ["list order breaks a tie in time", (r) => [r(bob, "APPROVED", 1), r(bob, "CHANGES_REQUESTED", 1)], [["bob", "CHANGES_REQUESTED"]]],
    [
      "each reviewer keeps their own opinion, in the order they first appear",
      (r) => [r(carol, "APPROVED", 1), r(bob, "CHANGES_REQUESTED", 2), r(carol, "CHANGES_REQUESTED", 3), r(bob, "APPROVED", 4)],
      [["carol", "CHANGES_REQUESTED"], ["bob", "APPROVED"]],
    ],
  ])("%s", (_description, build, expected) => {
    const standing = standingReviews(build(review));
    expect(standing.map((kept) => [kept.reviewer.login, kept.state])).toEqual(expected);
  });

  test("keeps the review object itself, with the commit it was given on", () => {
    const approval = review(bob, "APPROVED", 1, OLD);
    expect(standingReviews([approval, review(bob, "COMMENTED", 2)])).toEqual([approval]);
  });

  test("tells reviewers without ids apart by login key, not by kind-blind login", () => {
    const humanCursor: Actor = { id: null, login: "cursor", kind: "user" };
    const botCursor: Actor = { id: null, login: "cursor[bot]", kind: "bot" };
    const standing = standingReviews([review(humanCursor, "APPROVED", 1), review(botCursor, "CHANGES_REQUESTED", 2)]);
    expect(standing.map((kept) => kept.state)).toEqual(["APPROVED", "CHANGES_REQUESTED"]);
  });
});

describe("commitParticipants", () => {
  test("lists authors, co-authors and committers once, where first seen, skipping web-flow", () => {
    const participants = commitParticipants({
      commits: [
        commit(OLD, claudeBot, { authors: [personOf(claudeBot), personOf(carol)], committer: personOf(webFlow) }),
        commit(HEAD, dave, { committer: personOf(carol) }),
      ],
    });
    expect(participants).toEqual([
      { actor: claudeBot, sha: OLD, role: "author" },
      { actor: carol, sha: OLD, role: "co-author" },
      { actor: dave, sha: HEAD, role: "author" },
    ]);
  });

  test("recognises an unresolved noreply address", () => {
    const participants = commitParticipants({
      commits: [commit(HEAD, bob, { authors: [{ name: "Bob", email: "1002+bob@users.noreply.github.com", account: null }], committer: null })],
    });
    expect(participants).toEqual([{ actor: bob, sha: HEAD, role: "author" }]);
  });
});

describe("assessApprovals", () => {
  test.each<[string, Overrides, ApprovalObjection[]]>([
    ["an independent writer's approval of the head counts", { pr: { reviews: [review(bob, "APPROVED", 1)] } }, []],
    [
      "an approval of an older commit is stale",
      { pr: { reviews: [review(bob, "APPROVED", 1, OLD)] } },
      [{ code: "stale", reviewedSha: OLD, headSha: HEAD }],
    ],
    [
      "an approval without a commit is stale",
      { pr: { reviews: [review(bob, "APPROVED", 1, null)] } },
      [{ code: "stale", reviewedSha: null, headSha: HEAD }],
    ],
    ["a change request never counts", { pr: { reviews: [review(bob, "CHANGES_REQUESTED", 1)] } }, [{ code: "changes-requested" }]],
    ["a dismissed approval never counts", { pr: { reviews: [review(bob, "DISMISSED", 1)] } }, [{ code: "dismissed" }]],
    ["a bot's approval never counts", { pr: { reviews: [review(dependabot, "APPROVED", 1)] } }, [{ code: "bot" }]],
    [
      "an organization's approval never counts",
      { pr: { reviews: [review({ id: 9, login: "acme", kind: "organization" }, "APPROVED", 1)] } },
      [{ code: "bot" }],
    ],
    ["an agent's approval never counts", { pr: { reviews: [review(claudeBot, "APPROVED", 1)] } }, [{ code: "agent", identity: "Claude" }, { code: "pr-author" }, { code: "commit-participant", sha: HEAD, role: "author" }]],
    [
      "another agent's approval never counts",
      { pr: { reviews: [review({ id: 206951365, login: "cursor[bot]", kind: "bot" }, "APPROVED", 1)] } },
      [{ code: "agent", identity: "Cursor" }],
    ],
    [
      "an agent configured as a machine user never counts",
      {
        policy: { ...defaultPolicy(), identities: [...defaultPolicy().identities, { name: "Acme agent", ids: [], logins: ["acme-agent"] }] },
        pr: { reviews: [review({ id: 77, login: "acme-agent", kind: "user" }, "APPROVED", 1)] },
      },
      [{ code: "agent", identity: "Acme agent" }],
    ],
    ["the delegator's approval never counts", { pr: { reviews: [review(alice, "APPROVED", 1)] } }, [{ code: "delegator" }]],
    [
      "the delegator is recognised by id after a rename",
      { pr: { reviews: [review({ id: 1001, login: "alice-renamed", kind: "user" }, "APPROVED", 1)] } },
      [{ code: "delegator" }],
    ],
    [
      "the PR author's approval never counts",
      { pr: { author: bob, commits: [commit(HEAD, claudeBot)], reviews: [review(bob, "APPROVED", 1)] } },
      [{ code: "pr-author" }],
    ],
    [
      "a commit author's approval never counts",
      { pr: { commits: [commit(OLD, carol), commit(HEAD, claudeBot)], reviews: [review(carol, "APPROVED", 1)] } },
      [{ code: "commit-participant", sha: OLD, role: "author" }],
    ],
    [
      "a commit co-author's approval never counts",
      { pr: { commits: [commit(HEAD, claudeBot, { authors: [personOf(claudeBot), personOf(carol)] })], reviews: [review(carol, "APPROVED", 1)] } },
      [{ code: "commit-participant", sha: HEAD, role: "co-author" }],
    ],
    [
      "a committer's approval never counts",
      { pr: { commits: [commit(HEAD, claudeBot, { committer: personOf(carol) })], reviews: [review(carol, "APPROVED", 1)] } },
      [{ code: "commit-participant", sha: HEAD, role: "committer" }],
    ],
    [
      "a reviewer with read permission does not count",
      { permissions: new Map([[actorKey(bob), "read"]]), pr: { reviews: [review(bob, "APPROVED", 1)] } },
      [{ code: "insufficient-permission", permission: "read", required: "write" }],
    ],
    [
      "a reviewer with no permission does not count",
      { permissions: new Map([[actorKey(bob), "none"]]), pr: { reviews: [review(bob, "APPROVED", 1)] } },
      [{ code: "insufficient-permission", permission: "none", required: "write" }],
    ],
    ["an admin counts", { permissions: new Map([[actorKey(bob), "admin"]]), pr: { reviews: [review(bob, "APPROVED", 1)] } }, []],
    ["a reviewer whose permission was not looked up does not count", { permissions: new Map(), pr: { reviews: [review(bob, "APPROVED", 1)] } }, [{ code: "permission-unknown" }]],
    [
      "with no owner, only the other rules apply",
      { owner: null, permissions: writers(alice), pr: { reviews: [review(alice, "APPROVED", 1)] } },
      [],
    ],
    [
      "every reason is listed, and permission is not asked about",
      {
        permissions: new Map(),
        pr: { author: alice, commits: [commit(HEAD, alice)], reviews: [review(alice, "APPROVED", 1, OLD)] },
      },
      [{ code: "stale", reviewedSha: OLD, headSha: HEAD }, { code: "delegator" }, { code: "pr-author" }, { code: "commit-participant", sha: HEAD, role: "author" }],
    ],
  ])("%s", (_description, overrides, objections) => {
    const verdicts = assessApprovals(input(overrides));
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]?.objections).toEqual(objections);
    expect(verdicts[0]?.counted).toBe(objections.length === 0);
  });

  test("a comment after an approval keeps it counted; a pending review adds nothing", () => {
    const approval = review(bob, "APPROVED", 1);
    const verdicts = assessApprovals(input({ pr: { reviews: [approval, review(bob, "COMMENTED", 2), review(carol, "PENDING", 3)] } }));
    expect(verdicts).toEqual([{ reviewer: bob, review: approval, counted: true, objections: [], waived: [] }]);
  });

  test("a web-flow committer is nobody's participant", () => {
    const verdicts = assessApprovals(input({ permissions: writers(webFlow), pr: { commits: [commit(HEAD, claudeBot, { committer: personOf(webFlow) })], reviews: [review(webFlow, "APPROVED", 1)] } }));
    expect(verdicts[0]?.objections).toEqual([]);
  });

  test("assesses each reviewer's standing opinion", () => {
    const verdicts = assessApprovals(
      input({ pr: { reviews: [review(bob, "APPROVED", 1), review(carol, "APPROVED", 2), review(carol, "CHANGES_REQUESTED", 3), review(dave, "APPROVED", 4, OLD)] } }),
    );
    expect(verdicts.map((verdict) => [verdict.reviewer.login, verdict.counted])).toEqual([
      ["bob", true],
      ["carol", false],
      ["dave", false],
    ]);
  });
});

describe("reviewersPendingLookups", () => {
  test("asks only about reviewers whose permission is the one thing unknown", () => {
    const verdicts = assessApprovals(
      input({
        permissions: new Map(),
        pr: {
          reviews: [
            review(bob, "APPROVED", 1),
            review(alice, "APPROVED", 2),
            review(carol, "APPROVED", 3, OLD),
            review(dependabot, "APPROVED", 4),
            review(dave, "CHANGES_REQUESTED", 5),
          ],
        },
      }),
    );
    expect(reviewersPendingLookups(verdicts)).toEqual([bob]);
  });

  test("asks about reviewers whose team membership is all that is unknown, not those known to be outside the teams", () => {
    const policy = defaultPolicy();
    const teamPolicy = { ...policy, approvals: { ...policy.approvals, approvers: { minPermission: "write" as const, teams: [{ org: "acme", slug: "reviewers" }] } } };
    const verdicts = assessApprovals(
      input({
        policy: teamPolicy,
        people: { permissions: writers(bob, carol, dave), memberships: new Map([["acme/reviewers", new Map([[actorKey(carol), false], [actorKey(dave), true]])]]) },
        pr: { reviews: [review(bob, "APPROVED", 1), review(carol, "APPROVED", 2), review(dave, "APPROVED", 3)] },
      }),
    );
    expect(verdicts.map((verdict) => [verdict.reviewer.login, verdict.objections.map((objection) => objection.code)])).toEqual([
      ["bob", ["membership-unknown"]],
      ["carol", ["not-in-approver-team"]],
      ["dave", []],
    ]);
    expect(reviewersPendingLookups(verdicts)).toEqual([bob]);
  });

  test("asks about a reviewer whose permission and membership are both unknown", () => {
    const policy = defaultPolicy();
    const teamPolicy = { ...policy, approvals: { ...policy.approvals, approvers: { minPermission: "write" as const, teams: [{ org: "acme", slug: "reviewers" }] } } };
    const verdicts = assessApprovals(input({ policy: teamPolicy, permissions: new Map(), pr: { reviews: [review(bob, "APPROVED", 1)] } }));
    expect(verdicts[0]?.objections).toEqual([{ code: "permission-unknown" }, { code: "membership-unknown" }]);
    expect(reviewersPendingLookups(verdicts)).toEqual([bob]);
  });

  test("asks about nobody once permissions are known", () => {
    const verdicts = assessApprovals(input({ pr: { reviews: [review(bob, "APPROVED", 1)] } }));
    expect(reviewersPendingLookups(verdicts)).toEqual([]);
  });
});

describe("excludedApprovers", () => {
  test.each<[string, Overrides, Array<[string, string]>]>([
    ["an agent PR names the delegator only", {}, [["alice", "delegator"]]],
    ["an agent PR without an owner names nobody", { owner: null }, []],
    [
      "a human PR names its author once even when also the owner and a committer",
      { pr: { author: alice, commits: [commit(HEAD, alice)] } },
      [["alice", "delegator"]],
    ],
    [
      "a human PR with an implicit owner names the author and other human committers",
      { owner: null, pr: { author: bob, commits: [commit(OLD, bob), commit(HEAD, claudeBot, { committer: personOf(carol) })] } },
      [["bob", "pr-author"], ["carol", "commit-participant"]],
    ],
    [
      "bots, agents and web-flow are left out",
      { pr: { commits: [commit(HEAD, dependabot, { authors: [personOf(dependabot), personOf(claudeBot)], committer: personOf(webFlow) })] } },
      [["alice", "delegator"]],
    ],
  ])("%s", (_description, overrides, expected) => {
    const excluded = excludedApprovers(input(overrides));
    expect(excluded.map((person) => [person.actor.login, person.why])).toEqual(expected);
  });
});
