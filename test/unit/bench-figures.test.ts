import { describe, expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import path from "node:path";
// @ts-expect-error: the benchmark's report module is plain JavaScript (scripts/bench), without types.
import { renderMarkdown, renderReadmeFigures, renderSizing, SECTIONS, sectionOf } from "../../scripts/bench/report.mjs";

// The figures the README and the deployment guide quote are the benchmark's: `npm run bench` writes
// them, with its report (docs/benchmarks.json), and this test renders every section again from that
// report. A figure edited by hand, a section left from an older run, or a renderer changed without
// running the benchmark again fails here.

const root = path.resolve(import.meta.dirname, "../..");
const report = JSON.parse(readFileSync(path.join(root, "docs/benchmarks.json"), "utf8"));

describe("the documentation's benchmark figures", () => {
  test.each([
    ["results", renderMarkdown],
    ["readme", renderReadmeFigures],
    ["sizing", renderSizing],
  ] as const)("the %s section is what the benchmark's report renders", (name, render) => {
    const section = (SECTIONS as Record<string, { file: string; start: string; end: string }>)[name]!;
    const written = sectionOf(readFileSync(path.join(root, section.file), "utf8"), section);
    expect(written).not.toBeNull();
    expect(written).toBe((render as (report: unknown) => string)(report));
  });

  test("the report covers every part the pages quote, on both databases", () => {
    expect(report.results.map((result: { database: string; workload: string }) => `${result.database}/${result.workload}`).sort()).toEqual(["postgres/large", "postgres/small", "sqlite/large", "sqlite/small"]);
    expect(report.latency.map((run: { workload: string; gapMs: number }) => `${run.workload}/${run.gapMs}`)).toEqual(["small/1000", "small/0", "large/1000", "large/0"]);
    expect(report.policyChange).toMatchObject({ pullRequests: 500, repositories: 50 });
    expect(report.busy).not.toBeNull();
  });
});
