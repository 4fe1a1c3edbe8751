import { createHash } from "node:crypto";
import { z } from "zod";
import { eventHash, type StoredEvent } from "../../audit/chain.js";
import { checkCheckpoint, type CheckpointVerifier } from "../../audit/checkpoint.js";
import { verifyInclusion } from "../../audit/merkle.js";
import { buildStory } from "../../evidence/pr-story.js";
import { buildExportRecord, EXPORT_SCHEMA, type ExportCheckpoint } from "./export.js";

// `countersign audit verify --file <export>`: checks an export with no database, as an auditor who
// was handed only the file (and the public key) would. For each record it recomputes every event's
// hash from the canonical fields the record carries, checks the links between consecutive events,
// checks every kept text against its hash, and rebuilds the whole record from its events, exactly as
// `audit export` built it: any fact in the record that its events do not say is named by its path.
// With the checkpoint keys, the record's signed checkpoint must verify and every event it covers must
// be under its root (an inclusion proof): then the events are the log's, unaltered since it was signed.
// Pure over the file's text (the command reads the file and the keys).

/** The fields a record must have for its events to be checked at all (the rest is rebuilt and compared). */
const eventSchema = z.object({
  seq: z.number().int().positive(),
  type: z.string(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string(),
  repoId: z.number().int().nullable(),
  repoFullName: z.string().nullable(),
  subjectNumber: z.number().int().nullable(),
  sha: z.string().nullable(),
  actorId: z.number().int().nullable(),
  actorLogin: z.string().nullable(),
  deliveryId: z.string().nullable(),
  payload: z.string(),
});

const recordSchema = z.object({
  schema: z.literal(EXPORT_SCHEMA),
  exportedAt: z.iso.datetime(),
  repository: z.string(),
  pullRequest: z.number().int().positive(),
  texts: z.record(z.string(), z.string()).optional(),
  chain: z.object({
    head: z.object({ seq: z.number().int().nonnegative(), hash: z.string() }).nullable(),
    events: z.array(eventSchema).min(1),
    checkpoint: z.object({ note: z.string(), treeSize: z.number().int().positive(), proofs: z.record(z.string(), z.array(z.string().regex(/^[0-9a-f]{64}$/))) }).nullable(),
  }),
});

/** What checking one record found. */
export interface RecordVerdict {
  /** `acme/widgets#2`, with the record's place in the file. */
  record: string;
  /** Every problem, each naming the event (seq) or the field path; empty when the record holds. */
  problems: string[];
  events: number;
  /** What the signed checkpoint says about the record's events; null when the record has none. */
  checkpoint: { checked: false } | { checked: true; key: string; treeSize: number; covered: number } | null;
}

/** The first place two JSON values differ, as a path (`decisions[0].title`), or null when they are equal. */
function firstDifference(expected: unknown, actual: unknown, path = ""): { path: string; expected: unknown; actual: unknown } | null {
  if (Object.is(expected, actual)) return null;
  const at = (key: string | number) => (typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key);
  if (Array.isArray(expected) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      const difference = firstDifference(expected[i], actual[i], at(i));
      if (difference) return difference;
    }
    return null;
  }
  if (expected && actual && typeof expected === "object" && typeof actual === "object" && !Array.isArray(expected) && !Array.isArray(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
    for (const key of keys) {
      const difference = firstDifference((expected as Record<string, unknown>)[key], (actual as Record<string, unknown>)[key], at(key));
      if (difference) return difference;
    }
    return null;
  }
  return { path: path || "(the record)", expected, actual };
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? "nothing";
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Checks the record's checkpoint: its signature, and an inclusion proof for every event (and the head) it covers. */
function checkpointProblems(checkpoint: ExportCheckpoint, events: readonly { seq: number; hash: string }[], head: { seq: number; hash: string } | null, keys: readonly CheckpointVerifier[]): { problems: string[]; verdict: RecordVerdict["checkpoint"] } {
  const checked = checkCheckpoint(checkpoint.note, keys);
  if (!checked.ok) return { problems: [`chain.checkpoint: ${checked.reason}`], verdict: null };
  const { treeSize, rootHash } = checked.checkpoint;
  const problems: string[] = [];
  if (treeSize !== checkpoint.treeSize) problems.push(`chain.checkpoint.treeSize: the record says ${checkpoint.treeSize}, the signed checkpoint ${treeSize}`);
  const covered = [...events, ...(head ? [head] : [])].filter((event) => event.seq <= treeSize);
  for (const event of covered) {
    const proof = checkpoint.proofs[String(event.seq)];
    if (!proof) problems.push(`event #${event.seq}: no inclusion proof under checkpoint ${treeSize}, which covers it`);
    else if (!verifyInclusion(event.hash, event.seq - 1, treeSize, proof, rootHash)) problems.push(`event #${event.seq}: its hash is not under the root checkpoint ${treeSize} signed: the event, or the log, was altered`);
  }
  return { problems, verdict: { checked: true, key: `${checked.keyName}+${checked.keyId}`, treeSize, covered: covered.filter((event) => event !== head).length } };
}

/** Checks one record (`raw`, as parsed from the file); `keys` null leaves its checkpoint unchecked. */
export function verifyExportRecord(raw: unknown, place: string, keys: readonly CheckpointVerifier[] | null): RecordVerdict {
  const named = raw && typeof raw === "object" ? (raw as { repository?: unknown; pullRequest?: unknown }) : {};
  const record = typeof named.repository === "string" && typeof named.pullRequest === "number" ? `${place} (${named.repository}#${named.pullRequest})` : place;
  const parsed = recordSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { record, problems: [`${issue?.path.join(".") || "(the record)"}: ${issue?.message ?? "not an export record"}`], events: 0, checkpoint: null };
  }
  const { chain } = parsed.data;
  const problems: string[] = [];
  const stored: StoredEvent[] = chain.events.map((event) => ({ ...event, createdAt: new Date(event.at) }));
  chain.events.forEach((event, index) => {
    const where = `chain.events[${index}] (event #${event.seq}, ${event.type})`;
    const createdAt = stored[index]?.createdAt as Date;
    if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== event.at) problems.push(`${where}.at: not a time in the canonical form (ISO 8601, UTC, milliseconds)`);
    else if (eventHash(stored[index] as StoredEvent) !== event.hash) problems.push(`${where}: does not match its hash: its contents were altered`);
    const previous = chain.events[index - 1];
    if (previous && event.seq <= previous.seq) problems.push(`${where}: out of chain order (after #${previous.seq})`);
    if (previous && event.seq === previous.seq + 1 && event.prevHash !== previous.hash) problems.push(`${where}: does not link to event #${previous.seq} before it`);
  });
  if (!chain.events.some((event) => event.subjectNumber === parsed.data.pullRequest)) problems.push(`pullRequest: none of the record's events is about #${parsed.data.pullRequest}`);
  for (const [hash, text] of Object.entries(parsed.data.texts ?? {})) {
    if (sha256(text) !== hash) problems.push(`texts.${hash.slice(0, 12)}…: the text does not match its hash: it was altered`);
  }
  // Rebuilt exactly as `audit export` built it, from the events alone (and what the exporter stated:
  // its time, the head and the checkpoint, which are checked on their own).
  if (problems.length === 0) {
    const repository = stored.findLast((event) => event.repoFullName !== null)?.repoFullName ?? parsed.data.repository;
    const rebuilt = buildExportRecord(buildStory(repository, parsed.data.pullRequest, stored), {
      head: chain.head,
      exportedAt: new Date(parsed.data.exportedAt),
      checkpoint: chain.checkpoint,
      texts: new Map(Object.entries(parsed.data.texts ?? {})),
    });
    const difference = firstDifference(JSON.parse(JSON.stringify(rebuilt)), raw);
    if (difference) problems.push(`${difference.path}: the record says ${shown(difference.actual)}, its events say ${shown(difference.expected)}`);
  }
  // Asked to prove the events (keys given), a record without a checkpoint proves nothing: removing
  // `chain.checkpoint` from a forged record must not turn a failed proof into a pass.
  if (!chain.checkpoint) return { record, problems: keys ? [...problems, "chain.checkpoint: none, so its events cannot be proven to be the log's (was it removed, or did the app have no checkpoint key?)"] : problems, events: chain.events.length, checkpoint: null };
  if (!keys) return { record, problems, events: chain.events.length, checkpoint: { checked: false } };
  const checkpoint = checkpointProblems(chain.checkpoint, chain.events, chain.head, keys);
  return { record, problems: [...problems, ...checkpoint.problems], events: chain.events.length, checkpoint: checkpoint.verdict };
}

