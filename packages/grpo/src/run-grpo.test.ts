/**
 * A tiny GRPO run on the shared qwen2-tiny-ref fixture (random weights, 256-token vocabulary) with a toy
 * verifiable reward (share of even token ids), so groups have varied rewards and the LoRA really moves:
 * files written, resume after a simulated kill reproduces the uninterrupted run, the trainer's log-probs
 * equal ONNX Runtime's for the exported policy (sampling is on-policy), and bad resumes are refused.
 */
import { existsSync } from "node:fs";
import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { checkpointDirName, loadDecoder, loraConfigFrom, loraFromAdapter } from "@ssb/distill";
import { loadAdapter, loadCheckpoint } from "@ssb/model";
import { scoreContinuations } from "@ssb/rollout";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import { type GrpoConfigInput, resolveGrpoConfig } from "./grpo-config.js";
import { collateSequences, sampledLogProbs } from "./grpo-step.js";
import { PolicySync } from "./policy-sync.js";
import type { GrpoProblem } from "./problems.js";
import type { GroupRewardFunction } from "./rewards.js";
import { type GrpoResult, runGrpo } from "./run-grpo.js";
import { tf } from "./tf.js";

const problems: GrpoProblem[] = Array.from({ length: 6 }, (_, i) => ({
  id: `q${i}`,
  question: `${i} + ${i}?`,
  answer: String(2 * i),
}));
const evenShare: GroupRewardFunction = (_problem, completions) => {
  const rewards = completions.map((c) => c.tokenIds.filter((t) => t % 2 === 0).length / c.tokenIds.length);
  return { rewards, correct: rewards.map((r) => r > 0.5) };
};
const settings: GrpoConfigInput = {
  seed: 3,
  steps: 4,
  problemsPerStep: 2,
  groupSize: 4,
  iterations: 2,
  logKl: true,
  sampling: { maxNewTokens: 8 },
  lora: { r: 4, alpha: 8 },
  optimizer: { lr: 0.02 },
  checkpointEvery: 1,
  keepCheckpoints: 10,
  systemPrompt: "Be brief.",
  // Small token budget: several micro-batches per update, so gradient accumulation is exercised.
  microBatchTokens: 96,
};

let tmp: string;
let full: GrpoResult;

const run = (
  outDir: string,
  extra: GrpoConfigInput = {},
  resume = false,
  log: (line: string) => void = () => {},
): Promise<GrpoResult> =>
  runGrpo({
    modelDir: tinyRef,
    problems,
    outDir,
    config: resolveGrpoConfig({ ...settings, ...extra }),
    reward: evenShare,
    resume,
    backend: "wasm",
    progress: false,
    log,
  });

