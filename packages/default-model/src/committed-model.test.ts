/**
 * The committed checkpoint goes through the same code path as a Hugging Face one: @ssb/model loads its
 * config, weights and tokenizer (chat template included), exports it to ONNX, and @ssb/rollout samples from
 * the export. A greedy reply to a held-out problem must be a worked solution that ends in a boxed answer.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { MATH_TUTOR_SYSTEM_PROMPT } from "@ssb/curation";
import { exportOnnx, loadCheckpoint, loadTokenizer } from "@ssb/model";
import { Generator } from "@ssb/rollout";
import { afterAll, expect, it } from "vitest";
import { defaultModelDir } from "./model-dir.js";

const work = mkdtempSync(path.join(os.tmpdir(), "ssb-default-model-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it(
  "loads through @ssb/model, exports to ONNX and samples through @ssb/rollout",
  { timeout: 60_000 },
  async () => {
    const dir = defaultModelDir();
    const checkpoint = await loadCheckpoint(dir);
    expect(checkpoint.config.modelType).toBe("qwen2");
    const tokenizer = await loadTokenizer(dir);
    const question = (
      JSON.parse(readFileSync(path.join(dir, "held-out.jsonl"), "utf8").split("\n")[0] as string) as {
        question: string;
      }
    ).question;
    const messages = [
      { role: "system", content: MATH_TUTOR_SYSTEM_PROMPT },
      { role: "user", content: question },
    ];
    expect(tokenizer.decode(tokenizer.encodeChat(messages, { addGenerationPrompt: true }))).toContain(
      question,
    );

    const onnxDir = path.join(work, "onnx");
    await exportOnnx({ modelDir: dir, outDir: onnxDir });
    const gen = await Generator.load(onnxDir);
    const out = [];
    for await (const s of gen.generate([{ id: "q", messages }], {
      sampling: { temperature: 0, maxNewTokens: 200, seed: 0 },
    }))
      out.push(s);
    await gen.close();
    expect(out).toHaveLength(1);
    expect(out[0]?.finishReason).toBe("stop");
    expect(out[0]?.text).toMatch(/starts with \d+ .*\\boxed\{-?\d+\}\.?$/s);
  },
);
