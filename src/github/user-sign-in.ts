import { z } from "zod";

// "Sign in with GitHub" for the organization dashboard: GitHub's web application flow for a GitHub
// App (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app).
// The code GitHub sent back is exchanged for the person's user access token, which is used for one
// request (who are you?) and then dropped: it is never stored, returned or logged, and no error
// raised here carries it or GitHub's response body.

/** Where this app signs people in: GitHub's web and API addresses, and the app's OAuth client. */
export interface SignInSettings {
  /** `https://github.com`, or the Enterprise Server's address. */
  webUrl: string;
  /** `https://api.github.com`, or the Enterprise Server's `/api/v3`. */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  /** The callback registered on the GitHub App, where GitHub sends the person back. */
  redirectUri: string;
}

/** The signed-in person as GitHub knows them. */
export interface GitHubUser {
  id: number;
  login: string;
}

/** A sign-in GitHub did not complete (a bad or used code, GitHub failing): the message names no secret. */
export class SignInError extends Error {}

/** GitHub's authorize page for this app's client, carrying `state` (GitHub returns it unchanged). */
export function authorizeUrl(settings: SignInSettings, state: string): string {
  const url = new URL("/login/oauth/authorize", settings.webUrl);
  url.searchParams.set("client_id", settings.clientId);
  url.searchParams.set("redirect_uri", settings.redirectUri);
  url.searchParams.set("state", state);
  // A GitHub App's user token carries the app's permissions, not scopes; none are asked for.
  url.searchParams.set("allow_signup", "false");
  return url.toString();
}

// GitHub answers a failed exchange with 200 and `error`; a success has `access_token`.
const tokenSchema = z.union([z.object({ access_token: z.string().min(1) }), z.object({ error: z.string() })]);
const userSchema = z.object({ id: z.number().int().positive(), login: z.string().min(1) });

/** Exchanges GitHub's `code` for the person's token, reads who they are with it, and forgets the token. */
export async function signInWithCode(settings: SignInSettings, code: string, fetcher: typeof fetch): Promise<GitHubUser> {
  const exchange = await fetcher(new URL("/login/oauth/access_token", settings.webUrl), {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify({ client_id: settings.clientId, client_secret: settings.clientSecret, code, redirect_uri: settings.redirectUri }),
  });
  if (!exchange.ok) throw new SignInError(`GitHub refused the sign-in code exchange (HTTP ${exchange.status})`);
  const answer = tokenSchema.safeParse(await exchange.json().catch(() => null));
  if (!answer.success) throw new SignInError("GitHub's answer to the sign-in code exchange was not understood");
  if ("error" in answer.data) throw new SignInError(`GitHub refused the sign-in code (${answer.data.error.slice(0, 60).replace(/[^a-z_]/g, "")})`);
  const token = answer.data.access_token;
  const response = await fetcher(`${settings.apiUrl}/user`, { headers: { accept: "application/vnd.github+json", authorization: `Bearer ${token}`, "x-github-api-version": "2022-11-28" } });
  if (!response.ok) throw new SignInError(`GitHub did not say who signed in (HTTP ${response.status})`);
  const user = userSchema.safeParse(await response.json().catch(() => null));
  if (!user.success) throw new SignInError("GitHub's answer to GET /user was not understood");
  return { id: user.data.id, login: user.data.login };
}
