import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { signerKeyFromSeed } from "../../src/audit/checkpoint.js";
import { runCli, EXIT } from "../../src/cli.js";
import { verifyExportFile } from "../../src/cli/audit/verify-export.js";
import { AuditCheckpoints } from "../../src/services/audit-checkpoints.js";
import { captureIo } from "../helpers/cli-io.js";
import { delegatedAndApproved } from "../helpers/delegated-flow.js";
import { createTestApp, type TestApp } from "../helpers/test-app.js";
import { FakeGitHub } from "../mocks/github.js";

// An export as an auditor receives it: only the file and the public key. `audit verify --file`
// recomputes every hash, rebuilds each record from its events and proves the events under the signed
// checkpoint; any one changed byte fails, naming the record and what is wrong.

const key = signerKeyFromSeed("countersign.acme.example", randomBytes(32)).signer;
const dir = mkdtempSync(join(tmpdir(), "countersign-export-verify-"));
let app: TestApp;
let github: FakeGitHub;

beforeAll(() => nock.disableNetConnect());
afterEach(async () => {
  github.dispose();
  await app.close();
});
afterAll(() => nock.enableNetConnect());

async function cli(argv: string[], env: NodeJS.ProcessEnv = { DATABASE_URL: app.databaseUrl }): Promise<{ code: number; out: string; err: string }> {
  const { io, out, err } = captureIo();
  const code = await runCli(argv, env, io);
  return { code, out: out(), err: err() };
}

async function exported(sign: boolean): Promise<string> {
  const checkpoints = new AuditCheckpoints(key, []);
  app = await createTestApp({ checkpoints });
  github = new FakeGitHub();
  github.permissions.set("alice", "write");
  github.permissions.set("bob", "write");
  await delegatedAndApproved(github, app);
  if (sign) expect((await checkpoints.sign(app.db, app.services.clock)).kind).toBe("signed");
  const result = await cli(["audit", "export"]);
  expect(result.code).toBe(EXIT.pass);
  return result.out;
}

