/** Writing what training produced: a PEFT adapter (LoRA) or HF-layout weights (full-parameter). */
import {
  EMBED_TOKENS_WEIGHT,
  LM_HEAD_WEIGHT,
  type LoraConfig,
  saveAdapter,
  writeSafetensors,
} from "@ssb/model";
import { loraToAdapter } from "./lora.js";
import { baseTensors, type DecoderModel } from "./model.js";
import { tf } from "./tf.js";

export async function saveLoraAdapter(dir: string, model: DecoderModel, config: LoraConfig): Promise<string> {
  await saveAdapter(dir, loraToAdapter(model.lora, config));
  return dir;
}

/**
 * `model.safetensors` with HF names and layouts (projection weights transposed back to [out, in]). The caller
 * copies config.json and the tokenizer files from the base checkpoint.
 */
export async function saveFullModel(dir: string, model: DecoderModel): Promise<string> {
  const { mkdir } = await import("node:fs/promises");
  await mkdir(dir, { recursive: true });
  const entries: [string, { dtype: "F32"; shape: number[]; data: () => Float32Array }][] = [];
  for (const [name, t] of baseTensors(model)) {
    const transposed = name.endsWith("_proj.weight") || name === LM_HEAD_WEIGHT;
    const shape = transposed ? [t.shape[1] as number, t.shape[0] as number] : t.shape;
    entries.push([
      name,
      {
        dtype: "F32",
        shape,
        data: () =>
          transposed
            ? tf.tidy(() => tf.transpose(t).dataSync() as Float32Array)
            : (t.dataSync() as Float32Array),
      },
    ]);
  }
  if (!entries.some(([n]) => n === EMBED_TOKENS_WEIGHT)) throw new Error("saveFullModel: no embedding table");
  await writeSafetensors(`${dir}/model.safetensors`, entries, { format: "pt" });
  return dir;
}
