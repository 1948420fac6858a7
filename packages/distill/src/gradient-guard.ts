/**
 * A guard against gradients that are finite but not gradients. On the wasm backend, XNNPACK (the matrix
 * library under tfjs' matmul) that cannot allocate inside the 4 GiB heap prints "XNN status ... Got status 6"
 * to stderr and carries on: with Qwen's 151,936-token vocabulary the steps after the first came back with
 * gradient norms of 1e11-1e18 while the loss was right, and clipping hid their size, so the adapter moved in a
 * garbage direction and the run exited 0 (measured on a Qwen2.5-0.5B-shaped model; the same step in a fresh
 * process had a norm of 9.6). No real step of fine-tuning moves its gradient norm by six orders of magnitude,
 * so such a step is refused before it is applied.
 */

/** A step whose gradient norm exceeds this many times the run's typical one (and 1e6) is refused. */
export const CORRUPT_GRADIENT_FACTOR = 1e6;

/**
 * The first step of a session has no typical norm to compare with; it is refused above this norm, which no
 * token-mean loss of fine-tuning reaches (real first steps: 1-1e3) and the corrupt products did (1e11-1e18).
 */
export const FIRST_STEP_GRADIENT_CEILING = 1e10;

export class CorruptGradientError extends Error {
  constructor(
    /** 1-based step. */
    readonly step: number,
    readonly gradNorm: number,
    /** Median gradient norm of the session's earlier steps; NaN for the session's first step. */
    readonly typicalNorm: number,
    readonly backend: string,
    readonly lastCheckpoint: string | null,
  ) {
    const cause =
      backend === "wasm"
        ? "the wasm backend's matrix library (XNNPACK) most likely ran out of the 4 GiB heap and returned corrupt products (it prints 'XNN status ... Got status 6'); lower batchSize or maxLength, or train with @tensorflow/tfjs-node, which has no such cap"
        : `the ${backend} backend returned a corrupt gradient`;
    super(
      `step ${step}: gradient norm ${gradNorm.toExponential(2)} is ${Number.isNaN(typicalNorm) ? `over ${FIRST_STEP_GRADIENT_CEILING.toExponential(0)} in the session's first step, more than any fine-tuning gradient reaches` : `over ${CORRUPT_GRADIENT_FACTOR.toExponential(0)} times the run's typical ${typicalNorm.toPrecision(3)}`}, so the step was not applied: ${cause}. ${lastCheckpoint ? `Resume continues from ${lastCheckpoint}.` : "No checkpoint was written yet."}`,
    );
  }
}

/**
 * Tracks a session's gradient norms; `corrupt(norm)` is the typical norm when `norm` is not believable (NaN
 * when it is the session's first and over FIRST_STEP_GRADIENT_CEILING), else null.
 */
export function createGradientGuard(): { corrupt(norm: number): number | null } {
  const seen: number[] = [];
  return {
    corrupt(norm: number): number | null {
      if (seen.length === 0 && norm > FIRST_STEP_GRADIENT_CEILING) return Number.NaN;
      if (seen.length > 0) {
        const sorted = [...seen].sort((a, b) => a - b);
        const typical = sorted[Math.floor((sorted.length - 1) / 2)] as number;
        if (norm > CORRUPT_GRADIENT_FACTOR * Math.max(typical, 1)) return typical;
      }
      seen.push(norm);
      return null;
    },
  };
}
