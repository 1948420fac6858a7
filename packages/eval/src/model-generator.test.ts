import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FinishedSequence, GenerateOptions, PromptInput } from "@ssb/rollout";
import { describe, expect, it } from "vitest";
import { fromRolloutGenerator, openModelGenerator } from "./model-generator.js";

describe("fromRolloutGenerator", () => {
  it("maps eval's request onto rollout's prompts and sampling, and sequences back to samples", async () => {
    const seen: { prompts: PromptInput[]; options: GenerateOptions | undefined }[] = [];
    let closed = false;
    const standIn = {
      modelId: "m",
      async *generate(
        prompts: Iterable<PromptInput>,
        options?: GenerateOptions,
      ): AsyncIterable<FinishedSequence> {
        const list = [...prompts];
        seen.push({ prompts: list, options });
        for (const p of list) {
          for (const i of p.sampleIndices ?? []) {
            yield {
              promptId: p.id,
              sampleIndex: i,
              text: `reply ${i}`,
              tokenIds: [1, 2, 3],
              finishReason: "length",
              promptTokens: 5,
              seed: 0,
              timing: { startedMs: 0, firstTokenMs: 0, finishedMs: 0 },
            };
          }
        }
      },
      async close() {
        closed = true;
      },
    };
    const gen = fromRolloutGenerator(standIn, { maxBatch: 16, modelId: "named" });
    expect(gen.modelId).toBe("named");
    const out = [];
    for await (const s of gen.generate({
      benchmark: "b",
      prompts: [{ problemId: "p1", messages: [{ role: "user", content: "q" }], sampleIndices: [1, 3] }],
      n: 4,
      sampling: { temperature: 0.7, topP: 0.8, maxNewTokens: 64, repetitionPenalty: 1.05 },
      seed: 99,
    })) {
      out.push(s);
    }
    expect(out).toEqual([
      { problemId: "p1", sampleIndex: 1, text: "reply 1", tokens: 3, finishReason: "length" },
      { problemId: "p1", sampleIndex: 3, text: "reply 3", tokens: 3, finishReason: "length" },
    ]);
    expect(seen[0]?.prompts).toEqual([
      { id: "p1", messages: [{ role: "user", content: "q" }], sampleIndices: [1, 3] },
    ]);
    expect(seen[0]?.options).toEqual({
      n: 4,
      maxBatch: 16,
      sampling: { temperature: 0.7, topK: 0, topP: 0.8, maxNewTokens: 64, seed: 99, repetitionPenalty: 1.05 },
    });
    await gen.close?.();
    expect(closed).toBe(true);
  });

  it("records the samples of a prompt too long for the model's context as empty replies cut at length", async () => {
    const generated: string[] = [];
    const standIn = {
      modelId: "m",
      maxContext: 8,
      // One token per character of the user turn: "long question" cannot leave room for a reply.
      encodePrompt: (p: PromptInput) => Array.from(p.messages?.[0]?.content ?? "", () => 1),
      async *generate(prompts: Iterable<PromptInput>): AsyncIterable<FinishedSequence> {
        for (const p of prompts) {
          generated.push(p.id);
          for (const i of p.sampleIndices ?? [])
            yield {
              promptId: p.id,
              sampleIndex: i,
              text: "ok",
              tokenIds: [1],
              finishReason: "stop",
              promptTokens: 2,
              seed: 0,
              timing: { startedMs: 0, firstTokenMs: 0, finishedMs: 0 },
            };
        }
      },
      async close() {},
    };
    const warnings: string[] = [];
    const gen = fromRolloutGenerator(standIn, { warn: (m) => warnings.push(m) });
    const out = [];
    for await (const s of gen.generate({
      benchmark: "b",
      prompts: [
        { problemId: "short", messages: [{ role: "user", content: "q" }], sampleIndices: [0, 1] },
        { problemId: "long", messages: [{ role: "user", content: "long question" }], sampleIndices: [0, 1] },
        { problemId: "edge", messages: [{ role: "user", content: "1234567" }], sampleIndices: [0] }, // 7 + 1 fits
      ],
      n: 2,
      sampling: { temperature: 0, maxNewTokens: 4 },
      seed: 0,
    }))
      out.push(s);
    // The whole call was refused for one such prompt: the run stopped there, and every rerun at the same prompt.
    expect(generated).toEqual(["short", "edge"]);
    expect(out.filter((s) => s.problemId === "long")).toEqual([
      { problemId: "long", sampleIndex: 0, text: "", tokens: 0, finishReason: "length" },
      { problemId: "long", sampleIndex: 1, text: "", tokens: 0, finishReason: "length" },
    ]);
    expect(out).toHaveLength(5);
    expect(warnings).toEqual([
      'warning: b: prompts that do not fit the model\'s context of 8 positions with room for a reply (the first: "long", 13 tokens) get empty replies cut at "length" (no answer, counted as truncated)',
    ]);
    // Said once per benchmark: runEval asks for a benchmark's prompts in several requests.
    const again = gen.generate({
      benchmark: "b",
      prompts: [
        { problemId: "long", messages: [{ role: "user", content: "long question" }], sampleIndices: [2] },
      ],
      n: 3,
      sampling: { temperature: 0, maxNewTokens: 4 },
      seed: 0,
    });
    for await (const s of again) expect(s.finishReason).toBe("length");
    expect(warnings).toHaveLength(1);
  });

  it("explains what a model path must be", async () => {
    await expect(openModelGenerator({ model: "/nonexistent/model" })).rejects.toThrow(
      /neither an ONNX decoder \(model\.onnx\) nor a Hugging Face checkpoint/,
    );
  });

  it("exports a checkpoint once, and again when its weights change at the same path", async () => {
    const fixture = path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      "../../../../shared/fixtures/qwen2-tiny-ref",
    );
    const work = mkdtempSync(path.join(os.tmpdir(), "ssb-eval-export-"));
    try {
      const model = path.join(work, "model");
      cpSync(fixture, model, { recursive: true });
      const fingerprints: (string | undefined)[] = [];
      const open = async (): Promise<string[]> => {
        const log: string[] = [];
        let before: string | undefined;
        const gen = await openModelGenerator({
          model,
          workDir: work,
          log: (m) => log.push(m),
          beforeOpen: (identity) => {
            before = identity.fingerprint;
            // The id runs of work/model recorded before (`model`), under which they resume.
            expect(identity.formerModelIds).toEqual(["model"]);
          },
        });
        // The fingerprint beforeOpen is given (before any export) is the one the generator reports.
        expect(before).toBe(gen.fingerprint);
        expect(gen.executionProvider).toBe("cpu"); // recorded in run.json's executionProviders
        fingerprints.push(gen.fingerprint);
        await gen.close?.();
        return log;
      };
      // A refusal in beforeOpen comes before anything is exported.
      await expect(
        openModelGenerator({
          model,
          workDir: work,
          beforeOpen: ({ modelId, fingerprintOf }) => {
            throw new Error(`refused ${modelId}: ${fingerprintOf}`);
          },
        }),
      ).rejects.toThrow(
        `refused ${path.basename(work)}/model: the model files (weights, config, tokenizer) of ${model}`,
      );
      expect(existsSync(path.join(work, "onnx-export"))).toBe(false);
      expect((await open()).join("\n")).toMatch(/^exporting /);
      expect((await open()).join("\n")).toMatch(/^reusing ONNX export/);
      // Numbers written beside the weights change nothing the model does.
      writeFileSync(path.join(model, "measured.json"), "{}");
      expect((await open()).join("\n")).toMatch(/^reusing ONNX export/);
      // A retrained checkpoint written over the old one: same path, new file time.
      const later = new Date(Date.now() + 60_000);
      utimesSync(path.join(model, "model.safetensors"), later, later);
      expect((await open()).join("\n")).toMatch(/^exporting /);
      expect(fingerprints[0]).toMatch(/^[0-9a-f]{16}$/);
      expect(fingerprints[1]).toBe(fingerprints[0]);
      expect(fingerprints[2]).toBe(fingerprints[0]);
      expect(fingerprints[3]).not.toBe(fingerprints[0]);
      // An export that fails half way leaves no stamp: the folder holds no finished export of anything, and
      // a later run exports again instead of reusing what is there.
      const weights = path.join(model, "model.safetensors");
      const good = readFileSync(weights);
      writeFileSync(weights, good.subarray(0, good.length - 100));
      await expect(open()).rejects.toThrow();
      expect(existsSync(path.join(work, "onnx-export", "ssb-eval-export.json"))).toBe(false);
      writeFileSync(weights, good);
      expect((await open()).join("\n")).toMatch(/^exporting /);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
  it("refuses a model without tokenizer.json or a chat template when it is opened, before export or run.json", async () => {
    const fixture = path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      "../../../../shared/fixtures/qwen2-tiny-ref",
    );
    const work = mkdtempSync(path.join(os.tmpdir(), "ssb-eval-tokenizer-"));
    try {
      let checked = 0;
      const beforeOpen = () => {
        checked += 1;
      };
      // A checkpoint without tokenizer.json: refused before the run folder is checked or anything exported.
      const noTokenizer = path.join(work, "no-tokenizer");
      cpSync(fixture, noTokenizer, { recursive: true });
      rmSync(path.join(noTokenizer, "tokenizer.json"));
      await expect(openModelGenerator({ model: noTokenizer, workDir: work, beforeOpen })).rejects.toThrow(
        `${noTokenizer}: no tokenizer.json: ssb-eval renders every question with the model's chat template`,
      );
      // A checkpoint whose tokenizer has no chat template (a base model): the same.
      const noTemplate = path.join(work, "no-template");
      cpSync(fixture, noTemplate, { recursive: true });
      const configFile = path.join(noTemplate, "tokenizer_config.json");
      const config = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
      delete config.chat_template;
      writeFileSync(configFile, JSON.stringify(config));
      await expect(openModelGenerator({ model: noTemplate, workDir: work, beforeOpen })).rejects.toThrow(
        `${noTemplate}: the tokenizer has no chat template`,
      );
      expect(checked).toBe(0);
      expect(existsSync(path.join(work, "onnx-export"))).toBe(false);
      // An ONNX export without its tokenizer: refused once loaded, before runEval writes anything.
      const model = path.join(work, "model");
      cpSync(fixture, model, { recursive: true });
      const good = await openModelGenerator({ model, workDir: work });
      await good.close?.();
      const onnxOnly = path.join(work, "onnx-only");
      cpSync(path.join(work, "onnx-export"), onnxOnly, { recursive: true });
      rmSync(path.join(onnxOnly, "tokenizer.json"));
      await expect(openModelGenerator({ model: onnxOnly })).rejects.toThrow(
        `${onnxOnly}: no tokenizer.json: ssb-eval renders every question`,
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
