/**
 * A chat template that writes the date into its prompts (Llama 3.1 / 3.2-Instruct): run.json pins the day at
 * the run's first start and every request carries it, so a run resumed on another day renders the prompts it
 * began with. The day is moved by the time zone (process.env.TZ: Node reads it again when it is set).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { templateDateString } from "@ssb/model";
import type { FinishedSequence, GenerateOptions, PromptInput } from "@ssb/rollout";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { GeneratedSample, GenerationRequest, SampleGenerator } from "./generator.js";
import { fromRolloutGenerator } from "./model-generator.js";
import { type EvalConfig, runEval } from "./run-eval.js";

const root = mkdtempSync(join(tmpdir(), "ssb-eval-date-"));
const tz = process.env.TZ;
afterEach(() => {
  if (tz === undefined) delete process.env.TZ;
  else process.env.TZ = tz;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

// UTC-12 and UTC+14 are 26 hours apart: never the same calendar day.
const WEST = "Etc/GMT+12";
const EAST = "Etc/GMT-14";
const dayIn = (offsetHours: number): string =>
  new Date(Date.now() + offsetHours * 3_600_000).toISOString().slice(0, 10);

const config: EvalConfig = {
  benchmarks: ["gsm8k"],
  n: 2,
  limit: 3,
  sampling: { temperature: 0.6, maxNewTokens: 64 },
  seed: 1,
  bootstrap: { resamples: 50 },
};

/**
 * A generator whose template reads the date (as rollout's over a Llama model): each reply says the day its
 * prompt was rendered with, the request's templateDate, or today's when the request carries none.
 */
function datedGenerator(readsDate: boolean): SampleGenerator & { days: (string | undefined)[] } {
  const days: (string | undefined)[] = [];
  return {
    modelId: "dated",
    days,
    ...(readsDate ? { templateReadsDate: true } : {}),
    async *generate(request: GenerationRequest): AsyncIterable<GeneratedSample> {
      days.push(request.templateDate);
      const today = templateDateString();
      for (const p of request.prompts)
        for (const sampleIndex of p.sampleIndices)
          yield {
            problemId: p.problemId,
            sampleIndex,
            text: `rendered on ${request.templateDate ?? today}: \\boxed{1}`,
            tokens: 5,
            finishReason: "stop",
          };
    },
  };
}

