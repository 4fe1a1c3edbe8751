import { describe, expect, test } from "@jest/globals";
import { dashboardFilterQuery, defaultDashboardFilters, filterWindow, parseDashboardFilters, weekStart } from "../../../src/services/dashboard-filters.js";

// The filters come from whoever typed the address: each value parses on its own, and one that does
// not leaves its default and a note, never an error.

// A Wednesday.
const NOW = new Date("2026-12-09T15:00:00Z");
const parse = (query: string) => parseDashboardFilters(new URLSearchParams(query), NOW, "acme");

describe("dashboard filters", () => {
  test("default to the current week and the 11 before it, Monday to today, nothing else", () => {
    expect(parse("")).toEqual({ filters: { from: "2026-09-21", to: "2026-12-09", repo: null, agent: null, owner: null, week: null, outcome: null }, notes: [] });
    expect(new Date("2026-09-21T00:00:00Z").getUTCDay()).toBe(1);
    // Empty fields are what a GET form sends for "no filter": no note.
    expect(parse("from=&to=&repo=&agent=&owner=").notes).toEqual([]);
  });

  test("weeks start on Monday 00:00 UTC, a Sunday belongs to the week before", () => {
    expect(weekStart(new Date("2026-12-06T23:59:59Z")).toISOString()).toBe("2026-11-30T00:00:00.000Z");
    expect(weekStart(new Date("2026-12-07T00:00:00Z")).toISOString()).toBe("2026-12-07T00:00:00.000Z");
  });

  test("accept valid values, the repository under the organization whichever way it is named", () => {
    const { filters, notes } = parse("from=2026-11-01&to=2026-11-30&repo=api&agent=devin-ai-integration[bot]&owner=octocat&week=2026-11-18&outcome=waiting-approval");
    expect(notes).toEqual([]);
    expect(filters).toEqual({ from: "2026-11-01", to: "2026-11-30", repo: "acme/api", agent: "devin-ai-integration[bot]", owner: "octocat", week: "2026-11-16", outcome: "waiting-approval" });
    expect(parse("repo=ACME/api").filters.repo).toBe("acme/api");
    expect(filterWindow(filters)).toEqual({ start: new Date("2026-11-01T00:00:00Z"), end: new Date("2026-12-01T00:00:00Z") });
  });

  test.each([
    ["from=2026-02-30", "from"],
    ["to=yesterday", "to"],
    ["repo=other/api", "repo"],
    ["repo=a b", "repo"],
    ["agent=<script>", "agent"],
    ["owner=octo[bot]", "owner"],
    ["outcome=passed", "outcome"],
    ["week=2025-01-06", "week"],
  ])("an invalid %s leaves the default and a note naming it", (query, name) => {
    const { filters, notes } = parse(query);
    const defaults = defaultDashboardFilters(NOW);
    expect(filters).toEqual(defaults);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(`"${name}"`);
  });

  test("a reversed range shows the default range; a range over a year is cut to the year up to `to`", () => {
    expect(parse("from=2026-12-01&to=2026-11-01")).toEqual({ filters: defaultDashboardFilters(NOW), notes: [expect.stringContaining("after")] });
    const long = parse("from=2020-01-01&to=2026-06-30");
    expect(long.filters.from).toBe("2025-06-30");
    expect(long.notes).toEqual([expect.stringContaining("longer than 366 days")]);
  });

  test("a figure's link keeps the other filters and reads back as the same filters", () => {
    const { filters } = parse("from=2026-11-01&to=2026-11-30&agent=copilot");
    const query = dashboardFilterQuery(filters, { week: "2026-11-09", outcome: "blocked" });
    expect(query).toBe("?from=2026-11-01&to=2026-11-30&agent=copilot&week=2026-11-09&outcome=blocked");
    expect(parseDashboardFilters(new URLSearchParams(query.slice(1)), NOW, "acme").filters).toEqual({ ...filters, week: "2026-11-09", outcome: "blocked" });
  });
});
