import { loadCheckpoint } from "@ssb/model";
import { beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_DIR, fixtureModel, maxAbsDiff, referenceJson, referenceTensors } from "../test/fixture.js";
import { selectBackend } from "./backend.js";
import { forward, loadDecoder } from "./model.js";
import { tf } from "./tf.js";

let ref: Map<string, Float32Array>;
const json = referenceJson();

beforeAll(async () => {
  await selectBackend("wasm", () => {});
  ref = await referenceTensors();
});

describe("Qwen2 decoder vs the float64 reference (qwen2-tiny-ref)", () => {
  it("single-sequence logits within 1e-4", async () => {
    const model = await fixtureModel(false);
    const ids = Int32Array.from(json.inputs.single.input_ids);
    const logits = tf.tidy(() => forward(model, { inputIds: ids, batch: 1, length: ids.length }).dataSync());
    expect(maxAbsDiff(logits, ref.get("single_logits") as Float32Array)).toBeLessThan(1e-4);
  });

  it("left-padded batch logits at valid positions within 1e-4", async () => {
    const model = await fixtureModel(false);
    const b = json.inputs.batch;
    const t = b.input_ids[0]?.length ?? 0;
    const logits = tf.tidy(() =>
      forward(model, {
        inputIds: Int32Array.from(b.input_ids.flat()),
        batch: b.input_ids.length,
        length: t,
        positionIds: Int32Array.from(b.position_ids.flat()),
        attentionMask: Uint8Array.from(b.attention_mask.flat()),
      }).dataSync(),
    );
    const expected = ref.get("batch_logits") as Float32Array;
    const v = 256;
    let worst = 0;
    b.valid_positions.forEach((positions, row) => {
      for (const p of positions) {
        const at = (row * t + p) * v;
        worst = Math.max(worst, maxAbsDiff(logits.subarray(at, at + v), expected.subarray(at, at + v)));
      }
    });
    expect(worst).toBeLessThan(1e-4);
  });

  it("logits with the PEFT LoRA adapter within 1e-4", async () => {
    const model = await fixtureModel(true);
    const ids = Int32Array.from(json.inputs.single.input_ids);
    const logits = tf.tidy(() => forward(model, { inputIds: ids, batch: 1, length: ids.length }).dataSync());
    expect(maxAbsDiff(logits, ref.get("lora_single_logits") as Float32Array)).toBeLessThan(1e-4);
  });

  it("bf16 weights give the bf16 reference logits within 1e-4", async () => {
    const checkpoint = await loadCheckpoint(FIXTURE_DIR, { validate: false });
    const { openSafetensors } = await import("@ssb/model");
    const bf16 = await openSafetensors(`${FIXTURE_DIR}/model.bf16.safetensors`);
    const model = await loadDecoder(
      checkpoint.config,
      (n) => bf16.readFloat32(n),
      (n) => bf16.has(n),
    );
    await bf16.close();
    await checkpoint.close();
    const ids = Int32Array.from(json.inputs.single.input_ids);
    const logits = tf.tidy(() => forward(model, { inputIds: ids, batch: 1, length: ids.length }).dataSync());
    expect(maxAbsDiff(logits, ref.get("bf16_single_logits") as Float32Array)).toBeLessThan(1e-4);
  });

  it("row selection equals slicing the full logits", async () => {
    const model = await fixtureModel(true);
    const ids = Int32Array.from(json.inputs.single.input_ids);
    const input = { inputIds: ids, batch: 1, length: ids.length };
    const all = tf.tidy(() => forward(model, input).dataSync());
    const some = tf.tidy(() => forward(model, input, [{ batch: 0, start: 3, length: 6 }]).dataSync());
    expect(maxAbsDiff(some, all.subarray(3 * 256, 9 * 256))).toBeLessThan(1e-6);
  });
});
