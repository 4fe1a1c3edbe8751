import { describe, expect, test } from "@jest/globals";
import { PLOT_HEIGHT, stackedBarChartSvg } from "../../../src/evidence/bar-chart-svg.js";
import { OUTCOME_SERIES } from "../../../src/evidence/dashboard-figures.js";

// The chart as a reader sees it: bar heights proportional to counts, labels and a title, no markup
// from the data.

const HOSTILE = `</title><script>alert(1)</script>"'><a href="javascript:x">`;

function segments(svg: string): Array<{ series: string; count: number; height: number; y: number }> {
  return [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="30" height="([\d.]+)"[^>]*data-series="([^"]+)" data-count="(\d+)"/g)].map((match) => ({
    y: Number(match[1]),
    height: Number(match[2]),
    series: match[3] as string,
    count: Number(match[4]),
  }));
}

describe("stackedBarChartSvg", () => {
  const bar = (label: string, counts: number[]) => ({ label, title: `Week of ${label}`, segments: OUTCOME_SERIES.map((series, index) => ({ series: series.key, count: counts[index] ?? 0, href: `?week=${label}&outcome=${series.key}#matching` })) });
  const svg = stackedBarChartSvg({ id: "weekly", title: "Agent pull requests per week", description: "Counted once each per week.", series: OUTCOME_SERIES, bars: [bar("11-02", [4, 2, 0, 2]), bar("11-09", [1, 0, 0, 0]), bar("11-16", [0, 0, 0, 0])] });

  test("draws each segment with a height proportional to its count, the tallest bar the full height", () => {
    const drawn = segments(svg);
    expect(drawn.map((segment) => [segment.series, segment.count])).toEqual([
      ["countersigned", 4],
      ["waiting-delegation", 2],
      ["blocked", 2],
      ["countersigned", 1],
    ]);
    // The tallest bar (8) fills the plot: 20 px per pull request.
    for (const segment of drawn) expect(segment.height).toBeCloseTo((segment.count * PLOT_HEIGHT) / 8, 5);
    const firstBar = drawn.slice(0, 3);
    expect(firstBar.reduce((sum, segment) => sum + segment.height, 0)).toBeCloseTo(PLOT_HEIGHT, 5);
    // Stacked: each segment sits on the one below.
    expect((firstBar[1] as { y: number }).y + (firstBar[1] as { height: number }).height).toBeCloseTo((firstBar[0] as { y: number }).y, 5);
  });

  test("labels totals, weeks, counts and series, and has a title and description", () => {
    expect(svg).toMatch(/<title id="weekly-title">Agent pull requests per week<\/title><desc id="weekly-desc">Counted once each per week.<\/desc>/);
    expect(svg).toContain('class="bar-total">8</text>');
    expect(svg).toContain('class="bar-total">0</text>');
    expect(svg).toContain('class="bar-label">11-16</text>');
    expect(svg).toContain('class="seg-n">4</text>');
    for (const series of OUTCOME_SERIES) expect(svg).toContain(`class="legend">${series.label}</text>`);
    expect(svg).toContain("<title>Week of 11-02: 2 Waiting for delegation</title>");
    expect(svg).toContain('<a href="?week=11-02&amp;outcome=blocked#matching">');
    // Four different patterns, not colour alone.
    expect(new Set([...svg.matchAll(/<pattern id="weekly-p\d"[^>]*>(.*?)<\/pattern>/g)].map((match) => (match[1] as string).replace(/fill="[^"]*"|stroke="[^"]*"/g, ""))).size).toBe(4);
  });

  test("no counts: no bars, no division by zero", () => {
    const empty = stackedBarChartSvg({ id: "e", title: "t", description: "d", series: OUTCOME_SERIES, bars: [bar("11-02", [])] });
    expect(segments(empty)).toEqual([]);
    expect(empty).not.toContain("NaN");
    expect(empty).not.toContain("Infinity");
  });

  test("escapes hostile labels, titles and links", () => {
    const hostile = stackedBarChartSvg({ id: `x"><script>`, title: HOSTILE, description: HOSTILE, series: OUTCOME_SERIES, bars: [{ label: HOSTILE, title: HOSTILE, segments: [{ series: "countersigned", count: 1, href: `"><script>alert(2)</script>` }, { series: "blocked", count: 1, href: "javascript:alert(3)" }] }] });
    expect(hostile).not.toContain("<script>");
    // Neither link is drawn: a segment links only to a query of the page.
    expect(hostile).not.toContain('href="javascript');
    expect(hostile).not.toContain("<a ");
    expect(hostile).toContain("&lt;/title&gt;&lt;script&gt;");
    expect(hostile).toContain('id="xscript-title"');
  });
});
