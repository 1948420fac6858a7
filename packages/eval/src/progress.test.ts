import { describe, expect, it } from "vitest";
import { createProgressBar, formatDuration, progressLine } from "./progress.js";

describe("progress", () => {
  it("shows count, percent, rate and ETA, counting only this session's samples in the rate", () => {
    expect(progressLine("eval", 50, 200, 10, 0, 10)).toBe("eval ███░░░░░░░ 50/200 25% 5.00/s ETA 30s");
    expect(progressLine("eval", 150, 200, 10, 100, 4)).toBe("eval ███░ 150/200 75% 5.00/s ETA 10s");
  });

  it("formats durations", () => {
    expect(formatDuration(5)).toBe("5s");
    expect(formatDuration(125)).toBe("2m05s");
    expect(formatDuration(3 * 3600 + 60)).toBe("3h01m");
    expect(formatDuration(Number.NaN)).toBe("--");
  });

  it("redraws one line on a TTY and logs plain lines elsewhere", () => {
    let tty = "";
    let t = 0;
    const bar = createProgressBar(
      "x",
      10,
      {
        isTTY: true,
        write: (s: string) => {
          tty += s;
        },
      },
      { now: () => t },
    );
    bar.update(0);
    t = 1000;
    bar.update(5);
    bar.finish();
    expect(tty).toContain("\r");
    expect(tty.endsWith("\n")).toBe(true);
    let log = "";
    const plain = createProgressBar(
      "x",
      10,
      {
        write: (s: string) => {
          log += s;
        },
      },
      { now: () => t, logEveryMs: 1000 },
    );
    plain.update(1);
    t = 2500;
    plain.update(2);
    plain.finish();
    expect(log.split("\n").filter(Boolean)).toHaveLength(2);
    expect(log).not.toContain("\r");
  });
});
