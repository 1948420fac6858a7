/**
 * Training settings. Defaults are the paper's where it states them (LoRA r 32 / alpha 32 on all seven
 * projections, forward KL at T = 2 times T², token-level mean, AdamW lr 2e-4, batch 4, 3 epochs) and
 * transformers' TrainingArguments defaults where it does not (dropout 0, linear decay, no warmup, grad clip
 * 1.0). Partial JSON configs are merged over these defaults and checked field by field.
 */
import {
  type ChatTemplateKwargs,
  checkChatTemplateKwargs,
  PROJECTION_MODULES,
  parseTemplateDate,
} from "@ssb/model";
import type { AdamWOptions } from "./adamw.js";
import type { Divergence } from "./kd-loss.js";
import type { LoraSettings } from "./lora.js";
import type { Trainable } from "./model.js";
import type { PromptMode } from "./pairs-data.js";
import type { Reduction } from "./reduction.js";
import type { ScheduleKind } from "./schedule.js";
import { unknownTargetModules } from "./target-modules.js";

export interface LossSettings {
  divergence: Divergence;
  temperature: number;
  /** Add the teacher's tail mass as a (k+1)-th category. */
  tail: boolean;
  scaleByTemperatureSquared: boolean;
  reduction: Reduction;
  kdWeight: number;
  ceWeight: number;
}

export interface OptimizerSettings extends AdamWOptions {
  lr: number;
  schedule: ScheduleKind;
  warmupSteps: number;
  /** Warmup as a fraction of all steps (used when warmupSteps is 0). */
  warmupRatio: number;
  minLrRatio: number;
  /** Clip gradients to this global L2 norm (0 = off). */
  maxGradNorm: number;
}

export interface TrainConfig {
  /** "kd": divergence to the teacher's top-k (+ optional CE); "sft": CE on the targets only. */
  mode: "kd" | "sft";
  trainable: Trainable;
  promptMode: PromptMode;
  lora: Required<LoraSettings>;
  loss: LossSettings;
  optimizer: OptimizerSettings;
  /** Sequences per micro-batch (one forward/backward). */
  batchSize: number;
  /** Micro-batches per optimizer step. */
  gradAccumSteps: number;
  epochs: number;
  /** Stop after this many optimizer steps (0 = run all epochs). The schedule still spans min(all, maxSteps). */
  maxSteps: number;
  /** The most tokens of prompt + reply, as TRL's max_length; the reply is cut at its end (0 = no limit). */
  maxLength: number;
  seed: number;
  bucketByLength: boolean;
  /**
   * Threads computing gradients (1 = the main thread only). With 2, a worker thread with its own wasm
   * instance and model copy computes half of every step (data parallel; see data-parallel.ts).
   */
  workers: number;
  /** Checkpoint every N optimizer steps (0 = only at the end). */
  checkpointEvery: number;
  /** How many step checkpoints to keep (older ones are deleted). */
  keepCheckpoints: number;
  /**
   * The day ("YYYY-MM-DD") a chat template that writes today's date (Llama 3.1/3.2-Instruct) renders. Unset: a
   * run pins today at its first start and records it here; a resume keeps the recorded day. Never recorded for
   * a template that reads no date (Qwen). See template-date.ts.
   */
  templateDate?: string;
  /**
   * Extra chat-template variables for the student's chat prompts (transformers' `apply_chat_template(...,
   * **kwargs)`; Qwen3: `{"enable_thinking": false}`). A resume without them keeps the checkpoint's, one with
   * others is refused. `{}` is kept here as an explicit "none" (refused on a resume of a checkpoint that
   * recorded some) but never recorded: checkpoints hold the field only when non-empty. See
   * chat-template-kwargs.ts.
   */
  chatTemplateKwargs?: ChatTemplateKwargs;
}

