/**
 * GRPO settings, their defaults and validation. Defaults follow TRL's GRPOTrainer where it has one
 * (beta 0, epsilon 0.2, one update per generation, token-level loss), scaled to a CPU-sized run.
 */
import type { AdvantageVariant } from "@ssb/curation";
import {
  type LoraSettings,
  setConfigPath,
  settingDifferences,
  UsageError,
  unknownTargetModules,
} from "@ssb/distill";
import {
  type ChatTemplateKwargs,
  chatTemplateKwargsKey,
  checkChatTemplateKwargs,
  PROJECTION_MODULES,
  parseTemplateDate,
  sameChatTemplateKwargs,
} from "@ssb/model";
import { answerRules, checkAnswerRules, type ExtractionRule, isDefaultAnswerRules } from "./answer-rules.js";
import type { LossAggregation } from "./grpo-loss.js";

/** "grpo": std-normalised advantages; "dr-grpo": centred only, constant length normaliser (Liu et al. 2025). */
export type GrpoVariant = "grpo" | "dr-grpo";

export interface GrpoSamplingSettings {
  temperature: number;
  /** Completion budget per sample (the stop token counts); also Dr. GRPO's constant normaliser. */
  maxNewTokens: number;
  topK: number;
  topP: number;
}

export interface GrpoOptimizerSettings {
  lr: number;
  schedule: "constant" | "linear" | "cosine";
  warmupSteps: number;
  weightDecay: number;
  /** Global-norm clipping; 0 = off. */
  maxGradNorm: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export interface GrpoRewardSettings {
  correct: number;
  wrong: number;
  /** No extractable answer (by `rules`), truncated replies included. */
  noAnswer: number;
  /**
   * The verifier's extraction rules the default reward reads answers with, in order (the first that finds
   * one wins): default `["boxed"]`; `["boxed", "answer-tag"]` also reads R1-Zero's `<answer>42</answer>`.
   * Recorded only when not the default (resolveGrpoConfig leaves `["boxed"]` out), so configs without them
   * stay as before; part of the trajectory, so a resume with other rules is refused.
   */
  rules?: readonly ExtractionRule[];
}

export interface GrpoConfig {
  seed: number;
  /** Generation rounds (each: sample, reward, `iterations` optimizer updates). */
  steps: number;
  /** Stop after this many rounds in this process (0 = all); not part of the trajectory, so resume can go on. */
  maxSteps: number;
  problemsPerStep: number;
  /** G: completions sampled per problem. */
  groupSize: number;
  /** mu: optimizer updates on each sampled batch (1 = strictly on-policy, every ratio is 1). */
  iterations: number;
  variant: GrpoVariant;
  /** Advantage normalisation (default from the variant). */
  advantage: AdvantageVariant;
  /**
   * The group std of "grpo" advantages: over G ("population", the default, which the committed runs used) or
   * G - 1 ("sample": torch.std, as TRL's GRPOTrainer). With advantageEpsilon 1e-4 it gives TRL's numbers.
   */
  advantageStd: "population" | "sample";
  /** Added to the std of "grpo" advantages (default 1e-6; TRL: 1e-4). */
  advantageEpsilon: number;
  /** Token aggregation (default from the variant: grpo "token", dr-grpo "constant"). */
  aggregation: LossAggregation;
  clipEpsilon: number;
  clipEpsilonHigh: number;
  /** KL-to-base coefficient (0: no reference model pass at all unless logKl). */
  beta: number;
  /** Compute and log KL(pi || base) even when beta is 0 (costs one extra forward per update). */
  logKl: boolean;
  /**
   * Weigh each token's KL term by its ratio pi / pi_old (differentiable, so it changes the gradient even where
   * the ratio is 1): the KL gradient becomes the unbiased gradient of KL(pi || ref), `(logp - ref) grad logp`
   * on-policy, where the bare k3 term gives `(1 - ref / pi) grad logp`. TRL 1.13's `use_bias_correction_kl`,
   * on by default there; off by default here (DeepSeekMath's objective, and TRL's before it). Only matters when
   * beta > 0.
   */
  klBiasCorrection: boolean;
  /**
   * Leave completions cut at sampling.maxNewTokens out of the loss and its token count (TRL's
   * mask_truncated_completions, DAPO's overlong filtering); default false, as TRL: they are trained with the
   * noAnswer reward. Their rewards still enter their groups' advantages.
   */
  maskTruncated: boolean;
  sampling: GrpoSamplingSettings;
  reward: GrpoRewardSettings;
  lora: LoraSettings;
  optimizer: GrpoOptimizerSettings;
  /** Most sequences per forward / backward pass (gradients are accumulated over the step). */
  microBatchSize: number;
  /**
   * Most padded tokens (sequences x padded length) per pass. Activations grow with it and the wasm heap is
   * capped at 4 GiB: 16 sequences of ~380 tokens overflowed it on the default model's architecture.
   */
  microBatchTokens: number;
  /** Rows decoded together by ONNX Runtime. */
  generationBatch: number;
  checkpointEvery: number;
  keepCheckpoints: number;
  /**
   * The system turn of every prompt the run renders: a string; null (the default) = @ssb/curation's math-tutor
   * prompt; false = no system turn, the question alone as the user turn (as evaluatePolicy's false). Part of
   * the trajectory: a resume with another value is refused.
   */
  systemPrompt: string | null | false;
  /**
   * The day ("YYYY-MM-DD") a chat template that writes today's date (Llama 3.1/3.2-Instruct) renders. Unset: a
   * run pins today at its first start and records it here; a resume keeps the recorded day. Never recorded for
   * a template that reads no date (Qwen), whose configs stay as before. See @ssb/distill's chooseTemplateDate.
   */
  templateDate?: string;
  /**
   * Extra variables passed to the chat template on every prompt the run renders (transformers'
   * `apply_chat_template(**kwargs)`, TRL's GRPOConfig `chat_template_kwargs`), e.g. Qwen3's
   * `{"enable_thinking": false}`. Recorded only when non-empty (runGrpo records nothing for `{}`, so configs
   * without them stay as before); a resume without them keeps the recorded ones, and one with other ones is
   * refused, `{}` included (given, it is an explicit "none", as rollout, eval and `ssb run` take it).
   */
  chatTemplateKwargs?: ChatTemplateKwargs;
}

export type GrpoConfigInput = Partial<
  Omit<GrpoConfig, "sampling" | "reward" | "lora" | "optimizer"> & {
    sampling: Partial<GrpoSamplingSettings>;
    reward: Partial<GrpoRewardSettings>;
    lora: Partial<LoraSettings>;
    optimizer: Partial<GrpoOptimizerSettings>;
  }
>;

export const DEFAULT_GRPO_CONFIG: GrpoConfig = {
  seed: 0,
  steps: 20,
  maxSteps: 0,
  problemsPerStep: 8,
  groupSize: 8,
  iterations: 1,
  variant: "grpo",
  advantage: "grpo",
  advantageStd: "population",
  advantageEpsilon: 1e-6,
  aggregation: "token",
  clipEpsilon: 0.2,
  clipEpsilonHigh: 0.2,
  beta: 0,
  logKl: false,
  klBiasCorrection: false,
  maskTruncated: false,
  sampling: { temperature: 1, maxNewTokens: 256, topK: 0, topP: 1 },
  reward: { correct: 1, wrong: 0, noAnswer: 0 },
  lora: { r: 16, alpha: 32, dropout: 0 },
  optimizer: {
    lr: 2e-4,
    schedule: "constant",
    warmupSteps: 0,
    weightDecay: 0,
    maxGradNorm: 1,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
  },
  microBatchSize: 16,
  microBatchTokens: 2048,
  generationBatch: 64,
  checkpointEvery: 5,
  keepCheckpoints: 2,
  systemPrompt: null,
};

/** Fields with no default (absent unless given). */
const OPTIONAL_FIELDS = ["templateDate", "chatTemplateKwargs"];
const TOP_FIELDS = new Set([...Object.keys(DEFAULT_GRPO_CONFIG), ...OPTIONAL_FIELDS]);
const NESTED: Record<string, Set<string>> = {
  sampling: new Set(Object.keys(DEFAULT_GRPO_CONFIG.sampling)),
  reward: new Set([...Object.keys(DEFAULT_GRPO_CONFIG.reward), "rules"]),
  lora: new Set(["r", "alpha", "dropout", "targetModules", "useRslora"]),
  optimizer: new Set(Object.keys(DEFAULT_GRPO_CONFIG.optimizer)),
};

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function fail(field: string, expected: string, value: unknown): never {
  throw new Error(`GRPO config: "${field}" must be ${expected}, found ${JSON.stringify(value)}`);
}

/** Merge `input` over the defaults (variant-dependent ones included) and check every field. */
export function resolveGrpoConfig(input: GrpoConfigInput = {}): GrpoConfig {
  if (typeof input !== "object" || input === null || Array.isArray(input))
    throw new Error(`GRPO config: expected an object of settings, found ${JSON.stringify(input)}`);
  for (const key of Object.keys(input)) {
    if (!TOP_FIELDS.has(key)) throw new Error(`GRPO config: unknown field "${key}"`);
    const allowed = NESTED[key];
    const value = (input as Record<string, unknown>)[key];
    if (allowed && value !== undefined) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) fail(key, "an object", value);
      for (const sub of Object.keys(value as object))
        if (!allowed.has(sub)) throw new Error(`GRPO config: unknown field "${key}.${sub}"`);
    }
  }
  const d = DEFAULT_GRPO_CONFIG;
  const variant = input.variant ?? d.variant;
  if (variant !== "grpo" && variant !== "dr-grpo") fail("variant", '"grpo" or "dr-grpo"', variant);
  const clipEpsilon = input.clipEpsilon ?? d.clipEpsilon;
  const c: GrpoConfig = {
    ...d,
    ...stripUndefined(input),
    variant,
    advantage: input.advantage ?? (variant === "dr-grpo" ? "dr-grpo" : "grpo"),
    aggregation: input.aggregation ?? (variant === "dr-grpo" ? "constant" : "token"),
    clipEpsilon,
    clipEpsilonHigh: input.clipEpsilonHigh ?? clipEpsilon,
    sampling: { ...d.sampling, ...stripUndefined(input.sampling ?? {}) },
    reward: { ...d.reward, ...stripUndefined(input.reward ?? {}) },
    lora: { ...d.lora, ...stripUndefined(input.lora ?? {}) } as LoraSettings,
    optimizer: { ...d.optimizer, ...stripUndefined(input.optimizer ?? {}) },
  };
  // Past 2^53 - 1 a number is no longer the integer written (9007199254740993 reads as 2^53): refused.
  const int = (field: string, v: number, min: number): void => {
    if (!(Number.isInteger(v) && v >= min)) fail(field, `an integer >= ${min}`, v);
    if (!Number.isSafeInteger(v)) fail(field, `an integer in [${min}, ${MAX_SAFE}] (2^53 - 1)`, v);
  };
  const num = (field: string, v: number, ok: (x: number) => boolean, expected: string): void => {
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) fail(field, expected, v);
  };
  if (!(Number.isSafeInteger(c.seed) && c.seed >= 0))
    fail("seed", `an integer in [0, ${MAX_SAFE}] (2^53 - 1)`, c.seed);
  int("steps", c.steps, 1);
  int("maxSteps", c.maxSteps, 0);
  int("problemsPerStep", c.problemsPerStep, 1);
  int("groupSize", c.groupSize, 2);
  int("iterations", c.iterations, 1);
  if (c.advantage !== "grpo" && c.advantage !== "dr-grpo")
    fail("advantage", '"grpo" or "dr-grpo"', c.advantage);
  if (c.advantageStd !== "population" && c.advantageStd !== "sample")
    fail("advantageStd", '"population" or "sample"', c.advantageStd);
  num("advantageEpsilon", c.advantageEpsilon, (x) => x >= 0, ">= 0");
  if (!["token", "sequence", "constant"].includes(c.aggregation))
    fail("aggregation", '"token", "sequence" or "constant"', c.aggregation);
  num("clipEpsilon", c.clipEpsilon, (x) => x > 0 && x < 1, "in (0, 1)");
  num("clipEpsilonHigh", c.clipEpsilonHigh, (x) => x > 0, "> 0");
  num("beta", c.beta, (x) => x >= 0, ">= 0");
  if (typeof c.logKl !== "boolean") fail("logKl", "true or false", c.logKl);
  if (typeof c.klBiasCorrection !== "boolean") fail("klBiasCorrection", "true or false", c.klBiasCorrection);
  if (typeof c.maskTruncated !== "boolean") fail("maskTruncated", "true or false", c.maskTruncated);
  num("sampling.temperature", c.sampling.temperature, (x) => x > 0, "> 0 (sampling, not greedy)");
  int("sampling.maxNewTokens", c.sampling.maxNewTokens, 1);
  int("sampling.topK", c.sampling.topK, 0);
  num("sampling.topP", c.sampling.topP, (x) => x > 0 && x <= 1, "in (0, 1]");
  for (const k of ["correct", "wrong", "noAnswer"] as const)
    num(`reward.${k}`, c.reward[k], () => true, "a finite number");
  if (c.reward.rules !== undefined) {
    checkAnswerRules(c.reward.rules, 'GRPO config: "reward.rules"');
    // The default left out, so such a run records (and compares) exactly what one without the setting does.
    if (isDefaultAnswerRules(c.reward.rules)) delete c.reward.rules;
  }
  int("lora.r", c.lora.r, 1);
  num("lora.alpha", c.lora.alpha, (x) => x > 0, "> 0");
  num("lora.dropout", c.lora.dropout ?? 0, (x) => x >= 0 && x < 1, "in [0, 1)");
  const modules = c.lora.targetModules;
  if (modules !== undefined && !(Array.isArray(modules) && modules.every((m) => typeof m === "string")))
    fail("lora.targetModules", "a list of module names", modules);
  // One misspelled name among good ones (["q_proj", "v_projj"]) would otherwise train only the others.
  const unknown = Array.isArray(modules) ? unknownTargetModules(modules) : [];
  if (unknown.length > 0)
    fail("lora.targetModules", `names of projection modules (${PROJECTION_MODULES.join(", ")})`, unknown);
  if (c.lora.useRslora !== undefined && typeof c.lora.useRslora !== "boolean")
    fail("lora.useRslora", "true or false", c.lora.useRslora);
  num("optimizer.lr", c.optimizer.lr, (x) => x > 0, "> 0");
  if (!["constant", "linear", "cosine"].includes(c.optimizer.schedule))
    fail("optimizer.schedule", '"constant", "linear" or "cosine"', c.optimizer.schedule);
  int("optimizer.warmupSteps", c.optimizer.warmupSteps, 0);
  num("optimizer.weightDecay", c.optimizer.weightDecay, (x) => x >= 0, ">= 0");
  num("optimizer.maxGradNorm", c.optimizer.maxGradNorm, (x) => x >= 0, ">= 0");
  num("optimizer.beta1", c.optimizer.beta1, (x) => x >= 0 && x < 1, "in [0, 1)");
  num("optimizer.beta2", c.optimizer.beta2, (x) => x >= 0 && x < 1, "in [0, 1)");
  num("optimizer.eps", c.optimizer.eps, (x) => x > 0, "> 0");
  int("microBatchSize", c.microBatchSize, 1);
  int("microBatchTokens", c.microBatchTokens, 1);
  int("generationBatch", c.generationBatch, 1);
  int("checkpointEvery", c.checkpointEvery, 1);
  int("keepCheckpoints", c.keepCheckpoints, 1);
  if (c.systemPrompt !== null && c.systemPrompt !== false && typeof c.systemPrompt !== "string")
    fail("systemPrompt", "a string, null (the math-tutor prompt) or false (no system turn)", c.systemPrompt);
  if (c.templateDate !== undefined) {
    if (typeof c.templateDate !== "string") fail("templateDate", 'a date as "YYYY-MM-DD"', c.templateDate);
    parseTemplateDate(c.templateDate, 'GRPO config: "templateDate"');
  }
  // {} is kept: given, it says "none" and a resume of a run with recorded kwargs is refused, where leaving the
  // field out keeps them. It renders as no kwargs, and runGrpo records nothing for it (trajectoryKey skips it).
  if (c.chatTemplateKwargs !== undefined)
    checkChatTemplateKwargs(c.chatTemplateKwargs, 'GRPO config: "chatTemplateKwargs"');
  return c;
}

