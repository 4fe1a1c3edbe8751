import { describe, expect, test } from "@jest/globals";
import { eventHash, GENESIS, type StoredEvent } from "../../../../src/audit/chain.js";
import { isIntact, renderVerification, verifyPages, type AuditVerification } from "../../../../src/cli/audit/verify-log.js";

// The verifier over in-memory chains: each kind of tampering must be caught at the right event, and
// the report must name it. The chain is built the way the writer builds it (src/db/audit-log.ts).

function chain(length: number): StoredEvent[] {
  const events: StoredEvent[] = [];
  let prevHash = GENESIS;
  for (let seq = 1; seq <= length; seq += 1) {
    const unsealed: Omit<StoredEvent, "hash"> = {
      seq,
      type: seq % 2 === 0 ? "decision" : "approval.counted",
      repoId: 42,
      repoFullName: "acme/payments-api",
      subjectNumber: 7,
      sha: "b1".repeat(20),
      actorId: 1002,
      actorLogin: "bob",
      deliveryId: `delivery-${seq}`,
      payload: JSON.stringify({ conclusion: "success", n: seq }),
      createdAt: new Date(Date.UTC(2026, 10, 25, 12, 0, seq)),
      prevHash,
    };
    const hash = eventHash(unsealed);
    events.push({ ...unsealed, hash });
    prevHash = hash;
  }
  return events;
}

/** The events in pages of `size`, as readChain yields them. */
function pages(events: StoredEvent[], size = 1000): StoredEvent[][] {
  const out: StoredEvent[][] = [];
  for (let index = 0; index < events.length; index += size) out.push(events.slice(index, index + size));
  return out;
}

async function brokenAt(events: StoredEvent[], size?: number): Promise<{ seq: number; reason: string }> {
  const { result } = await verifyPages(pages(events, size));
  if (result.ok) throw new Error("the chain verified");
  return { seq: result.brokenAt, reason: result.reason };
}

describe("verifying the hash chain", () => {
  test("an untouched chain verifies, across pages, and names its head", async () => {
    const events = chain(25);
    let tick = 0;
    const walk = await verifyPages(pages(events, 10), { now: () => (tick += 50) });
    expect(walk).toEqual({ result: { ok: true, checked: 25, head: events[24]?.hash }, headSeq: 25, anchor: null, elapsedMs: 50, checkpoints: null });
  });

  test("a byte flipped in a payload is caught at that event", async () => {
    const events = chain(6);
    const target = events[2] as StoredEvent;
    target.payload = target.payload.replace('"n":3', '"n":4');
    expect(await brokenAt(events)).toEqual({ seq: 3, reason: "event #3 (approval.counted) does not match its hash: its contents were altered" });
  });

  test.each([
    ["actorLogin", (event: StoredEvent) => (event.actorLogin = "mallory")],
    ["sha", (event: StoredEvent) => (event.sha = "c0".repeat(20))],
    ["createdAt", (event: StoredEvent) => (event.createdAt = new Date(event.createdAt.getTime() + 1))],
    ["type", (event: StoredEvent) => (event.type = "approval.rejected")],
  ])("an altered %s is caught at that event", async (_field, alter) => {
    const events = chain(6);
    alter(events[3] as StoredEvent);
    expect(await brokenAt(events)).toMatchObject({ seq: 4, reason: expect.stringContaining("does not match its hash") });
  });

  test("a removed event is caught at the event after the gap", async () => {
    const events = chain(6);
    events.splice(2, 1);
    expect(await brokenAt(events)).toEqual({ seq: 4, reason: "event #4 follows #2: 1 event(s) between them were removed" });
  });

  test("two swapped events (their numbers exchanged) are caught at the first of them", async () => {
    const events = chain(6);
    const [third, fourth] = [events[2] as StoredEvent, events[3] as StoredEvent];
    [third.seq, fourth.seq] = [4, 3];
    events.sort((a, b) => a.seq - b.seq);
    expect(await brokenAt(events)).toMatchObject({ seq: 3, reason: expect.stringContaining("event #3 does not link to the event before it") });
  });

  test("an event re-hashed after an edit still breaks the next link", async () => {
    const events = chain(6);
    const target = events[2] as StoredEvent;
    target.actorLogin = "mallory";
    target.hash = eventHash(target);
    expect(await brokenAt(events)).toMatchObject({ seq: 4, reason: expect.stringContaining("event #4 does not link") });
  });

  test("an unsealed row is named", async () => {
    const events = chain(6);
    (events[4] as StoredEvent).hash = null;
    expect(await brokenAt(events)).toEqual({ seq: 5, reason: "event #5 is not sealed into the chain (no hash)" });
  });

  test("a chain that starts at #2 lost its first event", async () => {
    const events = chain(6).slice(1);
    expect(await brokenAt(events)).toEqual({ seq: 2, reason: "the chain starts at event #2, not #1: earlier events were removed" });
  });

  test("a break on a later page is found, and nothing after it is checked", async () => {
    const events = chain(12);
    (events[8] as StoredEvent).payload = "{}";
    const { result, headSeq } = await verifyPages(pages(events, 4));
    expect(result).toMatchObject({ ok: false, brokenAt: 9, checked: 8 });
    expect(headSeq).toBeNull();
  });

  test("the tail's removal alone is not detectable from the chain, but an anchor recorded earlier catches it", async () => {
    const events = chain(6);
    const anchor = events[5]?.hash as string;
    const { result } = await verifyPages([events.slice(0, 5)]);
    expect(result).toEqual({ ok: true, checked: 5, head: events[4]?.hash });
    expect((await verifyPages([events.slice(0, 5)], { anchor })).anchor).toEqual({ hash: anchor, seq: null });
    expect((await verifyPages(pages(events, 2), { anchor: events[2]?.hash as string })).anchor).toEqual({ hash: events[2]?.hash, seq: 3 });
  });

  test("a chain rewritten with every hash recomputed verifies, but no longer holds the anchor", async () => {
    const events = chain(6);
    const anchor = events[5]?.hash as string;
    (events[1] as StoredEvent).actorLogin = "mallory";
    let prevHash = events[0]?.hash as string;
    for (const event of events.slice(1)) {
      event.prevHash = prevHash;
      event.hash = eventHash(event);
      prevHash = event.hash;
    }
    const walk = await verifyPages([events], { anchor });
    expect(walk.result.ok).toBe(true);
    expect(walk.anchor).toEqual({ hash: anchor, seq: null });
  });
});

