import { describe, expect, test } from "@jest/globals";
import { decisionTitle } from "../../../src/evidence/check-run-output.js";
import { delegationLifetime, delegatorRefusal, taskRefusal } from "../../../src/policy/delegation-rules.js";
import { parseDuration } from "../../../src/policy/duration.js";
import { applicableTiers } from "../../../src/policy/tiers.js";
import { defaultPolicy, SENSITIVE_PATHS } from "../../../src/policy/repo-policy.js";
import type { ApprovalObjection } from "../../../src/policy/approvals.js";
import type { Outcome } from "../../../src/policy/evaluate.js";
import type { Actor, Permission, TaskRef } from "../../../src/policy/types.js";
import { isProtectedBranch } from "../../../src/services/flag-direct-push.js";
import {
  alice,
  assistedPullRequest,
  bob,
  carol,
  claudeBot,
  commit,
  cursorBot,
  DAY,
  dave,
  delegation,
  dependabot,
  erin,
  evaluate,
  HOUR,
  NOW,
  OLD,
  peopleFacts,
  permissions,
  policyFrom,
  pullRequest,
  renovate,
  review,
  writers,
} from "./builders.js";

// One table (or a few) per key of `.github/countersign.yml`: each policy is compiled from the YAML
// shape a repository would write, so the schema, the compiler and the engine are exercised together.

const delegated = [delegation()];


/** The file `policyFrom` compiles from: a requirement the file set names it as its source. */
const FILE = "acme/widgets:.github/countersign.yml";

describe("mode", () => {
  test.each([
    ["no delegation", pullRequest(), [], "needs-delegation", "action_required", "Would block: Needs a delegation"],
    ["no approval", pullRequest(), delegated, "needs-approval", "action_required", "Would block: Needs approval by someone other than @alice"],
    ["a file outside the delegation's paths", pullRequest({ files: ["src/a.ts", "infra/x.sh"], reviews: [review(bob)] }), [delegation({ scopePaths: ["src/**"] })], "out-of-scope", "failure", "Would block: Changes outside the delegated scope: 1 file"],
  ] as const)("evaluate: %s is reported as neutral, keeping what enforce would conclude", (_description, pr, delegations, outcome, enforced, title) => {
    const decision = evaluate(pr, { policy: policyFrom({ mode: "evaluate" }), delegations: [...delegations] });
    expect(decision).toMatchObject({ mode: "evaluate", outcome, conclusion: "neutral", enforcedConclusion: enforced });
    expect(decisionTitle(decision)).toBe(title);
    expect(decision.reasons).toContain("mode:evaluate");
  });

  test("evaluate: a decision that passes is a success, titled without 'Would block'", () => {
    const decision = evaluate(pullRequest({ reviews: [review(bob)] }), { policy: policyFrom({ mode: "evaluate" }), delegations: delegated });
    expect(decision).toMatchObject({ outcome: "approved", conclusion: "success", enforcedConclusion: "success" });
    expect(decisionTitle(decision)).toBe("Countersigned: delegated by @alice, approved by @bob");
  });

  test.each([{}, { mode: "enforce" }])("enforce (%j) blocks, and its title has no prefix", (config) => {
    const decision = evaluate(pullRequest(), { policy: policyFrom(config) });
    expect(decision).toMatchObject({ mode: "enforce", conclusion: "action_required", enforcedConclusion: "action_required" });
    expect(decisionTitle(decision)).toBe("Needs a delegation");
    expect(decision.reasons).not.toContain("mode:evaluate");
  });
});

describe("agents", () => {
  test.each([
    ["the PR author", pullRequest({ author: renovate, commits: [commit(alice)] }), "authored", { kind: "app-bot", role: "pr-author", sha: null }],
    ["a commit author", pullRequest({ author: alice, commits: [commit(renovate, { committer: alice })] }), "assisted", { kind: "app-bot", role: "commit-author" }],
    ["a committer", pullRequest({ author: alice, commits: [commit(alice, { committer: renovate })] }), "assisted", { kind: "app-bot", role: "commit-committer" }],
  ] as const)("all_apps_are_agents: an unlisted app bot as %s is an agent", (_description, pr, involvement, signal) => {
    expect(evaluate(pr).detection.involvement).toBe("none");
    const decision = evaluate(pr, { policy: policyFrom({ agents: { all_apps_are_agents: true } }) });
    expect(decision.detection).toMatchObject({ involvement, signals: [{ ...signal, actor: renovate }], agents: [renovate] });
    expect(decision.outcome).not.toBe("no-agent");
  });

  test("all_apps_are_agents: an app bot named only as a co-author is not counted (co-authors come from agent-written text)", () => {
    const pr = pullRequest({ author: alice, commits: [commit(alice, { coAuthors: [renovate] })] });
    expect(evaluate(pr, { policy: policyFrom({ agents: { all_apps_are_agents: true } }) }).detection.involvement).toBe("none");
  });

  test("all_apps_are_agents: a listed agent is still named by its identity", () => {
    const decision = evaluate(pullRequest(), { policy: policyFrom({ agents: { all_apps_are_agents: true } }) });
    expect(decision.detection.signals).toEqual([
      { kind: "pr-author", actor: claudeBot, identity: "Claude", matchedBy: "id" },
      { kind: "commit-author", sha: expect.any(String), actor: claudeBot, identity: "Claude", matchedBy: "id" },
      { kind: "commit-committer", sha: expect.any(String), actor: claudeBot, identity: "Claude", matchedBy: "id" },
    ]);
  });

  test("identities: a configured machine user is an agent", () => {
    const machine = { id: 777, login: "acme-ci-agent", kind: "user" } as const;
    const policy = policyFrom({ agents: { identities: [{ name: "Acme CI agent", logins: ["acme-ci-agent"] }] } });
    expect(evaluate(pullRequest({ author: machine, commits: [commit(machine)] }), { policy }).detection).toMatchObject({
      involvement: "authored",
      signals: [
        { kind: "pr-author", identity: "Acme CI agent", matchedBy: "login" },
        { kind: "commit-author", identity: "Acme CI agent" },
        { kind: "commit-committer", identity: "Acme CI agent" },
      ],
      agents: [machine],
    });
  });

  test("trailers: a configured trailer makes a human's PR agent-assisted", () => {
    const pr = pullRequest({ author: carol, commits: [commit(carol, { message: "Fix\n\nCo-authored-by: Acme Bot <bot@acme.dev>" })] });
    expect(evaluate(pr).detection.involvement).toBe("none");
    const policy = policyFrom({ agents: { trailers: [{ name: "Acme bot", key: "Co-authored-by", pattern: "<bot@acme\\.dev>" }] } });
    expect(evaluate(pr, { policy }).detection).toMatchObject({ involvement: "assisted", signals: [{ kind: "trailer", rule: "Acme bot" }] });
  });
});