/**
 * The settings that define the trajectory: a resume must match them. Stopping, checkpointing, generation
 * batching and micro-batching may change (micro-batches only change the summation order of gradients).
 */
export function trajectoryKey(c: GrpoConfig): string {
  const {
    maxSteps: _m,
    checkpointEvery: _c,
    keepCheckpoints: _k,
    generationBatch: _g,
    microBatchSize: _s,
    microBatchTokens: _t,
    maskTruncated,
    advantageStd,
    advantageEpsilon,
    klBiasCorrection,
    chatTemplateKwargs,
    ...rest
  } = c;
  const { rules, ...scheme } = c.reward;
  const kwargs = chatTemplateKwargsKey(chatTemplateKwargs);
  // Added after checkpoints existed: their defaults (the behaviour before them) are left out, so those still
  // resume; any other value is part of the trajectory.
  const d = DEFAULT_GRPO_CONFIG;
  return JSON.stringify({
    ...rest,
    // reward.rules only when not the default (boxed only, the behaviour before the setting). Overriding the
    // key keeps its place, so the key of every config without rules is the string it was before.
    reward: isDefaultAnswerRules(rules) ? scheme : c.reward,
    ...(maskTruncated ? { maskTruncated } : {}),
    ...(advantageStd !== d.advantageStd ? { advantageStd } : {}),
    ...(advantageEpsilon !== d.advantageEpsilon ? { advantageEpsilon } : {}),
    ...(klBiasCorrection ? { klBiasCorrection } : {}),
    // In canonical form (keys sorted), so the order they were written in does not matter.
    ...(kwargs !== "" ? { chatTemplateKwargs: JSON.parse(kwargs) } : {}),
  });
}

