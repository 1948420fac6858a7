/**
 * The tfjs forward on the shapes of real published checkpoints, not only qwen2-tiny-ref:
 * python/transformers_configs.py shrinks Llama-3.2-1B-Instruct, Llama-3.1-8B-Instruct, Qwen2.5-0.5B-Instruct,
 * Qwen2.5-7B-Instruct and Qwen3-0.6B configs (Qwen3's q/k norms, explicit head_dim, tied and untied heads, attention / MLP biases, llama3,
 * linear and dynamic rope scaling, transformers 5's `rope_parameters` and the older `rope_scaling` form,
 * bf16 and sharded safetensors), lets transformers write random weights with save_pretrained, and
 * computes its own logits (float64). Every position's logits here must be within 1e-4 of those, on
 * prompts that run past each shrunk trained context. Needs a python that imports torch and transformers
 * (SSB_PYTHON names one); without one these tests are skipped and their names say why.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadCheckpoint } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxAbsDiff } from "../test/fixture.js";
import { selectBackend } from "./backend.js";
import { forward, loadDecoder } from "./model.js";
import { tf } from "./tf.js";

const SCRIPT = path.join(import.meta.dirname, "..", "python", "transformers_configs.py");
const PYTHON = process.env.SSB_PYTHON ?? "python3";

function pythonMissing(): string | undefined {
  const r = spawnSync(PYTHON, ["-c", "import torch, transformers"], { encoding: "utf8" });
  if (r.error) return `${PYTHON} not found (${r.error.message})`;
  if (r.status !== 0)
    return `${PYTHON} cannot import torch and transformers: ${r.stderr.trim().split("\n").pop()}`;
  return undefined;
}
const missing = pythonMissing();
const skipNote = missing
  ? ` (skipped: ${missing}; set SSB_PYTHON to a python with torch and transformers)`
  : "";

interface Reference {
  transformers: string;
  cases: Record<string, { prompts: number[][]; logits: number[][][]; plain_rope_gap: number }>;
}

const CASES = [
  "llama-3.2-1b",
  "llama-3.1-8b-bias-bf16",
  "qwen2.5-0.5b",
  "qwen2.5-7b-sharded",
  "llama-linear-legacy-form",
  "llama-dynamic",
  "llama-dynamic-original-max",
  "qwen3-0.6b",
];

describe.skipIf(missing !== undefined)(`transformers' logits on shrunk real configs${skipNote}`, () => {
  let dir: string;
  let reference: Reference;

  beforeAll(async () => {
    await selectBackend("cpu", () => {});
    dir = mkdtempSync(path.join(tmpdir(), "ssb-distill-real-configs-"));
    const r = spawnSync(PYTHON, [SCRIPT, dir], { encoding: "utf8", maxBuffer: 256 << 20 });
    if (r.status !== 0) throw new Error(`${SCRIPT} failed:\n${r.stderr}`);
    reference = JSON.parse(r.stdout) as Reference;
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("covers every case the script writes", () => {
    expect(Object.keys(reference.cases)).toEqual(CASES);
  });

  for (const name of CASES) {
    it(`${name}: every position's logits within 1e-4 of transformers'`, async () => {
      const expected = reference.cases[name] as Reference["cases"][string];
      const checkpoint = await loadCheckpoint(path.join(dir, name));
      const model = await loadDecoder(
        checkpoint.config,
        (weight) => checkpoint.weights.readFloat32(weight),
        (weight) => checkpoint.weights.has(weight),
      );
      await checkpoint.close();
      let worst = 0;
      expected.prompts.forEach((prompt, p) => {
        const logits = tf.tidy(() =>
          forward(model, { inputIds: Int32Array.from(prompt), batch: 1, length: prompt.length }).dataSync(),
        );
        const diff = maxAbsDiff(logits, (expected.logits[p] as number[][]).flat());
        expect(diff, `${name}, prompt of ${prompt.length} tokens`).toBeLessThan(1e-4);
        worst = Math.max(worst, diff);
      });
      // The scaled cases: dropping the scaling moves transformers' own logits by far more than the tolerance.
      if (!name.startsWith("qwen")) expect(expected.plain_rope_gap).toBeGreaterThan(1e-2);
      console.log(
        `${name}: logits within ${worst.toExponential(2)} of transformers ${reference.transformers}`,
      );
    });
  }
});
