/**
 * Raw prompts and `{text}` records get the tokenizer's special tokens, as transformers' tokenizer(text) and
 * the reference collator (add_special_tokens=True) give them: on Llama 3.2 a leading `<|begin_of_text|>`
 * (128000), which they lacked; chat prompts keep exactly the one their template writes.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ModelTokenizer } from "@ssb/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { llama32Tokenizer } from "../test/llama-tokenizer.js";
import { loadPairExamples, loadSftExamples, studentPromptIds } from "./pairs-data.js";

const BOS = 128000;
let tokenizer: ModelTokenizer;
let dir: string;
beforeAll(() => {
  tokenizer = llama32Tokenizer();
  dir = mkdtempSync(path.join(tmpdir(), "distill-bos-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const messages = [
  { role: "system", content: "Solve it." },
  { role: "user", content: "What is 2+3?" },
];

describe("Llama 3.2's BOS", () => {
  it("starts a raw prompt, once", () => {
    const ids = studentPromptIds(messages, tokenizer, "raw");
    expect(ids[0]).toBe(BOS);
    expect(ids.slice(1)).toEqual(tokenizer.encode("Solve it. What is 2+3?"));
    expect(ids.filter((id) => id === BOS)).toHaveLength(1);
  });

  it("starts a chat prompt once (the template's, not doubled)", () => {
    const ids = studentPromptIds(messages, tokenizer, "chat", { now: new Date(2026, 10, 29, 12) });
    expect(ids[0]).toBe(BOS);
    expect(ids.filter((id) => id === BOS)).toHaveLength(1);
  });

  it("is left out when a run begun without it asks for that", () => {
    expect(studentPromptIds(messages, tokenizer, "raw", { addSpecialTokens: false })[0]).not.toBe(BOS);
  });

  it("starts the prompt of a raw pair and of a {text} record (all text tokens are targets)", async () => {
    const pairs = path.join(dir, "pairs.jsonl");
    writeFileSync(
      pairs,
      `${JSON.stringify({ problemId: "p0", studentMessages: messages, responseTokenIds: [17, 18], logitKey: null })}\n`,
    );
    const [pair] = await loadPairExamples(pairs, { tokenizer, promptMode: "raw" });
    expect(Array.from(pair?.inputIds ?? []).slice(0, 2)).toEqual([
      BOS,
      ...tokenizer.encode("Solve").slice(0, 1),
    ]);
    const text = path.join(dir, "text.jsonl");
    writeFileSync(text, `${JSON.stringify({ text: "Hello world" })}\n`);
    const [record] = await loadSftExamples(text, tokenizer);
    // The last token is a target only, so the inputs are BOS and every text token but the last.
    expect(Array.from(record?.inputIds ?? [])).toEqual([
      BOS,
      ...tokenizer.encode("Hello world").slice(0, -1),
    ]);
    expect(Array.from(record?.targets ?? [])).toEqual(tokenizer.encode("Hello world"));
  });
});