/**
 * The trajectory settings (see trajectoryKey) that differ between a checkpoint's config and now, each as
 * `name: saved -> now` (nested objects by their dotted path), for a refused resume to name.
 */
export function trajectoryDifferences(saved: GrpoConfig, now: GrpoConfig): string[] {
  // templateDate is compared only when both have one: a checkpoint saved before it was recorded has none (a
  // resume pins a day then), and a resume's check runs before the recorded day is taken up (run-grpo.ts).
  const both = saved.templateDate !== undefined && now.templateDate !== undefined;
  const key = (c: GrpoConfig): unknown => {
    const { templateDate: _d, chatTemplateKwargs: _k, ...rest } = c;
    const key = JSON.parse(trajectoryKey(both ? { ...rest, templateDate: c.templateDate } : rest));
    // The rules shown even when the default, which the key leaves out: `["boxed"] -> [...]`, not `(none)`.
    key.reward = { ...key.reward, rules: answerRules(c.reward) };
    return key;
  };
  const differences = settingDifferences(key(saved), key(now));
  // chatTemplateKwargs as one value (not key by key), and only when given now (`{}` too: an explicit none
  // differs from recorded kwargs): a resume without them takes the recorded ones (run-grpo.ts). A checkpoint
  // without any recorded ran without kwargs.
  if (
    now.chatTemplateKwargs !== undefined &&
    !sameChatTemplateKwargs(saved.chatTemplateKwargs, now.chatTemplateKwargs)
  )
    differences.push(
      `chatTemplateKwargs: ${describeKwargs(saved.chatTemplateKwargs)} -> ${describeKwargs(now.chatTemplateKwargs)}`,
    );
  return differences;
}

/** Kwargs as a refusal shows them: their JSON, or "(none)". */
export function describeKwargs(kwargs: ChatTemplateKwargs | undefined): string {
  return chatTemplateKwargsKey(kwargs) === "" ? "(none)" : JSON.stringify(kwargs);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Apply a `--set path=value` override (value parsed as JSON, else taken as a string). */
export function applyOverride(input: GrpoConfigInput, assignment: string): GrpoConfigInput {
  const eq = assignment.indexOf("=");
  if (eq <= 0) throw new UsageError(`--set expects path=value, found "${assignment}"`);
  const path = assignment.slice(0, eq);
  const raw = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  const out = structuredClone(input) as Record<string, unknown>;
  // distill's writer refuses "__proto__" and its kin (they would reach Object.prototype).
  setConfigPath(out, path, value);
  return out as GrpoConfigInput;
}
