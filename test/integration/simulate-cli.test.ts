import nock from "nock";
import { describe, expect, test } from "@jest/globals";
import { runCli, EXIT } from "../../src/cli.js";
import { commentEvent, pullRequestEvent, REPO } from "../fixtures/payloads.js";
import { alice, bob, claude, erin } from "../fixtures/people.js";
import type { FakeGitHub } from "../mocks/github.js";
import { captureIo } from "../helpers/cli-io.js";
import { useApp } from "../helpers/use-app.js";

const ctx = useApp();
const HEAD = "51".repeat(20);


/** What `simulate` reads: the repository, then exactly what an evaluation reads. Never a write. */
function expectSimulationReads(github: FakeGitHub, permissionLookups: string[] = []): void {
  github.expectRepositoryRead();
  github.expectPullRequestRead(30);
  for (const login of permissionLookups) github.expectPermissionRead(login);
  github.expectSetupCheck("main", { again: true }); // a new process: nothing cached
}

describe("countersign simulate", () => {
  test("prints the decision a live PR would get, using the app's recorded delegations, and writes nothing", async () => {
    const github = ctx.github();
    const app = ctx.app();
    github.pulls.set(30, { number: 30, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: claude }], reviews: [], files: ["src/a.ts"] });
    github.expectEvaluation(30);
    await app.receive("pull_request", pullRequestEvent("opened", github.mustGet(30)));
    github.expectDelegation(30, "alice");
    await app.receive("issue_comment", commentEvent({ number: 30, onPullRequest: true, body: "/delegate SEC-30", author: alice }));
    const writes = github.checkRuns.map((run) => run.writes).reduce((a, b) => a + b, 0);
    github.mustGet(30).reviews.push({ id: 90, reviewer: bob, state: "APPROVED", commitSha: HEAD, submittedAt: "2026-11-25T12:30:00Z" });

    expectSimulationReads(github, ["bob"]);
    const { io, out } = captureIo();
    const code = await runCli(["simulate", "--repo", REPO.fullName, "--pr", "30"], { GITHUB_TOKEN: "ghp_test", DATABASE_URL: app.databaseUrl }, io);

    expect(nock.pendingMocks()).toEqual([]);
    expect(code).toBe(EXIT.pass);
    expect(out()).toContain("# Countersigned: delegated by @alice, approved by @bob");
    expect(out()).toContain("Conclusion: success (simulated; nothing was written to GitHub)");
    // Nothing was written: no check-run write, no comment, no decision row.
    expect(github.checkRuns.map((run) => run.writes).reduce((a, b) => a + b, 0)).toBe(writes);
    expect(github.comments).toHaveLength(1);
    expect(await app.db.prisma.decision.count()).toBe(2);
  });

  test("without the app's database it simulates with no delegations, as JSON, and exits 2 when it would block", async () => {
    const github = ctx.github();
    github.pulls.set(30, { number: 30, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: claude }], reviews: [], files: ["src/a.ts"] });
    expectSimulationReads(github);
    const { io, out, err } = captureIo();

    const code = await runCli(["simulate", "--repo", REPO.fullName, "--pr", "30", "--format", "json"], { GITHUB_TOKEN: "ghp_test", DATABASE_URL: "file:/nonexistent/countersign.db" }, io);

    expect(nock.pendingMocks()).toEqual([]);
    expect(code).toBe(EXIT.blocked);
    expect(err()).toContain("simulating without recorded delegations");
    const result = JSON.parse(out()) as Record<string, unknown>;
    expect(result).toMatchObject({ conclusion: "action_required", outcome: "needs-delegation", title: "Needs a delegation", headSha: HEAD, policy: { mode: "enforce" } });
  });

  test("--flag=value works as --flag value does", async () => {
    const github = ctx.github();
    github.pulls.set(30, { number: 30, author: claude, headSha: HEAD, commits: [{ sha: HEAD, message: "x", author: claude }], reviews: [], files: ["src/a.ts"] });
    expectSimulationReads(github);
    const { io, out } = captureIo();

    const code = await runCli(["simulate", `--repo=${REPO.fullName}`, "--pr=30", "--format=json"], { GITHUB_TOKEN: "ghp_test", DATABASE_URL: "file:/nonexistent/countersign.db" }, io);

    expect(nock.pendingMocks()).toEqual([]);
    expect(code).toBe(EXIT.blocked);
    expect(JSON.parse(out())).toMatchObject({ repository: REPO.fullName, pullRequest: 30, outcome: "needs-delegation" });
  });

  test.each([
    [["simulate", "--repo", "nope", "--pr", "1"], "countersign simulate: --repo must be owner/name, e.g. --repo acme/widgets (got \"nope\")"],
    [["simulate", "--repo", "a/b"], "countersign simulate: --pr is required: the pull request's number, e.g. --pr 42"],
    [["frobnicate"], "countersign: unknown command: frobnicate"],
  ])("bad arguments %j are explained", async (argv, message) => {
    const { io, err } = captureIo();
    expect(await runCli(argv, { GITHUB_TOKEN: "x" }, io)).toBe(EXIT.error);
    expect(err()).toContain(message);
    expect(err()).toContain("usage: countersign simulate --repo <owner/name> --pr <number>");
  });

  test("without GITHUB_TOKEN it says which variable to set, and asks GitHub nothing", async () => {
    const { io, out, err } = captureIo();
    expect(await runCli(["simulate", "--repo", REPO.fullName, "--pr", "30"], {}, io)).toBe(EXIT.error);
    expect(out()).toBe("");
    expect(err()).toBe(`countersign simulate: GITHUB_TOKEN is not set: simulate reads the pull request with a token that can read the repository, e.g. GITHUB_TOKEN=$(gh auth token) countersign simulate --repo ${REPO.fullName} --pr 30\n`);
  });
});