describe("delegation.required", () => {
  const optional = policyFrom({ delegation: { required: false } });

  test.each([
    ["no approval", [], "needs-approval", "action_required"],
    ["an independent approval", [review(bob)], "approved", "success"],
  ] as const)("false: an agent PR without a delegation with %s is decided by approvals alone", (_description, reviews, outcome, conclusion) => {
    const decision = evaluate(pullRequest({ reviews: [...reviews] }), { policy: optional });
    expect(decision).toMatchObject({ outcome, conclusion, owner: { kind: "missing" } });
    expect(decision.requirements.map((requirement) => requirement.kind)).toEqual(["approvals"]);
  });

  test("false: a delegation still names the owner, and the owner still cannot approve", () => {
    const decision = evaluate(pullRequest({ reviews: [review(alice)] }), { policy: optional, delegations: delegated, people: peopleFacts(writers(alice)) });
    expect(decision).toMatchObject({ outcome: "needs-approval", owner: { kind: "delegated" }, requirements: [{ kind: "owner", met: true }, { kind: "approvals", met: false }] });
    expect(decision.approvals[0]?.objections).toEqual([{ code: "delegator" }]);
  });

  test("true (default): the same approved PR needs a delegation", () => {
    expect(evaluate(pullRequest({ reviews: [review(bob)] })).outcome).toBe("needs-delegation");
  });
});

describe("delegation.implicit_owner", () => {
  test.each([
    [true, "approved", { kind: "implicit", owner: { id: 1003, login: "carol" } }],
    [false, "needs-delegation", { kind: "missing" }],
  ] as const)("%s: an agent-assisted PR opened by carol → %s", (implicitOwner, outcome, owner) => {
    const decision = evaluate(assistedPullRequest(carol, { reviews: [review(bob)] }), { policy: policyFrom({ delegation: { implicit_owner: implicitOwner } }) });
    expect(decision).toMatchObject({ outcome, owner });
  });

  test("never makes the agent that authored a PR its owner", () => {
    expect(evaluate(pullRequest({ reviews: [review(bob)] }), { policy: policyFrom({ delegation: { implicit_owner: true } }) }).outcome).toBe("needs-delegation");
  });
});

describe("delegation.delegators", () => {
  const member = (teams: Record<string, boolean> = {}) => new Map(Object.entries(teams));

  test.each<[string, object, { login: string; permission: Permission; memberships: Map<string, boolean> }, string | null]>([
    ["default: a writer may delegate", {}, { login: "bob", permission: "write", memberships: member() }, null],
    ["default: triage is not enough", {}, { login: "bob", permission: "triage", memberships: member() }, "@bob has triage permission on this repository; delegating needs write or higher."],
    ["min_permission maintain: a writer may not", { min_permission: "maintain" }, { login: "bob", permission: "write", memberships: member() }, "@bob has write permission on this repository; delegating needs maintain or higher."],
    ["min_permission maintain: an admin may", { min_permission: "maintain" }, { login: "bob", permission: "admin", memberships: member() }, null],
    ["min_permission read: a reader may", { min_permission: "read" }, { login: "bob", permission: "read", memberships: member() }, null],
    ["teams: a member of the team may", { teams: ["release-managers"] }, { login: "bob", permission: "write", memberships: member({ "acme/release-managers": true }) }, null],
    ["teams: a member of a team of another org may", { teams: ["platform/leads"] }, { login: "bob", permission: "write", memberships: member({ "platform/leads": true }) }, null],
    ["teams: a non-member may not", { teams: ["release-managers"] }, { login: "bob", permission: "write", memberships: member({ "acme/release-managers": false }) }, "only @acme/release-managers may delegate here (`delegation.delegators`)."],
    ["teams: an unknown membership is not membership", { teams: ["release-managers"] }, { login: "bob", permission: "admin", memberships: member() }, "only @acme/release-managers may delegate here (`delegation.delegators`)."],
    ["users: a listed user may, whatever the case", { users: ["Bob"] }, { login: "bob", permission: "write", memberships: member() }, null],
    ["users: an unlisted user may not", { users: ["alice"] }, { login: "bob", permission: "admin", memberships: member() }, "only @alice may delegate here (`delegation.delegators`)."],
    ["users: a listed user still needs min_permission", { users: ["bob"] }, { login: "bob", permission: "read", memberships: member() }, "@bob has read permission on this repository; delegating needs write or higher."],
    ["teams or users: either one is enough", { teams: ["release-managers"], users: ["alice"] }, { login: "bob", permission: "write", memberships: member({ "acme/release-managers": true }) }, null],
    ["teams or users: neither lists everyone allowed", { teams: ["release-managers"], users: ["alice"] }, { login: "bob", permission: "write", memberships: member() }, "only @acme/release-managers, @alice may delegate here (`delegation.delegators`)."],
  ])("%s", (_description, delegators, delegator, refusal) => {
    expect(delegatorRefusal(delegator, policyFrom({ delegation: { delegators } }))).toBe(refusal);
  });

  test("are shown in the decision for the next step", () => {
    const policy = policyFrom({ delegation: { delegators: { min_permission: "maintain", teams: ["release-managers", "platform/leads"], users: ["alice"] } } });
    expect(evaluate(pullRequest(), { policy }).delegators).toEqual({ minPermission: "maintain", teams: ["acme/release-managers", "platform/leads"], users: ["alice"] });
  });
});

