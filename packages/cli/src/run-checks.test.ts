import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseModelConfig } from "@ssb/model";
import { afterEach, describe, expect, it } from "vitest";
import type { PipelineConfig } from "./config-schema.js";
import { DEFAULT_CONFIG } from "./default-config.js";
import { distillMemoryWarning, trainsOnWasm } from "./distill-memory-check.js";
import { loadConfig } from "./load-config.js";
import { createReporter } from "./reporter.js";
import { runPipeline } from "./run-pipeline.js";
import { QWEN_05B_CONFIG } from "./test-support.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A folder with a stand-in model (config.json only: any stage that loads it fails, which ends these runs). */
function setup(modelConfig: Record<string, unknown> = {}): { root: string; model: string; workDir: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), "ssb-run-checks-"));
  dirs.push(root);
  const model = path.join(root, "model");
  mkdirSync(model);
  writeFileSync(path.join(model, "config.json"), JSON.stringify(modelConfig));
  return { root, model, workDir: path.join(root, "work") };
}

const jsonl = (questions: string[], prefix: string): string =>
  questions
    .map((q, i) => `${JSON.stringify({ id: `${prefix}${i}`, question: q, answer: String(i) })}\n`)
    .join("");

function run(
  config: PipelineConfig,
  workDir: string,
  warnings: string[] = [],
  configFile: string | null = null,
) {
  const stream = {
    write: (text: string) => {
      if (text.startsWith("warning: ")) warnings.push(text);
      return true;
    },
  };
  return runPipeline({
    config,
    configFile,
    workDir,
    // Quiet: warnings must come through all the same.
    reporter: createReporter(stream, true),
  });
}

describe("ssb run's distill memory check", () => {
  it("says when the configured distill batch would not fit the wasm heap, by the estimate, and what to change", () => {
    const qwen2l = parseModelConfig({ ...QWEN_05B_CONFIG, num_hidden_layers: 2 }, "config.json");
    const teacher = DEFAULT_CONFIG.curation.teacher.maxNewTokens;
    const warning = distillMemoryWarning({ config: DEFAULT_CONFIG, model: qwen2l, promptTokens: 100 });
    expect(warning).toMatch(
      new RegExp(
        `^distill: one training micro-batch of 2 x ${100 + teacher} tokens per thread \\(distill.batchSize 4 over 2 workers; the longest prompt 100 \\+ curation.teacher.maxNewTokens ${teacher}\\) needs an estimated [\\d.]+ GiB \\(@ssb/distill's estimateStepMemory with XNNPACK's packed weight copies\\), over the wasm backend's 4 GiB heap, and training would run on wasm \\(tfjs-node is not installed\\): it would most likely abort after the rollouts and curation\\. Lower distill.batchSize \\(1 x ${100 + teacher} is estimated at [\\d.]+ GiB; keep the effective batch with distill.gradAccumSteps\\) or install @tensorflow/tfjs-node \\(no 4 GiB cap\\)\\. The run goes on: this is an estimate$`,
      ),
    );
    // 2 layers and a 3,000-token prompt: no batch size fits, a shorter sequence would.
    expect(distillMemoryWarning({ config: DEFAULT_CONFIG, model: qwen2l, promptTokens: 3000 })).toMatch(
      /No batch size fits \(1 x \d+ is estimated at [\d.]+ GiB\): lower curation.teacher.maxNewTokens or distill.maxLength, or install @tensorflow\/tfjs-node \(no 4 GiB cap\)\. The run goes on/,
    );
    // All 24 layers: the weights with their packed copies fill the heap, so no length helps either.
    const qwen = parseModelConfig(QWEN_05B_CONFIG, "config.json");
    expect(distillMemoryWarning({ config: DEFAULT_CONFIG, model: qwen, promptTokens: null })).toMatch(
      /curation.teacher.maxNewTokens, prompt not counted\).*The model's weights alone, with those copies and the optimizer state, need [\d.]+ GiB, so no batch size or length fits: install @tensorflow\/tfjs-node \(or tfjs-node-gpu; no 4 GiB cap\) before the distill stage\. The run goes on/,
    );
    // A small vocabulary at batch 1: nothing to say.
    const small = parseModelConfig(
      { ...QWEN_05B_CONFIG, num_hidden_layers: 2, vocab_size: 1000 },
      "config.json",
    );
    const batch1 = { ...DEFAULT_CONFIG, distill: { ...DEFAULT_CONFIG.distill, batchSize: 1 } };
    expect(distillMemoryWarning({ config: batch1, model: small, promptTokens: 100 })).toBeNull();
  });

  it.runIf(trainsOnWasm())(
    "warns when the run starts, before the rollouts, with a Qwen2.5-sized vocabulary and no tfjs-node",
    async () => {
      // It said nothing: the abort came in the distill stage, after rollouts and curation.
      const { model, workDir } = setup(QWEN_05B_CONFIG);
      const warnings: string[] = [];
      // The stand-in model (config.json only) ends the run in the rollout stage, after the check.
      await expect(run({ ...DEFAULT_CONFIG, model }, workDir, warnings)).rejects.toThrow();
      expect(warnings).toEqual([
        expect.stringMatching(
          /^warning: distill: one training micro-batch of 2 x \d+ tokens per thread .* over the wasm backend's 4 GiB heap/,
        ),
      ]);
      expect(existsSync(path.join(workDir, "rollout", "stage.json"))).toBe(false);
    },
  );
});