describe("the verification report", () => {
  const none = { count: 0, seqs: [] };

  test("an intact log: counts, rate, head, no unsealed rows", () => {
    const verification: AuditVerification = { result: { ok: true, checked: 20000, head: "ab".repeat(32) }, headSeq: 20000, anchor: null, elapsedMs: 400, checkpoints: null, unsealed: none, outside: none };
    expect(isIntact(verification)).toBe(true);
    expect(renderVerification(verification, "/data/countersign.db")).toBe(
      [
        "Audit log verified: 20,000 events checked in 400 ms (50,000 events/s), every link intact.",
        `Chain head: #20000 ${"ab".repeat(32)}`,
        "Unsealed rows: none.",
        "Database: /data/countersign.db",
        "",
      ].join("\n"),
    );
  });

  test("a broken log names the first broken event, its reason, and the unsealed rows", () => {
    const verification: AuditVerification = {
      result: { ok: false, checked: 4, brokenAt: 5, reason: "event #5 is not sealed into the chain (no hash)" },
      headSeq: null,
      anchor: null,
      elapsedMs: 3, checkpoints: null,
      unsealed: { count: 2, seqs: [5, 9] },
      outside: none,
    };
    expect(isIntact(verification)).toBe(false);
    const report = renderVerification(verification, "x.db");
    expect(report).toContain("Audit log BROKEN: the first broken event is #5.");
    expect(report).toContain("Reason: event #5 is not sealed into the chain (no hash)");
    expect(report).toContain("4 events before it verified (#1 to #4)");
    expect(report).toContain("Unsealed rows: 2 rows with no hash (#5, #9), written around Countersign and not covered by the chain.");
  });

  test("rows numbered 0 or below break the log even when the chain itself verifies", () => {
    const verification: AuditVerification = { result: { ok: true, checked: 3, head: "cd".repeat(32) }, headSeq: 3, anchor: null, elapsedMs: 1, checkpoints: null, unsealed: none, outside: { count: 1, seqs: [-1] } };
    expect(isIntact(verification)).toBe(false);
    expect(renderVerification(verification, "x.db")).toContain("Audit log BROKEN: 1 row numbered 0 or below (#-1) lies outside the chain");
  });

  test("an anchor found is reported; one missing breaks the log", () => {
    const base: AuditVerification = { result: { ok: true, checked: 9, head: "ab".repeat(32) }, headSeq: 9, anchor: { hash: "cd".repeat(32), seq: 7 }, elapsedMs: 1, checkpoints: null, unsealed: none, outside: none };
    expect(isIntact(base)).toBe(true);
    expect(renderVerification(base, "x.db")).toContain("Anchor: found at #7; every event after it verified.");
    const missing = { ...base, anchor: { hash: "cd".repeat(32), seq: null } };
    expect(isIntact(missing)).toBe(false);
    expect(renderVerification(missing, "x.db")).toContain(`Audit log BROKEN: the anchor ${"cd".repeat(32)} is not in the chain: events were cut from the end of the log, or it was rewritten`);
  });

  test("an empty log verifies", () => {
    expect(renderVerification({ result: { ok: true, checked: 0, head: GENESIS }, headSeq: null, anchor: null, elapsedMs: 0, checkpoints: null, unsealed: none, outside: none }, "x.db")).toContain("Audit log verified: it is empty.");
  });
});
