/** Sampling G completions per problem from the current policy through @ssb/rollout's Generator. */
import { renderStudentMessages } from "@ssb/curation";
import { type ChatTemplateKwargs, chatTemplateKwargsKey } from "@ssb/model";
import type { FinishReason, Generator, PromptInput } from "@ssb/rollout";
import type { GrpoProblem } from "./problems.js";

export interface SampledCompletion {
  problemId: string;
  sampleIndex: number;
  promptIds: number[];
  /** Sampled ids, the stop (end-of-turn) token included: these are the tokens trained. */
  tokenIds: number[];
  text: string;
  finishReason: FinishReason;
}

export interface SampleGroupsOptions {
  groupSize: number;
  temperature: number;
  maxNewTokens: number;
  topK: number;
  topP: number;
  /** Seed of this round: every (problem slot, sample) draws its own stream under it. */
  seed: number;
  maxBatch: number;
  /**
   * The system turn: a string; null = curation's math-tutor prompt (the training default); false = none, the
   * question alone as the user turn (`ssb-grpo eval --no-system-prompt`).
   */
  systemPrompt: string | null | false;
  /**
   * The time the chat template's `strftime_now` reports (the run's pinned templateDate): Llama 3.1/3.2-Instruct
   * write its day into the system turn. Unset: the clock.
   */
  now?: Date;
  /**
   * Extra chat-template variables for every prompt (the run's chatTemplateKwargs, e.g. Qwen3's
   * `{"enable_thinking": false}`), rendered by rollout (PromptInput.chatTemplateKwargs). None or `{}`: as before.
   */
  chatTemplateKwargs?: ChatTemplateKwargs;
  onProgress?: (done: number, total: number) => void;
}

/** One group per problem, in the problems' order; each group in sample order. */
export async function sampleGroups(
  generator: Generator,
  problems: readonly GrpoProblem[],
  options: SampleGroupsOptions,
): Promise<SampledCompletion[][]> {
  const kwargs = options.chatTemplateKwargs;
  // Prompt ids carry the slot, so a problem drawn twice in one round (tiny problem sets) stays distinct.
  const prompts: PromptInput[] = problems.map((p, slot) => ({
    id: `${slot}:${p.id}`,
    messages:
      options.systemPrompt === false
        ? [{ role: "user", content: p.question }]
        : options.systemPrompt === null
          ? renderStudentMessages(p.question)
          : renderStudentMessages(p.question, options.systemPrompt),
    n: options.groupSize,
    ...(options.now ? { now: options.now } : {}),
    ...(chatTemplateKwargsKey(kwargs) !== "" ? { chatTemplateKwargs: kwargs } : {}),
  }));
  const promptIds = prompts.map((p) => generator.encodePrompt(p));
  const groups: SampledCompletion[][] = problems.map(() => []);
  const total = problems.length * options.groupSize;
  let done = 0;
  for await (const s of generator.generate(prompts, {
    sampling: {
      temperature: options.temperature,
      maxNewTokens: options.maxNewTokens,
      topK: options.topK,
      topP: options.topP,
      seed: options.seed,
    },
    maxBatch: options.maxBatch,
  })) {
    const slot = Number(s.promptId.slice(0, s.promptId.indexOf(":")));
    const problem = problems[slot] as GrpoProblem;
    (groups[slot] as SampledCompletion[]).push({
      problemId: problem.id,
      sampleIndex: s.sampleIndex,
      promptIds: promptIds[slot] as number[],
      tokenIds: s.tokenIds,
      text: s.text,
      finishReason: s.finishReason,
    });
    options.onProgress?.(++done, total);
  }
  for (const g of groups) g.sort((a, b) => a.sampleIndex - b.sampleIndex);
  return groups;
}
