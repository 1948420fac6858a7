/**
 * Llama 3's tokenizer, which differs from Qwen's where a port can go wrong: `ignore_merges` (a word that is
 * itself a token is not merged piece by piece), a pre-tokenizer that splits digits in threes and keeps
 * contractions case-insensitively, and a BOS token added by its post-processor. The ids were recorded from
 * transformers 5.17.0 (`AutoTokenizer.from_pretrained` on the same files; `encode(text,
 * add_special_tokens=False)` and `encode(text)`); transformers-chat.test.ts checks the template against it live.
 */
import { describe, expect, it } from "vitest";
import { llama32Models } from "../test/llama-tokenizer.js";
import { loadTokenizer } from "./tokenizer.js";

const RECORDED: { text: string; ids: number[] }[] = [
  { text: "I'm sure they'll've done it", ids: [40, 2846, 2771, 814, 3358, 3077, 2884, 433] },
  { text: "12345678 + 9,999.01 = x", ids: [4513, 10961, 2495, 489, 220, 24, 11, 5500, 13, 1721, 284, 865] },
  { text: "  leading\n\n\ttabs  ", ids: [220, 6522, 271, 3324, 3518, 256] },
  {
    text: "\\frac{1}{2}\\boxed{42} 日本語 😀",
    ids: [59, 38118, 90, 16, 15523, 17, 11281, 80175, 90, 2983, 92, 105180, 102158, 91416],
  },
];

describe("Llama 3.2's tokenizer", () => {
  it("encodes as transformers does, and adds <|begin_of_text|> only with special tokens", async () => {
    const tokenizer = await loadTokenizer(llama32Models);
    for (const { text, ids } of RECORDED) {
      expect(tokenizer.encode(text), text).toEqual(ids);
      expect(tokenizer.encode(text, { addSpecialTokens: true }), text).toEqual([128000, ...ids]);
      expect(tokenizer.decode(ids), text).toBe(text);
    }
    expect(tokenizer.eosTokenId).toBe(128009); // <|eot_id|>, tokenizer_config.json's eos_token
    expect(tokenizer.bosTokenId).toBe(128000);
  });

  it("decodes spaces before punctuation as written: clean_up_tokenization_spaces is skipped for BPE, as in transformers 5", async () => {
    // Llama 3's tokenizer_config.json sets clean_up_tokenization_spaces; transformers 5.17 ignores it for a BPE
    // model. Before: "Hello, world. Don't?" (decode(encode(x)) !== x).
    const tokenizer = await loadTokenizer(llama32Models);
    const text = "Hello , world . Do n't ? a 's";
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it("renders Llama 3.2-Instruct's template with the date it is given, and today's without one", async () => {
    const tokenizer = await loadTokenizer(llama32Models);
    const messages = [{ role: "user", content: "What is 2+3?" }];
    const text = tokenizer.renderChat(messages, {
      addGenerationPrompt: true,
      variables: { date_string: "29 Nov 2026" },
    });
    expect(text).toBe(
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" +
        "Cutting Knowledge Date: December 2023\nToday Date: 29 Nov 2026\n\n<|eot_id|>" +
        "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+3?<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
    );
    // The template calls strftime_now("%d %b %Y"), as transformers provides it: the prompt changes by day.
    const today = new Date();
    const month = today.toLocaleString("en-US", { month: "short" });
    const day = String(today.getDate()).padStart(2, "0");
    expect(tokenizer.renderChat(messages, { addGenerationPrompt: true })).toContain(
      `Today Date: ${day} ${month} ${today.getFullYear()}`,
    );
    expect(tokenizer.encodeChat(messages, { addGenerationPrompt: true })[0]).toBe(128000);
  });
});
