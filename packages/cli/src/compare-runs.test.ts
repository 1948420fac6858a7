/** The adapter comparison's tolerance: stray lr-sized coordinates pass, a tensor shifted by a step does not. */
import { describe, expect, it } from "vitest";
import { ADAPTER_TOLERANCE, relativeL2 } from "./compare-runs.js";

/** A LoRA-A-like tensor: 64 x 32 entries of magnitude ~0.1 (seeded). */
function tensor(): Float32Array {
  let s = 7;
  return Float32Array.from({ length: 64 * 32 }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648 - 0.5) * 0.2;
  });
}

describe("relativeL2", () => {
  it("is 0 for equal tensors and Infinity for different sizes", () => {
    expect(relativeL2(tensor(), tensor())).toBe(0);
    expect(relativeL2(tensor(), tensor().subarray(1))).toBe(Number.POSITIVE_INFINITY);
  });

  it("passes a few coordinates off by AdamW steps (lr 1e-3), fails a tensor one step further everywhere", () => {
    const a = tensor();
    const fewOff = tensor();
    for (const i of [3, 100, 700, 1500, 2000]) fewOff[i] = (fewOff[i] as number) + 2e-3;
    expect(relativeL2(a, fewOff)).toBeLessThan(ADAPTER_TOLERANCE);
    const shifted = a.map((x) => x + 1e-3 * Math.sign(x)); // one more step for every coordinate
    expect(relativeL2(a, shifted)).toBeGreaterThan(ADAPTER_TOLERANCE);
  });
});
