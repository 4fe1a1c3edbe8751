import type { ProbotOctokit } from "probot";
import { z } from "zod";
import { readingFromGitHub } from "../observability/github-requests.js";

// Octokit encodes request bodies and decodes JSON answers with `json-with-bigint`, which keeps
// integers beyond 2^53 exact by scanning the text with regular expressions. On the requests that carry
// the most JSON (the pull-request reads, about 157 kB over six answers for a large pull request, and
// the check-run writes, whose output GitHub echoes back) that cost about seven times Node's own
// `JSON.parse`: 15% of the app's CPU in the benchmark. GitHub's ids and counts fit in a double
// (`databaseId` is an `Int`, REST ids are far below 2^53), so these requests are sent as text already
// encoded and their answers read with Node's JSON. Everything else about the request is Octokit's:
// authentication, throttling, retries, hooks, and errors for non-2xx answers (parsed by Octokit, so
// rate limits are recognised as before).

const GHES_V3_SUFFIX = /\/api\/v3\/?$/;

/** A GraphQL answer: data, errors, or both (an error on one field leaves the rest of the data). */
const graphqlAnswerSchema = z.object({
  data: z.unknown().optional(),
  errors: z.array(z.object({ message: z.string().optional(), type: z.string().optional(), path: z.array(z.union([z.string(), z.number()])).optional() }).passthrough()).optional(),
});

/**
 * A GraphQL answer with errors, shaped as Octokit's `GraphqlResponseError`: the errors, the data GitHub
 * still returned, and the response's headers (a rate limit says when it resets there).
 */
export class GraphqlErrors extends Error {
  override readonly name = "GraphqlResponseError";
  readonly errors: Array<{ message?: string; type?: string; path?: Array<string | number> }>;
  readonly data: unknown;
  readonly response: { status: number; headers: Record<string, string | number | undefined>; data: unknown };

  constructor(errors: GraphqlErrors["errors"], data: unknown, response: { status: number; headers: Record<string, string | number | undefined> }) {
    super(`Request failed due to following response errors:\n${errors.map((error) => ` - ${error.message ?? error.type ?? "unknown error"}`).join("\n")}`);
    this.errors = errors;
    this.data = data;
    this.response = { ...response, data: { data, errors } };
  }
}

/** The GraphQL endpoint: `/graphql` on github.com, `/api/graphql` on GitHub Enterprise Server. */
function graphqlUrl(octokit: ProbotOctokit): string {
  const baseUrl = octokit.request.endpoint.DEFAULTS.baseUrl;
  return GHES_V3_SUFFIX.test(baseUrl) ? baseUrl.replace(GHES_V3_SUFFIX, "/api/graphql") : "/graphql";
}

/**
 * Sends `body` as JSON to `route` (URL parameters in `params`) and reads the answer with `JSON.parse`.
 * Octokit leaves a 2xx answer's body unread (`parseSuccessResponseBody: false`); reading it here still
 * counts as waiting on GitHub (see GitHubWaitTimer). Non-2xx answers throw Octokit's `RequestError`.
 */
export async function sendJson(
  octokit: ProbotOctokit,
  route: { method: "POST" | "PATCH"; url: string },
  params: Record<string, string | number>,
  body: unknown,
): Promise<{ status: number; headers: Record<string, string | number | undefined>; data: unknown }> {
  const response = await octokit.request({
    ...params,
    method: route.method,
    url: route.url,
    headers: { "content-type": "application/json; charset=utf-8" },
    data: JSON.stringify(body),
    request: { parseSuccessResponseBody: false },
  });
  const stream = response.data as unknown as ReadableStream<Uint8Array> | null;
  const text = stream ? await readingFromGitHub(() => new Response(stream).text()) : "";
  return { status: response.status, headers: response.headers as Record<string, string | number | undefined>, data: text === "" ? null : (JSON.parse(text) as unknown) };
}

/**
 * Runs a GraphQL query, as `octokit.graphql` does (same endpoint, same errors: an answer with
 * `errors` throws {@link GraphqlErrors} with whatever data came with them), with Node's JSON.
 */
export async function queryGraphql(octokit: ProbotOctokit, query: string, variables: Record<string, unknown>): Promise<unknown> {
  const response = await sendJson(octokit, { method: "POST", url: graphqlUrl(octokit) }, {}, { query, variables });
  const answer = graphqlAnswerSchema.parse(response.data);
  if (answer.errors && answer.errors.length > 0) throw new GraphqlErrors(answer.errors, answer.data ?? null, response);
  return answer.data;
}
