import { describe, expect, it } from "vitest";
import { checkLogitCoverage } from "./logit-coverage.js";

describe("checkLogitCoverage", () => {
  it("accepts matching rows and names every disagreement", async () => {
    const store = new Map<string, number[]>([
      ["a#1", [5, 6, 0]],
      ["b#1", [5, 6]],
      ["c#1", [5, 7, 0]],
    ]);
    const lookup = async (k: string) => store.get(k) ?? null;
    const ok = await checkLogitCoverage(
      [{ problemId: "a", logitKey: "a#1", responseTokenIds: [5, 6, 0] }],
      lookup,
    );
    expect(ok).toEqual({ checked: 1, mismatches: [] });
    const bad = await checkLogitCoverage(
      [
        { problemId: "b", logitKey: "b#1", responseTokenIds: [5, 6, 0] },
        { problemId: "c", logitKey: "c#1", responseTokenIds: [5, 6, 0] },
        { problemId: "d", logitKey: "d#1", responseTokenIds: [1] },
        { problemId: "e", logitKey: null, responseTokenIds: [1] },
      ],
      lookup,
    );
    expect(bad.mismatches).toEqual([
      'b: 3 reply tokens but 2 logit rows under "b#1"',
      "c: position 1: reply token 6, logit row token 7",
      'd: no logit rows under key "d#1"',
      "e: pair has no logitKey",
    ]);
  });
});
