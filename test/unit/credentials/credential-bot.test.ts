import { generateKeyPairSync } from "node:crypto";
import { describe, expect, test } from "@jest/globals";
import type { ProbotOctokit } from "probot";
import { credentialBotIdentities } from "../../../src/credentials/credential-bot.js";
import { matchAgentIdentity } from "../../../src/policy/agent-identities.js";

// The credential app's bot is an agent identity: its slug is read once with the app's JWT and kept;
// a failed read is logged and tried again later, and a configured slug keeps the bot recognised meanwhile.

const privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const bot = { id: 5, login: "acme-agents[bot]", kind: "bot" as const };

function world(answers: Array<{ slug: string } | Error>, slug: string | null = null) {
  let now = 0;
  const requests: string[] = [];
  const logs: string[] = [];
  const octokit = {
    request: async (route: string) => {
      requests.push(route);
      const answer = answers.shift() ?? new Error("no answer");
      if (answer instanceof Error) throw Object.assign(answer, { status: 500 });
      return { data: answer };
    },
  } as unknown as ProbotOctokit;
  const log = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: (_: unknown, message: string) => logs.push(message) };
  const identities = credentialBotIdentities({ app: { appId: 9, privateKey, tokenKey: Buffer.alloc(32), ratePerMinute: 60, sweepMs: 15_000, slug }, octokitWithToken: () => octokit, clock: () => new Date(now), log: log as never });
  return { identities, requests, logs, advance: (ms: number) => (now += ms) };
}

describe("credentialBotIdentities", () => {
  test("reads the slug with GET /app once, and the bot matches as an agent identity", async () => {
    const { identities, requests } = world([{ slug: "acme-agents" }]);
    const first = await identities();
    await identities();
    expect(requests).toEqual(["GET /app"]);
    expect(matchAgentIdentity(bot, first)?.identity.name).toBe("Countersign credential app");
  });

  test("a failed read is logged and tried again a minute later, the configured slug recognised meanwhile", async () => {
    const { identities, requests, logs, advance } = world([new Error("down"), { slug: "acme-agents" }], "acme-agents");
    expect(matchAgentIdentity(bot, await identities())).not.toBeNull();
    expect(logs).toEqual([expect.stringContaining("could not read the credential app's slug")]);
    await identities();
    expect(requests).toHaveLength(1);
    advance(60_000);
    expect((await identities()).map((identity) => identity.logins)).toEqual([["acme-agents[bot]"]]);
    expect(requests).toHaveLength(2);
  });

  test("without a configured slug, an unreadable one leaves no identity and says so", async () => {
    const { identities, logs } = world([new Error("down")]);
    expect(await identities()).toEqual([]);
    expect(logs).toHaveLength(1);
  });
});
