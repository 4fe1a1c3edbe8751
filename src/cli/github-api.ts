// Where `simulate` reaches GitHub, and what to tell the operator when that fails. Octokit reports a
// request that never got an answer (no such host, connection refused, a certificate refused) as a
// RequestError with status 500 and the network error as its `cause`: shown as "HTTP 500" it sends the
// operator looking for a GitHub outage, when the host name or the setting that chose it is wrong.

/** The API simulate talks to, and the setting that points there, in the operator's words. */
export interface GitHubApi {
  /** Octokit's baseUrl: undefined for github.com. */
  baseUrl: string | undefined;
  /** "https://api.github.com (the default); set GHE_HOST …" */
  described: string;
}

/** The API that GHE_HOST and GHE_PROTOCOL choose, as for the app. */
export function gitHubApi(env: NodeJS.ProcessEnv): GitHubApi {
  if (!env.GHE_HOST) return { baseUrl: undefined, described: "https://api.github.com (the default); set GHE_HOST (and GHE_PROTOCOL) for GitHub Enterprise Server" };
  const baseUrl = `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}/api/v3`;
  const settings = env.GHE_PROTOCOL ? `GHE_HOST=${env.GHE_HOST} and GHE_PROTOCOL=${env.GHE_PROTOCOL} point` : `GHE_HOST=${env.GHE_HOST} points`;
  return { baseUrl, described: `${baseUrl}: ${settings} there` };
}

/** What each network error code means, for "could not reach <host> (…: <meaning>)". */
const UNREACHABLE: Record<string, string> = {
  ENOTFOUND: "no such host",
  EAI_AGAIN: "the name could not be resolved: DNS did not answer",
  ECONNREFUSED: "connection refused: nothing listens there",
  ECONNRESET: "the connection was reset",
  EPIPE: "the connection was closed",
  ETIMEDOUT: "timed out",
  UND_ERR_CONNECT_TIMEOUT: "timed out connecting",
  UND_ERR_HEADERS_TIMEOUT: "no answer in time",
  UND_ERR_SOCKET: "the connection closed before an answer",
  EHOSTUNREACH: "no route to the host",
  ENETUNREACH: "the network is unreachable",
};

// Node's TLS verification codes (CERT_HAS_EXPIRED, SELF_SIGNED_CERT_IN_CHAIN, UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
// ERR_TLS_CERT_ALTNAME_INVALID, …): the host answered, but not with a certificate this machine trusts.
const CERTIFICATE = /CERT|SELF_SIGNED|^UNABLE_TO_|^ERR_TLS_|^ERR_SSL_/;

interface Failure {
  status?: unknown;
  response?: unknown;
  request?: { url?: unknown };
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The error and its causes, innermost last (an AggregateError, from trying each address, by its first). */
function causes(error: unknown): Failure[] {
  const chain: Failure[] = [];
  let current: unknown = error;
  while (current && typeof current === "object" && chain.length < 10 && !chain.includes(current as Failure)) {
    const failure = current as Failure;
    chain.push(failure);
    current = failure.cause ?? (Array.isArray(failure.errors) ? failure.errors[0] : undefined);
  }
  return chain;
}

function hostOf(url: unknown, api: GitHubApi): string {
  try {
    return new URL(typeof url === "string" ? url : (api.baseUrl ?? "https://api.github.com")).host;
  } catch {
    return String(url);
  }
}

/**
 * A GitHub request's failure as the operator should read it: which host could not be reached, why,
 * and which setting points there; or the HTTP status GitHub answered with. Null for any other error.
 */
export function describeGitHubFailure(error: unknown, api: GitHubApi): string | null {
  const failure = error as Failure | null;
  if (!failure || typeof failure !== "object" || typeof failure.status !== "number") return null;
  const message = typeof failure.message === "string" ? failure.message : String(error);
  if (failure.response) {
    const hint =
      failure.status === 401 ? ": GITHUB_TOKEN was not accepted (expired, revoked, or for another host)" : failure.status === 404 ? ": the repository or pull request does not exist, or GITHUB_TOKEN cannot read it" : "";
    return `GitHub API error (HTTP ${failure.status}) ${message}${hint}`;
  }
  // No response: the request never got an answer, whatever status Octokit put on it.
  const host = hostOf(failure.request?.url, api);
  const coded = causes(error).findLast((cause) => typeof cause.code === "string");
  const code = typeof coded?.code === "string" ? coded.code : null;
  const detail = typeof coded?.message === "string" && coded.message !== "" ? coded.message : message;
  const talks = `simulate talks to ${api.described}`;
  if (code && CERTIFICATE.test(code)) {
    return `could not connect securely to ${host} (${detail}: its TLS certificate is not trusted here; for a private certificate authority, set NODE_EXTRA_CA_CERTS to its certificate file). ${talks}`;
  }
  const meaning = code ? UNREACHABLE[code] : undefined;
  return `could not reach ${host} (${meaning ? `${detail}: ${meaning}` : detail}). ${talks}`;
}
