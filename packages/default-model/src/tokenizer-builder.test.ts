import { createTokenizer } from "@ssb/model";
import { describe, expect, it } from "vitest";
import { buildTokenizer } from "./tokenizer-builder.js";
import { generateProblems } from "./word-problems.js";

const problems = generateProblems({ seed: 21, count: 400 });
const corpus = problems.flatMap((p) => [p.question, p.solution, ...p.mistakes.map((m) => m.solution)]);
const built = buildTokenizer(corpus, { vocabSize: 600 });
const tokenizer = createTokenizer(built.tokenizer, built.tokenizerConfig);

describe("byte-level BPE tokenizer builder", () => {
  it("is deterministic", () => {
    expect(buildTokenizer(corpus, { vocabSize: 600 }).merges).toEqual(built.merges);
  });

  it("loads through @ssb/model (HF tokenizers + jinja) and round-trips text exactly", () => {
    const texts = [...corpus.slice(0, 50), "Unseen: Ωmega 3.14159 — ünïcödé, tabs\tand\nnewlines!", ""];
    for (const text of texts) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it("spells numbers digit by digit and compresses the story text", () => {
    const ids = tokenizer.encode("He has 1234 apples.");
    const pieces = ids.map((id) => tokenizer.decode([id]));
    expect(pieces).toContain("1");
    expect(pieces).toContain("4");
    expect(pieces.filter((p) => /\d/.test(p)).every((p) => /^\d$/.test(p.trim()))).toBe(true);
    const sample = corpus.slice(0, 100).join("\n");
    expect(tokenizer.encode(sample).length).toBeLessThan(sample.length / 2.5);
  });

  it("has single-id ChatML special tokens and renders the chat template", () => {
    const { specialTokenIds } = built;
    expect(tokenizer.encode("<|im_start|>user\nhi<|im_end|>")[0]).toBe(specialTokenIds["<|im_start|>"]);
    const prompt = tokenizer.renderChat([{ role: "user", content: "What is 2 + 2?" }], {
      addGenerationPrompt: true,
    });
    expect(prompt).toBe("<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n<|im_start|>assistant\n");
    expect(Object.keys(built.tokenizer.model as object)).toContain("merges");
    expect(specialTokenIds["<|im_end|>"]).toBe(599);
  });
});
