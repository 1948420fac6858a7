import { describe, expect, it } from "vitest";
import { createProgressBar, type ProgressStream } from "./progress-bar.js";

/** A stream that keeps what is written, and a clock the test moves. */
function fakeStream(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  const stream: ProgressStream = {
    isTTY,
    ...(columns !== undefined ? { columns } : {}),
    write: (text: string) => writes.push(text),
  };
  return { stream, writes };
}

function clock() {
  let t = 1_000;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("createProgressBar on a terminal", () => {
  it("redraws one line in place, at most every redrawMs, and always at the total; finish ends the line", () => {
    const { stream, writes } = fakeStream(true);
    const c = clock();
    const bar = createProgressBar(10, { stream, now: c.now, redrawMs: 200, width: 4, label: "job" });
    bar.update(0);
    c.advance(50);
    bar.update(1); // too soon: not drawn
    c.advance(200);
    bar.update(2);
    c.advance(10);
    bar.update(10); // the total: drawn even though it is soon
    bar.finish();
    expect(writes.length).toBe(5);
    expect(writes.slice(0, 4).every((w) => w.startsWith("\r") && w.endsWith("\u001b[K"))).toBe(true);
    expect(writes[1]).toContain("2/10");
    expect(writes[2]).toContain("10/10 100%");
    expect(writes[3]).toContain("10/10 100%");
    expect(writes[4]).toBe("\n");
  });

  it("cuts the line to the terminal's width, so that it can be redrawn in place", () => {
    const { stream, writes } = fakeStream(true, 30);
    const bar = createProgressBar(10, { stream, label: "a-long-label" });
    bar.update(3, ["loss 0.123456789"]);
    const text = (writes[0] as string).slice(1, -"\u001b[K".length);
    expect(Array.from(text).length).toBe(29);
  });

  it("writes nothing when finished without an update", () => {
    const { stream, writes } = fakeStream(true);
    createProgressBar(10, { stream }).finish();
    expect(writes).toEqual([]);
  });
});

describe("createProgressBar in a log", () => {
  it("prints a plain line at most every logEveryMs, one at the total, and none again at finish", () => {
    const { stream, writes } = fakeStream(false);
    const c = clock();
    const bar = createProgressBar(5, { stream, now: c.now, logEveryMs: 1_000, width: 2 });
    bar.update(0);
    c.advance(400);
    bar.update(1); // within the interval: silent
    c.advance(700);
    bar.update(2); // 1.1 s after the start: a line
    c.advance(100);
    bar.update(5); // the total: a line at once
    bar.finish();
    expect(writes).toEqual([
      "[█░] 2/5 40%  1.82/s  elapsed 1s  ETA 2s\n",
      "[██] 5/5 100%  4.17/s  elapsed 1s  ETA 0s\n",
    ]);
  });

  it("prints every logEvery units (training steps), counting from a resumed start", () => {
    const { stream, writes } = fakeStream(false);
    const c = clock();
    const bar = createProgressBar(40, { stream, now: c.now, logEveryMs: 0, logEvery: 10, unit: "steps" });
    for (let step = 10; step <= 25; step++) {
      c.advance(100);
      bar.update(step, [`loss ${(1 / step).toFixed(3)}`]);
    }
    bar.finish();
    // Step 10 is where this run began (nothing trained yet), so the lines are at 20 and at finish (25).
    expect(writes.map((w) => w.split("  ")[0]?.split("] ")[1])).toEqual([
      "20/40 steps 50%",
      "25/40 steps 62%",
    ]);
    expect(writes[0]).toContain("loss 0.050");
    // 10 steps trained in the 1.1 s since the bar was made (its first update, at step 10, came 0.1 s later).
    expect(writes[0]).toContain("9.09 steps/s");
  });

  it("prints nothing by time when logEveryMs is 0 and no logEvery is set, but still ends with the last line", () => {
    const { stream, writes } = fakeStream(false);
    const c = clock();
    const bar = createProgressBar(100, { stream, now: c.now, logEveryMs: 0 });
    for (let i = 0; i < 50; i++) {
      c.advance(10_000);
      bar.update(i);
    }
    expect(writes).toEqual([]);
    bar.finish();
    expect(writes.length).toBe(1);
    expect(writes[0]).toContain("49/100");
  });
});