describe("countersign simulate when GitHub cannot be reached", () => {
  // Octokit reports a request that got no answer as a RequestError with status 500 and the network
  // error as its cause; the operator is told which host, why, and which setting points there.
  const TOKEN = "ghp_do_not_print_me_0123456789";

  /** A network error as Node reports it. (nock 15 under fetch mishandles a plain object given to replyWithError.) */
  function networkError(code: string, message: string): Error {
    return Object.assign(new Error(message), { code });
  }

  async function simulateFailing(env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
    const { io, out, err } = captureIo();
    const code = await runCli(["simulate", "--repo", REPO.fullName, "--pr", "30"], { GITHUB_TOKEN: TOKEN, DATABASE_URL: "file:/nonexistent/countersign.db", ...env }, io);
    return { code, out: out(), err: err() };
  }

  test("no such host on github.com: names api.github.com and the default, and how to point it elsewhere", async () => {
    nock("https://api.github.com").get(`/repos/${REPO.fullName}`).replyWithError(networkError("ENOTFOUND", "getaddrinfo ENOTFOUND api.github.com"));

    const result = await simulateFailing({});

    expect(nock.pendingMocks()).toEqual([]);
    expect(result.code).toBe(EXIT.error);
    expect(result.out).toBe("");
    expect(result.err).toBe(
      "countersign simulate: could not reach api.github.com (getaddrinfo ENOTFOUND api.github.com: no such host). simulate talks to https://api.github.com (the default); set GHE_HOST (and GHE_PROTOCOL) for GitHub Enterprise Server\n",
    );
    expect(result.err).not.toContain("500");
    expect(result.err).not.toContain(TOKEN);
  });

  test("connection refused by a GitHub Enterprise Server: names its host and GHE_HOST", async () => {
    nock("https://github.example.com").get(`/api/v3/repos/${REPO.fullName}`).replyWithError(networkError("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.5:443"));

    const result = await simulateFailing({ GHE_HOST: "github.example.com" });

    expect(nock.pendingMocks()).toEqual([]);
    expect(result.code).toBe(EXIT.error);
    expect(result.err).toBe(
      "countersign simulate: could not reach github.example.com (connect ECONNREFUSED 10.0.0.5:443: connection refused: nothing listens there). simulate talks to https://github.example.com/api/v3: GHE_HOST=github.example.com points there\n",
    );
    expect(result.err).not.toContain("HTTP 500");
    expect(result.err).not.toContain(TOKEN);
  });

  test("a certificate this machine does not trust: says so, and names GHE_HOST and GHE_PROTOCOL", async () => {
    nock("https://ghe.internal:8443").get(`/api/v3/repos/${REPO.fullName}`).replyWithError(networkError("SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain"));

    const result = await simulateFailing({ GHE_HOST: "ghe.internal:8443", GHE_PROTOCOL: "https" });

    expect(result.code).toBe(EXIT.error);
    expect(result.err).toContain("could not connect securely to ghe.internal:8443 (self-signed certificate in certificate chain: its TLS certificate is not trusted here; for a private certificate authority, set NODE_EXTRA_CA_CERTS");
    expect(result.err).toContain("simulate talks to https://ghe.internal:8443/api/v3: GHE_HOST=ghe.internal:8443 and GHE_PROTOCOL=https point there");
    expect(result.err).not.toContain("HTTP 500");
  });

  test("an HTTP error GitHub did answer with keeps its status", async () => {
    nock("https://api.github.com").get(`/repos/${REPO.fullName}`).reply(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest/repos/repos#get-a-repository" });

    const result = await simulateFailing({});

    expect(nock.pendingMocks()).toEqual([]);
    expect(result.code).toBe(EXIT.error);
    expect(result.err).toContain("countersign simulate: GitHub API error (HTTP 404) Not Found");
    expect(result.err).toContain("the repository or pull request does not exist, or GITHUB_TOKEN cannot read it");
    expect(result.err).not.toContain(TOKEN);
  });
});

describe("countersign simulate and the credential app's bot", () => {
  const bot = { id: 91919191, login: "countersign-agents[bot]", type: "Bot" as const };

  test("with COUNTERSIGN_CREDENTIAL_APP_SLUG, a pull request the bot opened is an agent's, as the app judges it; without, simulate cannot know", async () => {
    const github = ctx.github();
    github.pulls.set(30, { number: 30, author: bot, headSha: HEAD, commits: [{ sha: HEAD, message: "Agent work", author: erin }], reviews: [], files: ["src/a.ts"] });
    const run = async (env: Record<string, string>) => {
      expectSimulationReads(github);
      const { io, out } = captureIo();
      const code = await runCli(["simulate", "--repo", REPO.fullName, "--pr", "30", "--format", "json"], { GITHUB_TOKEN: "ghp_test", DATABASE_URL: "file:/nonexistent/countersign.db", ...env }, io);
      expect(nock.pendingMocks()).toEqual([]);
      return { code, result: JSON.parse(out()) as { outcome: string; agents?: unknown } };
    };
    const known = await run({ COUNTERSIGN_CREDENTIAL_APP_SLUG: "countersign-agents" });
    expect(known.code).toBe(EXIT.blocked);
    expect(known.result.outcome).toBe("needs-delegation");
    const unknown = await run({});
    expect(unknown.result.outcome).not.toBe("needs-delegation");
  });

  test("only one of the credential app's id and key is an error that names the missing one", async () => {
    const { io, err } = captureIo();
    const code = await runCli(["simulate", "--repo", REPO.fullName, "--pr", "30"], { GITHUB_TOKEN: "ghp_test", COUNTERSIGN_CREDENTIAL_APP_ID: "5151" }, io);
    expect(code).toBe(EXIT.error);
    expect(err()).toContain("COUNTERSIGN_CREDENTIAL_APP_PRIVATE_KEY is missing");
  });
});
