import {
  type DecoderModel,
  disposeDecoder,
  initLora,
  loraConfigFrom,
  trainableVariables,
} from "@ssb/distill";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRefDecoder } from "../test/fixtures.js";
import { sequenceTokenWeights } from "./grpo-loss.js";
import { collateSequences, policyGradients, type TrainSequence } from "./grpo-step.js";
import { tf } from "./tf.js";

let model: DecoderModel;
beforeAll(async () => {
  await tf.setBackend("cpu");
  model = await tinyRefDecoder();
  model.lora = initLora(
    model.config,
    loraConfigFrom({ r: 2, alpha: 4, targetModules: ["q_proj", "v_proj"] }),
    3,
  );
  for (const layer of model.lora.values()) {
    const values = tf.tidy(() => tf.mul(tf.randomNormal(layer.bT.shape, 0, 1, "float32", 11), 0.05));
    layer.bT.assign(values);
    values.dispose();
  }
});
afterAll(() => disposeDecoder(model));

// Replies of 5, 1, 3 and 2 tokens (two groups); the lengths differ so the aggregations differ.
const replies = [
  { promptIds: [5, 17, 42], replyIds: [7, 19, 23, 40, 2], advantage: 1.2 },
  { promptIds: [5, 17, 42], replyIds: [2], advantage: -1.2 },
  { promptIds: [9, 11], replyIds: [31, 8, 2], advantage: -0.4 },
  { promptIds: [9, 11], replyIds: [12, 2], advantage: 0.4 },
];

describe("gradients summed over micro-batches", () => {
  it("equal one batch's for token, sequence and constant aggregation", () => {
    const vars = trainableVariables(model);
    const options = {
      temperature: 0.8,
      clip: { epsilon: 0.2, epsilonHigh: 0.28 },
      beta: 0,
      oldLogProbs: null,
      refLogProbs: null,
      seed: 0,
      step: 0,
      iteration: 0,
    };
    for (const aggregation of ["token", "sequence", "constant"] as const) {
      const weights = sequenceTokenWeights(
        replies.map((r) => r.replyIds.length),
        aggregation,
        8,
      );
      const seqs: TrainSequence[] = replies.map((r, i) => ({ ...r, tokenWeight: weights[i] as number }));
      const one = policyGradients(model, vars, [collateSequences(seqs, 0)], options);
      const two = policyGradients(
        model,
        vars,
        [collateSequences(seqs.slice(0, 2), 0), collateSequences(seqs.slice(2), 0)],
        options,
      );
      expect(two.loss, aggregation).toBeCloseTo(one.loss, 6);
      expect(two.tokens).toBe(one.tokens);
      one.grads.forEach((g, j) => {
        const a = g.dataSync();
        const b = (two.grads[j] as tf.Tensor).dataSync();
        const scale = Math.max(...Array.from(a, Math.abs));
        expect(scale, `${aggregation} grad ${j}`).toBeGreaterThan(0);
        a.forEach((x, k) => {
          expect(Math.abs(x - (b[k] as number)), `${aggregation} grad ${j}[${k}]`).toBeLessThan(
            1e-5 * scale + 1e-9,
          );
        });
      });
      for (const t of [...one.grads, ...two.grads]) t.dispose();
    }
  });
});
