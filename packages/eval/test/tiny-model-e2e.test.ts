/**
 * Acceptance 2: evaluate a real (tiny, random) model end to end on CPU — qwen2-tiny-ref from the shared fixtures,
 * exported to ONNX with @ssb/model, generated with @ssb/rollout over ONNX Runtime — on the 10 shortest GSM8K and
 * the 10 shortest MATH500 problems, n = 2, a 24-token budget. Accuracy is whatever it is (near 0); what is
 * checked is that every sample is generated, graded and reported for real. A second case drives the CLI with
 * the HF checkpoint plus its LoRA adapter (merged at export) and resumes the finished run.
 */
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { exportOnnx } from "@ssb/model";
import { Generator } from "@ssb/rollout";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli-main.js";
import { loadBenchmark } from "../src/load-benchmark.js";
import { fromRolloutGenerator, openModelGenerator } from "../src/model-generator.js";
import { type EvalConfig, runEval } from "../src/run-eval.js";
import type { RunSummary } from "../src/summarize.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const tinyRef = resolve(repoRoot, "../shared/fixtures/qwen2-tiny-ref");
const root = mkdtempSync(join(tmpdir(), "ssb-eval-e2e-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The tiny model has 512 positions and a byte tokenizer, so prompts must be short: shortest questions first. */
function shortestIds(benchmark: string, count: number): string[] {
  return [...loadBenchmark(benchmark).problems]
    .sort((a, b) => a.question.length - b.question.length || a.id.localeCompare(b.id))
    .slice(0, count)
    .map((p) => p.id);
}

const config: EvalConfig = {
  benchmarks: ["gsm8k", "math500"],
  problemIds: { gsm8k: shortestIds("gsm8k", 10), math500: shortestIds("math500", 10) },
  n: 2,
  sampling: { temperature: 0.8, topP: 0.95, maxNewTokens: 24 },
  seed: 11,
  // The paper's prompt is ~330 bytes, most of the tiny model's 512-position context in byte tokens.
  systemPrompt: "Put the final answer in \\boxed{}.",
  bootstrap: { resamples: 500 },
};

let onnxDir: string;
beforeAll(async () => {
  onnxDir = join(root, "onnx");
  await exportOnnx({ modelDir: tinyRef, outDir: onnxDir });
}, 120_000);

describe.skipIf(!existsSync(tinyRef))("end to end with a real tiny model (ONNX Runtime, CPU)", () => {
  it("generates, grades and reports 20 problems x 2 samples", async () => {
    const out = join(root, "run");
    const generator = await openModelGenerator({ model: onnxDir });
    let result: Awaited<ReturnType<typeof runEval>>;
    try {
      result = await runEval({ config, generator, outDir: out });
    } finally {
      await generator.close?.();
    }
    expect(result.records).toHaveLength(40);
    expect(result.generated).toBe(40);
    for (const r of result.records) {
      expect(["correct", "wrong", "no-answer"]).toContain(r.verdict);
      expect(typeof r.reason).toBe("string");
      expect(r.tokens).toBeGreaterThan(0);
      expect(r.tokens).toBeLessThanOrEqual(24);
      expect(["stop", "length"]).toContain(r.finishReason);
      if (r.finishReason === "length") expect(r.tokens).toBe(24);
    }
    // Sampled (temperature 0.8): the two samples of a problem are drawn from different streams.
    const texts = new Set(result.records.map((r) => r.text));
    expect(texts.size).toBeGreaterThan(20);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as RunSummary;
    expect(summary.benchmarks.map((b) => [b.benchmark, b.problems, b.samplesPerProblem])).toEqual([
      ["gsm8k", 10, 2],
      ["math500", 10, 2],
    ]);
    // An export folder named `onnx` is named with its parent's name (it was "onnx": model-name.ts).
    const id = `${basename(root)}/onnx`;
    expect(summary.run.modelId).toBe(id);
    expect(readFileSync(join(out, "report.md"), "utf8")).toContain(`| ${id} | math500 | 10 | 2 |`);
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain("<svg");
  }, 300_000);

  it("chat template kwargs: rollout renders every prompt with them (a kwarg the template ignores changes no sample)", async () => {
    const small: EvalConfig = {
      ...config,
      benchmarks: ["gsm8k"],
      problemIds: { gsm8k: shortestIds("gsm8k", 3) },
    };
    const kwargs = { enable_thinking: false };
    /** The run's texts and the prompts rollout encoded, as text. */
    const run = async (model: string, out: string, cfg: EvalConfig) => {
      const gen = await Generator.load(model);
      const encoded = vi.spyOn(gen, "encodePrompt");
      try {
        const { records } = await runEval({
          config: cfg,
          generator: fromRolloutGenerator(gen),
          outDir: out,
          reports: false,
        });
        // Each prompt once: the adapter renders a prompt to check it fits the context, and rollout again.
        const prompts = [
          ...new Set(encoded.mock.results.map((r) => gen.tokenizer?.decode(r.value as number[]) ?? "")),
        ];
        return { texts: records.map((r) => r.text), prompts };
      } finally {
        await gen.close();
      }
    };
    const plain = await run(onnxDir, join(root, "kwargs-none"), small);
    // The tiny model's ChatML template reads no kwarg: the same prompts, the same samples.
    const unused = await run(onnxDir, join(root, "kwargs-unused"), { ...small, chatTemplateKwargs: kwargs });
    expect(unused).toEqual(plain);
    expect(readFileSync(join(root, "kwargs-unused", "run.json"), "utf8")).toContain(
      '"enable_thinking": false',
    );
    // Qwen3's generation prompt (cut down), which reads it: every prompt rollout saw ends with the empty think
    // block, and none does without the kwargs.
    const qwen3ish = join(root, "qwen3-ish");
    cpSync(onnxDir, qwen3ish, { recursive: true });
    writeFileSync(
      join(qwen3ish, "chat_template.jinja"),
      "{%- for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{%- endfor %}" +
        "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}" +
        "{%- if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}{%- endif %}" +
        "{%- endif %}",
    );
    const thinkOff = await run(qwen3ish, join(root, "kwargs-read"), { ...small, chatTemplateKwargs: kwargs });
    expect(thinkOff.prompts).toHaveLength(3);
    for (const p of thinkOff.prompts) expect(p).toMatch(/<\|im_start\|>assistant\n<think>\n\n<\/think>\n\n$/);
    const thinkOn = await run(qwen3ish, join(root, "kwargs-read-none"), small);
    expect(thinkOn.prompts).toHaveLength(3);
    for (const p of thinkOn.prompts) expect(p).toMatch(/<\|im_start\|>assistant\n$/);
  }, 300_000);

  it("chat template kwargs for a model loaded without its tokenizer: refused by rollout, naming the model folder", async () => {
    const gen = await Generator.load(onnxDir, { tokenizer: false });
    try {
      await expect(
        runEval({
          config: { ...config, chatTemplateKwargs: { enable_thinking: false } },
          generator: fromRolloutGenerator(gen),
          outDir: join(root, "kwargs-no-tokenizer"),
          reports: false,
        }),
      ).rejects.toThrow(`chat messages need a tokenizer.json in ${onnxDir}`);
    } finally {
      await gen.close();
    }
  }, 300_000);

  it("CLI: HF checkpoint + LoRA adapter merged at export, then a resume that generates nothing", async () => {
    const out = join(root, "cli-lora");
    const args = [
      "--model",
      tinyRef,
      "--adapter",
      join(tinyRef, "lora"),
      "--benchmarks",
      "gsm8k",
      "--limit",
      "3",
      "--n",
      "1",
      "--max-new-tokens",
      "8",
      "--system-prompt",
      "Box it.",
      "--out",
      out,
    ];
    let err = "";
    let stdout = "";
    const io = {
      stdout: {
        write: (s: string) => {
          stdout += s;
        },
      },
      stderr: {
        write: (s: string) => {
          err += s;
        },
      },
    };
    const factory = (o: Parameters<typeof openModelGenerator>[0]) =>
      openModelGenerator({ ...o, log: (m) => io.stderr.write(`${m}\n`) });
    expect(await main(args, io, factory), err).toBe(0);
    expect(existsSync(join(out, "onnx-export", "model.onnx"))).toBe(true);
    // The adapter folder `lora` with its parent's name (the id was qwen2-tiny-ref+lora).
    expect(stdout).toContain("| qwen2-tiny-ref + qwen2-tiny-ref/lora | gsm8k | 3 | 1 |");
    const records = readFileSync(join(out, "records.jsonl"), "utf8");
    err = "";
    expect(await main(args, io, factory), err).toBe(0);
    expect(err).toContain("0 samples generated, 3 resumed");
    expect(err).toContain("reusing ONNX export");
    expect(readFileSync(join(out, "records.jsonl"), "utf8")).toBe(records);
  }, 300_000);

  it("CLI: a rerun refused because the checkpoint changed leaves the earlier run's export as it was", async () => {
    const model = join(root, "retrained");
    cpSync(tinyRef, model, { recursive: true });
    const out = join(root, "cli-retrained");
    const args = [
      ...["--model", model, "--benchmarks", "gsm8k", "--limit", "1", "--n", "1"],
      ...["--max-new-tokens", "4", "--system-prompt", "Box it.", "--out", out],
    ];
    let err = "";
    const io = {
      stdout: { write: (_: string) => {} },
      stderr: {
        write: (s: string) => {
          err += s;
        },
      },
    };
    const factory = (o: Parameters<typeof openModelGenerator>[0]) =>
      openModelGenerator({ ...o, log: (m) => io.stderr.write(`${m}\n`) });
    expect(await main(args, io, factory), err).toBe(0);
    const exportDir = join(out, "onnx-export");
    const snapshot = () =>
      ["model.onnx", "ssb-eval-export.json"].map((f) => {
        const st = statSync(join(exportDir, f));
        return `${f}:${st.size}:${st.mtimeMs}:${readFileSync(join(exportDir, f)).toString("base64")}`;
      });
    const before = snapshot();
    // Retrained in place: same path, new file time.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(model, "model.safetensors"), later, later);
    err = "";
    expect(await main(args, io, factory)).toBe(1);
    expect(snapshot()).toEqual(before);
    expect(err).not.toContain("exporting");
    expect(err).toMatch(
      /different settings \(modelFingerprint: the model files \(weights, config, tokenizer\) of /,
    );
  }, 300_000);
});
