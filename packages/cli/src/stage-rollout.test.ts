import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { rolloutTotals } from "./stage-rollout.js";

describe("rolloutTotals", () => {
  it("counts every session's samples and generated tokens from rollouts.jsonl (the job's summary counts its own session only)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ssb-rollout-totals-"));
    try {
      const file = path.join(dir, "rollouts.jsonl");
      // Two sessions' records: the second resumed the first, which wrote one sample.
      const record = (sampleIndex: number, tokenIds: number[]) =>
        `${JSON.stringify({ problemId: "p", sampleIndex, text: "t", tokenIds })}\n`;
      writeFileSync(file, `\uFEFF${record(0, [1, 2, 3])}\n${record(1, [4, 5])}${record(2, [])}`);
      expect(await rolloutTotals(file)).toEqual({ samples: 3, generatedTokens: 5 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
