/**
 * The GRPO loop. Each round:
 *   1. refresh the ONNX policy from the current LoRA (policy-sync.ts) — sampling is strictly on-policy;
 *   2. sample G completions for each of the round's problems (@ssb/rollout), seeded by (seed, step);
 *   3. reward them (verifier by default) and compute group-relative advantages (@ssb/curation);
 *   4. `iterations` AdamW updates of the LoRA on the clipped token-level objective (grpo-loss.ts).
 * Checkpoints every `checkpointEvery` rounds; resume restores LoRA + AdamW and continues the same trajectory.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { grpoAdvantages, VERIFIER_VERSION } from "@ssb/curation";
import {
  AdamW,
  type BackendPreference,
  backendChangeNote,
  CorruptGradientError,
  checkLoraRank,
  chooseTemplateDate,
  claimRunFolder,
  createGradientGuard,
  createProgress,
  type DecoderModel,
  describeTruncation,
  disposeDecoder,
  freshStartConflict,
  globalNorm,
  initLora,
  isWasmAbort,
  learningRate,
  loadDecoder,
  loraConfigFrom,
  NonFiniteLossError,
  saveLoraAdapter,
  seedFrom,
  selectBackend,
  storedBackendSpans,
  trainableVariables,
  withBackendSpan,
  yieldToSignals,
} from "@ssb/distill";
import {
  type ChatTemplateKwargs,
  chatTemplateKwargsKey,
  checkChatTemplateKwargs,
  checkpointFingerprint,
  type LoraConfig,
  loadCheckpoint,
  loadModelConfig,
  templateReadsDate,
} from "@ssb/model";
import { ANSWER_RULES_FLAG, answerRules, isDefaultAnswerRules } from "./answer-rules.js";
import {
  CUSTOM_REWARD,
  DEFAULT_REWARD,
  GRPO_STATE_FILE,
  type GrpoState,
  latestGrpoCheckpoint,
  pruneGrpoCheckpoints,
  restoreGrpoCheckpoint,
  saveGrpoCheckpoint,
} from "./grpo-checkpoint.js";
import { type GrpoConfig, trajectoryDifferences } from "./grpo-config.js";
import {
  appendGrpoMetrics,
  type GrpoStepMetrics,
  grpoPlots,
  readGrpoMetrics,
  roundPolicyMetrics,
  truncateGrpoMetrics,
} from "./grpo-metrics.js";
import {
  type CollatedSequences,
  collateSequences,
  LENGTH_BUCKET,
  logProbsNoGrad,
  policyGradients,
  referenceModel,
  type TrainSequence,
} from "./grpo-step.js";
import { PolicySync } from "./policy-sync.js";
import { problemsForStep } from "./problem-order.js";
import type { GrpoProblem } from "./problems.js";
import { checkGroupReward, type GroupRewardFunction, verifierReward } from "./rewards.js";
import { roundSequences } from "./round-sequences.js";
import { type SampledCompletion, sampleGroups } from "./sample-groups.js";
import { sampleStd, summarize } from "./stats.js";
import { tf } from "./tf.js";
import { type MicroBatchShape, wasmAbortError, wasmHeapRefusal, wasmHeapWarning } from "./wasm-heap.js";

export interface RunGrpoOptions {
  /** Base checkpoint folder (HF layout + tokenizer). */
  modelDir: string;
  problems: readonly GrpoProblem[];
  /** checkpoints/, policy/ (the current ONNX export), metrics.jsonl, *.svg, adapter/. */
  outDir: string;
  config: GrpoConfig;
  /** Continue from the newest checkpoint in outDir (fresh start when there is none). */
  resume?: boolean;
  /** Group reward (default: the verifier on boxed answers with config.reward). */
  reward?: GroupRewardFunction;
  /**
   * A name for `reward` (e.g. "even-tokens-v2"), pinned in each checkpoint: a resume with another name is
   * refused, naming both. A function cannot be fingerprinted, so one passed without a name is recorded as
   * "custom" and a resume cannot check it; the default reward is "verifier" (its settings: config.reward).
   */
  rewardId?: string;
  backend?: BackendPreference;
  log?: (line: string) => void;
  /** Progress bar on stderr (default true). */
  progress?: boolean;
  onStep?: (metrics: GrpoStepMetrics) => void;
  /**
   * Stops the run after the current round (Ctrl-C): that round is checkpointed as the periodic checkpoints
   * are, so a resume goes on with the next one; see GrpoResult.interrupted.
   */
  signal?: AbortSignal;
  /** Where `config` came from (the --config file, or --set), named in errors about its fields. */
  configSource?: string;
}

