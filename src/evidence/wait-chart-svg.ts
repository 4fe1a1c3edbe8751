import { html } from "./html.js";

// A small chart of a wait per week, as inline SVG drawn on the server (no script): for each week a
// pale, hatched bar up to the p90 and a solid, narrower bar up to the median, on one scale from 0 to
// the longest p90. Readable without colour: the two are told apart by width and fill, the legend names
// them, each bar's <title> gives both values, and the table beside it has every number.

/** One week's wait. */
export interface WaitBar {
  label: string;
  title: string;
  medianMs: number | null;
  p90Ms: number | null;
  href: string;
}

export const WAIT_PLOT_HEIGHT = 120;
const TOP = 10;
const LEFT = 8;
const SLOT = 46;
const WIDE = 30;
const NARROW = 14;
const BELOW = 58;
const MIN_WIDTH = 300;
const PAGE_QUERY = /^\?[^\s"'<>]*(#[A-Za-z0-9-]*)?$/;

const round = (value: number) => Math.round(value * 100) / 100;

/** The chart as an <svg> element; `format` writes a duration for titles and the scale. */
export function waitChartSvg(chart: { id: string; title: string; description: string; bars: readonly WaitBar[]; format: (ms: number | null) => string }): string {
  const id = chart.id.replace(/[^A-Za-z0-9_-]/g, "");
  const max = Math.max(0, ...chart.bars.map((bar) => bar.p90Ms ?? 0));
  const scale = max === 0 ? 0 : WAIT_PLOT_HEIGHT / max;
  const width = Math.max(MIN_WIDTH, LEFT + chart.bars.length * SLOT + 8);
  const axisY = TOP + WAIT_PLOT_HEIGHT;
  const height = axisY + BELOW;
  const bars = chart.bars
    .map((bar, index) => {
      const centre = LEFT + index * SLOT + SLOT / 2;
      const p90 = round((bar.p90Ms ?? 0) * scale);
      const median = round((bar.medianMs ?? 0) * scale);
      const inner = `<title>${html(`${bar.title}: median ${chart.format(bar.medianMs)}, p90 ${chart.format(bar.p90Ms)}`)}</title><rect x="${centre - WIDE / 2}" y="${round(axisY - p90)}" width="${WIDE}" height="${p90}" fill="url(#${id}-hatch)" stroke="#59636e" stroke-width="0.5" data-value="p90"/><rect x="${centre - NARROW / 2}" y="${round(axisY - median)}" width="${NARROW}" height="${median}" fill="#0969da" data-value="median"/><text x="${centre}" y="${axisY + 14}" class="w-label">${html(bar.label)}</text>`;
      return PAGE_QUERY.test(bar.href) ? `<a href="${html(bar.href)}">${inner}</a>` : `<g>${inner}</g>`;
    })
    .join("");
  const legendY = axisY + 28;
  return `<svg xmlns="http://www.w3.org/2000/svg" aria-labelledby="${id}-title ${id}-desc" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><title id="${id}-title">${html(chart.title)}</title><desc id="${id}-desc">${html(chart.description)}</desc><style>.w-label,.w-legend{font:12px system-ui,sans-serif;fill:#1f2328}.w-label{text-anchor:middle}</style><defs><pattern id="${id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ddf4ff"/><rect width="1.5" height="6" fill="#54aeff"/></pattern></defs><line x1="${LEFT}" y1="${axisY}" x2="${width - 4}" y2="${axisY}" stroke="#59636e"/>${bars}<rect x="${LEFT}" y="${legendY}" width="22" height="12" fill="url(#${id}-hatch)" stroke="#59636e" stroke-width="0.5"/><text x="${LEFT + 28}" y="${legendY + 10}" class="w-legend">p90 (wide, hatched)</text><rect x="${LEFT + 150}" y="${legendY}" width="12" height="12" fill="#0969da"/><text x="${LEFT + 168}" y="${legendY + 10}" class="w-legend">median (narrow)</text><text x="${LEFT}" y="${legendY + 26}" class="w-legend">Scale: 0 to ${html(chart.format(max === 0 ? null : max))}</text></svg>`;
}