describe("audit verify --file", () => {
  test("an export verifies alone, and with the public key its events are proven under the signed checkpoint", async () => {
    const file = join(dir, "evidence.jsonl");
    writeFileSync(file, await exported(true));
    const keys = join(dir, "keys.txt");
    writeFileSync(keys, `${key.verifier.encoded}\n`);

    // No database at all: the environment names none.
    const alone = await cli(["audit", "verify", "--file", file], {});
    expect(alone.code).toBe(EXIT.pass);
    expect(alone.out).toContain("Export verified: 1 record, 5 events: every hash recomputed, every link between consecutive events checked, every text rehashed, every record rebuilt from its events.");
    expect(alone.out).toContain("Checkpoints: not checked for 1 record: give --keys");

    const proven = await cli(["audit", "verify", "--file", file, "--keys", keys], {});
    expect(proven.code).toBe(EXIT.pass);
    expect(proven.out).toContain(`Checkpoint: line 1 (Codertocat/Hello-World#2): 5 of 5 events under checkpoint 5, signed by countersign.acme.example+${key.verifier.keyId}.`);
  });

  test("one changed byte anywhere (but the export's own time) fails, naming the record", async () => {
    const text = await exported(true);
    const record = JSON.parse(text) as { exportedAt: string };
    const timeAt = text.indexOf(record.exportedAt);
    expect(verifyExportFile(text, [key.verifier]).every((verdict) => verdict.problems.length === 0)).toBe(true);
    let tried = 0;
    for (let i = 0; i < text.length - 1; i += 5) {
      // `exportedAt` is the exporter's statement of when it ran, not evidence: nothing covers it.
      if (i >= timeAt && i < timeAt + record.exportedAt.length) continue;
      const char = text[i] as string;
      const replacement = char === "a" ? "b" : char === "0" ? "1" : /[0-9]/.test(char) ? "0" : "a";
      const changed = text.slice(0, i) + replacement + text.slice(i + 1);
      const verdicts = verifyExportFile(changed, [key.verifier]);
      tried += 1;
      if (verdicts.every((verdict) => verdict.problems.length === 0)) throw new Error(`a change at byte ${i} (${JSON.stringify(text.slice(i - 20, i + 20))}) went unnoticed`);
      expect(verdicts[0]?.record).toMatch(/^line 1/);
    }
    expect(tried).toBeGreaterThan(500);
  });

  test("what the failures say: an edited fact, an edited event, and an event whose hash was recomputed", async () => {
    const text = await exported(true);
    const record = JSON.parse(text) as Record<string, any>;

    const title = structuredClone(record);
    title.decisions[2].title = "Countersigned: approved by @mallory";
    const [edited] = verifyExportFile(JSON.stringify(title), [key.verifier]);
    expect(edited?.problems).toEqual(['decisions[2].title: the record says "Countersigned: approved by @mallory", its events say "Countersigned: delegated by @alice, approved by @bob"']);

    const payload = structuredClone(record);
    payload.chain.events[1].payload = payload.chain.events[1].payload.replace('"alice"', '"mallory"');
    const [tampered] = verifyExportFile(JSON.stringify(payload), [key.verifier]);
    expect(tampered?.problems).toEqual(["chain.events[1] (event #2, delegation.created): does not match its hash: its contents were altered"]);

    // Rewritten with its hash recomputed (and the next event's link): consistent, but not the log's.
    const rehashed = structuredClone(record);
    const { eventHash } = await import("../../src/audit/chain.js");
    const event = rehashed.chain.events[1];
    event.payload = event.payload.replace('"alice"', '"mallory"');
    event.hash = eventHash({ ...event, createdAt: new Date(event.at) });
    for (let i = 2; i < rehashed.chain.events.length; i++) {
      const next = rehashed.chain.events[i];
      next.prevHash = rehashed.chain.events[i - 1].hash;
      next.hash = eventHash({ ...next, createdAt: new Date(next.at) });
    }
    const rebuilt = JSON.parse(JSON.stringify(rehashed));
    const [consistent] = verifyExportFile(JSON.stringify(rebuilt), null);
    // Without the key, only the facts rebuilt from the (rewritten) events differ from the record's.
    expect(consistent?.problems[0]).toMatch(/^taskRequests\[0\]\.requestedBy\.login: the record says "alice", its events say "mallory"$/);
  });

  test("an export with no checkpoint says its events are consistent, not proven; an unreadable line is named", async () => {
    const text = await exported(false);
    const file = join(dir, "unsigned.jsonl");
    writeFileSync(file, `${text}{not json\n`);
    const result = await cli(["audit", "verify", "--file", file], {});
    expect(result.code).toBe(EXIT.broken);
    expect(result.out).toContain("Export BROKEN: 1 of 2 records fails.");
    expect(result.out).toContain("- line 2:");
    expect(result.out).toContain("Checkpoints: 1 record has none (the app had no checkpoint key)");
    expect((await cli(["audit", "verify", "--file", file, "--anchor", "ab".repeat(32)], {})).err).toContain("--file checks an export on its own");
  });
});

describe("audit verify --file, asked to prove (keys given)", () => {
  test("a record whose checkpoint was removed fails, rather than passing as merely unsigned", async () => {
    const record = JSON.parse(await exported(true)) as Record<string, any>;
    record.chain.checkpoint = null;
    const [verdict] = verifyExportFile(JSON.stringify(record), [key.verifier]);
    expect(verdict?.problems).toEqual(["chain.checkpoint: none, so its events cannot be proven to be the log's (was it removed, or did the app have no checkpoint key?)"]);
    // Without keys nothing is asked to be proven: consistent, and said to be unproven.
    expect(verifyExportFile(JSON.stringify(record), null)[0]?.problems).toEqual([]);
  });
});