export interface GrpoResult {
  /** Rounds completed, including those before a resume. */
  steps: number;
  totalSteps: number;
  resumedFrom: number | null;
  /** Final adapter (written when every round is done; else the newest checkpoint's adapter). */
  adapterDir: string;
  metricsFile: string;
  /** Every round's metrics so far (from metrics.jsonl). */
  metrics: GrpoStepMetrics[];
  /** True when `signal` stopped the run: the newest checkpoint holds its last round. */
  interrupted: boolean;
}

async function writePlots(outDir: string, metrics: readonly GrpoStepMetrics[]): Promise<void> {
  for (const [name, svg] of Object.entries(grpoPlots(metrics))) await writeFile(path.join(outDir, name), svg);
}

/**
 * Consecutive groups of at most `maxSequences` sequences and `maxTokens` padded tokens (count x the longest,
 * rounded to the collation bucket); a single longer sequence gets a micro-batch of its own.
 */
function microBatches(
  sequences: readonly TrainSequence[],
  maxSequences: number,
  maxTokens: number,
): TrainSequence[][] {
  const out: TrainSequence[][] = [];
  let current: TrainSequence[] = [];
  let longest = 0;
  for (const s of sequences) {
    const len = Math.ceil((s.promptIds.length + s.replyIds.length) / LENGTH_BUCKET) * LENGTH_BUCKET;
    const nextLongest = Math.max(longest, len);
    if (
      current.length > 0 &&
      (current.length >= maxSequences || (current.length + 1) * nextLongest > maxTokens)
    ) {
      out.push(current);
      current = [];
      longest = 0;
    }
    current.push(s);
    longest = Math.max(longest, len);
  }
  if (current.length > 0) out.push(current);
  return out;
}

export async function runGrpo(options: RunGrpoOptions): Promise<GrpoResult> {
  // One run per output folder: two would interleave their rounds in metrics.jsonl and overwrite each other's
  // checkpoints and policy export. Claimed before anything else is read, so a held folder or a path that is a
  // file (said in a sentence) is refused at once; every failure after it releases it.
  const release = claimRunFolder(options.outDir, { lockName: "grpo.lock", holder: "grpo run" });
  try {
    return await runGrpoLocked(options);
  } finally {
    release();
  }
}

/** What the run trains on, stored in each checkpoint: a resume on another model or problem set is refused. */
function runInputs(options: RunGrpoOptions): Record<string, string> {
  return {
    model: checkpointFingerprint(options.modelDir),
    problems: createHash("sha256")
      .update(JSON.stringify(options.problems.map((p) => [p.id, p.question, p.answer])))
      .digest("hex")
      .slice(0, 32),
  };
}

/**
 * The reward's identity pinned in each checkpoint: `rewardId` when given, else "verifier" for the default
 * reward and "custom" for a function passed without one (which a resume cannot check).
 */
function rewardIdentity(options: RunGrpoOptions): string {
  if (options.rewardId !== undefined) {
    if (typeof options.rewardId !== "string" || options.rewardId.trim() === "")
      throw new Error(
        `rewardId: expected a non-empty name for the reward, found ${JSON.stringify(options.rewardId)}`,
      );
    return options.rewardId;
  }
  return options.reward ? CUSTOM_REWARD : DEFAULT_REWARD;
}

/**
 * Refuses a resume of `existing` with other settings or reward (each named), then with another model or
 * problem set (`inputs` is called only when the settings match: it reads the model folder). Returns the
 * inputs.
 */
