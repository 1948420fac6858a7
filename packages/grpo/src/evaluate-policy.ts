/**
 * Mean reward and accuracy of base + adapter on a fixed problem set, sampled through the same path as
 * training (ONNX export of the merged LoRA, @ssb/rollout, the verifier). With the same seed the base and the
 * adapter see the same problems and the same random streams, so their difference is a paired comparison.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type BackendPreference, loraFromAdapter, selectBackend } from "@ssb/distill";
import { type ChatTemplateKwargs, loadAdapter, loadModelConfig } from "@ssb/model";
import type { GrpoRewardSettings, GrpoSamplingSettings } from "./grpo-config.js";
import { type PolicyLora, PolicySync } from "./policy-sync.js";
import type { GrpoProblem } from "./problems.js";
import { type GroupRewardFunction, verifierReward } from "./rewards.js";
import { sampleGroups } from "./sample-groups.js";

export interface EvaluatePolicyOptions {
  modelDir: string;
  /** PEFT adapter folder; null = the base model. */
  adapterDir: string | null;
  problems: readonly GrpoProblem[];
  /** Samples per problem. */
  n: number;
  sampling: GrpoSamplingSettings;
  seed: number;
  reward?: GroupRewardFunction;
  /** The default reward's settings (default 1 / 0 / 0, boxed answers only); `rules`: give the run's reward.rules. */
  rewardScheme?: GrpoRewardSettings;
  /**
   * The system turn of every prompt: a string (give a run's systemPrompt to evaluate on the prompts it trained
   * with); null or unset = curation's math-tutor prompt, as training's default; false = no system turn.
   */
  systemPrompt?: string | null | false;
  /** The time a date-reading chat template (Llama 3.1/3.2-Instruct) renders (a run's templateDate); default now. */
  now?: Date;
  /**
   * Extra chat-template variables for every prompt (a run's chatTemplateKwargs, e.g. Qwen3's
   * `{"enable_thinking": false}`); default none. Give the training run's to evaluate on the prompts it trained with.
   */
  chatTemplateKwargs?: ChatTemplateKwargs;
  maxBatch?: number;
  /** tfjs backend the adapter is read with (default "auto": tfjs-node if installed, else wasm). */
  backend?: BackendPreference;
  /** Called when sampling starts (done 0) and as samples finish: `done` of `total` (problems x n). */
  onProgress?: (done: number, total: number) => void;
}

export interface PolicyEvaluation {
  meanReward: number;
  /** Share of all samples graded correct (pass@1 estimated with n samples per problem). */
  accuracy: number;
  /** Correct samples per problem, in the problems' order. */
  correctPerProblem: number[];
  responseLengthMean: number;
  truncatedFraction: number;
  samples: number;
  seconds: number;
}

export async function evaluatePolicy(options: EvaluatePolicyOptions): Promise<PolicyEvaluation> {
  const started = performance.now();
  const work = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-eval-"));
  const config = await loadModelConfig(options.modelDir);
  const sync = await PolicySync.open(options.modelDir, work, config);
  let lora: PolicyLora | null = null;
  try {
    if (options.adapterDir !== null) {
      // The adapter becomes tfjs tensors. Without a backend chosen first, tfjs starts its pure-JS cpu backend,
      // which prints a banner on stderr urging tfjs-node: noise (a merge is cheap) in `ssb-grpo eval`'s output.
      await selectBackend(options.backend ?? "auto", () => {});
      const adapter = await loadAdapter(options.adapterDir);
      lora = { layers: loraFromAdapter(config, adapter), config: adapter.config };
    }
    await sync.refresh(lora);
    options.onProgress?.(0, options.problems.length * options.n);
    const groups = await sampleGroups(sync.current, options.problems, {
      groupSize: options.n,
      temperature: options.sampling.temperature,
      maxNewTokens: options.sampling.maxNewTokens,
      topK: options.sampling.topK,
      topP: options.sampling.topP,
      seed: options.seed,
      maxBatch: options.maxBatch ?? 64,
      systemPrompt: options.systemPrompt ?? null,
      ...(options.now ? { now: options.now } : {}),
      ...(options.chatTemplateKwargs ? { chatTemplateKwargs: options.chatTemplateKwargs } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const reward =
      options.reward ?? verifierReward(options.rewardScheme ?? { correct: 1, wrong: 0, noAnswer: 0 });
    let rewardSum = 0;
    let samples = 0;
    let lengthSum = 0;
    let truncated = 0;
    const correctPerProblem = groups.map((group, i) => {
      const r = reward(options.problems[i] as GrpoProblem, group);
      rewardSum += r.rewards.reduce((a, b) => a + b, 0);
      samples += group.length;
      for (const c of group) {
        lengthSum += c.tokenIds.length;
        if (c.finishReason === "length") truncated++;
      }
      return r.correct.filter(Boolean).length;
    });
    return {
      meanReward: rewardSum / samples,
      accuracy: correctPerProblem.reduce((a, b) => a + b, 0) / samples,
      correctPerProblem,
      responseLengthMean: lengthSum / samples,
      truncatedFraction: truncated / samples,
      samples,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await sync.close();
    for (const layer of lora?.layers.values() ?? []) {
      layer.aT.dispose();
      layer.bT.dispose();
    }
    await rm(work, { recursive: true, force: true });
  }
}
