import { describe, expect, it } from "vitest";
import {
  CORRUPT_GRADIENT_FACTOR,
  CorruptGradientError,
  createGradientGuard,
  FIRST_STEP_GRADIENT_CEILING,
} from "./gradient-guard.js";

describe("createGradientGuard", () => {
  it("refuses the norms a heap-starved wasm matmul gave (1e11-1e18 after 9.96), and accepts real spikes", () => {
    const guard = createGradientGuard();
    expect(guard.corrupt(9.96)).toBeNull(); // the first step has nothing to compare with
    expect(guard.corrupt(4.03e18)).toBe(9.96);
    expect(guard.corrupt(1.7e11)).toBe(9.96); // refused norms do not become the typical one
    // A loss spike moves the norm by orders of magnitude less than the factor.
    expect(guard.corrupt(9.96 * 1e4)).toBeNull();
    expect(guard.corrupt(12)).toBeNull();
  });

  it("never refuses a norm below the factor itself, however small the typical one (a converged run)", () => {
    const guard = createGradientGuard();
    guard.corrupt(1e-7);
    guard.corrupt(2e-7);
    expect(guard.corrupt(0.5 * CORRUPT_GRADIENT_FACTOR)).toBeNull();
    expect(guard.corrupt(2 * CORRUPT_GRADIENT_FACTOR)).not.toBeNull();
  });

  it("refuses a first step over the ceiling, which has no typical norm to compare with", () => {
    const guard = createGradientGuard();
    expect(guard.corrupt(4.03e18)).toBeNaN();
    expect(guard.corrupt(9.96)).toBeNull(); // the refused norm did not become the typical one
    expect(guard.corrupt(1.7e11)).toBe(9.96);
    expect(createGradientGuard().corrupt(0.5 * FIRST_STEP_GRADIENT_CEILING)).toBeNull();
    expect(new CorruptGradientError(1, 4.03e18, Number.NaN, "wasm", null).message).toMatch(
      /^step 1: gradient norm 4\.03e\+18 is over 1e\+10 in the session's first step, more than any fine-tuning gradient reaches, so the step was not applied: .*XNNPACK/,
    );
  });

  it("says what happened and what to do, by backend", () => {
    const wasm = new CorruptGradientError(2, 4.03e18, 9.96, "wasm", "run/checkpoints/step-00000001");
    expect(wasm.message).toMatch(
      /^step 2: gradient norm 4\.03e\+18 is over 1e\+6 times the run's typical 9\.96, so the step was not applied: .*XNNPACK.*Got status 6.*tfjs-node.*Resume continues from run\/checkpoints\/step-00000001\.$/,
    );
    expect(new CorruptGradientError(5, 1e12, 3, "tfjs-node", null).message).toMatch(
      /the tfjs-node backend returned a corrupt gradient\. No checkpoint was written yet\.$/,
    );
  });
});
