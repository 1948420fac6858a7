import { describe, expect, it } from "vitest";
import { formatDuration } from "./duration.js";
import { progressLine } from "./progress-line.js";

describe("formatDuration", () => {
  it("writes seconds, minutes and hours compactly, and -- when unknown", () => {
    expect([0, 45, 59.6, 60, 187, 3599, 3600, 7500].map(formatDuration)).toEqual([
      "0s",
      "45s",
      "1m00s",
      "1m00s",
      "3m07s",
      "59m59s",
      "1h00m",
      "2h05m",
    ]);
    expect([Number.NaN, Number.POSITIVE_INFINITY, -1].map(formatDuration)).toEqual(["--", "--", "--"]);
  });
});

describe("progressLine", () => {
  it("shows the bar, counts, rate, extra parts in order, elapsed time and ETA", () => {
    const line = progressLine({
      label: "rollout",
      unit: "seqs",
      done: 300,
      total: 1200,
      elapsedSec: 10,
      extra: ["2067 tok/s", "64 active"],
      width: 8,
    });
    expect(line).toBe(
      "rollout [██░░░░░░] 300/1200 seqs 25%  30.0 seqs/s  2067 tok/s  64 active  elapsed 10s  ETA 30s",
    );
  });

  it("counts only this run's work in the rate and ETA of a resumed job", () => {
    // 100 of 200 were done before; 50 more in 10 s is 5/s, so the 50 left take 10 s.
    const line = progressLine({ done: 150, total: 200, startedAt: 100, elapsedSec: 10, width: 4 });
    expect(line).toBe("[███░] 150/200 75%  5.00/s  elapsed 10s  ETA 10s");
  });

  it("has no ETA before the first unit, and none left at the end", () => {
    expect(progressLine({ done: 0, total: 10, elapsedSec: 3, width: 2 })).toBe(
      "[░░] 0/10 0%  0.00/s  elapsed 3s  ETA --",
    );
    expect(progressLine({ done: 10, total: 10, elapsedSec: 4, width: 2 })).toBe(
      "[██] 10/10 100%  2.50/s  elapsed 4s  ETA 0s",
    );
    // An empty job is finished, not divided by zero.
    expect(progressLine({ done: 0, total: 0, elapsedSec: 0, width: 2 })).toBe(
      "[██] 0/0 100%  0.00/s  elapsed 0s  ETA 0s",
    );
  });

  it("does not round a nearly finished job up to 100%", () => {
    expect(progressLine({ done: 999, total: 1000, elapsedSec: 1, width: 2 })).toContain(" 99% ");
  });
});
