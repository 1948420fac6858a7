/**
 * qwen2-tiny-ref's float64 greedy reference (`reference.json` + `greedy_step_logits`) and a check of a
 * generator against it: greedy decoding with every logit captured (k = the vocabulary), each step's row
 * unsorted back to vocabulary order and compared with the reference row.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import path from "node:path";
import { openLogitStore, openLogitStoreWriter } from "@ssb/logit-store";
import { openSafetensors } from "@ssb/model";
import type { FinishedSequence, Generator, PromptInput, RefillPolicy } from "../src/generator.js";
import { tinyRefDir } from "./fixtures.js";

export interface GreedyReference {
  prompt: number[];
  steps: number;
  generatedIds: number[];
  /** steps x vocab logits, row-major. */
  stepLogits: Float32Array;
  vocab: number;
}

export async function readGreedyReference(): Promise<GreedyReference> {
  const json = JSON.parse(await readFile(path.join(tinyRefDir, "reference.json"), "utf8")) as {
    greedy: { prompt: number[]; steps: number; generated_ids: number[] };
  };
  const file = await openSafetensors(path.join(tinyRefDir, "reference.safetensors"));
  const stepLogits = (await file.readFloat32("greedy_step_logits")).data;
  await file.close();
  const { prompt, steps, generated_ids: generatedIds } = json.greedy;
  return { prompt, steps, generatedIds, stepLogits, vocab: stepLogits.length / steps };
}

export interface GreedyCheck {
  /** Every finished sequence; the reference prompt's has id "ref". */
  seqs: FinishedSequence[];
  ref: FinishedSequence;
  /** Positions captured for the reference prompt. */
  captured: number;
  /** Largest |captured - reference| logit over every step and token. */
  worst: number;
}

/** Greedy decoding of the reference prompt (id "ref") among `others`, capturing every logit into `workDir`. */
export async function greedyAgainstReference(
  gen: Generator,
  reference: GreedyReference,
  others: readonly PromptInput[],
  batching: { maxBatch: number; refill?: RefillPolicy },
  workDir: string,
): Promise<GreedyCheck> {
  const V = reference.vocab;
  const storeDir = await mkdtemp(path.join(workDir, "greedy-store-"));
  const writer = await openLogitStoreWriter(storeDir, {
    modelId: "tiny",
    tokenizerHash: "none",
    vocabSize: V,
    k: V,
    dtype: "float32",
    captureTemperature: 0,
  });
  const seqs: FinishedSequence[] = [];
  const prompts = [{ id: "ref", tokenIds: reference.prompt }, ...others];
  for await (const s of gen.generate(prompts, {
    ...batching,
    sampling: { temperature: 0, maxNewTokens: reference.steps, stopTokenIds: [] },
    capture: { writer },
  }))
    seqs.push(s);
  await writer.close();
  const ref = seqs.find((s) => s.promptId === "ref") as FinishedSequence;
  const store = await openLogitStore(storeDir);
  const ex = store.read(ref.logitKey as string);
  let worst = 0;
  for (let s = 0; s < Math.min(ex.length, reference.steps); s++) {
    const row = new Float32Array(V);
    for (let j = 0; j < V; j++) row[ex.topkIds[s * V + j] as number] = ex.topkLogits[s * V + j] as number;
    for (let j = 0; j < V; j++)
      worst = Math.max(worst, Math.abs((row[j] as number) - (reference.stepLogits[s * V + j] as number)));
  }
  store.close();
  return { seqs, ref, captured: ex.length, worst };
}
