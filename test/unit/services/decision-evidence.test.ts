import { describe, expect, test } from "@jest/globals";
import { readTexts } from "../../../src/db/content-texts.js";
import { CHANGED_PATHS_MAX } from "../../../src/evidence/decision-context.js";
import { textHash } from "../../../src/evidence/text-ref.js";
import { evaluateAndReport } from "../../../src/services/evaluation-queue.js";
import { pullRequest } from "../policy/builders.js";
import { useServiceWorld } from "./service-harness.js";

// What a decision's audit event keeps of what it saw: the PR's title (capped, flagged when cut), its
// head and base commits and its changed paths (in the content store, by hash), all from the facts
// the judge read, with no further request to GitHub.

describe("the context a decision records", () => {
  const world = useServiceWorld();

  async function decisionPayload(): Promise<Record<string, any>> {
    const { services } = world();
    const events = await services.db.prisma.auditEvent.findMany({ where: { type: "decision" } });
    expect(events.length).toBeGreaterThan(0);
    return JSON.parse(events[0]!.payload) as Record<string, any>;
  }

  test("the title, commits and changed paths are recorded; the paths' stored text is the list GitHub gave", async () => {
    const { services, github, event } = world();
    const files = ["src/client.ts", "docs/a b.md", "weird\nname.ts"];
    github.addPullRequest(pullRequest({ title: "Add retry <b>now</b>", files, baseSha: "b".repeat(40) }));
    await evaluateAndReport(services, event(), { prNumber: 7, headShaHint: null });
    const { context, reasons } = await decisionPayload();
    expect(reasons.length).toBeGreaterThan(0);
    expect(context).toEqual({ title: "Add retry <b>now</b>", headSha: "1".repeat(40), baseSha: "b".repeat(40), changedFiles: { hash: expect.any(String), count: 3, truncated: false } });
    const text = (await readTexts(services.db, [context.changedFiles.hash])).get(context.changedFiles.hash)!;
    expect(textHash(text)).toBe(context.changedFiles.hash);
    expect(JSON.parse(text)).toEqual(files);
  });

  test("a long title is capped and flagged, and a long list of paths is cut with its count", async () => {
    const { services, github, event } = world();
    const files = Array.from({ length: CHANGED_PATHS_MAX + 5 }, (_, index) => `src/f${index}.ts`);
    github.addPullRequest(pullRequest({ title: "x".repeat(300), files }));
    await evaluateAndReport(services, event(), { prNumber: 7, headShaHint: null });
    const { context } = await decisionPayload();
    expect(context).toMatchObject({ title: "x".repeat(256), titleTruncated: true, baseSha: null, changedFiles: { count: CHANGED_PATHS_MAX + 5, truncated: true } });
    const kept = JSON.parse((await readTexts(services.db, [context.changedFiles.hash])).get(context.changedFiles.hash)!) as string[];
    expect(kept).toEqual(files.slice(0, CHANGED_PATHS_MAX));
  });

  test("recording the context asks GitHub nothing more", async () => {
    const { services, github, event } = world();
    github.addPullRequest(pullRequest());
    await evaluateAndReport(services, event(), { prNumber: 7, headShaHint: null });
    // The same reads as before the context was recorded: the pull request (with its policy files), the setup, the write.
    expect(github.calls.map((call) => call.operation)).toEqual(["readPullRequest", "requiredCheckStatus", "writeCheckRun"]);
    expect((await decisionPayload()).context.changedFiles.count).toBe(1);
  });

  test("the policy is named by its files and hash, and its texts are stored: the canonical text rehashes to the policy hash", async () => {
    const { services, github, event } = world();
    const text = "approvals:\n  required: 2\n";
    github.addPullRequest(pullRequest()).setPolicy({ owner: "acme", name: "widgets" }, text);
    await evaluateAndReport(services, event(), { prNumber: 7, headShaHint: null });
    const payload = await decisionPayload();
    expect(payload.policy).toEqual({
      hash: payload.policyHash,
      source: "acme/widgets:.github/countersign.yml@main",
      textHash: payload.policyHash,
      files: [{ repository: "acme/widgets", path: ".github/countersign.yml", blobSha: expect.stringMatching(/^[0-9a-f]{40}$/), commitSha: null, textHash: textHash(text) }],
    });
    const texts = await readTexts(services.db, [payload.policy.textHash, textHash(text)]);
    expect(textHash(texts.get(payload.policy.textHash)!)).toBe(payload.policyHash);
    expect(texts.get(textHash(text))).toBe(text);
    // A second decision under the same policy stores nothing new.
    const stored = await services.db.prisma.contentText.count();
    await evaluateAndReport(services, event(), { prNumber: 7, headShaHint: null, forceWrite: true });
    expect(await services.db.prisma.contentText.count()).toBe(stored);
  });
});
