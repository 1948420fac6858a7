/**
 * Chat template kwargs (Qwen3's `{"enable_thinking": false}`): every prompt of a run is rendered with them,
 * run.json records them when there are some, a resume without them uses the recorded ones (key order aside),
 * and a resume with other ones is refused. A run without them writes run.json as before.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatTemplateKwargs } from "@ssb/model";
import type { FinishedSequence, GenerateOptions, PromptInput } from "@ssb/rollout";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "./cli-main.js";
import type { GeneratedSample, GenerationRequest, SampleGenerator } from "./generator.js";
import { fromRolloutGenerator } from "./model-generator.js";
import { checkRunFolder, type EvalConfig, runEval } from "./run-eval.js";

const root = mkdtempSync(join(tmpdir(), "ssb-eval-kwargs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Qwen3's generation prompt, cut down: an empty think block when enable_thinking is false. */
const QWEN3_STYLE =
  "{%- for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}" +
  "{%- if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}{%- endif %}" +
  "{%- endif %}";

const config: EvalConfig = {
  benchmarks: ["gsm8k"],
  n: 2,
  limit: 3,
  sampling: { temperature: 0.6, maxNewTokens: 64 },
  seed: 1,
  bootstrap: { resamples: 50 },
};

/** A generator that replies with the kwargs its request carried, and keeps every request's. */
function kwargsGenerator(): SampleGenerator & { seen: (ChatTemplateKwargs | undefined)[] } {
  const seen: (ChatTemplateKwargs | undefined)[] = [];
  return {
    modelId: "qwen3-ish",
    seen,
    async *generate(request: GenerationRequest): AsyncIterable<GeneratedSample> {
      seen.push(request.chatTemplateKwargs);
      for (const p of request.prompts)
        for (const sampleIndex of p.sampleIndices)
          yield {
            problemId: p.problemId,
            sampleIndex,
            text: `kwargs ${JSON.stringify(request.chatTemplateKwargs ?? null)}: \\boxed{1}`,
            tokens: 5,
            finishReason: "stop",
          };
    },
  };
}