function checkResume(
  existing: { dir: string; state: GrpoState },
  config: GrpoConfig,
  rewardId: string,
  inputs: () => Record<string, string>,
): Record<string, string> {
  const differences = trajectoryDifferences(existing.state.config, config);
  // A checkpoint from before the reward was recorded has none to compare.
  const stored = existing.state.rewardId;
  if (typeof stored === "string" && stored !== rewardId)
    differences.push(`reward: ${JSON.stringify(stored)} -> ${JSON.stringify(rewardId)}`);
  if (differences.length > 0) {
    const kwargs = differences.some((d) => d.startsWith("chatTemplateKwargs:"))
      ? `; its chat template kwargs are recorded in ${path.join(existing.dir, GRPO_STATE_FILE)}: resume without --chat-template-kwargs (and without chatTemplateKwargs in the config) to keep them, or use another --out to train with other ones`
      : "";
    // The answer rules change every reward, so a resume must give the run's own (unlike the kwargs, a resume
    // without them means the default, boxed only, as a resume without reward.noAnswer means its default).
    const rules = differences.some((d) => d.startsWith("reward.rules:"))
      ? `; resume with ${ANSWER_RULES_FLAG} ${answerRules(existing.state.config.reward ?? {}).join(",")} (the config's reward.rules, recorded in ${path.join(existing.dir, GRPO_STATE_FILE)}), or use another --out to train with other rules`
      : "";
    throw new Error(
      `${existing.dir}: saved with different GRPO settings than now (${differences.join("; ")}); refusing to resume${kwargs}${rules}`,
    );
  }
  const now = inputs();
  const changed = Object.entries(now)
    .filter(
      ([key, value]) => existing.state.inputs?.[key] !== undefined && existing.state.inputs[key] !== value,
    )
    .map(([key]) => key);
  if (changed.length > 0) {
    throw new Error(
      `${existing.dir}: the run was trained on another ${changed.join(" and ")} than now (${changed.includes("problems") ? "problems file, --fresh or --problem-seed" : "model folder"}); refusing to resume`,
    );
  }
  return now;
}

/**
 * The chat template kwargs of this run: those the resumed checkpoint recorded (checked: the state file may have
 * been edited; checkResume has refused other ones given now), else those given, else none. Recorded ones are
 * kept as written when the same are given in another key order, so the saved config does not change.
 */
/**
 * The resume's note when the default reward is graded by another @ssb/verifier than the one the checkpoint
 * records (or the checkpoint records none: saved before versions were recorded); null when they agree. Not a
 * refusal: the rewards of the rounds before are history, and the run goes on under the installed verifier.
 */
function verifierVersionNote(
  checkpointDir: string,
  recorded: string | undefined,
  installed: string,
  nextRound: number,
): string | null {
  if (recorded === installed) return null;
  if (recorded === undefined)
    return `[grpo] note: ${checkpointDir} records no verifier version (saved before checkpoints recorded it); the rewards of its rounds stay as graded then, and rounds from ${nextRound} on are graded by @ssb/verifier ${installed}`;
  return `[grpo] note: ${checkpointDir} records @ssb/verifier ${recorded} and this resume grades with @ssb/verifier ${installed}, whose grading differs; the rewards of its rounds stay as graded then, and rounds from ${nextRound} on are graded by ${installed}`;
}

function chooseChatTemplateKwargs(
  given: ChatTemplateKwargs | undefined,
  existing: { dir: string; state: GrpoState } | null,
): ChatTemplateKwargs | undefined {
  const recorded = existing?.state.config.chatTemplateKwargs;
  const kept =
    existing === null || recorded === undefined
      ? given
      : checkChatTemplateKwargs(
          recorded,
          `${path.join(existing.dir, GRPO_STATE_FILE)}: "config.chatTemplateKwargs"`,
        );
  return chatTemplateKwargsKey(kept) === "" ? undefined : kept;
}

