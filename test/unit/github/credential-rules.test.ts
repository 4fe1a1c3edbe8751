import nock from "nock";
import { afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { ProbotOctokit } from "probot";
import { credentialRulesNote } from "../../../src/evidence/check-run-output.js";
import { CredentialRulesDoctor, interpretBotRules, type RulesetAnswer } from "../../../src/github/credential-rules.js";

// The setup doctor's credential-app question: do the rules in force on a base branch keep the
// credential app's bot from pushing to it? Asked as the bot (GitHub answers `current_user_can_bypass`
// for whoever asks); protection is claimed only when GitHub said "never" for a push-blocking ruleset.

const answers = (entries: Array<[number, RulesetAnswer]>) => new Map(entries);

describe("interpretBotRules", () => {
  test("a pull-request rule the bot can never bypass is in force", () => {
    expect(interpretBotRules([{ type: "pull_request", rulesetId: 1 }], answers([[1, { name: "main", bypass: "never" }]]))).toEqual({ state: "in-force", rulesets: ["main"] });
  });

  test.each(["always", "pull_requests_only", "exempt"])("a ruleset the bot may bypass (%s) does not protect the branch", (bypass) => {
    expect(interpretBotRules([{ type: "update", rulesetId: 1 }], answers([[1, { name: "main", bypass }]]))).toEqual({ state: "not-in-force", bypassable: [{ name: "main", bypass }] });
  });

  test("rules that do not stop a push (force-push, deletion, a required check) are not protection", () => {
    expect(interpretBotRules([{ type: "non_fast_forward", rulesetId: 1 }, { type: "deletion", rulesetId: 1 }, { type: "required_status_checks", rulesetId: 1 }], answers([[1, { name: "main", bypass: "never" }]]))).toEqual({ state: "not-in-force", bypassable: [] });
  });

  test("an unread ruleset, a failed read or no bypass answer is unknown, never in force", () => {
    expect(interpretBotRules([{ type: "update", rulesetId: 1 }], answers([]))).toMatchObject({ state: "unknown" });
    expect(interpretBotRules([{ type: "update", rulesetId: 1 }], answers([[1, { error: "HTTP 403" }]]))).toMatchObject({ state: "unknown", reason: expect.stringContaining("HTTP 403") });
    expect(interpretBotRules([{ type: "update", rulesetId: 1 }], answers([[1, { name: "main", bypass: null }]]))).toMatchObject({ state: "unknown" });
    expect(interpretBotRules([{ type: "update", rulesetId: null }], answers([]))).toMatchObject({ state: "unknown" });
  });

  test("one protecting ruleset is enough, whatever the others allow", () => {
    const rules = [{ type: "update", rulesetId: 1 }, { type: "pull_request", rulesetId: 2 }];
    expect(interpretBotRules(rules, answers([[1, { name: "loose", bypass: "always" }], [2, { name: "strict", bypass: "never" }]]))).toEqual({ state: "in-force", rulesets: ["strict"] });
  });
});

describe("CredentialRulesDoctor", () => {
  const API = "https://credentials.test";
  const repo = { owner: "acme", name: "widgets", id: 42 };
  const clients = { appOctokit: async () => new ProbotOctokit({ auth: { token: "app-jwt" }, baseUrl: API, retry: { enabled: false }, throttle: { enabled: false } }), octokitWithToken: (token: string) => new ProbotOctokit({ auth: { token }, baseUrl: API, retry: { enabled: false }, throttle: { enabled: false } }) };
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());

  /** The credential app installed on acme/widgets, and the read-only token the doctor asks as. */
  function installed(): { mint: nock.Scope } {
    nock(API).get("/repos/acme/widgets/installation").reply(200, { id: 77, permissions: { contents: "write", metadata: "read" } });
    const mint = nock(API)
      .post("/app/installations/77/access_tokens", (body: { repository_ids?: number[]; permissions?: Record<string, string> }) => JSON.stringify(body.repository_ids) === "[42]" && JSON.stringify(body.permissions) === JSON.stringify({ metadata: "read" }))
      .reply(201, { token: "ghs_doctor", expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { metadata: "read" } });
    nock(API, { reqheaders: { authorization: "token ghs_doctor" } }).delete("/installation/token").reply(204);
    return { mint };
  }

  test("asks as the bot with a metadata-only token for this repository, revokes it, and caches the answer", async () => {
    const { mint } = installed();
    nock(API, { reqheaders: { authorization: "token ghs_doctor" } }).get("/repos/acme/widgets/rules/branches/main").query(true).reply(200, [{ type: "pull_request", ruleset_id: 9, ruleset_source_type: "Organization", ruleset_source: "acme" }]);
    nock(API, { reqheaders: { authorization: "token ghs_doctor" } }).get("/repos/acme/widgets/rulesets/9").query({ includes_parents: "true" }).reply(200, { id: 9, name: "agents stay off main", current_user_can_bypass: "never" });
    const doctor = new CredentialRulesDoctor(clients, 600_000);
    await expect(doctor.check(repo, "main")).resolves.toEqual({ state: "in-force", rulesets: ["agents stay off main"] });
    expect(mint.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
    // Cached: no second mint, no second read.
    await expect(doctor.check(repo, "main")).resolves.toMatchObject({ state: "in-force" });
  });

  test("a bot that can bypass every push-blocking ruleset is not held off the branch", async () => {
    installed();
    nock(API).get("/repos/acme/widgets/rules/branches/main").query(true).reply(200, [{ type: "update", ruleset_id: 3 }]);
    nock(API).get("/repos/acme/widgets/rulesets/3").query(true).reply(200, { id: 3, name: "main", current_user_can_bypass: "always" });
    await expect(new CredentialRulesDoctor(clients, 600_000).check(repo, "main")).resolves.toEqual({ state: "not-in-force", bypassable: [{ name: "main", bypass: "always" }] });
  });

  test("not installed is said as such; a refused read is unknown", async () => {
    nock(API).get("/repos/acme/widgets/installation").reply(404, { message: "Not Found" });
    await expect(new CredentialRulesDoctor(clients, 600_000).check(repo, "main")).resolves.toEqual({ state: "not-installed" });
    installed();
    nock(API).get("/repos/acme/widgets/rules/branches/main").query(true).reply(403, { message: "Resource not accessible by integration" });
    await expect(new CredentialRulesDoctor(clients, 600_000).check(repo, "main")).resolves.toMatchObject({ state: "unknown", reason: expect.stringContaining("HTTP 403") });
    expect(nock.pendingMocks()).toEqual([]);
  });

  test("without the credential app's key, nothing is asked and the answer is unknown", async () => {
    await expect(new CredentialRulesDoctor(null, 600_000).check(repo, "main")).resolves.toMatchObject({ state: "unknown" });
  });
});

describe("the check run's credential-app note", () => {
  test("in force is one line naming the ruleset; not in force and unknown are warnings with the steps; no credential app, nothing", () => {
    expect(credentialRulesNote({ state: "in-force", rulesets: ["agents stay off main"] }, "main").join("\n")).toContain("keeps the credential app's bot from pushing to `main` directly");
    const missing = credentialRulesNote({ state: "not-in-force", bypassable: [{ name: "main", bypass: "always" }] }, "main").join("\n");
    expect(missing).toContain("> [!WARNING]");
    expect(missing).toContain("No ruleset keeps the credential app's bot off `main`");
    expect(missing).toContain("GitHub says the bot can bypass `main` (`always`)");
    const unknown = credentialRulesNote({ state: "unknown", reason: "could not read the rules on the branch (HTTP 403)" }, "main").join("\n");
    expect(unknown).toContain("Could not confirm that a ruleset keeps the credential app's bot off `main`");
    expect(unknown).not.toContain("keeps the credential app's bot from pushing");
    expect(credentialRulesNote(null, "main")).toEqual([]);
  });
});
