/** Test helpers: the shared qwen2-tiny-ref fixture (read by tests only, never at run time). */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadAdapter, loadCheckpoint, openSafetensors } from "@ssb/model";
import { loraFromAdapter } from "../src/lora.js";
import { type DecoderModel, loadDecoder, type Trainable } from "../src/model.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "../../..");
export const FIXTURE_DIR = path.resolve(repoRoot, "../shared/fixtures/qwen2-tiny-ref");

export interface ReferenceJson {
  inputs: {
    single: { input_ids: number[] };
    batch: {
      input_ids: number[][];
      attention_mask: number[][];
      position_ids: number[][];
      valid_positions: number[][];
    };
  };
  kd: {
    student_input_ids: number[];
    teacher_input_ids: number[];
    logit_rows: number[];
    temperature: number;
    k: number;
    teacher_topk_ids: number[][];
    teacher_topk_logits: number[][];
    teacher_logsumexp: number[];
    kd_full: number;
    kd_topk: number;
  };
}

export function referenceJson(): ReferenceJson {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, "reference.json"), "utf8")) as ReferenceJson;
}

export async function referenceTensors(): Promise<Map<string, Float32Array>> {
  const reader = await openSafetensors(path.join(FIXTURE_DIR, "reference.safetensors"));
  const out = new Map<string, Float32Array>();
  for (const name of reader.names()) out.set(name, (await reader.readFloat32(name)).data);
  await reader.close();
  return out;
}

/** The fixture model, optionally with its PEFT adapter attached (or every weight trainable: "full"). */
export async function fixtureModel(withLora: boolean, trainable: Trainable = "lora"): Promise<DecoderModel> {
  const checkpoint = await loadCheckpoint(FIXTURE_DIR);
  const model = await loadDecoder(
    checkpoint.config,
    (name) => checkpoint.weights.readFloat32(name),
    (name) => checkpoint.weights.has(name),
    trainable,
  );
  await checkpoint.close();
  if (withLora) model.lora = loraFromAdapter(model.config, await loadAdapter(path.join(FIXTURE_DIR, "lora")));
  return model;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number));
  return m;
}
