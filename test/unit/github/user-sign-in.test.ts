import { describe, expect, test } from "@jest/globals";
import { authorizeUrl, SignInError, signInWithCode, type SignInSettings } from "../../../src/github/user-sign-in.js";

// The sign-in's two requests to GitHub: the code exchange and `GET /user`. The person's token is used
// for the second and for nothing else, and no failure carries it or the client secret.

const settings: SignInSettings = { webUrl: "https://ghe.acme.dev", apiUrl: "https://ghe.acme.dev/api/v3", clientId: "Iv23liAbc", clientSecret: "client-secret-0123456789", redirectUri: "https://cs.acme.dev/countersign/oauth/callback" };
const TOKEN = "ghu_userTokenThatMustNotLeak0123456789";

function fakeFetch(answers: { exchange: [number, unknown]; user?: [number, unknown] }) {
  const requests: Array<{ url: string; init: RequestInit }> = [];
  const fetcher = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    requests.push({ url, init });
    const [status, body] = url.endsWith("/login/oauth/access_token") ? answers.exchange : (answers.user ?? [404, {}]);
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  return { fetcher, requests };
}

describe("signInWithCode", () => {
  test("exchanges the code with the app's client, asks GET /user with the token once, and returns only id and login", async () => {
    const { fetcher, requests } = fakeFetch({ exchange: [200, { access_token: TOKEN, token_type: "bearer" }], user: [200, { id: 5, login: "olivia", email: "o@acme.dev" }] });
    await expect(signInWithCode(settings, "code123", fetcher)).resolves.toEqual({ id: 5, login: "olivia" });
    expect(requests.map((request) => `${request.init.method ?? "GET"} ${request.url}`)).toEqual(["POST https://ghe.acme.dev/login/oauth/access_token", "GET https://ghe.acme.dev/api/v3/user"]);
    expect(JSON.parse(String(requests[0]?.init.body))).toEqual({ client_id: "Iv23liAbc", client_secret: "client-secret-0123456789", code: "code123", redirect_uri: settings.redirectUri });
    expect((requests[0]?.init.headers as Record<string, string>).accept).toBe("application/json");
    expect((requests[1]?.init.headers as Record<string, string>).authorization).toBe(`Bearer ${TOKEN}`);
  });

  test.each([
    ["a refused code", { exchange: [200, { error: "bad_verification_code", error_description: `The code ${TOKEN} is wrong` }] as [number, unknown] }, /refused the sign-in code \(bad_verification_code\)/],
    ["an exchange GitHub fails", { exchange: [502, { message: TOKEN }] as [number, unknown] }, /HTTP 502/],
    ["an answer not understood", { exchange: [200, { token: TOKEN }] as [number, unknown] }, /not understood/],
    ["GET /user refused", { exchange: [200, { access_token: TOKEN }] as [number, unknown], user: [401, { message: TOKEN }] as [number, unknown] }, /HTTP 401/],
  ])("%s is a SignInError that names neither the token nor the client secret", async (_name, answers, message) => {
    const { fetcher } = fakeFetch(answers);
    const error = await signInWithCode(settings, "code123", fetcher).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SignInError);
    expect((error as Error).message).toMatch(message);
    expect(JSON.stringify({ message: (error as Error).message, ...(error as object) })).not.toMatch(/userToken|client-secret/);
  });
});

describe("authorizeUrl", () => {
  test("is the Enterprise Server's authorize page with the client id, the callback and the state", () => {
    const url = new URL(authorizeUrl(settings, "st4te"));
    expect(`${url.origin}${url.pathname}`).toBe("https://ghe.acme.dev/login/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({ client_id: "Iv23liAbc", redirect_uri: settings.redirectUri, state: "st4te", allow_signup: "false" });
  });
});
