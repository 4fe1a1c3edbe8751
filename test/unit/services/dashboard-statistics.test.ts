import { describe, expect, test } from "@jest/globals";
import { percentile, summarizeDurations, weekOf, weeksOf } from "../../../src/services/dashboard-statistics.js";

describe("dashboard statistics", () => {
  test("percentiles by nearest rank are always one of the values", () => {
    const values = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile(values, 100)).toBe(10);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([], 50)).toBeNull();
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(summarizeDurations([3, 1, 2])).toEqual({ count: 3, medianMs: 2, p90Ms: 3 });
    expect(summarizeDurations([])).toEqual({ count: 0, medianMs: null, p90Ms: null });
  });

  test("the weeks of a range are its Mondays, a partial first and last week included", () => {
    expect(weeksOf(new Date("2026-11-04T00:00:00Z"), new Date("2026-11-17T00:00:00Z"))).toEqual(["2026-11-02", "2026-11-09", "2026-11-16"]);
    expect(weeksOf(new Date("2026-11-02T00:00:00Z"), new Date("2026-11-09T00:00:00Z"))).toEqual(["2026-11-02"]);
    expect(weekOf(new Date("2026-11-08T23:59:59.999Z"))).toBe("2026-11-02");
    expect(weekOf(new Date("2026-11-09T00:00:00Z"))).toBe("2026-11-09");
  });
});