describe("ssb run's checks when it starts", () => {
  it("refuses a reply longer than the model's context, or more top-k logits than its vocabulary, naming the config and field", async () => {
    const { root, model, workDir } = setup({ max_position_embeddings: 128, vocab_size: 10 });
    const file = path.join(root, "run.yaml");
    writeFileSync(
      file,
      [
        `model: ${JSON.stringify(model)}`,
        "rollout: { maxNewTokens: 100 }",
        "curation: { teacher: { maxNewTokens: 100 } }",
        "eval:",
        "  maxNewTokens: 1000",
        "",
      ].join("\n"),
    );
    const { config, source } = loadConfig(file);
    const modelConfig = path.join(model, "config.json");
    const refused = runPipeline({
      config,
      configFile: file,
      configSource: source,
      workDir,
      reporter: createReporter({ write: () => true }, true),
    });
    await expect(refused).rejects.toThrow(
      `${file}:5:17: field "eval.maxNewTokens": more than the model's context of 128 positions (max_position_embeddings in ${modelConfig}) (found 1000); ` +
        `field "curation.logitK": more than the model's 10-token vocabulary (vocab_size in ${modelConfig}) (found 20)`,
    );
    // Nothing pinned, no stage started, no lock left: the work directory the run made is removed again.
    expect(existsSync(workDir)).toBe(false);
  });

  it("refuses a model whose config.json is not valid JSON, naming its place, before any stage runs", async () => {
    const { model, workDir } = setup();
    const modelConfig = path.join(model, "config.json");
    writeFileSync(modelConfig, '{\n  "vocab_size": 10,\n  "max_position_embeddings": 1e,\n}\n');
    await expect(run({ ...DEFAULT_CONFIG, model }, workDir)).rejects.toThrow(
      `model: ${modelConfig}:3:32: not valid JSON`,
    );
    expect(existsSync(workDir) ? readdirSync(workDir) : []).toEqual([]);
    writeFileSync(modelConfig, "[1, 2]\n");
    await expect(run({ ...DEFAULT_CONFIG, model }, workDir)).rejects.toThrow(
      `model: ${modelConfig}: expected a JSON object, found an array`,
    );
  });

  it("refuses a model whose tokenizer has no chat template (a base checkpoint), naming its file, before any stage runs", async () => {
    const { model, workDir } = setup({ vocab_size: 128256 });
    const tokenizerConfig = path.join(model, "tokenizer_config.json");
    writeFileSync(
      tokenizerConfig,
      JSON.stringify({ bos_token: "<|begin_of_text|>", eos_token: "<|end_of_text|>" }),
    );
    await expect(run({ ...DEFAULT_CONFIG, model }, workDir)).rejects.toThrow(
      `model: ${tokenizerConfig} has no chat_template (nor is there a chat_template.jinja beside it)`,
    );
    // Nothing written: the problems stage and the export ran first before.
    expect(existsSync(workDir) ? readdirSync(workDir) : []).toEqual([]);
    // The template beside the config (newer transformers save it there) is one.
    writeFileSync(path.join(model, "chat_template.jinja"), "{{ messages[0].content }}");
    await expect(run({ ...DEFAULT_CONFIG, model }, workDir)).rejects.not.toThrow(/has no chat_template/);
  });

  it("warns, on one line even with --quiet, when evaluation problems are also training problems, and when a count is cut to its file", async () => {
    const { root, model, workDir } = setup();
    const trainFile = path.join(root, "train.jsonl");
    const evalFile = path.join(root, "eval.jsonl");
    writeFileSync(trainFile, jsonl(["What is 1 + 1?", "What is 2 + 2?", "What is 3 + 3?"], "t"));
    // The same questions, one re-wrapped: the same question to the model.
    writeFileSync(evalFile, jsonl(["What is 2 + 2?", "What is 9 + 9?", " What is  3 +\n3?"], "e"));
    const config = {
      ...DEFAULT_CONFIG,
      model,
      problems: { ...DEFAULT_CONFIG.problems, train: 5, eval: 3, trainFile, evalFile },
    };
    const warnings: string[] = [];
    // The stand-in model ends the run in the rollout stage, after the warnings.
    await expect(run(config, workDir, warnings)).rejects.toThrow();
    expect(warnings).toEqual([
      `warning: default config: problems.train is 5 but ${trainFile} holds 3 problems: all 3 are used\n`,
      `warning: default config: 2 of the 3 evaluation problems (${evalFile}) ask the same question as a training problem (${trainFile}); evaluating on training data inflates the results\n`,
    ]);
    const stage = JSON.parse(readFileSync(path.join(workDir, "problems", "stage.json"), "utf8"));
    expect(stage.stats).toMatchObject({ train: 3, eval: 3, overlapping: 2 });
    // Generated problems are disjoint by construction: no warning.
    const generated: string[] = [];
    await expect(
      run({ ...DEFAULT_CONFIG, model }, path.join(root, "generated"), generated),
    ).rejects.toThrow();
    expect(generated).toEqual([]);
  });

  it("refuses a rollout job too large for the problems in the files, before anything is written", async () => {
    const { root, model, workDir } = setup();
    const trainFile = path.join(root, "train.jsonl");
    const evalFile = path.join(root, "eval.jsonl");
    writeFileSync(
      trainFile,
      jsonl(
        Array.from({ length: 20_000 }, (_, i) => `What is ${i} + 1?`),
        "t",
      ),
    );
    writeFileSync(evalFile, jsonl(["What is 1 + 0?"], "e"));
    const config = {
      ...DEFAULT_CONFIG,
      model,
      problems: { ...DEFAULT_CONFIG.problems, train: 1e8, trainFile, evalFile },
      rollout: { ...DEFAULT_CONFIG.rollout, samples: 1000 },
    };
    await expect(run(config, workDir)).rejects.toThrow(
      'default config: field "rollout.samples": 20000 train problems × 1000 samples is more than the 16777216 (2^24) replies one job takes (found 1000)',
    );
    expect(existsSync(workDir)).toBe(false); // made for the run, removed when it was refused
  });
});
