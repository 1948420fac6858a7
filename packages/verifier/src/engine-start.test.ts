import { beforeEach, describe, expect, it, vi } from "vitest";

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

  it("starts it outside the budget on the first answer that needs it, even with a tight budget", async () => {
    const { grade, engineIsWarm } = await freshModules();
    // \sin is not a shape the fast parser takes, so this parse goes to the engine; its start-up (~100 ms and
    // more) would blow a 20 ms budget if the budget paid for it.
    const result = grade(String.raw`\boxed{2\sin(x)\cos(x)}`, String.raw`2\cos(x)\sin(x)`, { budgetMs: 20 });
    expect(engineIsWarm()).toBe(true);
    expect(result.reason).not.toBe("budget-exceeded");
    expect(result.verdict).toBe("correct");
  });
});
