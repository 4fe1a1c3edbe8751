import { describe, expect, test } from "@jest/globals";
import { redactSecrets } from "../../../src/observability/redact-secrets.js";

const SIGNATURE = "9f".repeat(32);

describe("redactSecrets: no log line carries a working secret", () => {
  test.each([
    [
      "an evidence link in Probot's access-log message and its req.url",
      `{"level":30,"req":{"url":"/countersign/evidence/acme/app/7?expires=1767225600000&signature=${SIGNATURE}"},"msg":"GET /countersign/evidence/acme/app/7?expires=1767225600000&signature=${SIGNATURE} 200 - 3ms"}`,
      `{"level":30,"req":{"url":"/countersign/evidence/acme/app/7?expires=1767225600000&signature=[REDACTED]"},"msg":"GET /countersign/evidence/acme/app/7?expires=1767225600000&signature=[REDACTED] 200 - 3ms"}`,
    ],
    ["the signature first in the query", `GET /x?signature=${SIGNATURE}&expires=1`, "GET /x?signature=[REDACTED]&expires=1"],
    ["the setup callback's one-time code and state", "GET /probot/setup?code=abc123&state=Zx_9 302", "GET /probot/setup?code=[REDACTED]&state=[REDACTED] 302"],
    ["token-bearing queries", "https://h/p?access_token=gho_x&client_secret=s&token=t", "https://h/p?access_token=[REDACTED]&client_secret=[REDACTED]&token=[REDACTED]"],
    ["credential headers", `{"headers":{"authorization":"token ghs_abc","cookie":"a=b","user-agent":"x"}}`, `{"headers":{"authorization":"[REDACTED]","cookie":"[REDACTED]","user-agent":"x"}}`],
    ["GitHub tokens anywhere", "installation token ghs_16C7e42F292c6912E7710c838347Ae178B4a expired", "installation token [REDACTED] expired"],
    ["a fine-grained token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "[REDACTED]"],
    ["a JSON Web Token", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiI0MiJ9.c2lnbmF0dXJlLXNpZw", "Bearer [REDACTED]"],
    ["a private key, newlines escaped as JSON writes them", `{"msg":"-----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n-----END RSA PRIVATE KEY-----"}`, `{"msg":"[REDACTED]"}`],
  ])("%s", (_description, line, expected) => {
    expect(redactSecrets(line)).toBe(expected);
  });

  test.each([
    ["an ordinary access-log line", `{"msg":"POST /api/github/webhooks 200 - 4ms"}`],
    ["a query without secrets", "GET /metrics?format=prometheus&name=signature"],
    ["words that merely look like names", "the signature=valid check; code=42 in prose"],
    ["commit SHAs and delivery ids", `{"sha":"${"ab".repeat(20)}","deliveryId":"72d3162e-cc78-11e3-81ab-4c9367dc0958"}`],
  ])("%s is left as it is", (_description, line) => {
    expect(redactSecrets(line)).toBe(line);
  });
});