const runJsonText = (out: string): string => readFileSync(join(out, "run.json"), "utf8");
const textsOf = (out: string): string[] =>
  readFileSync(join(out, "records.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { text: string }).text);

/** Run until `stopAfter` new samples are saved (then abort). */
async function runPart(out: string, generator: SampleGenerator, cfg: EvalConfig, stopAfter?: number) {
  const stop = new AbortController();
  const run = runEval({
    config: cfg,
    generator,
    outDir: out,
    reports: false,
    signal: stop.signal,
    warn: () => {},
    onProgress: (p) => {
      if (stopAfter !== undefined && p.done - p.resumed >= stopAfter) stop.abort();
    },
  });
  if (stopAfter !== undefined) await expect(run).rejects.toThrow();
  else await run;
}

describe("fromRolloutGenerator with chat template kwargs", () => {
  it("hands rollout each prompt's messages with the kwargs to render them with (and the pinned day), none without", async () => {
    const seen: PromptInput[] = [];
    const stand = {
      modelId: "m",
      tokenizer: { chatTemplate: { source: QWEN3_STYLE } },
      async *generate(prompts: Iterable<PromptInput>, _o?: GenerateOptions): AsyncIterable<FinishedSequence> {
        for (const p of prompts) seen.push(p);
        yield* []; // the test looks at the prompts
      },
      close: async () => {},
    };
    const gen = fromRolloutGenerator(stand);
    expect(gen.chatTemplateSource).toBe(QWEN3_STYLE);
    const messages = [{ role: "user", content: "What is 2+3?" }];
    const request: GenerationRequest = {
      benchmark: "b",
      prompts: [{ problemId: "p", messages, sampleIndices: [0] }],
      n: 1,
      sampling: { temperature: 0, maxNewTokens: 4 },
      seed: 0,
    };
    const kwargs = { enable_thinking: false };
    for (const r of [{ ...request, chatTemplateKwargs: kwargs, templateDate: "2024-07-26" }, request])
      for await (const _ of gen.generate(r)) {
        // none
      }
    const [withKwargs, without] = seen;
    expect(withKwargs).toEqual({
      id: "p",
      messages,
      sampleIndices: [0],
      now: new Date(2024, 6, 26, 12),
      chatTemplateKwargs: kwargs,
    });
    // Without kwargs the prompt carries none: rendered as before.
    expect(without).toEqual({ id: "p", messages, sampleIndices: [0] });
  });

  it("says no chat template source for a model without a tokenizer", () => {
    const gen = fromRolloutGenerator({
      modelId: "bare",
      tokenizer: null,
      generate: async function* () {
        yield* [];
      },
      close: async () => {},
    });
    expect(gen.chatTemplateSource).toBeUndefined();
  });
});

describe("runEval with chat template kwargs", () => {
  it("records them, and a resume with them reordered or left out renders with the recorded ones", async () => {
    const out = join(root, "resumed");
    const gen = kwargsGenerator();
    const kwargs = { enable_thinking: false, tools: ["calc"] };
    await runPart(out, gen, { ...config, chatTemplateKwargs: kwargs }, 2);
    const recorded = JSON.parse(runJsonText(out)) as Record<string, unknown>;
    expect(recorded.chatTemplateKwargs).toEqual(kwargs);
    const before = runJsonText(out);
    // Same kwargs, keys in another order: the same run.
    await runPart(
      out,
      gen,
      { ...config, chatTemplateKwargs: { tools: ["calc"], enable_thinking: false } },
      2,
    );
    // Left out: run.json's.
    await runPart(out, gen, config);
    expect(runJsonText(out)).toBe(before);
    expect(gen.seen.length).toBeGreaterThanOrEqual(3);
    for (const k of gen.seen) expect(k).toEqual(kwargs);
    expect(textsOf(out)).toHaveLength(6);
  });

  it("refuses a resume given other kwargs (or none), naming run.json and both values, and writes nothing", async () => {
    const out = join(root, "refused");
    const gen = kwargsGenerator();
    await runPart(out, gen, { ...config, chatTemplateKwargs: { enable_thinking: false } }, 2);
    const before = runJsonText(out);
    const records = readFileSync(join(out, "records.jsonl"), "utf8");
    await expect(
      runEval({
        config: { ...config, chatTemplateKwargs: { enable_thinking: true } },
        generator: gen,
        outDir: out,
      }),
    ).rejects.toThrow(
      `${join(out, "run.json")}: this run's prompts were rendered with chat template kwargs {"enable_thinking":false} (chatTemplateKwargs in run.json), not {"enable_thinking":true}; to resume, give --chat-template-kwargs '{"enable_thinking":false}' or leave it out (chatTemplateKwargs in the config), or start over in a new output folder (--out)`,
    );
    // What ssb-eval asks before it exports a model into the folder refuses it too.
    expect(() =>
      checkRunFolder({
        config: { ...config, chatTemplateKwargs: { enable_thinking: true } },
        model: { modelId: "qwen3-ish" },
        outDir: out,
      }),
    ).toThrow(/not \{"enable_thinking":true\}/);
    // `{}` says "no kwargs": not the recorded ones either.
    await expect(
      runEval({ config: { ...config, chatTemplateKwargs: {} }, generator: gen, outDir: out }),
    ).rejects.toThrow(/rendered with chat template kwargs \{"enable_thinking":false\} .*, not \{\}/);
    expect(runJsonText(out)).toBe(before);
    expect(readFileSync(join(out, "records.jsonl"), "utf8")).toBe(records);
  });

  it("a run.json without the field means none: a resume given kwargs is refused, one without goes on as before", async () => {
    const out = join(root, "old");
    const gen = kwargsGenerator();
    await runPart(out, gen, config, 2);
    const before = runJsonText(out);
    expect(before).not.toMatch(/chatTemplateKwargs/);
    await expect(
      runEval({
        config: { ...config, chatTemplateKwargs: { enable_thinking: false } },
        generator: gen,
        outDir: out,
      }),
    ).rejects.toThrow(
      /rendered with no chat template kwargs \(run\.json records none\), not \{"enable_thinking":false\}; to resume, leave --chat-template-kwargs out/,
    );
    // `{}` is no kwargs: the same as the run.json's none.
    await runPart(out, gen, { ...config, chatTemplateKwargs: {} });
    expect(runJsonText(out)).toBe(before);
    expect(gen.seen.every((k) => k === undefined)).toBe(true);
  });

  it("refuses kwargs a template cannot take, naming the config field", async () => {
    await expect(
      runEval({
        config: { ...config, chatTemplateKwargs: { messages: [] } },
        generator: kwargsGenerator(),
        outDir: join(root, "never"),
      }),
    ).rejects.toThrow(
      /^config\.chatTemplateKwargs: chat template kwarg "messages" is set by the renderer itself/,
    );
    const run = join(root, "bad-run");
    await runPart(run, kwargsGenerator(), config);
    const file = join(run, "run.json");
    writeFileSync(file, runJsonText(run).replace('"format"', '"chatTemplateKwargs": [1],\n  "format"'));
    await expect(runEval({ config, generator: kwargsGenerator(), outDir: run })).rejects.toThrow(
      `${file}: field "chatTemplateKwargs": chat template kwargs must be a JSON object`,
    );
  });
});

describe("ssb-eval --chat-template-kwargs", () => {
  const io = () => {
    const err: string[] = [];
    return { io: { stdout: { write: () => {} }, stderr: { write: (s: string) => err.push(s) } }, err };
  };
  // --model must name a folder; the factory stands in for openModelGenerator.
  const model = join(root, "ckpt");

  it("passes them to every request, warns once about a kwarg the template never names, and refuses bad JSON", async () => {
    mkdirSync(model);
    const gen = kwargsGenerator();
    const factory = async () => ({ ...gen, generate: gen.generate, chatTemplateSource: QWEN3_STYLE });
    const args = (out: string) => [
      "--model",
      model,
      "--benchmarks",
      "gsm8k",
      "--limit",
      "2",
      "--out",
      join(root, out),
    ];
    const c = io();
    const code = await main(
      [...args("cli"), "--chat-template-kwargs", '{"enable_thinkng": false}'],
      c.io,
      factory,
    );
    expect(code).toBe(0);
    const warnings = c.err
      .join("")
      .split("\n")
      .filter((l) => l.includes("never mentions"));
    expect(warnings).toEqual([
      'ssb-eval: warning: the model\'s chat template never mentions "enable_thinkng" (chat template kwargs), so it changes no prompt; check the spelling of "enable_thinkng"',
    ]);
    expect(gen.seen.every((k) => JSON.stringify(k) === '{"enable_thinkng":false}')).toBe(true);

    const good = io();
    expect(
      await main([...args("cli2"), "--chat-template-kwargs", '{"enable_thinking": false}'], good.io, factory),
    ).toBe(0);
    expect(good.err.join("")).not.toMatch(/never mentions/);

    // Qwen3's name on a template without it is spelt right: no "check the spelling" (it pointed at itself).
    const plainTemplate = "{%- for m in messages %}{{ m.role + ': ' + m.content }}{%- endfor %}";
    const plain = async () => ({ ...gen, generate: gen.generate, chatTemplateSource: plainTemplate });
    const other = io();
    expect(
      await main([...args("cli4"), "--chat-template-kwargs", '{"enable_thinking": false}'], other.io, plain),
    ).toBe(0);
    expect(other.err.join("")).toContain(
      'ssb-eval: warning: the model\'s chat template never mentions "enable_thinking" (chat template kwargs), so it changes no prompt\n',
    );

    // compare names the difference: the two runs' prompts differ, not only their models.
    const cmp = io();
    expect(await main(["compare", join(root, "cli"), join(root, "cli2")], cmp.io)).toBe(0);
    expect(cmp.err.join("")).toContain(
      'note: A and B differ in chatTemplateKwargs {"enable_thinkng":false} vs {"enable_thinking":false}',
    );

    const bad = io();
    expect(
      await main([...args("cli3"), "--chat-template-kwargs", "{enable_thinking: false}"], bad.io, factory),
    ).toBe(2);
    expect(bad.err.join("")).toMatch(
      /^ssb-eval: --chat-template-kwargs: chat template kwargs are not JSON \(.*\); write an object such as '\{"enable_thinking": false\}'\n/,
    );
  });

  it("refuses them with --replies, whose prompts were rendered elsewhere (run.json would record kwargs that changed nothing)", async () => {
    const replies = join(root, "replies.jsonl");
    writeFileSync(replies, '{"problemId": "x", "sampleIndex": 0, "text": "\\\\boxed{1}"}\n');
    const out = join(root, "replies-kwargs");
    const flag = io();
    expect(
      await main(
        ["--replies", replies, "--chat-template-kwargs", '{"enable_thinking": false}', "--out", out],
        flag.io,
      ),
    ).toBe(2);
    expect(flag.err.join("")).toMatch(
      /^ssb-eval: --chat-template-kwargs cannot be used with --replies: the replies' prompts were rendered elsewhere, so chat template kwargs here would change nothing \(only be recorded in run\.json\); leave the flag out\n/,
    );
    const file = join(root, "kwargs-config.json");
    writeFileSync(file, JSON.stringify({ chatTemplateKwargs: { enable_thinking: false } }));
    const fromConfig = io();
    expect(await main(["--replies", replies, "--config", file, "--out", out], fromConfig.io)).toBe(2);
    expect(fromConfig.err.join("")).toContain(
      `${file}: field "chatTemplateKwargs" cannot be used with --replies: the replies' prompts were rendered elsewhere`,
    );
    // A template day likewise (it was recorded in run.json without shaping anything).
    const day = io();
    expect(await main(["--replies", replies, "--template-date", "2024-07-26", "--out", out], day.io)).toBe(2);
    expect(day.err.join("")).toMatch(
      /^ssb-eval: --template-date cannot be used with --replies: the replies' prompts were rendered elsewhere, so a template date here would change nothing/,
    );
    expect(existsSync(out)).toBe(false);
  });
});
