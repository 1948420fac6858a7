/**
 * @ssb/model's export of real published shapes, run by the Generator: python/hf_real_configs.py shrinks the
 * configs of Llama-3.2-1B-Instruct, Llama-3.1-8B-Instruct, Qwen2.5-0.5B-Instruct, Qwen2.5-7B-Instruct and
 * Qwen3-0.6B (Qwen3's q/k norms, explicit head_dim, tied and untied heads, attention / MLP biases, llama3 / linear / dynamic rope scaling in
 * transformers 5's `rope_parameters` and the older `rope_scaling` form, bf16 and sharded safetensors), lets
 * transformers write random weights, and records its greedy decoding. Each checkpoint is exported (plain and
 * contrib graphs); greedy ids must equal transformers' generate(do_sample=False), every step's logits be
 * within 1e-4 of its, alone and batched, and teacher-forced scoring within 1e-4 of one forward pass over
 * prompt + reply. Needs a python that imports torch and transformers (SSB_PYTHON names one); without one
 * these tests are skipped and their names say why.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { exportOnnx } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GreedyReference, greedyAgainstReference } from "../test/greedy-reference.js";
import { PYTHON, pythonSkipNote } from "../test/python.js";
import { Generator, type PromptInput } from "./generator.js";
import { scoreContinuations } from "./score.js";

const SCRIPT = new URL("../python/hf_real_configs.py", import.meta.url).pathname;
const skipNote = pythonSkipNote(["torch", "transformers"]);
const STEPS = 12;

const CASES = [
  "llama-3.2-1b",
  "llama-3.1-8b-bias-bf16",
  "qwen2.5-0.5b",
  "qwen2.5-7b-sharded",
  "llama-linear-legacy-form",
  "llama-dynamic",
  "qwen3-0.6b",
];

interface Reference {
  transformers: string;
  cases: Record<
    string,
    { prompts: number[][]; results: { ids: number[]; logits: number[][]; forced: number[][] }[] }
  >;
}

describe.skipIf(skipNote !== "")(`exports of shrunk real configs against transformers${skipNote}`, () => {
  let root: string;
  let reference: Reference;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-real-configs-"));
    const r = spawnSync(PYTHON, [SCRIPT, path.join(root, "checkpoints"), String(STEPS)], {
      encoding: "utf8",
      maxBuffer: 256 << 20,
    });
    if (r.status !== 0) throw new Error(`${SCRIPT} failed:\n${r.stderr}`);
    reference = JSON.parse(r.stdout) as Reference;
  }, 120_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("covers every case the script writes", () => {
    expect(Object.keys(reference.cases)).toEqual(CASES);
  });

  for (const name of CASES) {
    for (const variant of ["plain", "contrib"] as const) {
      it(`${name} (${variant}): greedy ids equal generate's, step and scoring logits within 1e-4`, async () => {
        const expected = reference.cases[name] as Reference["cases"][string];
        const out = path.join(root, `${name}-${variant}`);
        await exportOnnx({ modelDir: path.join(root, "checkpoints", name), outDir: out, variant });
        const gen = await Generator.load(out);
        try {
          const prompts: PromptInput[] = expected.prompts.map((tokenIds, i) => ({ id: `p${i}`, tokenIds }));
          const references = expected.results.map((r, i): GreedyReference => {
            const vocab = (r.logits[0] as number[]).length;
            const prompt = expected.prompts[i] as number[];
            return {
              prompt,
              steps: STEPS,
              generatedIds: r.ids,
              stepLogits: Float32Array.from(r.logits.flat()),
              vocab,
            };
          });
          let worst = 0;
          for (const [i, ref] of references.entries()) {
            for (const batched of [false, true]) {
              const others = batched ? prompts.filter((_, j) => j !== i) : [];
              const check = await greedyAgainstReference(gen, ref, others, { maxBatch: 3 }, root);
              expect({ prompt: i, batched, ids: check.ref.tokenIds }).toEqual({
                prompt: i,
                batched,
                ids: ref.generatedIds,
              });
              expect(check.worst, `prompt ${i}, batched ${batched}`).toBeLessThan(1e-4);
              worst = Math.max(worst, check.worst);
            }
          }
          const V = gen.vocabSize;
          const scored = await scoreContinuations(
            gen,
            references.map((r, i) => ({ id: `p${i}`, promptIds: r.prompt, continuation: r.generatedIds })),
            { k: V },
          );
          let scoring = 0;
          for (const [i, s] of scored.entries()) {
            const forced = (expected.results[i] as Reference["cases"][string]["results"][number]).forced;
            for (let step = 0; step < STEPS; step++) {
              for (let j = 0; j < V; j++) {
                const id = s.topkIds[step * V + j] as number;
                const want = (forced[step] as number[])[id] as number;
                scoring = Math.max(scoring, Math.abs((s.topkLogits[step * V + j] as number) - want));
              }
            }
          }
          expect(scoring).toBeLessThan(1e-4);
          console.log(
            `${name} (${variant}): step logits within ${worst.toExponential(2)}, scoring within ${scoring.toExponential(2)} of transformers ${reference.transformers}`,
          );
        } finally {
          await gen.close();
        }
      }, 60_000);
    }
  }
});
