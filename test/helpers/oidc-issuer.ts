import { createServer, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from "jose";

// A workload's OIDC issuer for tests, offline: an RSA key pair whose public half is served as a JWKS
// on a loopback port, and a signer for tokens with GitHub Actions' claims (or any others).

export interface TestIssuer {
  /** The JWKS URL (on 127.0.0.1: http, or https with the `tls` given). */
  jwksUrl: string;
  /** How many times the key set was fetched. */
  fetches: () => number;
  /** A token signed with the issuer's key; `claims` override the defaults, `header` the protected header. */
  sign(claims: JWTPayload & Record<string, unknown>, options?: { header?: Record<string, unknown>; key?: CryptoKey }): Promise<string>;
  /** Another key pair's private key (a forger's), which the key set does not hold. */
  forgerKey(): Promise<CryptoKey>;
  close(): Promise<void>;
}

const KID = "test-key-1";

export async function startTestIssuer(options: { tls?: { key: string; cert: string } } = {}): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: KID, alg: "RS256", use: "sig" };
  let fetches = 0;
  const serve = (_req: unknown, res: import("node:http").ServerResponse) => {
    fetches += 1;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: [jwk] }));
  };
  const server: Server = options.tls ? createTlsServer(options.tls, serve) : createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    jwksUrl: `${options.tls ? "https" : "http"}://127.0.0.1:${port}/.well-known/jwks`,
    fetches: () => fetches,
    async sign(claims, options = {}) {
      return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: KID, typ: "JWT", ...options.header }).sign(options.key ?? privateKey);
    },
    async forgerKey() {
      return (await generateKeyPair("RS256")).privateKey;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Encodes an unsigned token (`alg: none`), which no verifier may accept. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`;
}
