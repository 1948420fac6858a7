import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Budget } from "./budget.js";

/** A fresh copy of the package's modules, as a new process would load them (the engine not yet started). */
async function freshModules() {
  vi.resetModules();
  const mathJson = await import("./math-json.js");
  const index = await import("./index.js");
  return { ...index, engineIsWarm: mathJson.engineIsWarm };
}

describe("starting the Compute Engine", () => {
  beforeEach(() => vi.resetModules());

  it("does not start it for answers the fast parser reads, symbolic ones included", async () => {
    const { grade, engineIsWarm } = await freshModules();
    expect(grade(String.raw`\boxed{x^2+1}`, "1+x^{2}").verdict).toBe("correct");
    expect(grade(String.raw`\boxed{\frac{\sqrt{3}}{2}}`, String.raw`\frac{1}{2}\sqrt{3}`).verdict).toBe(
      "correct",
    );
    expect(grade(String.raw`\boxed{2x}`, "3x").verdict).toBe("wrong");
    expect(engineIsWarm()).toBe(false);
  });

  it("starts it inside the budget's exclude() on the first answer that needs it, and grades it", async () => {
    const { compareAnswers, engineIsWarm } = await freshModules();
    // A budget that records where the engine started. (A timed budget would test the same thing less surely:
    // process.cpuUsage counts every thread's CPU, V8's background compiler included, so a tight budget can run
    // out on a loaded machine whatever the exclusion does.)
    const startedIn: string[] = [];
    const budget: Budget = {
      check() {
        if (engineIsWarm() && startedIn.length === 0) startedIn.push("the comparison's budget");
      },
      exclude(work) {
        const wasWarm = engineIsWarm();
        const result = work();
        if (!wasWarm && engineIsWarm()) startedIn.push("exclude()");
        return result;
      },
    };
    // \sin is not a shape the fast parser takes, so this parse goes to the engine.
    const comparison = compareAnswers(String.raw`2\sin(x)\cos(x)`, String.raw`2\cos(x)\sin(x)`, {}, budget);
    expect(comparison.equivalent).toBe(true);
    expect(startedIn).toEqual(["exclude()"]);
  });
});
