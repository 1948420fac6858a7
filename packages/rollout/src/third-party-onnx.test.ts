/**
 * A model exported by someone else: python/export_onnx_kv.py runs torch.onnx.export on transformers' own
 * Qwen2ForCausalLM (qwen2-tiny-ref) with Optimum's input and output names, and the Generator loads that
 * folder. Greedy ids must equal transformers' generate(do_sample=False) (python/hf_greedy.py) and every
 * step's logits must be within 1e-4 of its, for each prompt alone and batched with prompts of other
 * lengths. Needs a python that imports torch, transformers and onnx (SSB_PYTHON names one); without one
 * these tests are skipped and their names say why.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/fixtures.js";
import { type GreedyReference, greedyAgainstReference } from "../test/greedy-reference.js";
import { PYTHON, pythonSkipNote } from "../test/python.js";
import { Generator, type PromptInput } from "./generator.js";
import { scoreContinuations } from "./score.js";

const pythonDir = new URL("../python/", import.meta.url).pathname;

/** Why the export cannot run here, or undefined when it can. */
const skipNote = pythonSkipNote(["torch", "transformers", "onnx"]);

function python(script: string, args: string[], input?: string): string {
  const r = spawnSync(PYTHON, [path.join(pythonDir, script), ...args], {
    input,
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`${PYTHON} ${script} failed:\n${r.stderr}`);
  return r.stdout;
}

const STEPS = 12;
const prompts: PromptInput[] = [
  { id: "p0", tokenIds: [193, 85, 182, 85] },
  { id: "p1", tokenIds: [5, 9, 33, 70, 100, 120, 140, 160, 180, 200, 220, 240, 17, 19] },
  { id: "p2", tokenIds: [215, 73, 148, 176, 128, 63, 218] },
  { id: "p3", tokenIds: [42] },
];

/** transformers' greedy ids and raw step logits for each prompt, alone (no padding). */
function transformersGreedy(): Map<string, GreedyReference> {
  const hf = JSON.parse(
    python(
      "hf_greedy.py",
      [],
      JSON.stringify({ model: tinyRefDir, prompts: prompts.map((p) => p.tokenIds), steps: STEPS }),
    ),
  ) as { results: { ids: number[]; logits: number[][] }[] };
  return new Map(
    prompts.map((p, i) => {
      const r = hf.results[i] as { ids: number[]; logits: number[][] };
      const vocab = (r.logits[0] as number[]).length;
      const stepLogits = Float32Array.from(r.logits.flat());
      return [p.id, { prompt: p.tokenIds as number[], steps: STEPS, generatedIds: r.ids, stepLogits, vocab }];
    }),
  );
}

let expected: Map<string, GreedyReference> | undefined;

// torchscript: the legacy exporter (dynamo=False), one file; dynamo: torch.export's (torch's default since
// 2.9), opset 18, weights in model.onnx.data, every KV length its own symbolic dim.
for (const exporter of ["torchscript", "dynamo"] as const) {
  describe.skipIf(skipNote !== "")(
    `a torch.onnx.export (${exporter}) of transformers' Qwen2ForCausalLM${skipNote}`,
    () => {
      let dir: string;
      let work: string;
      let gen: Generator;

      beforeAll(async () => {
        dir = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-torch-export-"));
        work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-torch-export-work-"));
        python("export_onnx_kv.py", [tinyRefDir, dir, exporter]);
        expected ??= transformersGreedy();
        gen = await Generator.load(dir);
      }, 180_000);

      afterAll(async () => {
        await gen?.close();
        if (dir) await rm(dir, { recursive: true, force: true });
        if (work) await rm(work, { recursive: true, force: true });
      });

      for (const [label, batched, maxBatch] of [
        ["alone", false, 1],
        ["batched with prompts of other lengths", true, 4],
        ["batched, slots refilled as others finish", true, 2],
      ] as const) {
        it(`greedy ids equal transformers' generate(do_sample=False), step logits within 1e-4 (${label})`, async () => {
          let largest = 0;
          for (const p of prompts) {
            const reference = expected?.get(p.id) as GreedyReference;
            const others = batched ? prompts.filter((o) => o.id !== p.id) : [];
            const { ref, captured, worst } = await greedyAgainstReference(
              gen,
              reference,
              others,
              { maxBatch, refill: "eager" },
              work,
            );
            expect({ prompt: p.id, ids: ref.tokenIds }).toEqual({
              prompt: p.id,
              ids: reference.generatedIds,
            });
            expect(captured).toBe(STEPS);
            expect(worst, `prompt ${p.id}`).toBeLessThan(1e-4);
            largest = Math.max(largest, worst);
          }
          console.log(
            `${exporter}, ${label}: step logits within ${largest.toExponential(2)} of transformers'`,
          );
        }, 120_000);
      }

      it("teacher-forced scoring of every prompt + reply, in one batch, gives transformers' step logits", async () => {
        const requests = prompts.map((p) => ({
          id: p.id,
          promptIds: p.tokenIds as number[],
          continuation: (expected?.get(p.id) as GreedyReference).generatedIds,
        }));
        const V = gen.vocabSize;
        const scored = await scoreContinuations(gen, requests, { k: V });
        let largest = 0;
        for (const s of scored) {
          const reference = expected?.get(s.id) as GreedyReference;
          for (let step = 0; step < STEPS; step++) {
            const row = new Float32Array(V);
            for (let j = 0; j < V; j++)
              row[s.topkIds[step * V + j] as number] = s.topkLogits[step * V + j] as number;
            for (let j = 0; j < V; j++)
              largest = Math.max(
                largest,
                Math.abs((row[j] as number) - (reference.stepLogits[step * V + j] as number)),
              );
          }
        }
        expect(scored.map((s) => s.id)).toEqual(prompts.map((p) => p.id));
        expect(largest).toBeLessThan(1e-4);
        console.log(`${exporter}, scoring: step logits within ${largest.toExponential(2)} of transformers'`);
      }, 120_000);
    },
  );
}