const runJson = (out: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as Record<string, unknown>;
const textsOf = (out: string): string[] =>
  readFileSync(join(out, "records.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { text: string }).text);

/** Run until `stopAfter` samples are saved (then abort), in time zone `zone`. */
async function runIn(
  zone: string,
  out: string,
  generator: SampleGenerator,
  options: { stopAfter?: number; config?: EvalConfig; warn?: (m: string) => void } = {},
): Promise<void> {
  process.env.TZ = zone;
  const stop = new AbortController();
  const run = runEval({
    config: options.config ?? config,
    generator,
    outDir: out,
    reports: false,
    signal: stop.signal,
    warn: options.warn ?? (() => {}),
    onProgress: (p) => {
      if (options.stopAfter !== undefined && p.done - p.resumed >= options.stopAfter) stop.abort();
    },
  });
  if (options.stopAfter !== undefined) await expect(run).rejects.toThrow();
  else await run;
}

describe("a chat template that reads the date", () => {
  it("a run resumed on the next local day renders the prompts of the day it began", async () => {
    const out = join(root, "resumed");
    const gen = datedGenerator(true);
    await runIn(WEST, out, gen, { stopAfter: 2 });
    expect(runJson(out).templateDate).toBe(dayIn(-12));
    await runIn(EAST, out, gen);
    expect(gen.days.every((d) => d === dayIn(-12))).toBe(true);
    const texts = textsOf(out);
    expect(texts).toHaveLength(6);
    // Before the fix, the resumed samples were rendered on the next day: two days' prompts in one result.
    expect(new Set(texts)).toEqual(new Set([`rendered on ${dayIn(-12)}: \\boxed{1}`]));
    expect(runJson(out).templateDate).toBe(dayIn(-12));
  });

  it("refuses another templateDate than the one run.json records, naming both", async () => {
    const out = join(root, "given");
    const gen = datedGenerator(true);
    await runIn(WEST, out, gen, { stopAfter: 2, config: { ...config, templateDate: "2024-07-26" } });
    expect(runJson(out).templateDate).toBe("2024-07-26");
    const before = readFileSync(join(out, "run.json"), "utf8");
    await expect(
      runEval({ config: { ...config, templateDate: "2024-07-27" }, generator: gen, outDir: out }),
    ).rejects.toThrow(
      /rendered with the chat template's date 2024-07-26 \(templateDate in run\.json\), not 2024-07-27; to resume, give --template-date 2024-07-26 or leave it out/,
    );
    expect(readFileSync(join(out, "run.json"), "utf8")).toBe(before);
    await runIn(EAST, out, gen);
    expect(new Set(textsOf(out))).toEqual(new Set(["rendered on 2024-07-26: \\boxed{1}"]));
    await expect(
      runEval({ config: { ...config, templateDate: "2024-7-26" }, generator: gen, outDir: join(root, "x") }),
    ).rejects.toThrow(/config\.templateDate must be a date as YYYY-MM-DD/);
  });

  it("a run.json from before days were pinned gets today's, with a note", async () => {
    const out = join(root, "old");
    const gen = datedGenerator(true);
    await runIn(WEST, out, gen, { stopAfter: 2 });
    const { templateDate: _, ...old } = runJson(out);
    writeFileSync(join(out, "run.json"), `${JSON.stringify(old, null, 2)}\n`);
    const notes: string[] = [];
    await runIn(EAST, out, gen, { warn: (m) => notes.push(m) });
    expect(notes.join("\n")).toMatch(/run\.json records no template date .* this run pins \d{4}-\d\d-\d\d/);
    expect(runJson(out).templateDate).toBe(dayIn(14));
  });
});

describe("a chat template that does not read the date", () => {
  it("run.json records no day and stays as it was on every day the run resumes", async () => {
    const out = join(root, "qwen");
    const gen = datedGenerator(false);
    await runIn(WEST, out, gen, { stopAfter: 2 });
    const before = readFileSync(join(out, "run.json"), "utf8");
    expect(before).not.toMatch(/templateDate/);
    await runIn(EAST, out, gen);
    expect(readFileSync(join(out, "run.json"), "utf8")).toBe(before);
    expect(gen.days.every((d) => d === undefined)).toBe(true);
  });
});

describe("fromRolloutGenerator", () => {
  it("renders a request's templateDate (rollout's PromptInput.now) and says whether the template reads it", async () => {
    const seen: PromptInput[] = [];
    const stand = {
      modelId: "m",
      templateReadsDate: true,
      async *generate(prompts: Iterable<PromptInput>, _o?: GenerateOptions): AsyncIterable<FinishedSequence> {
        for (const p of prompts) seen.push(p);
        yield* []; // no samples: the test looks at the prompts
      },
      close: async () => {},
    };
    const gen = fromRolloutGenerator(stand);
    expect(gen.templateReadsDate).toBe(true);
    const request: GenerationRequest = {
      benchmark: "b",
      prompts: [{ problemId: "p", messages: [{ role: "user", content: "q" }], sampleIndices: [0] }],
      n: 1,
      sampling: { temperature: 0, maxNewTokens: 4 },
      seed: 0,
      templateDate: "2024-07-26",
    };
    for await (const _ of gen.generate(request)) {
      // no samples from the stand-in
    }
    expect(seen[0]?.now?.getTime()).toBe(new Date(2024, 6, 26, 12).getTime());
    const { templateDate: _, ...undated } = request;
    for await (const _ of gen.generate(undated)) {
      // none
    }
    expect(seen[1]?.now).toBeUndefined();
    expect(fromRolloutGenerator({ ...stand, templateReadsDate: false }).templateReadsDate).toBeUndefined();
  });
});
