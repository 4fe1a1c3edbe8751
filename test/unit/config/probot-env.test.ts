import { describe, expect, test } from "@jest/globals";
import { githubApiUrl, githubWebUrl, parseProbotEnv } from "../../../src/config/probot-env.schema.js";

describe("Probot's environment, as Countersign reads it", () => {
  test("Probot's defaults apply to an empty environment", () => {
    expect(parseProbotEnv({})).toMatchObject({ LOG_LEVEL: "info", PORT: 3000, WEBHOOK_PATH: "/api/github/webhooks", GHE_PROTOCOL: "https" });
  });

  // Plain records: Probot's own typings narrow process.env's LOG_LEVEL, and these values are wrong on purpose.
  test.each<[Record<string, string>, string]>([
    [{ LOG_LEVEL: "verbose" }, "LOG_LEVEL"],
    [{ PORT: "eighty" }, "PORT"],
    [{ WEBHOOK_PROXY_URL: "smee.io/abc" }, "WEBHOOK_PROXY_URL"],
    [{ GHE_PROTOCOL: "ftp" }, "GHE_PROTOCOL"],
    [{ WEBHOOK_PATH: "api/github/webhooks" }, "WEBHOOK_PATH"],
    [{ REDIS_URL: "127.0.0.1:6379" }, "REDIS_URL"],
    [{ REDIS_URL: "http://redis:6379" }, "REDIS_URL"],
  ])("a bad value is named: %j", (env, name) => {
    expect(() => parseProbotEnv(env)).toThrow(new RegExp(`^Invalid Probot environment: ${name}: `));
  });

  test("REDIS_URL takes redis:// and rediss:// (TLS) URLs", () => {
    expect(parseProbotEnv({ REDIS_URL: "redis://:secret@redis.internal:6379/0" }).REDIS_URL).toBe("redis://:secret@redis.internal:6379/0");
    expect(parseProbotEnv({ REDIS_URL: "rediss://redis.internal:6380" }).REDIS_URL).toBe("rediss://redis.internal:6380");
    expect(parseProbotEnv({ REDIS_URL: "" }).REDIS_URL).toBeUndefined();
  });

  test("GitHub's addresses: github.com, or the Enterprise Server GHE_HOST names", () => {
    expect([githubWebUrl(parseProbotEnv({})), githubApiUrl(parseProbotEnv({}))]).toEqual(["https://github.com", "https://api.github.com"]);
    const ghes = parseProbotEnv({ GHE_HOST: "ghe.acme.dev", GHE_PROTOCOL: "http" });
    expect([githubWebUrl(ghes), githubApiUrl(ghes)]).toEqual(["http://ghe.acme.dev", "http://ghe.acme.dev/api/v3"]);
  });
});
