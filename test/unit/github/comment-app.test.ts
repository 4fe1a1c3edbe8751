import { describe, expect, test } from "@jest/globals";
import { parseCommentApp } from "../../../src/github/comment-app.schema.js";

describe("parseCommentApp: performed_via_github_app at the boundary", () => {
  test.each([
    ["absent", undefined],
    ["null", null],
  ])("%s: typed by a person", (_description, value) => {
    expect(parseCommentApp(value)).toBeNull();
  });

  test.each([
    ["the documented shape", { id: 1143301, slug: "copilot-swe-agent", name: "Copilot", owner: { login: "github" }, events: [] }, { id: 1143301, slug: "copilot-swe-agent", name: "Copilot" }],
    ["no slug (the types make it optional)", { id: 5, name: "Tool" }, { id: 5, slug: null, name: "Tool" }],
    ["only an id", { id: 6 }, { id: 6, slug: null, name: null }],
    // Present but not the documented shape: still an app, unnamed (fails closed, never "a person").
    ["an id that is not a number", { id: "6", slug: "x" }, { id: null, slug: null, name: null }],
    ["a string", "copilot", { id: null, slug: null, name: null }],
    ["false", false, { id: null, slug: null, name: null }],
    ["an empty object", {}, { id: null, slug: null, name: null }],
    ["a name over 500 characters", { id: 7, name: "n".repeat(501) }, { id: null, slug: null, name: null }],
  ])("%s: an app", (_description, value, expected) => {
    expect(parseCommentApp(value)).toEqual(expected);
  });
});
