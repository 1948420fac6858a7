import { peftKey } from "@ssb/model";
import { beforeAll, describe, expect, it } from "vitest";
import { fixtureModel, maxAbs, maxAbsDiff, referenceJson, referenceTensors } from "../test/fixture.js";
import { selectBackend } from "./backend.js";
import { kdLoss } from "./kd-loss.js";
import { toPeftLayout } from "./lora.js";
import { forward } from "./model.js";
import { rowWeights } from "./reduction.js";
import { teacherTargets } from "./teacher-targets.js";
import { tf } from "./tf.js";

let ref: Map<string, Float32Array>;
const kd = referenceJson().kd;
const T = kd.temperature;

beforeAll(async () => {
  await selectBackend("wasm", () => {});
  ref = await referenceTensors();
});

function topkTargets() {
  return teacherTargets(
    {
      k: kd.k,
      topkIds: kd.teacher_topk_ids.flat(),
      topkLogits: Float32Array.from(kd.teacher_topk_logits.flat()),
    },
    T,
  );
}

/** The student's rows 3..8 (reply positions 4..9) with the fixture adapter. */
const rows = [{ batch: 0, start: kd.logit_rows[0] as number, length: kd.logit_rows.length }];

describe("KD losses vs the float64 reference (qwen2-tiny-ref)", () => {
  it("kd_topk from the stored student logits: relative diff < 1e-5", () => {
    const student = tf.tensor2d(ref.get("student_logits") as Float32Array, [6, 256]);
    const value = tf.tidy(
      () =>
        kdLoss(student, topkTargets(), null, rowWeights([6], "token"), {
          divergence: "forward-kl",
          temperature: T,
        }).loss.dataSync()[0],
    ) as number;
    expect(Math.abs(value - kd.kd_topk) / kd.kd_topk).toBeLessThan(1e-5);
  });

  it("kd_topk through the model forward (student = base + adapter): relative diff < 1e-5", async () => {
    const model = await fixtureModel(true);
    const ids = Int32Array.from(kd.student_input_ids);
    const value = tf.tidy(() => {
      const logits = forward(model, { inputIds: ids, batch: 1, length: ids.length }, rows);
      return kdLoss(logits, topkTargets(), null, rowWeights([6], "token"), {
        divergence: "forward-kl",
        temperature: T,
      }).loss.dataSync()[0];
    }) as number;
    expect(Math.abs(value - kd.kd_topk) / kd.kd_topk).toBeLessThan(1e-5);
  });

  it("kd_full (top-k with k = V): absolute diff < 5e-6", async () => {
    const teacherLogits = ref.get("teacher_logits") as Float32Array;
    // Full vocabulary as a "top-k" with k = V (order does not matter for the loss).
    const ids = new Int32Array(6 * 256);
    for (let r = 0; r < 6; r++) for (let v = 0; v < 256; v++) ids[r * 256 + v] = v;
    const targets = teacherTargets({ k: 256, topkIds: ids, topkLogits: teacherLogits }, T);
    const model = await fixtureModel(true);
    const input = Int32Array.from(kd.student_input_ids);
    const value = tf.tidy(() => {
      const logits = forward(model, { inputIds: input, batch: 1, length: input.length }, rows);
      return kdLoss(logits, targets, null, rowWeights([6], "token"), {
        divergence: "forward-kl",
        temperature: T,
      }).loss.dataSync()[0];
    }) as number;
    expect(Math.abs(value - kd.kd_full)).toBeLessThan(5e-6);
  });

  it("gradients of kd_topk w.r.t. the listed LoRA tensors: max diff < 1e-4 x max|grad|", async () => {
    const model = await fixtureModel(true);
    const ids = Int32Array.from(kd.student_input_ids);
    const targets = topkTargets();
    const layers = [...model.lora.values()];
    const vars = layers.flatMap((l) => [l.aT, l.bT]);
    const { grads, value } = tf.variableGrads(() => {
      const logits = forward(model, { inputIds: ids, batch: 1, length: ids.length }, rows);
      return kdLoss(logits, targets, null, rowWeights([6], "token"), {
        divergence: "forward-kl",
        temperature: T,
      }).loss;
    }, vars);
    expect(Math.abs((value.dataSync()[0] as number) - kd.kd_topk) / kd.kd_topk).toBeLessThan(1e-5);
    const checked: string[] = [];
    for (const name of ref.keys()) {
      if (!name.startsWith("grad_kd_topk.")) continue;
      const key = name.slice("grad_kd_topk.".length);
      const layer = layers.find(
        (l) => key === peftKey(l.modulePath, "A") || key === peftKey(l.modulePath, "B"),
      );
      expect(layer, key).toBeDefined();
      if (!layer) continue;
      const variable = key.endsWith("lora_A.weight") ? layer.aT : layer.bT;
      const grad = toPeftLayout(grads[variable.name] as tf.Tensor);
      const expected = ref.get(name) as Float32Array;
      expect(maxAbsDiff(grad, expected), key).toBeLessThan(1e-4 * maxAbs(expected));
      checked.push(key);
    }
    expect(checked.length).toBe(4);
  });

  it("the stored top-k teacher probabilities and student log-probs match the reference", () => {
    const targets = topkTargets();
    expect(maxAbsDiff(targets.probs, ref.get("kd_topk_teacher_probs") as Float32Array)).toBeLessThan(1e-6);
  });
});
