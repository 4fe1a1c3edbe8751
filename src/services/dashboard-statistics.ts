import { isoDay, weekStart } from "./dashboard-filters.js";

// The arithmetic behind the dashboard's figures: weeks and percentiles. Pure.

const WEEK_MS = 7 * 86_400_000;

/** The weeks (their Mondays, YYYY-MM-DD) that the days `start` (included) to `end` (excluded) touch, oldest first. */
export function weeksOf(start: Date, end: Date): string[] {
  const weeks: string[] = [];
  for (let monday = weekStart(start).getTime(); monday < end.getTime(); monday += WEEK_MS) weeks.push(isoDay(new Date(monday)));
  return weeks;
}

/** The week (its Monday, YYYY-MM-DD) an instant falls in. */
export function weekOf(at: Date): string {
  return isoDay(weekStart(at));
}

/**
 * The `p`th percentile (0 < p ≤ 100) by nearest rank: the smallest value with at least p% of the values
 * at or below it, always one of the values (no interpolation between two waits that did not happen).
 * The median of an even count is the lower middle value. Null for no values.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Median, p90 and count of some durations (milliseconds). */
export interface DurationSummary {
  count: number;
  medianMs: number | null;
  p90Ms: number | null;
}

/** The summary of `values`. */
export function summarizeDurations(values: readonly number[]): DurationSummary {
  return { count: values.length, medianMs: percentile(values, 50), p90Ms: percentile(values, 90) };
}
