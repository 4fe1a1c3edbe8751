import { describe, expect, test } from "@jest/globals";
import { decisionOutcome, delegationRelied, sawAgent } from "../../../src/services/pull-request-outcome.js";

// The dashboard's outcome of a decision: its first unmet requirement decides, in the engine's order.

describe("decisionOutcome", () => {
  test.each([
    ["success", ["agent-authored", "delegated:dlg_1", "approvals:1/1"], "countersigned"],
    ["success", ["no-agent-signals"], "countersigned"],
    ["action_required", ["agent-authored", "no-delegation", "approvals:0/1", "unmet:owner", "unmet:approvals"], "waiting-delegation"],
    ["action_required", ["agent-authored", "delegated:dlg_1", "approvals:1/1", "unmet:delegation-expiry"], "waiting-delegation"],
    ["action_required", ["agent-authored", "delegated:dlg_1", "approvals:0/1", "unmet:approvals"], "waiting-approval"],
    ["action_required", ["agent-authored", "delegated:dlg_1", "approvals:1/1", "unmet:team-approval"], "waiting-approval"],
    // Something no approval fixes comes first, whatever else is missing.
    ["failure", ["agent-authored", "no-delegation", "unmet:scope-paths", "unmet:owner", "unmet:approvals"], "blocked"],
    ["failure", ["agent-assisted", "unmet:agents-allowed"], "blocked"],
    ["failure", ["config-invalid", "config:approvals"], "blocked"],
    ["failure", ["evaluation-error"], "blocked"],
    // In evaluate mode: what it would wait on.
    ["neutral", ["agent-authored", "no-delegation", "unmet:owner", "mode:evaluate"], "waiting-delegation"],
    ["neutral", ["agent-authored", "unmet:base-branch", "mode:evaluate"], "blocked"],
  ])("%s %j is %s", (conclusion, reasons, outcome) => {
    expect(decisionOutcome({ conclusion, reasons })).toBe(outcome);
  });

  test("reads whether an agent was seen and which delegation was relied on", () => {
    expect(sawAgent(["agent-assisted"])).toBe(true);
    expect(sawAgent(["no-agent-signals"])).toBe(false);
    expect(delegationRelied(["agent-authored", "delegated:dlg_00aa"])).toBe("dlg_00aa");
    expect(delegationRelied(["agent-authored", "delegation-revoked"])).toBeNull();
  });
});