/** The largest seed accepted: the largest integer a JSON number or a JS number holds exactly. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** Every top-level setting's name, the optional ones included (for `--set` hints). */
export function trainSettingNames(): string[] {
  return [...Object.keys(DEFAULT_TRAIN_CONFIG), ...OPTIONAL_FIELDS];
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  mode: "kd",
  trainable: "lora",
  promptMode: "chat",
  lora: { r: 32, alpha: 32, dropout: 0, targetModules: [...PROJECTION_MODULES], useRslora: false },
  loss: {
    divergence: "forward-kl",
    temperature: 2,
    tail: false,
    scaleByTemperatureSquared: true,
    reduction: "token",
    kdWeight: 1,
    ceWeight: 0,
  },
  optimizer: {
    lr: 2e-4,
    schedule: "linear",
    warmupSteps: 0,
    warmupRatio: 0,
    minLrRatio: 0,
    maxGradNorm: 1,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
  },
  batchSize: 4,
  gradAccumSteps: 1,
  epochs: 3,
  maxSteps: 0,
  maxLength: 0,
  seed: 0,
  bucketByLength: true,
  workers: 1,
  checkpointEvery: 50,
  keepCheckpoints: 2,
};

export type TrainConfigInput = Partial<Omit<TrainConfig, "lora" | "loss" | "optimizer">> & {
  lora?: Partial<LoraSettings>;
  loss?: Partial<LossSettings>;
  optimizer?: Partial<OptimizerSettings>;
};

const ENUMS: Record<string, readonly string[]> = {
  mode: ["kd", "sft"],
  trainable: ["lora", "full"],
  promptMode: ["chat", "raw"],
  "loss.divergence": ["forward-kl", "reverse-kl", "jsd"],
  "loss.reduction": ["token", "sequence"],
  "optimizer.schedule": ["linear", "cosine", "constant"],
};

/** Fields with no default (absent unless given): checked on their own. */
const OPTIONAL_FIELDS = ["templateDate", "chatTemplateKwargs"];

