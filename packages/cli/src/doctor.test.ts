import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { defaultModelDir } from "@ssb/default-model";
import { parseModelConfig } from "@ssb/model";
import { cudaProviderInstalled } from "@ssb/rollout";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DoctorCheck, doctorPasses, formatDoctor, runDoctor, trainingMemoryCheck } from "./doctor.js";
import { main } from "./main.js";
import { describeModelConfig } from "./model-summary.js";
import { captureIo, QWEN_05B_CONFIG } from "./test-support.js";

let dir: string;
let checks: DoctorCheck[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "ssb-doctor-test-"));
  checks = await runDoctor();
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const find = (area: DoctorCheck["area"], name: string): DoctorCheck | undefined =>
  checks.find((c) => c.area === area && c.name === name);

/** Whether an optional package resolves from the cli package (where the doctor's imports resolve it). */
function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

describe("runDoctor", () => {
  it("runs generation on the CPU, starts the wasm training backend and round-trips a ZSTD store", () => {
    expect(find("machine", "host")?.detail).toMatch(/\d+ cores, [\d.]+ GiB, .*Node v\d+/);
    expect(find("generation", "cpu")).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^onnxruntime-node \d+\.\d+\.\d+: decoded 8 greedy tokens/),
    });
    expect(find("training", "wasm")).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/tfjs-backend-wasm/),
    });
    expect(find("training", "auto")?.ok).toBe(true);
    expect(find("logit store", "zstd")).toMatchObject({ ok: true });
    expect(doctorPasses(checks)).toBe(true);
  });

  it("names the model it probed, with its size, and whether a LoRA step fits the wasm heap", () => {
    // It never said which model it ran.
    expect(find("model", "model")?.detail).toBe(
      `${defaultModelDir()}: Qwen2ForCausalLM, 0.89M parameters, hidden size 128, 4 layers, vocabulary 768`,
    );
    expect(formatDoctor(checks)).toMatch(/\nmodel\n {4}model +\/.*: Qwen2ForCausalLM, 0\.89M parameters/);
    expect(find("training", "memory")).toMatchObject({
      ok: true,
      detail: expect.stringMatching(
        /^one LoRA step \(r=32\) x 256 tokens, estimated by @ssb\/distill's estimateStepMemory with XNNPACK's packed weight copies \(an estimate;.*batch 1 [\d.]+ GiB \(fits\), batch 4 [\d.]+ GiB \(fits\) against the wasm heap's 4 GiB; the wasm backend can train it$/,
      ),
    });
  });

  it("says a Qwen2.5-0.5B-shaped model does not fit the wasm heap and needs tfjs-node", () => {
    const qwen = parseModelConfig(QWEN_05B_CONFIG, "config.json");
    expect(describeModelConfig(qwen)).toBe(
      "Qwen2ForCausalLM, 494.0M parameters, hidden size 896, 24 layers, vocabulary 151,936",
    );
    const without = trainingMemoryCheck(qwen, false);
    expect(without.ok).toBe(false);
    expect(without.detail).toMatch(
      /batch 1 [\d.]+ GiB \(over\), batch 4 [\d.]+ GiB \(over\) against the wasm heap's 4 GiB; too big for the wasm backend at any batch: training needs tfjs-node \(no 4 GiB cap; tfjs-node is not installed here\)$/,
    );
    expect(trainingMemoryCheck(qwen, true)).toMatchObject({ ok: true });
    // Two layers (the audit's stand-in): batch 1 fits by the estimate, batch 4 does not.
    const twoLayers = { ...qwen, numLayers: 2 };
    expect(trainingMemoryCheck(twoLayers, false).detail).toMatch(
      /batch 1 [\d.]+ GiB \(fits\), batch 4 [\d.]+ GiB \(over\).*on wasm train at batchSize 1 \(gradAccumSteps keeps the effective batch\), or with tfjs-node/,
    );
  });

  it("says what is missing for the providers and backends this machine lacks", () => {
    if (!cudaProviderInstalled())
      expect(find("generation", "cuda")).toMatchObject({
        ok: false,
        detail: expect.stringMatching(
          /CUDA execution provider is not installed.*ONNXRUNTIME_NODE_INSTALL=cuda12/,
        ),
      });
    if (!installed("@tensorflow/tfjs-node"))
      expect(find("training", "tfjs-node")).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/not installed; npm install @tensorflow\/tfjs-node@\d/),
      });
    // Every check has a verdict line; native errors' line breaks are folded into it.
    const text = formatDoctor(checks);
    expect(text.split("\n").filter((l) => /^ {2}[✓✗]/.test(l))).toHaveLength(
      checks.filter((c) => c.ok !== null).length,
    );
    for (const c of checks) expect(c.detail).not.toMatch(/\n/);
  });

  it("fails, naming the folder, when the model it is given is neither an ONNX folder nor a checkpoint", async () => {
    writeFileSync(path.join(dir, "notes.txt"), "not a model\n");
    const bad = await runDoctor({ model: dir });
    expect(bad.find((c) => c.area === "generation")).toMatchObject({
      ok: false,
      detail: expect.stringContaining(`${dir}: neither an ONNX folder nor a checkpoint`),
    });
    expect(doctorPasses(bad)).toBe(false);
  }, 60_000);
});

describe("ssb doctor", () => {
  it("prints the checks as JSON and exits 1 when the pipeline cannot run; refuses stray arguments", async () => {
    const c = captureIo();
    expect(await main(["doctor", "--model", dir, "--json"], c.io)).toBe(1);
    const printed = JSON.parse(c.out()) as DoctorCheck[];
    expect(printed.find((x) => x.area === "generation")?.ok).toBe(false);
    const stray = captureIo();
    expect(await main(["doctor", "now"], stray.io)).toBe(2);
    expect(stray.err()).toMatch(/unexpected argument "now"[\s\S]*ssb doctor --help/);
    const missing = captureIo();
    expect(await main(["doctor", "--model", path.join(dir, "nope")], missing.io)).toBe(2);
    expect(missing.err()).toMatch(/--model .*nope: no such/);
  }, 60_000);
});