describe("delegation.task", () => {
  const issue: TaskRef = { kind: "issue", ref: "#12", url: `https://github.com/acme/widgets/issues/12` };
  const url: TaskRef = { kind: "url", ref: "https://tracker.example/T-1", url: "https://tracker.example/T-1" };
  const ticket = (ref: string): TaskRef => ({ kind: "ticket", ref, url: null });
  const none: TaskRef = { kind: "none", ref: "", url: null };

  test.each<[string, object, TaskRef | null, RegExp | null]>([
    ["required (default): no task is refused", {}, null, /requires a task.*delegation\.task\.required/],
    ["required (default): a 'none' task is refused", {}, none, /requires a task/],
    ["required false: no task is fine", { required: false }, null, null],
    ["required false: a 'none' task is fine", { required: false }, none, null],
    ["required false: a task given is still checked", { required: false, forms: ["issue"] }, ticket("SEC-1"), /a task given as a ticket key is not accepted here; use issue/],
    ["default forms: an issue", {}, issue, null],
    ["default forms: a URL", {}, url, null],
    ["default forms: a ticket", {}, ticket("SEC-142"), null],
    ["forms [ticket]: an issue is refused", { forms: ["ticket"] }, issue, /a task given as an issue is not accepted here; use ticket \(`delegation\.task\.forms`\)/],
    ["forms [ticket]: a URL is refused", { forms: ["ticket"] }, url, /a task given as a URL is not accepted here; use ticket/],
    ["forms [issue, url]: a ticket is refused", { forms: ["issue", "url"] }, ticket("SEC-1"), /use issue or url/],
    ["default ticket_pattern: upper-case keys", {}, ticket("PROJ_2-99"), null],
    ["default ticket_pattern: a lower-case key is refused", {}, ticket("sec-142"), /`sec-142` is not a ticket key this repository accepts \(`delegation\.task\.ticket_pattern`/],
    ["default ticket_pattern: a one-letter project is refused", {}, ticket("A-1"), /is not a ticket key/],
    ["ticket_pattern ^SEC-\\d+$: SEC-7", { ticket_pattern: "^SEC-\\d+$" }, ticket("SEC-7"), null],
    ["ticket_pattern ^SEC-\\d+$: OPS-7 is refused", { ticket_pattern: "^SEC-\\d+$" }, ticket("OPS-7"), /`OPS-7` is not a ticket key.*\^SEC-\\d\+\$/],
    ["ticket_pattern is case-sensitive", { ticket_pattern: "^SEC-\\d+$" }, ticket("sec-7"), /is not a ticket key/],
  ])("%s", (_description, task, ref, refusal) => {
    const result = taskRefusal(ref, policyFrom({ delegation: { task } }));
    if (refusal === null) expect(result).toBeNull();
    else expect(result).toMatch(refusal);
  });
});

describe("delegation.default_expiry and delegation.max_expiry", () => {
  const ms = (text: string) => parseDuration(text)?.milliseconds ?? Number.NaN;

  test.each<[string, object, string | null, { ok: true; milliseconds: number | null } | RegExp]>([
    ["neither: no expiry", {}, null, { ok: true, milliseconds: null }],
    ["neither: the command's expiry", {}, "30d", { ok: true, milliseconds: 30 * DAY }],
    ["default_expiry: given when the command has none", { default_expiry: "7d" }, null, { ok: true, milliseconds: 7 * DAY }],
    ["default_expiry: the command's expiry wins", { default_expiry: "7d" }, "12h", { ok: true, milliseconds: 12 * HOUR }],
    ["default_expiry: the command may ask for longer without a maximum", { default_expiry: "7d" }, "30d", { ok: true, milliseconds: 30 * DAY }],
    ["max_expiry: implies the maximum when nothing else is given", { max_expiry: "2w" }, null, { ok: true, milliseconds: 14 * DAY }],
    ["max_expiry: a shorter request is kept", { max_expiry: "2w" }, "3d", { ok: true, milliseconds: 3 * DAY }],
    ["max_expiry: exactly the maximum is allowed", { max_expiry: "2w" }, "14d", { ok: true, milliseconds: 14 * DAY }],
    ["max_expiry: a longer request is refused, not shortened", { max_expiry: "2w" }, "15d", /^expires:15d is longer than this repository allows: at most 2w \(`delegation\.max_expiry`\)\.$/],
    ["both: the default when the command has none", { default_expiry: "1d", max_expiry: "1w" }, null, { ok: true, milliseconds: DAY }],
    ["both: a request over the maximum is refused", { default_expiry: "1d", max_expiry: "1w" }, "8d", /at most 1w/],
  ])("%s", (_description, config, requested, expected) => {
    const duration = requested === null ? null : { text: requested, milliseconds: ms(requested) };
    const result = delegationLifetime(duration, policyFrom({ delegation: config }));
    if (expected instanceof RegExp) {
      expect(result.ok).toBe(false);
      expect(result.ok ? "" : result.why).toMatch(expected);
    } else {
      expect(result).toEqual(expected);
    }
  });

  test("are compiled to milliseconds", () => {
    expect(policyFrom({ delegation: { default_expiry: "12h", max_expiry: "30d" } }).delegation).toMatchObject({ defaultExpiryMs: 12 * HOUR, maxExpiryMs: 30 * DAY });
  });
});

describe("approvals.required", () => {
  test.each([
    [1, [review(bob)], "approved", "Countersigned: delegated by @alice, approved by @bob"],
    [3, [review(bob), review(carol)], "needs-approval", "Needs 3 approvals by someone other than @alice (2 of 3)"],
    [3, [review(bob), review(carol), review(dave)], "approved", "Countersigned: delegated by @alice, approved by @bob, @carol, @dave"],
  ] as const)("%d required: %#", (required, reviews, outcome, title) => {
    const decision = evaluate(pullRequest({ reviews: [...reviews] }), { policy: policyFrom({ approvals: { required } }), delegations: delegated });
    expect(decision).toMatchObject({ outcome, requiredApprovals: required, countedApprovals: reviews.length });
    expect(decision.requirements.find((requirement) => requirement.kind === "approvals")).toMatchObject({ sources: [`approvals.required (${FILE})`], required });
    expect(decisionTitle(decision)).toBe(title);
  });
});

describe("approvals.approvers.min_permission", () => {
  test.each<[Permission | undefined, Permission, boolean]>([
    [undefined, "write", true],
    [undefined, "triage", false],
    ["maintain", "write", false],
    ["maintain", "maintain", true],
    ["maintain", "admin", true],
    ["admin", "maintain", false],
    ["triage", "triage", true],
    ["read", "read", true],
    ["read", "none", false],
  ])("min_permission %s: an approver with %s counts: %s", (minPermission, permission, counts) => {
    const policy = policyFrom(minPermission ? { approvals: { approvers: { min_permission: minPermission } } } : {});
    const decision = evaluate(pullRequest({ reviews: [review(bob)] }), { policy, delegations: delegated, people: peopleFacts(permissions([[bob, permission]])) });
    expect(decision.approvals[0]).toMatchObject({ counted: counts, objections: counts ? [] : [{ code: "insufficient-permission", permission, required: minPermission ?? "write" }] });
    expect(decision.outcome).toBe(counts ? "approved" : "needs-approval");
  });
});

describe("approvals.approvers.teams", () => {
  const policy = policyFrom({ approvals: { approvers: { teams: ["reviewers", "platform/security"] } } });

  test.each<[string, Record<string, Array<[Actor, boolean]>>, boolean, ApprovalObjection[]]>([
    ["a member of the first team", { "acme/reviewers": [[bob, true]] }, true, []],
    ["a member of a team of another org", { "acme/reviewers": [[bob, false]], "platform/security": [[bob, true]] }, true, []],
    ["a member of one team, the other not looked up", { "platform/security": [[bob, true]] }, true, []],
    ["known to be in neither team", { "acme/reviewers": [[bob, false]], "platform/security": [[bob, false]] }, false, [{ code: "not-in-approver-team", teams: ["acme/reviewers", "platform/security"] }]],
    ["not in one, the other unknown", { "acme/reviewers": [[bob, false]] }, false, [{ code: "membership-unknown" }]],
    ["membership not looked up at all", {}, false, [{ code: "membership-unknown" }]],
  ])("%s: counts %s", (_description, teams, counts, objections) => {
    const decision = evaluate(pullRequest({ reviews: [review(bob)] }), { policy, delegations: delegated, people: peopleFacts(writers(bob), teams) });
    expect(decision.approvals[0]).toMatchObject({ counted: counts, objections });
    expect(decision.outcome).toBe(counts ? "approved" : "needs-approval");
  });

  test("an unknown membership asks for the lookup of the reviewer and the approver teams", () => {
    const decision = evaluate(pullRequest({ reviews: [review(bob)] }), { policy, delegations: delegated, people: peopleFacts(writers(bob)) });
    expect(decision.pendingLookups).toEqual({ reviewers: [bob], teams: [{ org: "acme", slug: "reviewers" }, { org: "platform", slug: "security" }] });
  });

  test("a team member still needs the minimum permission", () => {
    const decision = evaluate(pullRequest({ reviews: [review(bob)] }), { policy, delegations: delegated, people: peopleFacts(permissions([[bob, "read"]]), { "acme/reviewers": [[bob, true]] }) });
    expect(decision.approvals[0]?.objections).toEqual([{ code: "insufficient-permission", permission: "read", required: "write" }]);
  });
});

describe("approvals.exclude", () => {
  // PR #7 by carol, with commits by claude[bot] co-authored by dave, delegated by alice.
  const pr = (reviewer: Actor) =>
    pullRequest({ author: carol, commits: [commit(claudeBot, { coAuthors: [dave] })], reviews: [review(reviewer)] });
  const everyone = peopleFacts(writers(alice, bob, carol, dave));

  test.each([
    ["delegator", { delegator: false }, alice, "delegator"],
    ["pr_author", { pr_author: false }, carol, "pr-author"],
    ["commit_authors", { commit_authors: false }, dave, "commit-participant"],
  ] as const)("%s: false lets that person's approval count, recorded as waived", (_key, exclude, reviewer, waived) => {
    const strict = evaluate(pr(reviewer), { delegations: delegated, people: everyone });
    expect(strict).toMatchObject({ outcome: "needs-approval", approvals: [{ counted: false, waived: [] }] });
    expect(strict.approvals[0]?.objections.map((objection) => objection.code)).toEqual([waived]);
    expect(strict.excluded.map((person) => person.actor.login)).toContain(reviewer.login);

    const loose = evaluate(pr(reviewer), { policy: policyFrom({ approvals: { exclude } }), delegations: delegated, people: everyone });
    expect(loose).toMatchObject({ outcome: "approved", countedApprovals: 1, approvals: [{ counted: true, objections: [], waived: [waived] }] });
    expect(loose.excluded.map((person) => person.actor.login)).not.toContain(reviewer.login);
  });

  test("a person excluded on two counts needs both waived", () => {
    // alice delegated and co-authored: waiving only the delegator rule is not enough.
    const twice = pullRequest({ commits: [commit(claudeBot, { coAuthors: [alice] })], reviews: [review(alice)] });
    const oneWaived = evaluate(twice, { policy: policyFrom({ approvals: { exclude: { delegator: false } } }), delegations: delegated, people: everyone });
    expect(oneWaived.approvals[0]).toMatchObject({ counted: false, objections: [{ code: "commit-participant" }], waived: ["delegator"] });
    const bothWaived = evaluate(twice, { policy: policyFrom({ approvals: { exclude: { delegator: false, commit_authors: false } } }), delegations: delegated, people: everyone });
    expect(bothWaived.approvals[0]).toMatchObject({ counted: true, waived: ["delegator", "commit-participant"] });
  });

  test("a solo maintainer with every exclusion off can approve their own agent-assisted PR", () => {
    const policy = policyFrom({ approvals: { exclude: { delegator: false, pr_author: false, commit_authors: false } } });
    const decision = evaluate(assistedPullRequest(carol, { reviews: [review(carol)] }), { policy, people: everyone });
    expect(decision).toMatchObject({ outcome: "approved", excluded: [], approvals: [{ counted: true, waived: ["delegator", "pr-author", "commit-participant"] }] });
  });

  test("no exclusion setting lets an agent or a bot approve", () => {
    const policy = policyFrom({ approvals: { exclude: { delegator: false, pr_author: false, commit_authors: false } } });
    const decision = evaluate(pullRequest({ reviews: [review(claudeBot), review(dependabot)] }), { policy, delegations: delegated, people: peopleFacts(writers(claudeBot, dependabot)) });
    expect(decision.countedApprovals).toBe(0);
    expect(decision.approvals.map((verdict) => verdict.objections[0]?.code)).toEqual(["agent", "bot"]);
  });
});

describe("tiers: conditions", () => {
  const tier = (when: object) => policyFrom({ tiers: [{ name: "custom", when, require: { approvals: 3 } }] });
  const applies = (when: object, pr: { files?: string[]; baseRef?: string; labels?: string[] }) =>
    applicableTiers(tier(when), { files: pr.files ?? ["src/a.ts"], baseRef: pr.baseRef ?? "main", labels: pr.labels ?? [] }).some((applied) => applied.name === "custom");

  test.each<[string, object, { files?: string[]; baseRef?: string; labels?: string[] }, boolean]>([
    ["paths: a matching file", { paths: ["src/auth/**"] }, { files: ["src/a.ts", "src/auth/login.ts"] }, true],
    ["paths: no matching file", { paths: ["src/auth/**"] }, { files: ["src/a.ts"] }, false],
    ["paths: globs match dotfiles", { paths: ["config/**"] }, { files: ["config/.env"] }, true],
    ["base_branches: a matching base", { base_branches: ["release/*"] }, { baseRef: "release/1.2" }, true],
    ["base_branches: another base", { base_branches: ["release/*"] }, { baseRef: "main" }, false],
    ["labels: a matching label, in any case", { labels: ["security"] }, { labels: ["Security"] }, true],
    ["labels: no matching label", { labels: ["security"] }, { labels: ["docs"] }, false],
    ["paths and labels: both hold", { paths: ["src/auth/**"], labels: ["security"] }, { files: ["src/auth/a.ts"], labels: ["security"] }, true],
    ["paths and labels: only the path", { paths: ["src/auth/**"], labels: ["security"] }, { files: ["src/auth/a.ts"] }, false],
    ["paths and labels: only the label", { paths: ["src/auth/**"], labels: ["security"] }, { labels: ["security"] }, false],
    ["paths and base_branches: both hold", { paths: ["src/**"], base_branches: ["main"] }, { baseRef: "main" }, true],
    ["paths and base_branches: wrong base", { paths: ["src/**"], base_branches: ["main"] }, { baseRef: "develop" }, false],
    ["all three: all hold", { paths: ["src/**"], base_branches: ["main"], labels: ["hotfix"] }, { labels: ["hotfix"] }, true],
    ["all three: one missing", { paths: ["src/**"], base_branches: ["main"], labels: ["hotfix"] }, { baseRef: "develop", labels: ["hotfix"] }, false],
  ])("%s → applies: %s", (_description, when, pr, expected) => {
    expect(applies(when, pr)).toBe(expected);
  });

  test("an applying tier records what made it apply", () => {
    const policy = tier({ paths: ["src/**"], base_branches: ["main"], labels: ["security"] });
    const decision = evaluate(pullRequest({ files: ["src/a.ts", "README.md", "src/b.ts"], labels: ["Security", "docs"], reviews: [review(bob)] }), { policy, delegations: delegated });
    expect(decision.tiers).toEqual([{ name: "custom", builtIn: false, require: { approvals: 3 }, files: ["src/a.ts", "src/b.ts"], baseBranch: "main", labels: ["Security"] }]);
    expect(decision.reasons).toContain("tier:custom");
  });
});

describe("tiers: requirements", () => {
  test.each([
    ["the policy's count when higher than the tier's", { approvals: { required: 4 } }, 4, [`approvals.required (${FILE})`]],
    ["the tier's count when higher than the policy's", {}, 3, [`tier:auth (${FILE})`]],
    ["never lower than the policy's: a tier asking for 1 of a policy asking 2", { approvals: { required: 2 }, tiers: [{ name: "auth", when: { paths: ["src/auth/**"] }, require: { approvals: 1 } }] }, 2, [`approvals.required (${FILE})`]],
    [
      "the highest of several applying tiers",
      { tiers: [{ name: "auth", when: { paths: ["src/auth/**"] }, require: { approvals: 3 } }, { name: "security", when: { labels: ["security"] }, require: { approvals: 5 } }] },
      5,
      [`tier:security (${FILE})`],
    ],
  ])("approvals: %s", (_description, config, required, sources) => {
    const policy = policyFrom({ tiers: [{ name: "auth", when: { paths: ["src/auth/**"] }, require: { approvals: 3 } }], ...config });
    const decision = evaluate(pullRequest({ files: ["src/auth/login.ts"], labels: ["security"] }), { policy, delegations: delegated });
    expect(decision.requiredApprovals).toBe(required);
    expect(decision.requirements.find((requirement) => requirement.kind === "approvals")).toMatchObject({ required, sources });
  });

  describe("approver_teams", () => {
    const policy = policyFrom({ tiers: [{ name: "infra", when: { paths: ["infra/**"] }, require: { approver_teams: ["platform", "sec/reviewers"] } }] });
    const pr = (...reviewers: Actor[]) => pullRequest({ files: ["infra/network.sh"], reviews: reviewers.map((reviewer) => review(reviewer)) });

    test.each<[string, Actor[], Record<string, Array<[Actor, boolean]>>, Outcome, string[]]>([
      ["a member of each team approved", [bob, carol], { "acme/platform": [[bob, true]], "sec/reviewers": [[carol, true]] }, "approved", []],
      ["one approver in both teams is enough", [bob], { "acme/platform": [[bob, true]], "sec/reviewers": [[bob, true]] }, "approved", []],
      ["no member of sec/reviewers approved", [bob, carol], { "acme/platform": [[bob, true]], "sec/reviewers": [[carol, false]] }, "needs-team-approval", ["sec/reviewers"]],
      ["membership not looked up", [bob], {}, "needs-team-approval", ["acme/platform", "sec/reviewers"]],
    ])("%s → %s", (_description, reviewers, teams, outcome, unmet) => {
      const decision = evaluate(pr(...reviewers), { policy, delegations: delegated, people: peopleFacts(writers(bob, carol), teams) });
      expect(decision.outcome).toBe(outcome);
      expect(decision.requirements.filter((requirement) => requirement.kind === "team-approval" && !requirement.met).map((requirement) => (requirement.kind === "team-approval" ? requirement.team : ""))).toEqual(unmet);
      expect(decision.pendingLookups.teams).toEqual([{ org: "acme", slug: "platform" }, { org: "sec", slug: "reviewers" }]);
    });

    test("the title names the first team still missing; a team member's approval only counts when it counts at all", () => {
      // carol is in the team but approved an older commit.
      const pr2 = pullRequest({ files: ["infra/network.sh"], reviews: [review(bob), review(carol, "APPROVED", OLD)] });
      const decision = evaluate(pr2, { policy, delegations: delegated, people: peopleFacts(writers(bob, carol), { "acme/platform": [[bob, true]], "sec/reviewers": [[bob, false], [carol, true]] }) });
      expect(decision.outcome).toBe("needs-team-approval");
      expect(decisionTitle(decision)).toBe("Needs an approval from @sec/reviewers");
    });

    test("the approval count comes first", () => {
      const decision = evaluate(pr(), { policy, delegations: delegated });
      expect(decision.outcome).toBe("needs-approval");
    });
  });

  describe("max_delegation_expiry", () => {
    const policy = policyFrom({ tiers: [{ name: "prod", when: { base_branches: ["main"] }, require: { max_delegation_expiry: "1d" } }] });
    const created = new Date(NOW.getTime() - HOUR);
    const lasting = (ms: number | null) => delegation({ createdAt: created, expiresAt: ms === null ? null : new Date(created.getTime() + ms) });

    test.each([
      ["12h", 12 * HOUR, "approved"],
      ["exactly 1d", DAY, "approved"],
      ["2d", 2 * DAY, "delegation-too-long"],
      ["no expiry", null, "delegation-too-long"],
    ] as const)("a delegation lasting %s → %s", (_description, ms, outcome) => {
      const decision = evaluate(pullRequest({ reviews: [review(bob)] }), { policy, delegations: [lasting(ms)] });
      expect(decision.outcome).toBe(outcome);
      expect(decision.requirements.find((requirement) => requirement.kind === "delegation-expiry")).toMatchObject({ maxMs: DAY, actualMs: ms, sources: [`tier:prod (${FILE})`], met: outcome === "approved" });
      if (outcome !== "approved") {
        expect(decision.enforcedConclusion).toBe("action_required");
        expect(decisionTitle(decision)).toBe("Needs a shorter delegation: at most 1d");
      }
    });

    test("does not apply when the tier does not", () => {
      const decision = evaluate(pullRequest({ baseRef: "develop", reviews: [review(bob)] }), { policy, delegations: [lasting(null)] });
      expect(decision.outcome).toBe("approved");
      expect(decision.requirements.map((requirement) => requirement.kind)).not.toContain("delegation-expiry");
    });

    test("an implicit owner has no delegation to limit", () => {
      const decision = evaluate(assistedPullRequest(carol, { reviews: [review(bob)] }), { policy });
      expect(decision).toMatchObject({ outcome: "approved", owner: { kind: "implicit" } });
    });

    // BUG (src/policy/evaluate.ts): the limit of several applying tiers is computed with `strictest`,
    // which takes the maximum; for a maximum expiry the strictest value is the smallest. A 3-day
    // delegation passes a tier that allows 1 day as soon as another applying tier allows 7 days.
    test("with several applying tiers, the shortest limit holds", () => {
      const two = policyFrom({
        tiers: [
          { name: "prod", when: { base_branches: ["main"] }, require: { max_delegation_expiry: "1d" } },
          { name: "infra", when: { paths: ["src/**"] }, require: { max_delegation_expiry: "7d" } },
        ],
      });
      const decision = evaluate(pullRequest({ reviews: [review(bob)] }), { policy: two, delegations: [lasting(3 * DAY)] });
      expect(decision.requirements.find((requirement) => requirement.kind === "delegation-expiry")).toMatchObject({ maxMs: DAY, met: false });
      expect(decision.outcome).toBe("delegation-too-long");
    });
  });

  describe("agents_forbidden", () => {
    const policy = policyFrom({ tiers: [{ name: "secrets", when: { paths: ["secrets/**"] }, require: { agents_forbidden: true } }] });

    test("an agent PR touching the tier fails whoever approves", () => {
      const decision = evaluate(pullRequest({ files: ["src/a.ts", "secrets/prod.enc"], reviews: [review(bob), review(carol)] }), { policy, delegations: delegated });
      expect(decision).toMatchObject({ outcome: "forbidden", conclusion: "failure", enforcedConclusion: "failure", countedApprovals: 2 });
      // Listed first: no approval or delegation can fix it.
      expect(decision.requirements[0]).toEqual({ kind: "agents-allowed", met: false, tiers: ["secrets"], files: ["secrets/prod.enc"], sources: [`tier:secrets (${FILE})`] });
      expect(decisionTitle(decision)).toBe("Agents may not change this: tier secrets");
    });

    test("an agent PR not touching it is unaffected", () => {
      expect(evaluate(pullRequest({ reviews: [review(bob)] }), { policy, delegations: delegated }).outcome).toBe("approved");
    });

    test("a person's PR touching it is not an agent change", () => {
      expect(evaluate(pullRequest({ author: alice, commits: [commit(alice)], files: ["secrets/prod.enc"] }), { policy }).outcome).toBe("no-agent");
    });

    test("agents_forbidden: false forbids nothing", () => {
      const allowed = policyFrom({ tiers: [{ name: "secrets", when: { paths: ["secrets/**"] }, require: { agents_forbidden: false } }] });
      expect(evaluate(pullRequest({ files: ["secrets/prod.enc"], reviews: [review(bob)] }), { policy: allowed, delegations: delegated }).outcome).toBe("approved");
    });
  });
});

describe("tiers: the built-in sensitive tier", () => {
  test.each([
    ".github/workflows/ci.yml",
    ".github/actions/setup/action.yml",
    ".github/countersign.yml",
    "CODEOWNERS",
    ".github/CODEOWNERS",
    "docs/CODEOWNERS",
    "infra/main.tf",
    "env/prod.tfvars",
    "deploy/main.bicep",
    "Dockerfile",
    "services/api/Dockerfile",
    "docker-compose.prod.yml",
    "deploy/k8s/deployment.yaml",
    "charts/helm/values.yaml",
    "package.json",
    "packages/ui/package.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "requirements-dev.txt",
    "pyproject.toml",
    "poetry.lock",
    "Pipfile",
    "Pipfile.lock",
    "go.mod",
    "tools/go.sum",
    "Cargo.toml",
    "Cargo.lock",
    "Gemfile",
    "Gemfile.lock",
    "pom.xml",
    "build.gradle",
    "app/build.gradle.kts",
  ])("%s needs two independent approvals", (file) => {
    const one = evaluate(pullRequest({ files: ["src/a.ts", file], reviews: [review(bob)] }), { delegations: delegated });
    expect(one).toMatchObject({ outcome: "needs-approval", requiredApprovals: 2, tiers: [{ name: "sensitive", builtIn: true, files: [file] }] });
    expect(one.requirements.find((requirement) => requirement.kind === "approvals")?.sources).toEqual(["tier:sensitive"]);
    expect(evaluate(pullRequest({ files: ["src/a.ts", file], reviews: [review(bob), review(carol)] }), { delegations: delegated }).outcome).toBe("approved");
  });

  test.each(["src/index.ts", "docs/package.md", ".github/ISSUE_TEMPLATE/bug.md", "README.md", "src/packagejson.ts", "CODEOWNERS.md"])("%s is not sensitive", (file) => {
    expect(evaluate(pullRequest({ files: [file], reviews: [review(bob)] }), { delegations: delegated })).toMatchObject({ outcome: "approved", requiredApprovals: 1, tiers: [] });
  });

  test("every built-in sensitive path is a glob the schema would accept", () => {
    expect(policyFrom({ tiers: [{ name: "copy", when: { paths: [...SENSITIVE_PATHS] }, require: { approvals: 2 } }] }).tiers.map((tier) => tier.name)).toEqual(["sensitive", "copy"]);
  });

  test("a tier named sensitive replaces the built-in one", () => {
    const policy = policyFrom({ tiers: [{ name: "sensitive", when: { paths: ["infra/**"] }, require: { approvals: 3 } }] });
    expect(policy.tiers.map((tier) => [tier.name, tier.builtIn])).toEqual([["sensitive", false]]);
    expect(evaluate(pullRequest({ files: ["package.json"], reviews: [review(bob)] }), { policy, delegations: delegated })).toMatchObject({ outcome: "approved", tiers: [] });
    expect(evaluate(pullRequest({ files: ["infra/x.sh"], reviews: [review(bob), review(carol)] }), { policy, delegations: delegated })).toMatchObject({
      outcome: "needs-approval",
      requiredApprovals: 3,
      tiers: [{ name: "sensitive", builtIn: false }],
    });
  });

  test("enabled: false switches the built-in tier off", () => {
    const policy = policyFrom({ tiers: [{ name: "sensitive", enabled: false, when: { paths: ["x"] }, require: {} }] });
    expect(policy.tiers).toEqual([]);
    expect(evaluate(pullRequest({ files: ["package.json", ".github/workflows/ci.yml"], reviews: [review(bob)] }), { policy, delegations: delegated })).toMatchObject({ outcome: "approved", requiredApprovals: 1, tiers: [] });
  });

  test("enabled: false leaves a policy's own tier out; tiers keep their order after the built-in one", () => {
    const policy = policyFrom({
      tiers: [
        { name: "docs", when: { paths: ["docs/**"] }, require: { approvals: 2 } },
        { name: "off", enabled: false, when: { paths: ["src/**"] }, require: { approvals: 5 } },
        { name: "auth", when: { paths: ["src/auth/**"] }, require: { approvals: 3 } },
      ],
    });
    expect(policy.tiers.map((tier) => tier.name)).toEqual(["sensitive", "docs", "auth"]);
    expect(evaluate(pullRequest({ files: ["src/a.ts"], reviews: [review(bob)] }), { policy, delegations: delegated })).toMatchObject({ outcome: "approved", tiers: [] });
  });
});

describe("scope.enforce_paths", () => {
  const scoped = [delegation({ scopePaths: ["src/**"] })];
  const pr = pullRequest({ files: ["src/a.ts", "scripts/release.sh"], reviews: [review(bob)] });

  test.each([
    [true, "out-of-scope", "failure", ["scripts/release.sh"]],
    [false, "approved", "success", []],
  ] as const)("%s: a file outside the delegation's paths → %s", (enforcePaths, outcome, conclusion, outOfScope) => {
    const decision = evaluate(pr, { policy: policyFrom({ scope: { enforce_paths: enforcePaths } }), delegations: scoped });
    expect(decision).toMatchObject({ outcome, conclusion, outOfScope: [...outOfScope] });
    expect(decision.requirements.some((requirement) => requirement.kind === "scope-paths")).toBe(enforcePaths);
  });

  test("no approval can widen the scope", () => {
    const decision = evaluate(pullRequest({ files: ["scripts/release.sh"], reviews: [review(bob), review(carol), review(dave)] }), { delegations: scoped });
    expect(decision).toMatchObject({ outcome: "out-of-scope", conclusion: "failure", countedApprovals: 3 });
  });
});

describe("scope.base_branches and a delegation's branches", () => {
  test.each<[string, object, string[], string, boolean]>([
    ["the policy allows main: main", { scope: { base_branches: ["main", "release/*"] } }, [], "main", true],
    ["the policy allows release/*: release/1.2", { scope: { base_branches: ["main", "release/*"] } }, [], "release/1.2", true],
    ["the policy does not allow develop", { scope: { base_branches: ["main", "release/*"] } }, [], "develop", false],
    ["the delegation allows develop", {}, ["develop"], "develop", true],
    ["the delegation does not allow main", {}, ["develop"], "main", false],
    ["both allow main", { scope: { base_branches: ["main", "develop"] } }, ["main"], "main", true],
    ["the policy allows develop but the delegation does not", { scope: { base_branches: ["main", "develop"] } }, ["main"], "develop", false],
    ["the delegation allows develop but the policy does not", { scope: { base_branches: ["main"] } }, ["develop"], "develop", false],
  ])("%s", (_description, config, scopeBranches, baseRef, allowed) => {
    const decision = evaluate(pullRequest({ baseRef, reviews: [review(bob)] }), { policy: policyFrom(config), delegations: [delegation({ scopeBranches })] });
    expect(decision.outcome).toBe(allowed ? "approved" : "base-branch");
    expect(decision.enforcedConclusion).toBe(allowed ? "success" : "failure");
    expect(decision.requirements.find((requirement) => requirement.kind === "base-branch")).toMatchObject({ met: allowed, base: baseRef });
    if (!allowed) expect(decisionTitle(decision)).toBe(`Base branch ${baseRef} is not allowed for this agent change`);
  });

  test("without either, any base branch will do and there is no base-branch requirement", () => {
    const decision = evaluate(pullRequest({ baseRef: "anything", reviews: [review(bob)] }), { delegations: delegated });
    expect(decision.outcome).toBe("approved");
    expect(decision.requirements.map((requirement) => requirement.kind)).not.toContain("base-branch");
  });

  test("the policy's branches hold without a delegation too (an implicit owner)", () => {
    const decision = evaluate(assistedPullRequest(carol, { baseRef: "develop", reviews: [review(bob)] }), { policy: policyFrom({ scope: { base_branches: ["main"] } }) });
    expect(decision).toMatchObject({ outcome: "base-branch", owner: { kind: "implicit" } });
    expect(decision.requirements[0]).toEqual({ kind: "base-branch", met: false, sources: [`scope.base_branches (${FILE})`], base: "develop", policyBranches: ["main"], delegationBranches: null });
  });

  test("the base-branch block comes before the owner", () => {
    expect(evaluate(pullRequest({ baseRef: "develop" }), { policy: policyFrom({ scope: { base_branches: ["main"] } }) }).outcome).toBe("base-branch");
  });
});

describe("protected_branches", () => {
  test.each<[string, object, string, string, boolean]>([
    ["unset: the default branch", {}, "main", "main", true],
    ["unset: another branch", {}, "develop", "main", false],
    ["unset: a default branch named trunk", {}, "trunk", "trunk", true],
    ["listed: a listed branch", { protected_branches: ["main", "release/*"] }, "release/2.0", "main", true],
    ["listed: the default branch when listed", { protected_branches: ["main", "release/*"] }, "main", "main", true],
    ["listed: the default branch when not listed", { protected_branches: ["release/*"] }, "main", "main", false],
    ["listed: a pattern does not cross a slash", { protected_branches: ["release/*"] }, "release/2.0/hotfix", "main", false],
  ])("%s", (_description, config, branch, defaultBranch, protectedBranch) => {
    expect(isProtectedBranch(branch, defaultBranch, policyFrom(config).protectedBranches)).toBe(protectedBranch);
  });
});

describe("delegation expiry", () => {
  test.each([
    ["expires after now", new Date(NOW.getTime() + 1), "approved", null],
    ["expires exactly now", NOW, "needs-delegation", "delegation-expired"],
    ["expired an hour ago", new Date(NOW.getTime() - HOUR), "needs-delegation", "delegation-expired"],
  ] as const)("a delegation that %s → %s", (_description, expiresAt, outcome, reason) => {
    const decision = evaluate(pullRequest({ reviews: [review(bob)] }), { delegations: [delegation({ expiresAt })] });
    expect(decision.outcome).toBe(outcome);
    if (reason) expect(decision.reasons).toContain(reason);
  });

  test("with delegation.required false, a lapsed delegation neither owns nor blocks", () => {
    const decision = evaluate(pullRequest({ reviews: [review(bob)] }), { policy: policyFrom({ delegation: { required: false } }), delegations: [delegation({ expiresAt: NOW, scopePaths: ["docs/**"] })] });
    expect(decision).toMatchObject({ outcome: "approved", owner: { kind: "missing", lapsed: "expired" }, outOfScope: [] });
  });
});

describe("a PR that changes .github/countersign.yml", () => {
  test("is flagged as changing the policy and falls under the sensitive tier", () => {
    const decision = evaluate(pullRequest({ files: [".github/countersign.yml"], reviews: [review(bob)] }), { delegations: delegated });
    expect(decision).toMatchObject({ changesPolicy: true, outcome: "needs-approval", requiredApprovals: 2, tiers: [{ name: "sensitive", files: [".github/countersign.yml"] }] });
  });

  test.each([["src/a.ts"], ["docs/.github/countersign.yml"], [".github/countersign.yaml"]])("changing only %s does not change the policy", (file) => {
    expect(evaluate(pullRequest({ files: [file] }), { delegations: delegated }).changesPolicy).toBe(false);
  });

  test("is flagged whatever the policy's tiers say", () => {
    const policy = policyFrom({ tiers: [{ name: "sensitive", enabled: false, when: { paths: ["x"] }, require: {} }] });
    expect(evaluate(pullRequest({ files: [".github/countersign.yml"] }), { policy, delegations: delegated })).toMatchObject({ changesPolicy: true, tiers: [] });
  });

  test("by a person, without agent involvement, is only flagged", () => {
    expect(evaluate(pullRequest({ author: erin, commits: [commit(erin)], files: [".github/countersign.yml"] }))).toMatchObject({ outcome: "no-agent", conclusion: "success", changesPolicy: true });
  });
});

describe("the decision records the policy version", () => {
  test("policyHash is the compiled policy's hash, and the reasons carry its prefix", () => {
    const policy = policyFrom({ approvals: { required: 2 } });
    const decision = evaluate(pullRequest(), { policy });
    expect(decision.policyHash).toBe(policy.hash);
    expect(decision.reasons).toContain(`policy:${policy.hash.slice(0, 12)}`);
    expect(evaluate(pullRequest()).policyHash).toBe(defaultPolicy().hash);
  });

  test("a reviewer's agent identity is never an approver, whichever agent it is", () => {
    const decision = evaluate(pullRequest({ reviews: [review(cursorBot)] }), { delegations: delegated, people: peopleFacts(writers(cursorBot)) });
    expect(decision.approvals[0]?.objections).toEqual([{ code: "agent", identity: "Cursor" }]);
  });
});