function checkFields(value: object, defaults: object, where: string, prefix: string): void {
  for (const [key, v] of Object.entries(value)) {
    const field = prefix + key;
    if (prefix === "" && key === "templateDate") {
      if (v === undefined) continue;
      if (typeof v !== "string")
        throw new Error(
          `${where}: field "templateDate" must be a date as "YYYY-MM-DD", found ${JSON.stringify(v)}`,
        );
      parseTemplateDate(v, `${where}: field "templateDate"`);
      continue;
    }
    if (prefix === "" && key === "chatTemplateKwargs") {
      if (v !== undefined) checkChatTemplateKwargs(v, `${where}: field "chatTemplateKwargs"`);
      continue;
    }
    // Own properties only: "constructor" or "toString" are inherited by every object, not settings fields.
    if (!Object.hasOwn(defaults, key)) throw new Error(`${where}: unknown field "${field}"`);
    const d = (defaults as Record<string, unknown>)[key];
    if (field === "lora.targetModules") {
      if (!(typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string")))) {
        throw new Error(`${where}: field "${field}" must be a list of module names or a regex string`);
      }
      const unknown = Array.isArray(v) ? unknownTargetModules(v) : [];
      if (unknown.length > 0)
        throw new Error(
          `${where}: field "${field}" names no projection module: ${unknown.map((m) => JSON.stringify(m)).join(", ")} (valid: ${PROJECTION_MODULES.join(", ")})`,
        );
      continue;
    }
    if (typeof d === "object" && d !== null) {
      if (typeof v !== "object" || v === null)
        throw new Error(`${where}: field "${field}" must be an object`);
      checkFields(v, d, where, `${field}.`);
      continue;
    }
    if (typeof v !== typeof d)
      throw new Error(`${where}: field "${field}" must be a ${typeof d}, found ${JSON.stringify(v)}`);
    const allowed = Object.hasOwn(ENUMS, field) ? ENUMS[field] : undefined;
    if (allowed && !allowed.includes(v as string)) {
      throw new Error(
        `${where}: field "${field}" must be one of ${allowed.join(", ")}, found ${JSON.stringify(v)}`,
      );
    }
    if (typeof v === "number" && (!Number.isFinite(v) || v < 0)) {
      throw new Error(`${where}: field "${field}" must be a finite number >= 0, found ${v}`);
    }
  }
}

/** Defaults merged with `input`, validated; `where` names the source in errors. */
export function resolveTrainConfig(input: TrainConfigInput = {}, where = "train config"): TrainConfig {
  if (typeof input !== "object" || input === null || Array.isArray(input))
    throw new Error(`${where}: expected an object of settings, found ${JSON.stringify(input)}`);
  checkFields(input, DEFAULT_TRAIN_CONFIG, where, "");
  const config: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    ...input,
    lora: { ...DEFAULT_TRAIN_CONFIG.lora, ...input.lora },
    loss: { ...DEFAULT_TRAIN_CONFIG.loss, ...input.loss },
    optimizer: { ...DEFAULT_TRAIN_CONFIG.optimizer, ...input.optimizer },
  };
  // `{}` stays: it renders what no kwargs render, but on a resume it asks for none where the checkpoint
  // recorded some, which is refused (see chat-template-kwargs.ts). The trainer never records it.
  for (const field of ["batchSize", "gradAccumSteps", "epochs", "workers"] as const) {
    if (!Number.isInteger(config[field]) || config[field] < 1)
      throw new Error(
        `${where}: field "${field}" must be an integer >= 1, found ${JSON.stringify(config[field])}`,
      );
  }
  if (!(config.loss.temperature > 0)) throw new Error(`${where}: field "loss.temperature" must be > 0`);
  // Values that would otherwise fail deep in tfjs, or turn into a non-finite loss steps later.
  const need = (ok: boolean, field: string, expected: string, value: unknown): void => {
    if (!ok)
      throw new Error(`${where}: field "${field}" must be ${expected}, found ${JSON.stringify(value)}`);
  };
  const { lora, optimizer: o } = config;
  need(Number.isInteger(lora.r) && lora.r >= 1, "lora.r", "an integer >= 1", lora.r);
  need(lora.alpha > 0, "lora.alpha", "> 0", lora.alpha);
  need(lora.dropout >= 0 && lora.dropout < 1, "lora.dropout", "in [0, 1)", lora.dropout);
  need(o.lr > 0, "optimizer.lr", "> 0", o.lr);
  need(o.beta1 >= 0 && o.beta1 < 1, "optimizer.beta1", "in [0, 1)", o.beta1);
  need(o.beta2 >= 0 && o.beta2 < 1, "optimizer.beta2", "in [0, 1)", o.beta2);
  need(o.eps > 0, "optimizer.eps", "> 0", o.eps);
  need(o.warmupRatio <= 1, "optimizer.warmupRatio", "in [0, 1]", o.warmupRatio);
  need(o.minLrRatio <= 1, "optimizer.minLrRatio", "in [0, 1]", o.minLrRatio);
  need(Number.isInteger(o.warmupSteps), "optimizer.warmupSteps", "an integer >= 0", o.warmupSteps);
  for (const field of ["maxSteps", "maxLength", "checkpointEvery"] as const)
    need(Number.isInteger(config[field]), field, "an integer >= 0", config[field]);
  // Above 2^53 - 1 a seed is no longer the integer written (2^53 + 1 reads as 2^53): refused, not rounded.
  need(Number.isSafeInteger(config.seed), "seed", `an integer in [0, ${MAX_SEED}] (2^53 - 1)`, config.seed);
  need(
    Number.isInteger(config.keepCheckpoints) && config.keepCheckpoints >= 1,
    "keepCheckpoints",
    "an integer >= 1",
    config.keepCheckpoints,
  );
  // Both weights 0 make the loss identically 0: the run would take every step and train nothing.
  if (config.mode === "kd" && config.loss.kdWeight === 0 && config.loss.ceWeight === 0)
    throw new Error(
      `${where}: fields "loss.kdWeight" and "loss.ceWeight" are both 0 in kd mode, so nothing would train; set one > 0`,
    );
  if (config.mode === "sft")
    config.loss = { ...config.loss, kdWeight: 0, ceWeight: config.loss.ceWeight || 1 };
  return config;
}
