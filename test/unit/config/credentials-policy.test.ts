import { describe, expect, test } from "@jest/globals";
import { intersectPermissions, permissionsBeyond } from "../../../src/policy/credential-policy.js";
import { accepted, refused } from "./policy-blobs.js";

// The `credentials:` section: strictly validated with errors naming the key, and the organization's
// section a ceiling that a repository's file may only narrow (issue 13).

const ACTIONS = "https://token.actions.githubusercontent.com";
const actionsIssuer = { issuer: ACTIONS, jwks_url: `${ACTIONS}/.well-known/jwks`, audience: "https://countersign.acme.dev" };
const agent = { agent: "claude[bot]", issuer: ACTIONS, workflow: ".github/workflows/agent.yml", permissions: { contents: "write", pull_requests: "write" } };
const orgCredentials = { issuers: [actionsIssuer], permissions: { contents: "write", pull_requests: "write", issues: "write" }, max_ttl: "30m", agents: [agent] };

describe("the credentials section", () => {
  test("no section means no credentials", async () => {
    expect((await accepted({ approvals: { required: 1 } }, null)).credentials ?? null).toBeNull();
  });

  test("the organization's section compiles, with the GitHub Actions issuer recognised", async () => {
    const policy = await accepted({ credentials: orgCredentials }, null);
    expect(policy.credentials).toEqual({
      issuers: [{ issuer: ACTIONS, jwksUrl: `${ACTIONS}/.well-known/jwks`, audience: "https://countersign.acme.dev", algorithms: ["RS256"], githubActions: true }],
      permissions: { contents: "write", pull_requests: "write", issues: "write" },
      maxTtlMs: 30 * 60_000,
      workloads: [{ agent: "claude[bot]", issuer: ACTIONS, workflow: ".github/workflows/agent.yml", claims: {}, permissions: { contents: "write", pull_requests: "write" } }],
    });
  });

  test.each([
    ["an unknown key", { ...orgCredentials, issuer: ACTIONS }, "credentials.issuer", "unknown key"],
    ["an http key set", { ...orgCredentials, issuers: [{ ...actionsIssuer, jwks_url: "http://token.actions.githubusercontent.com/.well-known/jwks" }] }, "credentials.issuers[0].jwks_url", "not an https URL"],
    ["alg none", { ...orgCredentials, issuers: [{ ...actionsIssuer, algorithms: ["none"] }] }, "credentials.issuers[0].algorithms[0]", "Invalid option"],
    ["an HMAC algorithm", { ...orgCredentials, issuers: [{ ...actionsIssuer, algorithms: ["HS256"] }] }, "credentials.issuers[0].algorithms[0]", "Invalid option"],
    ["a max_ttl over GitHub's hour", { ...orgCredentials, max_ttl: "2h" }, "credentials.max_ttl", "at most 60m"],
    ["an unknown permission", { ...orgCredentials, permissions: { administration: "write" } }, "credentials.permissions.administration", "unknown key"],
    ["workflows read", { ...orgCredentials, permissions: { workflows: "read" } }, "credentials.permissions.workflows", ""],
    ["a reserved claim", { ...orgCredentials, agents: [{ ...agent, claims: { aud: "x" } }] }, "credentials.agents[0].claims.aud", "checked by Countersign itself"],
    ["an agent of an unlisted issuer", { ...orgCredentials, agents: [{ ...agent, issuer: "https://issuer.acme.dev" }] }, "credentials.agents[0].issuer", "is not one of credentials.issuers"],
    ["an Actions agent without its workflow", { ...orgCredentials, agents: [{ ...agent, workflow: undefined }] }, "credentials.agents[0].workflow", "is required for a GitHub Actions issuer"],
    ["a workflow outside .github/workflows", { ...orgCredentials, agents: [{ ...agent, workflow: "agent.yml" }] }, "credentials.agents[0].workflow", "not a workflow file path"],
    ["an agent asking above the section's permissions", { ...orgCredentials, agents: [{ ...agent, permissions: { workflows: "write" } }] }, "credentials.agents[0].permissions.workflows", "more than credentials.permissions allows"],
    ["an issuer listed twice", { ...orgCredentials, issuers: [actionsIssuer, actionsIssuer] }, "credentials.issuers[1].issuer", "listed twice"],
  ])("%s is an error naming the key", async (_what, credentials, path, message) => {
    const problems = await refused({ credentials }, null);
    expect(problems).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringContaining(message) })]));
  });

  test("a generic issuer's workload must name a claim", async () => {
    const issuer = { issuer: "https://issuer.acme.dev", jwks_url: "https://issuer.acme.dev/keys", audience: "countersign" };
    const problems = await refused({ credentials: { issuers: [issuer], permissions: { contents: "read" }, agents: [{ agent: "acme-bot", issuer: issuer.issuer, permissions: { contents: "read" } }] } }, null);
    expect(problems).toEqual([expect.objectContaining({ path: "credentials.agents[0].claims", message: expect.stringContaining("at least one claim") })]);
  });
});

