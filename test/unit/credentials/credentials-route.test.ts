import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, test } from "@jest/globals";
import type { ExchangeReads } from "../../../src/credentials/credential-exchange.js";
import type { CredentialMint } from "../../../src/credentials/mint-credential.js";
import { credentialsRoute } from "../../../src/handlers/credentials-route.js";
import { useScratchDatabase } from "../../helpers/scratch-database.js";

// Until this process recognises the credential app's bot as an agent, nothing is minted: a push made
// with the token would pass for a person's. The refusal comes first and spends nothing.

const { opened } = useScratchDatabase();
let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

const untouched = (what: string) => () => Promise.reject(new Error(`${what} must not be reached`));
const reads: ExchangeReads = {
  now: () => new Date("2026-12-03T12:00:00Z"),
  findDelegations: async () => [],
  readRepository: untouched("readRepository"),
  loadPolicy: untouched("loadPolicy"),
  verifyToken: untouched("verifyToken"),
  readSubject: untouched("readSubject"),
  delegatorPermission: untouched("delegatorPermission"),
};

async function ask(botKnown: boolean): Promise<{ status: number; body: { error?: string } }> {
  const found: string[] = [];
  const route = credentialsRoute({
    db: opened().db,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as never,
    clock: reads.now,
    ratePerMinute: 60,
    exchange: { reads: { ...reads, findDelegations: async (repository) => (found.push(repository), []) }, mint: untouched("mint") as unknown as CredentialMint, botKnown: async () => botKnown },
  });
  server = createServer((req, res) => void route(req, res));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}/countersign/credentials`, { method: "POST", headers: { authorization: "Bearer a.b.c", "content-type": "application/json" }, body: JSON.stringify({ repository: "acme/widgets", pull_request: 7 }) });
  await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
  return { status: response.status, body: (await response.json()) as { error?: string } };
}

test("while the credential app's bot is not known, a request is refused as unavailable before anything is read, and the refusal is in the chain", async () => {
  expect(await ask(false)).toEqual({ status: 503, body: expect.objectContaining({ error: "unavailable" }) });
  const denied = await opened().db.prisma.auditEvent.findMany({ where: { type: "credential.denied" } });
  expect(denied.map((event) => JSON.parse(event.payload).reason)).toEqual(["unavailable"]);
});

test("once it is known, the exchange runs (here: no delegation matches)", async () => {
  expect(await ask(true)).toEqual({ status: 404, body: expect.objectContaining({ error: "no_delegation" }) });
});
