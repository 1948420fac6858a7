/**
 * The runs src/trl-training.test.ts compares with TRL 1.13's GRPOTrainer and src/trl-training-recorded.test.ts
 * with the numbers that comparison gave: three rounds on the tiny checkpoint, rewards fixed per (round, group,
 * sample), two settings each with the GRPOConfig that matches it.
 */
import { type GrpoConfigInput, resolveGrpoConfig } from "../src/grpo-config.js";
import type { GrpoProblem } from "../src/problems.js";
import type { GroupRewardFunction } from "../src/rewards.js";
import { runGrpo } from "../src/run-grpo.js";
import { tinyRef } from "./fixtures.js";

export const ROUNDS = 3;
export const G = 4;
export const PROBLEMS: GrpoProblem[] = [
  { id: "a", question: "1 + 1?", answer: "2" },
  { id: "b", question: "2 + 3?", answer: "5" },
];
/** Rewards per round, group and sample: spread of several sizes, and one group of equal rewards (round 2). */
export const REWARDS: number[][][] = [
  [
    [1, 0, 0.5, 0],
    [0.2, 0.9, 0.4, 0.1],
  ],
  [
    [0.5, 0.5, 0.5, 0.5],
    [1, 0, 0, 1],
  ],
  [
    [0, 0.3, 1, 0.6],
    [0.8, 0.1, 0.1, 0.5],
  ],
];

export const COMMON: GrpoConfigInput = {
  seed: 5,
  steps: ROUNDS,
  problemsPerStep: PROBLEMS.length,
  groupSize: G,
  iterations: 2,
  advantageStd: "sample",
  advantageEpsilon: 1e-4,
  clipEpsilon: 0.2,
  clipEpsilonHigh: 0.28,
  sampling: { temperature: 0.9, maxNewTokens: 6 },
  lora: { r: 4, alpha: 8, targetModules: ["q_proj", "v_proj", "o_proj", "down_proj"] },
  checkpointEvery: 1,
  keepCheckpoints: ROUNDS,
  systemPrompt: "Be brief.",
};
/** GRPOConfig arguments every case shares (the same settings as COMMON). */
const TRL_COMMON = {
  num_generations: G,
  num_iterations: 2,
  temperature: 0.9,
  max_completion_length: 6,
  epsilon: 0.2,
  epsilon_high: 0.28,
  adam_beta1: 0.9,
  adam_beta2: 0.999,
  adam_epsilon: 1e-8,
};

export interface TrainingCase {
  name: string;
  config: GrpoConfigInput;
  trl: Record<string, number | string | boolean>;
}
export const CASES: TrainingCase[] = [
  {
    name: "token = dapo, scale_rewards group, beta 0, linear schedule with 2 warmup steps, clipped gradients",
    config: {
      variant: "grpo",
      beta: 0,
      optimizer: { lr: 0.05, schedule: "linear", warmupSteps: 2, maxGradNorm: 0.3 },
    },
    trl: {
      ...TRL_COMMON,
      loss_type: "dapo",
      scale_rewards: "group",
      beta: 0,
      per_device_train_batch_size: PROBLEMS.length * G,
      gradient_accumulation_steps: 1,
      learning_rate: 0.05,
      lr_scheduler_type: "linear",
      warmup_steps: 2,
      max_grad_norm: 0.3,
      weight_decay: 0,
    },
  },
  {
    name: "constant = dr_grpo, scale_rewards none, beta 0.04 x ratio, constant_with_warmup, weight decay, 2 accumulation steps",
    config: {
      variant: "dr-grpo",
      beta: 0.04,
      // TRL 1.13's default KL term (use_bias_correction_kl); without it the runs part from round 2 on.
      klBiasCorrection: true,
      // Several micro-batches per update here, two accumulation steps there.
      microBatchTokens: 64,
      optimizer: { lr: 0.05, schedule: "constant", warmupSteps: 1, maxGradNorm: 0.3, weightDecay: 0.1 },
    },
    trl: {
      ...TRL_COMMON,
      loss_type: "dr_grpo",
      scale_rewards: "none",
      beta: 0.04,
      use_bias_correction_kl: true,
      per_device_train_batch_size: (PROBLEMS.length * G) / 2,
      gradient_accumulation_steps: 2,
      learning_rate: 0.05,
      lr_scheduler_type: "constant_with_warmup",
      warmup_steps: 1,
      max_grad_norm: 0.3,
      weight_decay: 0.1,
    },
  },
];

export interface Completion {
  promptIds: number[];
  tokenIds: number[];
  finishReason: string;
}
/**
 * The first case for two rounds, the second without signal (every group's rewards equal, beta 0): runGrpo
 * takes no optimizer step there, TRL steps on a zero gradient (README, "A round with no signal").
 */
export const NO_SIGNAL_CASE: TrainingCase = {
  name: "a round with no signal (beta 0): no AdamW step here, TRL's step on a zero gradient moves the weights",
  config: { ...CASES[0]?.config, steps: 2 },
  trl: { ...CASES[0]?.trl },
};
export const NO_SIGNAL_REWARDS: number[][][] = [
  REWARDS[0] as number[][],
  [
    [0.5, 0.5, 0.5, 0.5],
    [1, 1, 1, 1],
  ],
];

/** A reward read from `table` by call order (runGrpo rewards group by group, round by round); records the completions. */
export function recordingReward(rounds: Completion[][], table: number[][][] = REWARDS): GroupRewardFunction {
  let calls = 0;
  return (_problem, completions) => {
    const round = Math.floor(calls / PROBLEMS.length);
    const group = calls % PROBLEMS.length;
    calls++;
    if (group === 0) rounds.push([]);
    for (const c of completions)
      rounds[round]?.push({ promptIds: c.promptIds, tokenIds: c.tokenIds, finishReason: c.finishReason });
    const rewards = table[round]?.[group] as number[];
    return { rewards, correct: rewards.map((r) => r > 0.5) };
  };
}

/** One case's run of runGrpo on the tiny checkpoint into `outDir`, its completions recorded in `rounds`. */
export function runTrainingCase(
  c: TrainingCase,
  outDir: string,
  rounds: Completion[][],
  table: number[][][] = REWARDS,
): ReturnType<typeof runGrpo> {
  return runGrpo({
    modelDir: tinyRef,
    problems: PROBLEMS,
    outDir,
    config: resolveGrpoConfig({ ...COMMON, ...c.config }),
    reward: recordingReward(rounds, table),
    backend: "wasm",
    progress: false,
    log: () => {},
  });
}
