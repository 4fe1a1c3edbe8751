import { html } from "./html.js";

// A stacked bar chart as inline SVG, drawn on the server: the dashboard runs no script and loads
// nothing, so no chart library. Readable without colour: each series has its own fill pattern (solid,
// hatched, dotted, cross-hatched), the legend names them, each segment is labelled with its count when
// it is tall enough, every bar carries its total, and each segment's <title> says what it counts.
// Heights are proportional to the counts (one scale, from 0 to the tallest bar).

/** One series (a stacked layer), in drawing order from the bottom. */
export interface ChartSeries {
  key: string;
  label: string;
  /** The pattern's ink colour, and the colour behind it. */
  ink: string;
  paper: string;
  pattern: "solid" | "hatch" | "dots" | "cross";
}

/** One bar: its label under the axis and its segments, one per series (in the series' order). */
export interface StackedBar {
  label: string;
  /** Words for the bar in titles ("week of 2026-11-30"). */
  title: string;
  segments: Array<{ series: string; count: number; href: string }>;
}

export const PLOT_HEIGHT = 160;
const TOP = 22;
const LEFT = 34;
const SLOT = 46;
const BAR = 30;
const AXIS_LABELS = 22;
const LEGEND_LINE = 18;
const MIN_WIDTH = 300;
/** Segments shorter than this carry no count inside (the table and the title still give it). */
const LABEL_MIN_HEIGHT = 14;

function patternDef(id: string, series: ChartSeries): string {
  const ink = html(series.ink);
  const paper = html(series.paper);
  switch (series.pattern) {
    case "solid":
      return `<pattern id="${id}" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="${ink}"/></pattern>`;
    case "hatch":
      return `<pattern id="${id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="${paper}"/><rect width="2.5" height="6" fill="${ink}"/></pattern>`;
    case "dots":
      return `<pattern id="${id}" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="${paper}"/><circle cx="3" cy="3" r="1.6" fill="${ink}"/></pattern>`;
    case "cross":
      return `<pattern id="${id}" width="7" height="7" patternUnits="userSpaceOnUse"><rect width="7" height="7" fill="${paper}"/><path d="M0 0L7 7M7 0L0 7" stroke="${ink}" stroke-width="1.4"/></pattern>`;
  }
}

/** Segments link only to a query of the same page (the list of their pull requests), never elsewhere. */
const PAGE_QUERY = /^\?[^\s"'<>]*(#[A-Za-z0-9-]*)?$/;

const round = (value: number) => Math.round(value * 100) / 100;

/** The chart as an <svg> element: `title` and `description` are its accessible name and description. */
export function stackedBarChartSvg(chart: { id: string; title: string; description: string; series: readonly ChartSeries[]; bars: readonly StackedBar[] }): string {
  const id = chart.id.replace(/[^A-Za-z0-9_-]/g, "");
  const totals = chart.bars.map((bar) => bar.segments.reduce((sum, segment) => sum + segment.count, 0));
  const max = Math.max(0, ...totals);
  const scale = max === 0 ? 0 : PLOT_HEIGHT / max;
  const width = Math.max(MIN_WIDTH, LEFT + chart.bars.length * SLOT + 8);
  const axisY = TOP + PLOT_HEIGHT;
  const height = axisY + AXIS_LABELS + chart.series.length * LEGEND_LINE + 6;
  const seriesIndex = new Map(chart.series.map((series, index) => [series.key, index]));
  const label = (series: string) => chart.series[seriesIndex.get(series) ?? -1]?.label ?? series;

  const defs = chart.series.map((series, index) => patternDef(`${id}-p${index}`, series)).join("");
  const bars = chart.bars
    .map((bar, barIndex) => {
      const x = LEFT + barIndex * SLOT + (SLOT - BAR) / 2;
      let y = axisY;
      const segments = bar.segments
        .filter((segment) => segment.count > 0)
        .map((segment) => {
          const h = round(segment.count * scale);
          y = round(y - h);
          const index = seriesIndex.get(segment.series) ?? 0;
          const text = h >= LABEL_MIN_HEIGHT ? `<text x="${x + BAR / 2}" y="${round(y + h / 2 + 4)}" class="seg-n">${segment.count}</text>` : "";
          const inner = `<title>${html(`${bar.title}: ${segment.count} ${label(segment.series)}`)}</title><rect x="${x}" y="${y}" width="${BAR}" height="${h}" fill="url(#${id}-p${index})" stroke="#1f2328" stroke-width="0.5" data-series="${html(segment.series)}" data-count="${segment.count}"/>${text}`;
          return PAGE_QUERY.test(segment.href) ? `<a href="${html(segment.href)}">${inner}</a>` : `<g>${inner}</g>`;
        })
        .join("");
      const total = totals[barIndex] as number;
      return `<g>${segments}<text x="${x + BAR / 2}" y="${round(y - 4)}" class="bar-total">${total}</text><text x="${x + BAR / 2}" y="${axisY + 15}" class="bar-label">${html(bar.label)}</text></g>`;
    })
    .join("");
  const legend = chart.series
    .map((series, index) => {
      const y = axisY + AXIS_LABELS + index * LEGEND_LINE;
      return `<rect x="${LEFT}" y="${y}" width="22" height="12" fill="url(#${id}-p${index})" stroke="#1f2328" stroke-width="0.5"/><text x="${LEFT + 28}" y="${y + 10}" class="legend">${html(series.label)}</text>`;
    })
    .join("");
  const style = `<style>.seg-n{font:bold 12px system-ui,sans-serif;text-anchor:middle;fill:#1f2328;paint-order:stroke;stroke:#fff;stroke-width:3px}.bar-total,.bar-label{font:12px system-ui,sans-serif;text-anchor:middle;fill:#1f2328}.legend{font:12px system-ui,sans-serif;fill:#1f2328}.axis{font:12px system-ui,sans-serif;text-anchor:end;fill:#59636e}</style>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" aria-labelledby="${id}-title ${id}-desc" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><title id="${id}-title">${html(chart.title)}</title><desc id="${id}-desc">${html(chart.description)}</desc>${style}<defs>${defs}</defs><line x1="${LEFT}" y1="${axisY}" x2="${width - 4}" y2="${axisY}" stroke="#59636e"/><text x="${LEFT - 4}" y="${axisY + 4}" class="axis">0</text><text x="${LEFT - 4}" y="${TOP + 4}" class="axis">${max}</text>${bars}${legend}</svg>`;
}