async function runGrpoLocked(options: RunGrpoOptions): Promise<GrpoResult> {
  const { outDir } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (options.problems.length === 0) throw new Error("runGrpo: no problems");
  const rewardId = rewardIdentity(options);
  // The default reward is the verifier's grading: its version is recorded (a function of one's own grades
  // as it does, named by rewardId).
  const verifierVersion = options.reward === undefined ? VERIFIER_VERSION : undefined;
  const checkpointsDir = path.join(outDir, "checkpoints");
  const metricsFile = path.join(outDir, "metrics.jsonl");
  const adapterDir = path.join(outDir, "adapter");

  // The folder's own refusals before the model is loaded: checkpoints without resume, a resume with other
  // settings, reward, model or problems, a folder a fresh start must not empty.
  const existing = await latestGrpoCheckpoint(checkpointsDir);
  if (existing && !options.resume) {
    throw new Error(
      `${outDir} already holds checkpoints (newest: ${existing.dir}); resume it (--resume, or resume: true from code) or use another folder`,
    );
  }
  // Fingerprinting the model reads its files' edges only (see @ssb/model): cheap beside loading it.
  const resumeInputs = existing
    ? checkResume(existing, options.config, rewardId, () => runInputs(options))
    : null;
  if (!existing) {
    // A finished run whose checkpoints were removed, or a KD/SFT run's metrics, is not trained over.
    const conflict = freshStartConflict(outDir, ["adapter"], "rewardMean");
    if (conflict !== null) throw new Error(conflict);
  }
  const chatTemplateKwargs = chooseChatTemplateKwargs(options.config.chatTemplateKwargs, existing);

  const { provider: backend } = await selectBackend(options.backend ?? "auto", log);
  if (backend === "wasm") {
    // A model the 4 GiB heap cannot hold (Qwen's 151,936-token vocabulary, in practice) is refused before
    // its weights are read, not after sampling a round, with wasm's bare "Aborted()".
    const refusal = wasmHeapRefusal(
      await loadModelConfig(options.modelDir),
      options.config.lora.r,
      options.config.sampling.maxNewTokens,
    );
    if (refusal !== null) throw new Error(`${options.modelDir}: ${refusal}`);
  }
  const checkpoint = await loadCheckpoint(options.modelDir, { tokenizer: true });
  // The day a date-reading chat template (Llama 3.1/3.2-Instruct) renders: given, recorded by the checkpoint
  // resumed, else today, recorded in the config each checkpoint saves; nothing for other templates.
  const date = chooseTemplateDate({
    given: options.config.templateDate,
    readsDate: templateReadsDate(checkpoint.tokenizer?.chatTemplate?.source),
    resumed: existing ? { dir: existing.dir, templateDate: existing.state.config.templateDate } : null,
    where: `${options.configSource ?? "GRPO config"}: "templateDate"`,
  });
  if (date.note !== null) log(`[grpo] ${date.note}`);
  // Both recorded in the config each checkpoint saves, and only when set: other runs' configs are as before.
  const { chatTemplateKwargs: _given, ...settings } = options.config;
  // reward.rules likewise only when not the default (a config built by hand may spell out ["boxed"]).
  const { rules, ...scheme } = settings.reward;
  const config: GrpoConfig = {
    ...settings,
    reward: isDefaultAnswerRules(rules) ? scheme : settings.reward,
    ...(date.templateDate === undefined ? {} : { templateDate: date.templateDate }),
    ...(chatTemplateKwargs === undefined ? {} : { chatTemplateKwargs }),
  };
  const padId =
    checkpoint.tokenizer?.padTokenId ?? checkpoint.config.padTokenId ?? checkpoint.config.eosTokenIds[0] ?? 0;
  // base_model_name_or_path: the model folder as given, as PEFT records `base.name_or_path` and ssb-distill
  // writes it; AutoPeftModelForCausalLM loads the base from there (a bare folder name resolves to nothing).
  const loraConfig: LoraConfig = loraConfigFrom(config.lora, options.modelDir);
  let model: DecoderModel;
  try {
    // A rank the projections cannot hold, refused before the model and the LoRA are allocated (a huge r
    // aborted the wasm heap, or wrote a needless adapter of hundreds of MB).
    checkLoraRank(checkpoint.config, loraConfig, `${options.configSource ?? "GRPO config"}`);
    model = await loadDecoder(
      checkpoint.config,
      (name) => checkpoint.weights.readFloat32(name),
      (name) => checkpoint.weights.has(name),
      "lora",
    );
  } finally {
    await checkpoint.close();
  }
  model.lora = initLora(model.config, loraConfig, config.seed);
  const vars = trainableVariables(model);
  const optimizer = new AdamW(vars, {
    beta1: config.optimizer.beta1,
    beta2: config.optimizer.beta2,
    eps: config.optimizer.eps,
    weightDecay: config.optimizer.weightDecay,
  });
  // Every failure from here on (a damaged checkpoint or metrics file, the policy export) frees the model.
  try {
    const reward = options.reward ?? verifierReward(config.reward);
    await mkdir(outDir, { recursive: true });

    const inputs = resumeInputs ?? runInputs(options);
    let startStep = 0;
    let resumedFrom: number | null = null;
    let elapsedBefore = 0;
    let lastCheckpoint: string | null = null;
    const storedBackends = storedBackendSpans(existing?.state.backends);
    if (existing) {
      await restoreGrpoCheckpoint(existing.dir, model.lora, optimizer);
      startStep = existing.state.step;
      resumedFrom = startStep;
      elapsedBefore = existing.state.elapsedSec;
      lastCheckpoint = existing.dir;
      const cut = truncateGrpoMetrics(metricsFile, startStep);
      log(`[grpo] resumed from ${existing.dir} (round ${startStep}/${config.steps})`);
      if (chatTemplateKwargs !== undefined && options.config.chatTemplateKwargs === undefined)
        log(`[grpo] chat template kwargs ${JSON.stringify(chatTemplateKwargs)}, as the run began with`);
      for (const line of describeTruncation(metricsFile, startStep, cut)) log(`[grpo] ${line}`);
      if (rewardId === CUSTOM_REWARD)
        log(
          `[grpo] note: the reward function has no rewardId; this resume cannot check that it is the one the run began with`,
        );
      const note = backendChangeNote(storedBackends, backend, "round");
      if (note !== null) log(`[grpo] ${note}`);
      if (verifierVersion !== undefined) {
        const recorded = existing.state.verifierVersion;
        const graded = verifierVersionNote(
          existing.dir,
          typeof recorded === "string" ? recorded : undefined,
          verifierVersion,
          startStep + 1,
        );
        if (graded !== null) log(graded);
      }
    } else if (existsSync(metricsFile)) {
      await writeFile(metricsFile, "");
    }
    const endStep = config.maxSteps > 0 ? Math.min(config.steps, startStep + config.maxSteps) : config.steps;
    const params = vars.reduce((s, v) => s + v.size, 0);
    log(
      `[grpo] ${config.variant} | G=${config.groupSize} x ${config.problemsPerStep} problems/round | LoRA r=${config.lora.r} on ${model.lora.size} modules (${params.toLocaleString("en-US")} parameters) | ${options.problems.length} problems | rounds ${startStep}..${endStep} of ${config.steps}`,
    );

    const sync = await PolicySync.open(options.modelDir, path.join(outDir, "policy"), model.config);
    const progress =
      options.progress === false ? null : createProgress(config.steps, process.stderr, 1, startStep);
    const started = performance.now();
    const temperature = config.sampling.temperature;
    const needRef = config.beta > 0 || config.logKl;
    const reference = needRef ? referenceModel(model) : null;
    let savedStep = startStep;
    let elapsedSec = elapsedBefore;
    let interrupted = false;
    let heapWarned = false;
    /** Checkpoint the rounds done so far (periodically, at the end, and when stopped by the signal). */
    const checkpointRounds = async (done: number): Promise<void> => {
      lastCheckpoint = await saveGrpoCheckpoint(checkpointsDir, model.lora, loraConfig, optimizer, {
        step: done,
        config,
        inputs,
        rewardId,
        ...(verifierVersion !== undefined ? { verifierVersion } : {}),
        backends: withBackendSpan(storedBackends, backend, startStep + 1, done),
        elapsedSec,
        savedAt: new Date().toISOString(),
      });
      savedStep = done;
      await pruneGrpoCheckpoints(checkpointsDir, config.keepCheckpoints);
      await writePlots(outDir, readGrpoMetrics(metricsFile));
    };
    try {
      // A finite but absurd gradient (the wasm backend's XNNPACK short of heap) is refused, as distill does.
      const gradientGuard = createGradientGuard();
      for (let step = startStep; step < endStep; step++) {
        // A round's update runs synchronously on the wasm backend: a Ctrl-C / SIGTERM handler queued meanwhile
        // runs when the event loop turns here. Read between rounds, so a round once begun always finishes,
        // and checkpoint what the last checkpoint lacks: --resume then starts at the next round, and
        // metrics.jsonl (cut back to the checkpoint on resume) has every round exactly once.
        await yieldToSignals();
        if (options.signal?.aborted) {
          if (step > savedStep) await checkpointRounds(step);
          interrupted = true;
          break;
        }
        const t0 = performance.now();
        const timing = await sync.refresh({ layers: model.lora, config: loraConfig });
        const t1 = performance.now();
        const problems = problemsForStep(options.problems, config.problemsPerStep, config.seed, step);
        const groups = await sampleGroups(sync.current, problems, {
          groupSize: config.groupSize,
          temperature,
          maxNewTokens: config.sampling.maxNewTokens,
          topK: config.sampling.topK,
          topP: config.sampling.topP,
          seed: seedFrom(config.seed, "sample", step),
          maxBatch: config.generationBatch,
          systemPrompt: config.systemPrompt,
          ...(date.now ? { now: date.now } : {}),
          ...(config.chatTemplateKwargs ? { chatTemplateKwargs: config.chatTemplateKwargs } : {}),
        });
        const t2 = performance.now();

        // Rewards and advantages, group by group.
        const rewards: number[] = [];
        const advantages: number[] = [];
        let correct = 0;
        let zeroGroups = 0;
        let groupStdSum = 0;
        const completions: SampledCompletion[] = [];
        groups.forEach((group, i) => {
          const problem = problems[i] as GrpoProblem;
          const r = checkGroupReward(reward(problem, group), group.length, {
            round: step + 1,
            problemId: problem.id,
          });
          const a = grpoAdvantages(r.rewards, {
            variant: config.advantage,
            unbiasedStd: config.advantageStd === "sample",
            epsilon: config.advantageEpsilon,
          });
          if (a.every((x) => x === 0)) zeroGroups++;
          groupStdSum += sampleStd(r.rewards);
          rewards.push(...r.rewards);
          advantages.push(...a);
          correct += r.correct.filter(Boolean).length;
          completions.push(...group);
        });
        const lengths = completions.map((c) => c.tokenIds.length);
        const round = roundSequences(completions, advantages, {
          aggregation: config.aggregation,
          maxNewTokens: config.sampling.maxNewTokens,
          maskTruncated: config.maskTruncated,
          keepZeroAdvantage: needRef,
        });
        const sequences: TrainSequence[] = round.sequences
          // Longest first: micro-batches of similar lengths pad less. Stable sort keeps the order deterministic.
          .sort((a, b) => b.promptIds.length + b.replyIds.length - (a.promptIds.length + a.replyIds.length));
        const batches: CollatedSequences[] = microBatches(
          sequences,
          config.microBatchSize,
          config.microBatchTokens,
        ).map((s) => collateSequences(s, padId));

        let loss = 0;
        let gradNorm = 0;
        let tokensTrained = 0;
        let clippedTokens = 0;
        let klSum = 0;
        let ratioSum = 0;
        const lr = (update: number): number =>
          learningRate(update, {
            kind: config.optimizer.schedule,
            peakLr: config.optimizer.lr,
            totalSteps: config.steps * config.iterations,
            warmupSteps: config.optimizer.warmupSteps,
          });
        const lrNow = lr(step * config.iterations);
        // Without a KL term (beta 0) a round whose trained advantages are all zero has an exactly zero
        // gradient: it runs here only to log the KL (logKl), and takes no optimizer step, as without logKl
        // (AdamW would otherwise move the weights by its momentum, and logging would change the run).
        const hasGradient = config.beta > 0 || sequences.some((s) => s.advantage !== 0);
        // The micro-batch the heap has to hold (the most padded tokens, then reply rows).
        const largest: MicroBatchShape = batches.reduce<MicroBatchShape>(
          (worst, b) => {
            const shape = { batch: b.input.batch, length: b.input.length, rows: b.targets.length };
            return shape.batch * shape.length + shape.rows > worst.batch * worst.length + worst.rows
              ? shape
              : worst;
          },
          { batch: 0, length: 0, rows: 0 },
        );
        if (backend === "wasm" && !heapWarned && batches.length > 0) {
          const warning = wasmHeapWarning(model.config, config.lora.r, largest, config.microBatchTokens);
          if (warning !== null) {
            log(warning);
            heapWarned = true;
          }
        }
        try {
          if (batches.length > 0) {
            const refLogProbs = reference ? logProbsNoGrad(reference, batches, temperature) : null;
            const oldLogProbs = config.iterations > 1 ? logProbsNoGrad(model, batches, temperature) : null;
            for (let it = 0; it < config.iterations; it++) {
              const g = policyGradients(model, vars, batches, {
                temperature,
                clip: { epsilon: config.clipEpsilon, epsilonHigh: config.clipEpsilonHigh },
                beta: config.beta,
                klBiasCorrection: config.klBiasCorrection,
                oldLogProbs,
                refLogProbs,
                seed: config.seed,
                step,
                iteration: it,
              });
              const norm = globalNorm(g.grads);
              if (!Number.isFinite(g.loss) || !Number.isFinite(norm)) {
                for (const t of g.grads) t.dispose();
                throw new NonFiniteLossError(step, lastCheckpoint);
              }
              const typicalNorm = gradientGuard.corrupt(norm);
              if (typicalNorm !== null) {
                for (const t of g.grads) t.dispose();
                throw new CorruptGradientError(step + 1, norm, typicalNorm, backend, lastCheckpoint);
              }
              const maxNorm = config.optimizer.maxGradNorm;
              const clipped =
                maxNorm > 0 && norm > maxNorm
                  ? g.grads.map((t) => tf.tidy(() => tf.mul(t, maxNorm / (norm + 1e-6))))
                  : g.grads;
              if (hasGradient) optimizer.apply(clipped, lr(step * config.iterations + it));
              for (const t of new Set([...g.grads, ...clipped])) t.dispose();
              loss += g.loss / config.iterations;
              gradNorm = Math.max(gradNorm, norm);
              tokensTrained += g.tokens;
              clippedTokens += g.clippedTokens;
              klSum += g.klSum;
              ratioSum += g.ratioSum;
            }
          }
        } catch (error) {
          if (isWasmAbort(error))
            throw wasmAbortError(error as Error, step + 1, largest, config.microBatchTokens, lastCheckpoint);
          throw error;
        }
        const t3 = performance.now();
        const rewardStats = summarize(rewards);
        const advStats = summarize(advantages);
        const lenStats = summarize(lengths);
        const metrics: GrpoStepMetrics = {
          step: step + 1,
          rewardMean: rewardStats.mean,
          rewardStd: rewardStats.std,
          rewardGroupStd: groupStdSum / groups.length,
          accuracy: correct / completions.length,
          advantageMean: advStats.mean,
          advantageStd: advStats.std,
          advantageMin: advStats.min,
          advantageMax: advStats.max,
          zeroAdvantageGroups: zeroGroups,
          groups: groups.length,
          ...roundPolicyMetrics({
            tokensTrained,
            completionTokens: round.lossTokens,
            iterations: config.iterations,
            clippedTokens,
            ratioSum,
            klSum: needRef ? klSum : null,
          }),
          responseLengthMean: lenStats.mean,
          responseLengthMax: lenStats.max,
          truncatedFraction:
            completions.filter((c) => c.finishReason === "length").length / completions.length,
          loss,
          gradNorm,
          lr: lrNow,
          tokensGenerated: lengths.reduce((s, n) => s + n, 0),
          tokensTrained,
          syncSec: (t1 - t0) / 1000,
          sampleSec: (t2 - t1) / 1000,
          trainSec: (t3 - t2) / 1000,
          stepSec: (t3 - t0) / 1000,
          elapsedSec: elapsedBefore + (t3 - started) / 1000,
        };
        appendGrpoMetrics(metricsFile, metrics);
        elapsedSec = metrics.elapsedSec;
        options.onStep?.(metrics);
        progress?.update(step + 1, {
          reward: metrics.rewardMean.toFixed(3),
          acc: metrics.accuracy.toFixed(3),
          len: metrics.responseLengthMean.toFixed(0),
          "s/round": metrics.stepSec.toFixed(1),
          "gen tok/s": (metrics.tokensGenerated / metrics.sampleSec).toFixed(0),
          "export ms": timing.exportMs.toFixed(0),
        });
        const done = step + 1;
        if (done % config.checkpointEvery === 0 || done === endStep) await checkpointRounds(done);
      }
      progress?.done();
      const all = readGrpoMetrics(metricsFile);
      await writePlots(outDir, all);
      if (interrupted) {
        log(
          `[grpo] interrupted after round ${savedStep}/${config.steps}; checkpoint ${lastCheckpoint ?? "(none: no round finished)"}; rerun with --resume to continue`,
        );
      }
      const finished = !interrupted && endStep >= config.steps;
      if (finished) await saveLoraAdapter(adapterDir, model, loraConfig);
      return {
        steps: interrupted ? savedStep : endStep,
        totalSteps: config.steps,
        resumedFrom,
        adapterDir: finished ? adapterDir : path.join(lastCheckpoint ?? checkpointsDir, "adapter"),
        metricsFile,
        metrics: all,
        interrupted,
      };
    } catch (error) {
      progress?.done();
      await writePlots(outDir, readGrpoMetrics(metricsFile));
      throw error;
    } finally {
      await sync.close();
    }
  } finally {
    optimizer.dispose();
    disposeDecoder(model);
  }
}
