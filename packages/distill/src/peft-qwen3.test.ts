/**
 * A LoRA adapter trained here on a Qwen3 checkpoint, loaded by PEFT on transformers' own Qwen3ForCausalLM
 * (python/check_peft_qwen3.py): PEFT loads every tensor without warnings, wraps the modules we trained (the
 * seven projections: q_norm / k_norm are not LoRA targets), and its logits — adapter applied, then merged
 * with merge_and_unload() — equal ours. Needs a python that imports torch, transformers and peft (SSB_PYTHON
 * names one); without one the test is skipped and its name says why.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadAdapter, loadCheckpoint } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxAbsDiff } from "../test/fixture.js";
import { randomQwen3Weights, writeQwen3Checkpoint } from "../test/qwen3-checkpoint.js";
import { selectBackend } from "./backend.js";
import { loraFromAdapter } from "./lora.js";
import { type DecoderModel, forward, loadDecoder } from "./model.js";
import { tf } from "./tf.js";
import { resolveTrainConfig } from "./train-config.js";
import { train } from "./trainer.js";
import { exampleFromPromptAndReply } from "./training-example.js";

const SCRIPT = path.join(import.meta.dirname, "..", "python", "check_peft_qwen3.py");
const PYTHON = process.env.SSB_PYTHON ?? "python3";

function pythonMissing(): string | undefined {
  const r = spawnSync(PYTHON, ["-c", "import torch, transformers, peft"], { encoding: "utf8" });
  if (r.error) return `${PYTHON} not found (${r.error.message})`;
  if (r.status !== 0)
    return `${PYTHON} cannot import torch, transformers and peft: ${r.stderr.trim().split("\n").pop()}`;
  return undefined;
}
const missing = pythonMissing();
const skipNote = missing
  ? ` (skipped: ${missing}; set SSB_PYTHON to a python with torch, transformers and peft)`
  : "";

const PROMPTS = [
  [1, 17, 33, 5, 8, 41],
  [1, 2, 3, 49, 12],
];

interface PeftResult {
  versions: Record<string, string>;
  base_class: string;
  warnings: string[];
  not_loaded: string[];
  missing: string[];
  lora_modules: string[];
  scalings: number[];
  logits: number[][][];
  merged_logits: number[][][];
}

let dir: string;
let adapterDir: string;
let py: PeftResult;

async function baseModel(): Promise<DecoderModel> {
  const checkpoint = await loadCheckpoint(path.join(dir, "base"));
  const model = await loadDecoder(
    checkpoint.config,
    (n) => checkpoint.weights.readFloat32(n),
    (n) => checkpoint.weights.has(n),
  );
  await checkpoint.close();
  return model;
}

function logitsOf(model: DecoderModel, ids: readonly number[]): Float32Array {
  return tf.tidy(() =>
    forward(model, { inputIds: Int32Array.from(ids), batch: 1, length: ids.length }).dataSync(),
  ) as Float32Array;
}

beforeAll(async () => {
  if (missing) return;
  await selectBackend("cpu", () => {});
  dir = mkdtempSync(path.join(tmpdir(), "distill-peft-qwen3-"));
  const { mkdir } = await import("node:fs/promises");
  await mkdir(path.join(dir, "base"));
  await writeQwen3Checkpoint(path.join(dir, "base"), randomQwen3Weights(5));
  const examples = [0, 1, 2].map((i) =>
    exampleFromPromptAndReply(`e${i}`, [1, 10 + i, 20], [30 + i, 40 + i, 2], null),
  );
  const result = await train({
    model: await baseModel(),
    examples,
    config: resolveTrainConfig({
      mode: "sft",
      epochs: 3,
      batchSize: 1,
      lora: { r: 4, alpha: 8 },
      optimizer: { lr: 5e-2, schedule: "constant" },
      checkpointEvery: 0,
    }),
    outDir: path.join(dir, "run"),
    progress: false,
    log: () => {},
    baseModelName: path.join(dir, "base"),
  });
  adapterDir = result.savedTo;
  writeFileSync(path.join(dir, "prompts.json"), JSON.stringify(PROMPTS));
  const r = spawnSync(PYTHON, [SCRIPT, path.join(dir, "base"), adapterDir, path.join(dir, "prompts.json")], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`${SCRIPT} failed:\n${r.stderr}`);
  py = JSON.parse(r.stdout) as PeftResult;
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== undefined)(`a Qwen3 adapter in PEFT${skipNote}`, () => {
  it("loads on Qwen3ForCausalLM without warnings, and its logits (applied and merged) equal ours (< 1e-4)", async () => {
    expect(py.base_class).toBe("Qwen3ForCausalLM");
    expect(py.warnings).toEqual([]);
    expect(py.not_loaded).toEqual([]);
    expect(py.missing).toEqual([]);
    const adapter = await loadAdapter(adapterDir);
    const ours = [...adapter.modules.keys()].map((m) => `base_model.model.${m}`).sort();
    expect(ours).toHaveLength(2 * 7);
    expect(py.lora_modules).toEqual(ours);
    expect(py.scalings).toEqual([2]);
    const model = await baseModel();
    model.lora = loraFromAdapter(model.config, adapter);
    const base = await baseModel();
    let worst = 0;
    let moved = 0;
    for (const [p, ids] of PROMPTS.entries()) {
      const mine = logitsOf(model, ids);
      worst = Math.max(
        worst,
        maxAbsDiff(mine, (py.logits[p] as number[][]).flat()),
        maxAbsDiff(mine, (py.merged_logits[p] as number[][]).flat()),
      );
      moved = Math.max(moved, maxAbsDiff(logitsOf(base, ids), (py.logits[p] as number[][]).flat()));
    }
    console.log(
      `Qwen3 adapter: logits within ${worst.toExponential(2)} of PEFT ${py.versions.peft} / transformers ${py.versions.transformers}; the adapter moves them by ${moved.toFixed(3)}`,
    );
    expect(worst).toBeLessThan(1e-4);
    // The adapter is not a no-op (trained B != 0), so the comparison means something.
    expect(moved).toBeGreaterThan(1e-2);
  });
});
