import { describe, expect, test } from "@jest/globals";
import { formatDuration } from "../../../src/evidence/dashboard-figures.js";
import { WAIT_PLOT_HEIGHT, waitChartSvg } from "../../../src/evidence/wait-chart-svg.js";

// The waits' chart: each week's p90 and median bars on one scale, labelled, hostile text escaped.

const HOUR = 3_600_000;

function bars(svg: string, value: "p90" | "median"): number[] {
  return [...svg.matchAll(new RegExp(`height="([\\d.]+)"[^>]*data-value="${value}"`, "g"))].map((match) => Number(match[1]));
}

describe("waitChartSvg", () => {
  const svg = waitChartSvg({
    id: "wait",
    title: "Delegated → countersigned, per week",
    description: "Median and p90.",
    format: formatDuration,
    bars: [
      { label: "11-02", title: "Week of 2026-11-02", medianMs: 2 * HOUR, p90Ms: 8 * HOUR, href: "?week=2026-11-02#matching" },
      { label: "11-09", title: "Week of 2026-11-09", medianMs: 1 * HOUR, p90Ms: 4 * HOUR, href: "?week=2026-11-09#matching" },
      { label: "11-16", title: "Week of 2026-11-16", medianMs: null, p90Ms: null, href: "?week=2026-11-16#matching" },
    ],
  });

  test("draws p90 and median bars proportional to the waits, the longest p90 the full height", () => {
    expect(bars(svg, "p90")).toEqual([WAIT_PLOT_HEIGHT, WAIT_PLOT_HEIGHT / 2, 0]);
    expect(bars(svg, "median")).toEqual([WAIT_PLOT_HEIGHT / 4, WAIT_PLOT_HEIGHT / 8, 0]);
  });

  test("names each week's values, the scale and the legend; a week without waits says so", () => {
    expect(svg).toContain("<title>Week of 2026-11-02: median 2.0 h, p90 8.0 h</title>");
    expect(svg).toContain("<title>Week of 2026-11-16: median –, p90 –</title>");
    expect(svg).toContain("Scale: 0 to 8.0 h");
    expect(svg).toContain('<title id="wait-title">Delegated → countersigned, per week</title>');
    expect(svg).toContain("p90 (wide, hatched)");
    expect(svg).toContain('<a href="?week=2026-11-09#matching">');
    expect(svg).not.toContain("NaN");
  });

  test("escapes hostile text and draws no link that is not a query of the page", () => {
    const hostile = waitChartSvg({ id: "h", title: "<script>", description: "<script>", format: formatDuration, bars: [{ label: "<script>", title: "<img src=x onerror=alert(1)>", medianMs: 1, p90Ms: 2, href: "javascript:alert(1)" }] });
    expect(hostile).not.toContain("<script>");
    expect(hostile).not.toContain("<img");
    expect(hostile).not.toContain("<a ");
  });
});
