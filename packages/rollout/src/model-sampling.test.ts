/**
 * generator.modelSampling() (the CLI's --generation-config): the settings transformers' generate() takes
 * from a model's generation_config.json. min_p among them: @ssb/model's GenerationConfig does not carry it,
 * so it was dropped and such a model sampled without it. The comparison with transformers itself
 * (python/hf_generation_config.py) needs SSB_PYTHON naming a python with torch and transformers; without
 * one it is skipped and its name says why.
 */
import { spawnSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportTinyRef, tinyRefDir } from "../test/fixtures.js";
import { PYTHON, pythonSkipNote } from "../test/python.js";
import { Generator } from "./generator.js";
import { resolveSampling } from "./sampling-params.js";

const SCRIPT = new URL("../python/hf_generation_config.py", import.meta.url).pathname;

const skipNote = pythonSkipNote(["torch", "transformers"]);

let dir: string;

beforeAll(async () => {
  dir = await exportTinyRef("ssb-rollout-model-sampling-");
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** modelSampling() of the export with this generation_config.json. */
async function modelSampling(config: Record<string, unknown>) {
  await writeFile(path.join(dir, "generation_config.json"), JSON.stringify(config));
  const gen = await Generator.load(dir);
  try {
    return gen.modelSampling();
  } finally {
    await gen.close();
  }
}

describe("modelSampling()", () => {
  it("takes min_p when sampling, as generate() does (it was dropped)", async () => {
    expect(await modelSampling({ do_sample: true, temperature: 0.6, min_p: 0.05 })).toMatchObject({
      temperature: 0.6,
      minP: 0.05,
    });
    // Greedy: generate() builds no warpers, min-p included.
    expect(await modelSampling({ do_sample: false, min_p: 0.05 })).not.toHaveProperty("minP");
    expect(await modelSampling({ do_sample: true, min_p: null })).not.toHaveProperty("minP");
  });

  it("refuses a min_p outside [0, 1], naming the file and the field", async () => {
    await expect(modelSampling({ do_sample: true, min_p: 5 })).rejects.toThrow(
      `${path.join(dir, "generation_config.json")}: field "min_p": expected a number in [0, 1], found 5`,
    );
  });
});

const configs: Record<string, unknown>[] = [
  { do_sample: true, temperature: 0.7, top_p: 0.8, top_k: 20, repetition_penalty: 1.05 }, // Qwen2.5-Instruct's
  { do_sample: true, temperature: 0.6, top_p: 0.95 }, // top_k unset: transformers' 50
  { do_sample: true, min_p: 0.05, temperature: 1.2 },
  { do_sample: true, top_k: 0, max_new_tokens: 64 },
  { do_sample: false, repetition_penalty: 1.1, temperature: 0.7, min_p: 0.1 },
  {},
];

describe(`modelSampling() vs transformers' generate() defaults${skipNote}`, () => {
  it.skipIf(skipNote !== "")(
    "the same settings for each generation_config.json",
    async () => {
      const r = spawnSync(PYTHON, [SCRIPT], {
        input: JSON.stringify({ model: tinyRefDir, configs }),
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`${PYTHON} ${SCRIPT} failed:\n${r.stderr}`);
      const hf = JSON.parse(r.stdout).settings as {
        do_sample: boolean;
        temperature: number;
        top_k: number;
        top_p: number;
        min_p: number | null;
        repetition_penalty: number;
        max_new_tokens: number | null;
      }[];
      for (const [i, config] of configs.entries()) {
        const h = hf[i] as (typeof hf)[number];
        const ours = resolveSampling(await modelSampling(config));
        const theirs = h.do_sample
          ? { temperature: h.temperature, topK: h.top_k, topP: h.top_p, minP: h.min_p ?? 0 }
          : { temperature: 0 };
        const picked = h.do_sample
          ? { temperature: ours.temperature, topK: ours.topK, topP: ours.topP, minP: ours.minP }
          : { temperature: ours.temperature };
        expect({ config, ...picked, repetitionPenalty: ours.repetitionPenalty }).toEqual({
          config,
          ...theirs,
          repetitionPenalty: h.repetition_penalty,
        });
        if (h.max_new_tokens !== null) expect(ours.maxNewTokens).toBe(h.max_new_tokens);
      }
    },
    120_000,
  );
});
