import { describe, expect, test } from "@jest/globals";
import { RateLimit } from "../../../src/credentials/rate-limit.js";

// The credential route's budget per issuer: the key is the token's unverified issuer, which a caller
// chooses, so a shared budget caps every key together.

describe("RateLimit", () => {
  test("each key has its budget per minute, renewed in the next minute", () => {
    let now = 0;
    const limit = new RateLimit(2, 100, () => now);
    expect([limit.take("a"), limit.take("a"), limit.take("a"), limit.take("b")]).toEqual([true, true, false, true]);
    now = 60_000;
    expect(limit.take("a")).toBe(true);
  });

  test("rotating keys does not escape the shared budget", () => {
    const limit = new RateLimit(5, 3, () => 0);
    expect(["k1", "k2", "k3", "k4", "k5"].map((key) => limit.take(key))).toEqual([true, true, true, false, false]);
  });
});
