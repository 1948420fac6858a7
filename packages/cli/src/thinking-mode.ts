/**
 * A warning for a model that thinks before it answers (Qwen3's chat template, `enable_thinking` on unless set
 * false) under the run's `chatTemplateKwargs`: such a model spends its new-token budget on `<think>...</think>`
 * first, and a reply cut off while thinking has no answer (the verifier grades what follows `</think>`). The run
 * goes on; the warning says what to change.
 */
import { type ChatTemplateKwargs, renderChatTemplate } from "@ssb/model";
import type { PipelineConfig } from "./config-schema.js";
import { readModelChatTemplate } from "./template-day.js";

const PROBE = [{ role: "user", content: "What is 1 + 1?" }];

/**
 * Whether `source`, rendered with `kwargs`, gives a thinking-mode generation prompt: one that differs from the
 * prompt with `enable_thinking` set false.
 */
export function thinksByDefault(source: string, kwargs: ChatTemplateKwargs = {}): boolean {
  if (!source.includes("enable_thinking")) return false;
  try {
    const plain = renderChatTemplate(source, PROBE, { addGenerationPrompt: true, variables: { ...kwargs } });
    const off = renderChatTemplate(source, PROBE, {
      addGenerationPrompt: true,
      variables: { ...kwargs, enable_thinking: false },
    });
    // Off, the template closes an empty think block itself; by default it leaves the reply to open one.
    return plain !== off;
  } catch {
    return false;
  }
}

export function thinkingModeWarning(modelDir: string, config: PipelineConfig): string | null {
  const source = readModelChatTemplate(modelDir);
  if (source === null || !thinksByDefault(source, config.chatTemplateKwargs)) return null;
  return (
    `${modelDir}: the chat template starts every reply in thinking mode (enable_thinking is on unless set false, as in Qwen3): ` +
    `the thinking counts against rollout.maxNewTokens (${config.rollout.maxNewTokens}), ` +
    `curation.teacher.maxNewTokens (${config.curation.teacher.maxNewTokens}) and eval.maxNewTokens (${config.eval.maxNewTokens}), ` +
    "and a reply cut off while thinking has no answer. To turn thinking off in every stage, set " +
    '"chatTemplateKwargs": {"enable_thinking": false} in the config; or raise the limits'
  );
}