/** The records of an export file: JSON Lines (the default format) or one JSON array (`--format json`). */
export function exportRecords(text: string): Array<{ place: string; raw: unknown } | { place: string; error: string }> {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    try {
      const records = JSON.parse(trimmed) as unknown;
      if (Array.isArray(records)) return records.map((raw, index) => ({ place: `record ${index + 1}`, raw }));
    } catch (error) {
      return [{ place: "the file", error: `not JSON: ${(error as Error).message}` }];
    }
  }
  return text
    .split("\n")
    .map((line, index) => ({ line, place: `line ${index + 1}` }))
    .filter(({ line }) => line.trim().length > 0)
    .map(({ line, place }) => {
      try {
        return { place, raw: JSON.parse(line) as unknown };
      } catch (error) {
        return { place, error: `not JSON: ${(error as Error).message}` };
      }
    });
}

/** Checks every record of an export file. */
export function verifyExportFile(text: string, keys: readonly CheckpointVerifier[] | null): RecordVerdict[] {
  return exportRecords(text).map((entry) => ("error" in entry ? { record: entry.place, problems: [entry.error], events: 0, checkpoint: null } : verifyExportRecord(entry.raw, entry.place, keys)));
}

/** The report: the verdict first, then each record that fails, then what the checkpoints cover. */
export function renderExportVerification(verdicts: readonly RecordVerdict[], file: string): string {
  const failing = verdicts.filter((verdict) => verdict.problems.length > 0);
  const events = verdicts.reduce((sum, verdict) => sum + verdict.events, 0);
  const lines: string[] = [];
  if (verdicts.length === 0) lines.push(`Export BROKEN: ${file} holds no record.`);
  else if (failing.length > 0) {
    lines.push(`Export BROKEN: ${failing.length} of ${verdicts.length} record${verdicts.length === 1 ? "" : "s"} ${failing.length === 1 ? "fails" : "fail"}.`);
    for (const verdict of failing) lines.push(`- ${verdict.record}:`, ...verdict.problems.map((problem) => `    ${problem}`));
  } else {
    lines.push(`Export verified: ${verdicts.length} record${verdicts.length === 1 ? "" : "s"}, ${events} event${events === 1 ? "" : "s"}: every hash recomputed, every link between consecutive events checked, every text rehashed, every record rebuilt from its events.`);
  }
  const unchecked = verdicts.filter((verdict) => verdict.checkpoint?.checked === false).length;
  const none = verdicts.filter((verdict) => verdict.checkpoint === null && verdict.problems.length === 0).length;
  for (const verdict of verdicts) {
    const checkpoint = verdict.checkpoint;
    if (checkpoint?.checked && verdict.problems.length === 0) lines.push(`Checkpoint: ${verdict.record}: ${checkpoint.covered} of ${verdict.events} events under checkpoint ${checkpoint.treeSize}, signed by ${checkpoint.key}.`);
  }
  if (unchecked > 0) lines.push(`Checkpoints: not checked for ${unchecked} record${unchecked === 1 ? "" : "s"}: give --keys (the published public keys) to prove the events are the log's.`);
  if (none > 0) lines.push(`Checkpoints: ${none} record${none === 1 ? " has" : "s have"} none (the app had no checkpoint key): the events are consistent with each other, not proven to be the log's.`);
  lines.push(`File: ${file}`);
  return `${lines.join("\n")}\n`;
}
