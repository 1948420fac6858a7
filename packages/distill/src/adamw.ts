/**
 * AdamW with decoupled weight decay, step for step as torch.optim.AdamW: p <- p (1 - lr wd), then
 * p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps). Moments live in tf.Variables so a step
 * allocates nothing that outlives it; they are saved and restored with checkpoints.
 */
import { tf } from "./tf.js";

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export class AdamW {
  readonly m: tf.Variable[];
  readonly v: tf.Variable[];
  /** Updates applied so far. */
  step = 0;

  /**
   * `decay[i]` false exempts params[i] from weight decay (default: every parameter decays). The trainer exempts
   * biases and norm weights in full-parameter training, as transformers' Trainer does (weightDecayMask).
   */
  constructor(
    readonly params: tf.Variable[],
    readonly options: AdamWOptions = ADAMW_DEFAULTS,
    readonly decay: readonly boolean[] | null = null,
  ) {
    // In tidy: the zeros a variable starts from are freed (each kept a buffer of the parameter's size alive
    // after the first update).
    this.m = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.v = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  }

  /** One update with gradients aligned to `params`, at learning rate `lr`. */
  apply(grads: tf.Tensor[], lr: number): void {
    const { beta1, beta2, eps, weightDecay } = this.options;
    this.step += 1;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const g = grads[i] as tf.Tensor;
        const m = this.m[i] as tf.Variable;
        const v = this.v[i] as tf.Variable;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const decayed = weightDecay > 0 && (this.decay?.[i] ?? true) ? tf.mul(p, 1 - lr * weightDecay) : p;
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), lr / bc1)));
      });
    });
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

/** Global L2 norm of a list of gradients. */
export function globalNorm(grads: tf.Tensor[]): number {
  return tf.tidy(() => Math.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))).dataSync()[0] as number));
}
