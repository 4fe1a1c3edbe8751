import { describe, expect, test } from "@jest/globals";
import { parse } from "yaml";
import { parsePolicyText, POLICY_FILE_LIMITS } from "../../../src/config/policy-yaml.js";
import { policyFromBlobs } from "../../../src/config/repo-policy-loader.js";
import { withLoopWatch } from "../../helpers/loop-watch.js";

// A policy file is written by anyone who can push to a base branch, agents included: its size and
// shape are bounded before and while it is parsed, and it is parsed off the event loop.

const REPO = { owner: "acme", name: "widgets" };
const SOURCE = "acme/widgets:.github/countersign.yml@main";

/** `count` keys in one mapping, `k0: 0` … (the shape that made the parser's duplicate check quadratic). */
function manyKeys(count: number): string {
  return Array.from({ length: count }, (_, index) => `k${index}: ${index}`).join("\n");
}

describe("the size limit is checked before the file is parsed", () => {
  test("a 1 MB policy with 60,000 keys is refused at once, naming the file and the limit", async () => {
    const text = manyKeys(60_000).padEnd(1024 * 1024, "#");
    expect(Buffer.byteLength(text)).toBe(1024 * 1024);
    const started = performance.now();
    const result = await policyFromBlobs(REPO, "main", { complete: true, repository: { oid: "huge-1", text }, organization: null });
    // The yaml package took 32 s on this file (its duplicate-key check compares every key with every other).
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result).toEqual({ ok: false, source: SOURCE, problems: [{ file: SOURCE, path: "(file)", message: "is 1,024 KiB; a policy file may be at most 64 KiB (65,536 bytes)" }] });
  });

  test("the limit is in bytes: 64 KiB of multi-byte characters is over it", async () => {
    const text = `# ${"é".repeat(POLICY_FILE_LIMITS.bytes / 2)}\n`;
    expect(text.length).toBeLessThan(POLICY_FILE_LIMITS.bytes);
    expect(await parsePolicyText(text)).toMatchObject({ ok: false, path: "(file)", message: expect.stringContaining("a policy file may be at most 64 KiB") });
  });

  test("a file of exactly the limit is parsed", async () => {
    const text = `mode: enforce\n# ${"x".repeat(POLICY_FILE_LIMITS.bytes - 17)}\n`;
    expect(Buffer.byteLength(text)).toBe(POLICY_FILE_LIMITS.bytes);
    expect(await parsePolicyText(text)).toEqual({ ok: true, content: { mode: "enforce" } });
  });
});

describe("the shape limits are checked while it is parsed, in linear time", () => {
  test.each<[string, string, { path: string; message: string | RegExp }]>([
    ["more values than allowed", manyKeys(POLICY_FILE_LIMITS.values + 1), { path: "(file)", message: "has more than 3,000 values; a policy file may have at most 3,000" }],
    ["nesting deeper than allowed", Array.from({ length: 20 }, (_, depth) => `${"  ".repeat(depth)}k:`).join("\n"), { path: "k.k.k.k.k.k.k.k.k.k.k.k.k.k.k.k", message: "is nested more than 16 levels deep" }],
    [
      "an alias bomb (each level repeats the one before nine times)",
      "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
      { path: "(file)", message: /more YAML aliases than the 100 allowed|values once its aliases are expanded/ },
    ],
    ["a key set twice", "approvals:\n  required: 2\n  required: 1\n", { path: "approvals.required", message: "is set twice in this file (a key may appear once in each mapping)" }],
    ["a list used as a key", "? [a, b]\n: 1\n", { path: "(file)", message: "has a key that is not plain text (a mapping, list or alias used as a key)" }],
    ["invalid YAML", "mode: enforce\napprovals: [\n", { path: "(file)", message: /^could not be parsed \(invalid YAML at line \d+\)$/ }],
    ["a list instead of a mapping", "- mode: enforce\n", { path: "(file)", message: "could not be parsed (YAML is not an object)" }],
    ["a deeply nested flow list", `a: ${"[".repeat(5_000)}${"]".repeat(5_000)}\n`, { path: expect.any(String) as unknown as string, message: expect.stringMatching(/nested more than 16 levels deep|could not be parsed/) as unknown as string }],
  ])("%s is refused", async (_description, text, problem) => {
    const result = await parsePolicyText(text);
    expect(result).toMatchObject({ ok: false, path: problem.path, message: problem.message instanceof RegExp ? expect.stringMatching(problem.message) : problem.message });
  });

  test("an empty file is an empty policy; comments only too", async () => {
    expect(await parsePolicyText("")).toEqual({ ok: true, content: {} });
    expect(await parsePolicyText("# nothing yet\n")).toEqual({ ok: true, content: {} });
  });

  test("as many keys as allowed in one mapping parse in well under a second (no quadratic duplicate check)", async () => {
    const text = manyKeys(POLICY_FILE_LIMITS.values - 1);
    const started = performance.now();
    const result = await parsePolicyText(text);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(result.ok && Object.keys(result.content)).toHaveLength(POLICY_FILE_LIMITS.values - 1);
  });

  test("anchors and a few aliases are fine", async () => {
    expect(await parsePolicyText("paths: &docs [docs/**]\ntiers:\n  - name: docs\n    when: { paths: *docs }\n    require: { approvals: 2 }\n")).toEqual({
      ok: true,
      content: { paths: ["docs/**"], tiers: [{ name: "docs", when: { paths: ["docs/**"] }, require: { approvals: 2 } }] },
    });
  });

  test("problems reach the check run as problems of the file they are in", async () => {
    const result = await policyFromBlobs(REPO, "main", { complete: true, repository: { oid: "dup-1", text: "mode: enforce\nmode: evaluate\n" }, organization: { oid: "org-ok-1", text: "approvals:\n  required: 2\n" } });
    expect(result).toEqual({ ok: false, source: SOURCE, problems: [{ file: SOURCE, path: "mode", message: "is set twice in this file (a key may appear once in each mapping)" }] });
  });
});

describe("parsing does not hold up the event loop", () => {
  test("while a file at the limits is parsed, the loop keeps turning (the parse runs in a worker thread)", async () => {
    await parsePolicyText("mode: enforce\n"); // the worker is started once; starting it is not what is measured
    const text = manyKeys(POLICY_FILE_LIMITS.values - 1);
    const onTheLoop = (() => {
      const started = performance.now();
      parse(text);
      return performance.now() - started;
    })();
    const { result, longestStallMs } = await withLoopWatch(() => parsePolicyText(text));
    expect(result.ok).toBe(true);
    // Parsed on the loop (the old way) the loop stops for the whole parse; from the worker it only
    // receives the result. (Generous: other processes share the machine's cores.)
    expect(longestStallMs).toBeLessThan(Math.max(25, onTheLoop / 2));
  });

  test("files are parsed one after another, each answer going to its own caller", async () => {
    const texts = Array.from({ length: 20 }, (_, index) => `approvals:\n  required: ${(index % 10) + 1}\n`);
    const results = await Promise.all(texts.map((text) => parsePolicyText(text)));
    expect(results.map((result) => (result.ok ? (result.content as { approvals: { required: number } }).approvals.required : null))).toEqual(texts.map((_, index) => (index % 10) + 1));
  });
});
