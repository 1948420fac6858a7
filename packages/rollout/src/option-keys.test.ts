/** Misspelled sampling settings and generate options are refused by name, and a closed generator says so. */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { closestKey } from "@ssb/cli-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportTinyRef } from "../test/fixtures.js";
import { type FinishedSequence, type GenerateOptions, Generator, type PromptInput } from "./generator.js";
import { runRollouts } from "./run-rollouts.js";
import { runTeacherReplies } from "./run-teacher-replies.js";
import { resolveSampling } from "./sampling-params.js";

describe("resolveSampling", () => {
  it("refuses an unknown key, naming it and the close match", () => {
    expect(() => resolveSampling({ temprature: 0.1 } as never)).toThrow(
      /^sampling: unknown key "temprature" \(did you mean "temperature"\?\); known keys: temperature, /,
    );
    expect(() => resolveSampling({ top_k: 5 } as never, undefined, "rollout sampling")).toThrow(
      /rollout sampling: unknown key "top_k" \(did you mean "topK"\?\)/,
    );
    expect(() => resolveSampling({ bogus: 1 } as never)).toThrow(/unknown key "bogus"; known keys/);
    expect(() => resolveSampling(null as never)).toThrow(/sampling: must be an object/);
  });

  it("still takes every real key, and undefined values", () => {
    const p = resolveSampling({ temperature: 0.1, topK: 3, seed: undefined });
    expect(p.temperature).toBe(0.1);
    expect(p.topK).toBe(3);
    expect(p.seed).toBe(0);
  });

  it("suggests only close matches", () => {
    expect(closestKey("samplng", ["n", "sampling"])).toBe("sampling");
    expect(closestKey("zzzzzz", ["n", "sampling"])).toBeUndefined();
  });
});

describe("Generator options and close", () => {
  let dir: string;
  let gen: Generator;
  const prompts: PromptInput[] = [{ id: "p", tokenIds: [1, 2, 3] }];
  const run = async (g: Generator, options: GenerateOptions): Promise<FinishedSequence[]> => {
    const out: FinishedSequence[] = [];
    for await (const s of g.generate(prompts, options)) out.push(s);
    return out;
  };

  beforeAll(async () => {
    dir = await exportTinyRef();
    gen = await Generator.load(dir);
  });
  afterAll(async () => {
    await gen?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses misspelled generate options and sampling settings", async () => {
    await expect(run(gen, { sampling: { temprature: 0 } } as never)).rejects.toThrow(
      /generate options: unknown key "temprature" \(did you mean "temperature"\?\)/,
    );
    await expect(run(gen, { n: 1, samplng: { temperature: 0 } } as never)).rejects.toThrow(
      /generate options: unknown key "samplng" \(did you mean "sampling"\?\)/,
    );
    expect(await run(gen, { n: 1, sampling: { maxNewTokens: 2, temperature: 0 } })).toHaveLength(1);
    const perPrompt = gen.generate([{ id: "q", tokenIds: [1], sampling: { maxNewToken: 2 } as never }]);
    await expect(perPrompt.next()).rejects.toThrow(
      /prompt "q" sampling: unknown key "maxNewToken" \(did you mean "maxNewTokens"\?\)/,
    );
  });

  it("refuses misspelled job options and Generator.load options, naming them, before any file is made", async () => {
    const outFile = path.join(dir, "typo.jsonl");
    const problems = [{ id: "p", promptIds: [1, 2, 3] }];
    await expect(
      runRollouts({ generator: gen, problems, n: 1, outFile, samplng: { temperature: 0 } } as never),
    ).rejects.toThrow(/runRollouts options: unknown key "samplng" \(did you mean "sampling"\?\)/);
    await expect(
      runRollouts({ generator: gen, problems, n: 1, outFile, capture: { dir: "c", kk: 5 } } as never),
    ).rejects.toThrow(/runRollouts capture: unknown key "kk" \(did you mean "k"\?\)/);
    const prompts = [
      {
        problemId: "p",
        messages: [{ role: "user", content: "1+1?" }],
        requests: [{ id: "p#1", sampling: { temperature: 0, topK: 0 } }],
      },
    ];
    await expect(
      runTeacherReplies({ generator: gen, prompts, outFile, samplng: { maxNewTokens: 2 } } as never),
    ).rejects.toThrow(/runTeacherReplies options: unknown key "samplng" \(did you mean "sampling"\?\)/);
    expect(existsSync(outFile) || existsSync(`${outFile}.settings.json`)).toBe(false);
    await expect(Generator.load(dir, { executionProvidr: "webgpu" } as never)).rejects.toThrow(
      /Generator\.load options: unknown key "executionProvidr" \(did you mean "executionProvider"\?\)/,
    );
  });

  it("a sampled id past the tokenizer's vocabulary (padded LM head) has no text instead of failing decode", () => {
    expect(gen.decodeReply([65, 300, 66], [])).toBe("AB");
  });

  it("close() twice is fine, and generate after close says the generator is closed", async () => {
    const g = await Generator.load(dir);
    await g.close();
    await g.close();
    await expect(run(g, { sampling: { maxNewTokens: 1 } })).rejects.toThrow(/generator is closed/);
  });
});