describe("the organization's credentials section is a ceiling", () => {
  test("a repository may narrow permissions, the lifetime and the workloads", async () => {
    const policy = await accepted({ credentials: orgCredentials }, { credentials: { permissions: { contents: "read", pull_requests: "read", issues: "read" }, max_ttl: "15m", agents: [{ ...agent, permissions: { contents: "read" } }] } });
    expect(policy.credentials).toMatchObject({ maxTtlMs: 15 * 60_000, permissions: { contents: "read", pull_requests: "read", issues: "read" }, workloads: [{ permissions: { contents: "read" } }] });
  });

  test("a repository file trusting an issuer the organization does not allow is refused, naming the key and both files", async () => {
    const own = { issuer: "https://issuer.attacker.example", jwks_url: "https://issuer.attacker.example/keys", audience: "countersign" };
    const problems = await refused({ credentials: orgCredentials }, { credentials: { issuers: [actionsIssuer, own], agents: [{ agent: "claude[bot]", issuer: own.issuer, claims: { sub: "me" }, permissions: { contents: "write" } }] } });
    expect(problems).toEqual([
      {
        file: "acme/widgets:.github/countersign.yml@main",
        path: "credentials.issuers",
        message: expect.stringMatching(/trusts "https:\/\/issuer\.attacker\.example", an issuer the organization's policy does not.*is a ceiling that a repository's file may only narrow/),
      },
    ]);
  });

  test.each([
    ["another key set for a trusted issuer", { issuers: [{ ...actionsIssuer, jwks_url: "https://keys.attacker.example/jwks" }] }, "credentials.issuers", "jwks_url"],
    ["another audience", { issuers: [{ ...actionsIssuer, audience: "anything" }] }, "credentials.issuers", "audience"],
    ["another algorithm", { issuers: [{ ...actionsIssuer, algorithms: ["RS256", "ES256"] }] }, "credentials.issuers", "ES256"],
    ["a wider permission", { permissions: { workflows: "write" } }, "credentials.permissions", "workflows: write"],
    ["a longer max_ttl", { max_ttl: "1h" }, "credentials.max_ttl", "longer than the organization's 30m"],
  ])("a repository may not give %s", async (_what, repositoryCredentials, path, message) => {
    const problems = await refused({ credentials: orgCredentials }, { credentials: repositoryCredentials });
    expect(problems).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringContaining(message) })]));
  });

  test("repositories_may_relax cannot lift the ceiling", async () => {
    const problems = await refused({ repositories_may_relax: ["credentials.issuers"], credentials: orgCredentials }, {});
    expect(problems).toEqual([expect.objectContaining({ path: "repositories_may_relax[0]", message: expect.stringContaining("not a key repositories can be allowed to relax") })]);
  });

  test("a repository's section without an organization's section issues nothing: refused", async () => {
    const problems = await refused({ approvals: { required: 1 } }, { credentials: orgCredentials });
    expect(problems).toEqual([expect.objectContaining({ path: "credentials", message: expect.stringContaining("the organization's policy has no credentials section") })]);
  });

  test("without an organization file a repository cannot grant itself credentials", async () => {
    const problems = await refused(null, { credentials: orgCredentials });
    expect(problems).toEqual([expect.objectContaining({ file: "acme/widgets:.github/countersign.yml@main", path: "credentials" })]);
  });
});

describe("permission arithmetic", () => {
  test("the intersection takes each permission at the lowest level every set gives", () => {
    expect(intersectPermissions({ contents: "write", issues: "write", pull_requests: "read" }, { contents: "read", issues: "write" }, undefined, { contents: "write", issues: "write", workflows: "write" })).toEqual({ contents: "read", issues: "write" });
    expect(intersectPermissions({ contents: "write" }, { issues: "write" })).toEqual({});
  });

  test("what a request asks beyond what is allowed", () => {
    expect(permissionsBeyond({ contents: "write", issues: "read" }, { contents: "read", issues: "write" })).toEqual(["contents"]);
    expect(permissionsBeyond({ contents: "read" }, { contents: "write" })).toEqual([]);
  });
});