async function adapterValues(dir: string): Promise<Map<string, Float32Array>> {
  const adapter = await loadAdapter(dir);
  const out = new Map<string, Float32Array>();
  for (const [name, m] of adapter.modules) {
    out.set(`${name}.A`, m.a.data);
    out.set(`${name}.B`, m.b.data);
  }
  return out;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-test-"));
  full = await run(path.join(tmp, "full"));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("a tiny GRPO run", () => {
  it("writes metrics, plots, checkpoints and the final adapter; the LoRA moved", async () => {
    expect(full.steps).toBe(4);
    expect(full.metrics.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    const dir = path.join(tmp, "full");
    for (const f of [
      "metrics.jsonl",
      "reward.svg",
      "response-length.svg",
      "policy.svg",
      "adapter/adapter_config.json",
    ])
      expect(existsSync(path.join(dir, f)), f).toBe(true);
    const m = full.metrics[0];
    expect(m?.groups).toBe(2);
    expect(m?.tokensGenerated).toBeGreaterThan(0);
    expect(m?.tokensTrained).toBeGreaterThan(0);
    expect(m?.kl).not.toBeNull();
    // Two updates per batch: the second one sees ratios != 1.
    expect(full.metrics.some((x) => x.ratioMean !== 1)).toBe(true);
    const values = await adapterValues(full.adapterDir);
    const bNorm = [...values]
      .filter(([k]) => k.endsWith(".B"))
      .reduce((s, [, v]) => s + v.reduce((a, x) => a + x * x, 0), 0);
    expect(bNorm).toBeGreaterThan(0);
    // The base as the run was given it, as PEFT records base.name_or_path and as ssb-distill writes it: PEFT's
    // AutoPeftModelForCausalLM.from_pretrained(adapter) loads the base from there (the folder's bare name,
    // written before, resolved to nothing but a Hub id).
    const adapterConfig = JSON.parse(
      await readFile(path.join(full.adapterDir, "adapter_config.json"), "utf8"),
    );
    expect(adapterConfig.base_model_name_or_path).toBe(tinyRef);
  });

  it("kill after round 3 (its checkpoint lost) and resume: same adapter and metrics as the uninterrupted run", async () => {
    const dir = path.join(tmp, "killed");
    const partial = await run(dir, { maxSteps: 3 });
    expect(partial.steps).toBe(3);
    // Simulate a kill between round 3's metrics line and its checkpoint.
    await rm(path.join(dir, "checkpoints", checkpointDirName(3)), { recursive: true, force: true });
    // And round 4's line cut off mid-write: dropped (said), never read as a round.
    const metricsFile = path.join(dir, "metrics.jsonl");
    await appendFile(metricsFile, '{"step":4,"rewardMean":0.');
    const lines: string[] = [];
    const resumed = await run(dir, {}, true, (line) => lines.push(line));
    expect(lines).toContain(
      `[grpo] ${metricsFile}:4: dropped a torn last line (a record cut off by a kill); the steps after 2 are redone`,
    );
    expect(resumed.resumedFrom).toBe(2);
    expect(resumed.steps).toBe(4);
    const pick = (r: GrpoResult) =>
      r.metrics.map((m) => [
        m.step,
        m.rewardMean,
        m.advantageStd,
        m.responseLengthMean,
        m.loss,
        m.clipFraction,
        m.kl,
      ]);
    expect(pick(resumed)).toEqual(pick(full));
    const a = await adapterValues(full.adapterDir);
    const b = await adapterValues(resumed.adapterDir);
    for (const [name, values] of a) {
      const other = b.get(name) as Float32Array;
      let diff = 0;
      values.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(v - (other[i] as number)));
      });
      expect(diff, name).toBeLessThan(1e-6);
    }
  });

  it("a signal (Ctrl-C) stops after the round in progress with its checkpoint; resume ends as the uninterrupted run", async () => {
    const dir = path.join(tmp, "signalled");
    const stop = new AbortController();
    const lines: string[] = [];
    // checkpointEvery 3: round 2 has no periodic checkpoint, so the stop must write one.
    const stopped = await runGrpo({
      modelDir: tinyRef,
      problems,
      outDir: dir,
      config: resolveGrpoConfig({ ...settings, checkpointEvery: 3 }),
      reward: evenShare,
      backend: "wasm",
      progress: false,
      log: (line) => lines.push(line),
      signal: stop.signal,
      onStep: (m) => m.step === 2 && stop.abort(),
    });
    expect(stopped).toMatchObject({ interrupted: true, steps: 2 });
    expect(stopped.adapterDir).toBe(path.join(dir, "checkpoints", checkpointDirName(2), "adapter"));
    expect(lines.at(-1)).toMatch(/^\[grpo\] interrupted after round 2\/4; checkpoint .*step-00000002; rerun/);
    expect(existsSync(path.join(dir, "adapter"))).toBe(false);
    const resumed = await run(dir, { checkpointEvery: 3 }, true);
    expect(resumed).toMatchObject({ resumedFrom: 2, steps: 4, interrupted: false });
    expect(resumed.metrics.map((m) => [m.step, m.loss])).toEqual(full.metrics.map((m) => [m.step, m.loss]));
  });

  it("a non-finite loss stops training with NonFiniteLossError naming the last good checkpoint", async () => {
    const dir = path.join(tmp, "nan");
    const huge: GroupRewardFunction = (_p, completions) => ({
      rewards: completions.map((_, i) => (i % 2 === 0 ? 0 : 3e38)),
      correct: completions.map(() => false),
    });
    const config = resolveGrpoConfig({ ...settings, variant: "dr-grpo", steps: 2 });
    await expect(
      runGrpo({
        modelDir: tinyRef,
        problems,
        outDir: dir,
        config,
        reward: huge,
        backend: "wasm",
        progress: false,
        log: () => {},
      }),
    ).rejects.toThrow(/non-finite loss or gradient at step 1; training stopped \(no checkpoint yet\)/);
    expect(existsSync(path.join(dir, "reward.svg"))).toBe(true);
  });

  it("refuses a folder with checkpoints without resume, and a resume with other settings", async () => {
    const dir = path.join(tmp, "full");
    await expect(run(dir)).rejects.toThrow(
      /already holds checkpoints .*resume it \(--resume, or resume: true from code\)/,
    );
    // Each changed setting named (the message once said only "compare grpo_state.json").
    await expect(run(dir, { beta: 0.1, sampling: { maxNewTokens: 6 } }, true)).rejects.toThrow(
      /different GRPO settings than now \(beta: 0 -> 0\.1; sampling\.maxNewTokens: 8 -> 6\); refusing to resume/,
    );
    // Another problem set (another file, --fresh or --problem-seed) is another run.
    const others = problems.map((p) => ({ ...p, question: `${p.question} ` }));
    await expect(
      runGrpo({
        modelDir: tinyRef,
        problems: others,
        outDir: dir,
        config: resolveGrpoConfig(settings),
        reward: evenShare,
        resume: true,
        backend: "wasm",
        progress: false,
        log: () => {},
      }),
    ).rejects.toThrow(/trained on another problems than now/);
  });

  it("the trainer's log-probs of a sampled reply equal ONNX Runtime's for the exported policy", async () => {
    const checkpoint = await loadCheckpoint(tinyRef, { tokenizer: true });
    const model = await loadDecoder(
      checkpoint.config,
      (n) => checkpoint.weights.readFloat32(n),
      (n) => checkpoint.weights.has(n),
      "lora",
    );
    await checkpoint.close();
    model.lora = loraFromAdapter(model.config, await loadAdapter(full.adapterDir));
    const sync = await PolicySync.open(tinyRef, path.join(tmp, "policy-check"), model.config);
    try {
      const timing = await sync.refresh({ layers: model.lora, config: loraConfigFrom({ r: 4, alpha: 8 }) });
      expect(timing.exportMs).toBeGreaterThan(0);
      const promptIds = sync.current.encodePrompt({
        id: "x",
        messages: [{ role: "user", content: "2 + 2?" }],
      });
      const reply = [10, 200, 33, 2];
      const [scored] = await scoreContinuations(sync.current, [{ id: "x", promptIds, continuation: reply }]);
      const batch = collateSequences([{ promptIds, replyIds: reply, advantage: 1, tokenWeight: 1 }], 0);
      const ours = tf.tidy(() => sampledLogProbs(model, batch, 1).dataSync());
      reply.forEach((_, i) => {
        expect(ours[i]).toBeCloseTo(scored?.tokenLogprobs[i] as number, 4);
      });
    } finally {
      await sync.close();
    }
  });
});
