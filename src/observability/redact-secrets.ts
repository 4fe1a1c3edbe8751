// Every log line passes through here before it is written (pino's `streamWrite` hook, see log.ts), so
// that nothing a reader of the logs sees can be replayed: the HTTP access log prints each request's URL,
// and an evidence link's `signature` query is what opens that page; the setup page's `code` turns into
// the app's private key; an installation token or a private key must never appear however it got into
// an error object. Redaction works on the serialised line, whichever field or message holds the value.

const REDACTED = "[REDACTED]";

/** Query parameters whose value grants something: signed links, OAuth/manifest codes, tokens, secrets. */
const SECRET_QUERY = /([?&](?:amp;)?)(signature|sig|code|state|token|access_token|refresh_token|id_token|client_secret|secret|password|jwt|key)=([^&#\s"'\\<>]*)/gi;

/** Header values (as pino serialises them: `"name":"value"`) that carry credentials. */
const SECRET_HEADERS = /("(?:authorization|proxy-authorization|cookie|set-cookie)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;

/** GitHub tokens (classic, fine-grained, installation, OAuth, refresh) and JSON Web Tokens, wherever they are. */
const TOKENS = /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})/g;

/** A PEM private key, in a line where its newlines are JSON escapes or real. */
const PRIVATE_KEYS = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

/** The line with every secret-bearing value replaced by `[REDACTED]`; everything else unchanged. */
export function redactSecrets(line: string): string {
  return line
    .replace(SECRET_QUERY, (_match, separator: string, name: string) => `${separator}${name}=${REDACTED}`)
    .replace(SECRET_HEADERS, (_match, name: string) => `${name}"${REDACTED}"`)
    .replace(TOKENS, REDACTED)
    .replace(PRIVATE_KEYS, REDACTED);
}
