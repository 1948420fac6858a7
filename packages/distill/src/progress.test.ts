import { describe, expect, it } from "vitest";
import { createProgress } from "./progress.js";

describe("createProgress (the trainers' bar)", () => {
  it("in a log, prints every `every` steps of this run and the last one, with the step's numbers", () => {
    const lines: string[] = [];
    const progress = createProgress(30, { write: (s: string) => lines.push(s) }, 10, 5);
    for (let step = 6; step <= 23; step++) progress.update(step, { loss: "0.500", "tok/s": "900" });
    progress.done();
    expect(lines.map((l) => l.split("  ")[0])).toEqual([
      "[████████░░░░░░░░░░░░░░░░] 10/30 steps 33%",
      "[████████████████░░░░░░░░] 20/30 steps 66%",
      "[██████████████████░░░░░░] 23/30 steps 76%",
    ]);
    expect(lines[0]).toContain("  loss 0.500  tok/s 900  ");
  });

  it("on a terminal, redraws one line and ends it", () => {
    const writes: string[] = [];
    const progress = createProgress(4, { isTTY: true, write: (s: string) => writes.push(s) });
    progress.update(4, { loss: "1.0" });
    progress.done();
    expect(writes[0]?.startsWith("\r[")).toBe(true);
    expect(writes.at(-2)).toContain("4/4 steps 100%");
    expect(writes.at(-1)).toBe("\n");
  });
});
