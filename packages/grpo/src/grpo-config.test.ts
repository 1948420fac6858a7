import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { applyOverride, type GrpoConfigInput, resolveGrpoConfig, trajectoryKey } from "./grpo-config.js";
import { problemsForStep } from "./problem-order.js";
import { readProblems } from "./problems.js";

describe("GRPO config", () => {
  it("variant picks the advantage and aggregation defaults; explicit fields win", () => {
    const g = resolveGrpoConfig();
    expect([g.advantage, g.aggregation, g.beta, g.clipEpsilonHigh]).toEqual(["grpo", "token", 0, 0.2]);
    const dr = resolveGrpoConfig({ variant: "dr-grpo" });
    expect([dr.advantage, dr.aggregation]).toEqual(["dr-grpo", "constant"]);
    expect(resolveGrpoConfig({ variant: "dr-grpo", aggregation: "token" }).aggregation).toBe("token");
    expect(resolveGrpoConfig({ clipEpsilon: 0.1 }).clipEpsilonHigh).toBe(0.1);
  });

  it("names the bad field", () => {
    expect(() => resolveGrpoConfig({ groupSize: 1 })).toThrow(/"groupSize" must be an integer >= 2/);
    expect(() => resolveGrpoConfig({ sampling: { temperature: 0 } })).toThrow(/"sampling.temperature"/);
    expect(() => resolveGrpoConfig({ optimizer: { lr: -1 } })).toThrow(/"optimizer.lr"/);
    expect(() => resolveGrpoConfig({ lora: { r: 0, alpha: 1 } })).toThrow(/"lora.r"/);
    expect(() => resolveGrpoConfig(JSON.parse('{"stepz": 3}'))).toThrow(/unknown field "stepz"/);
    expect(() => resolveGrpoConfig(JSON.parse('{"sampling": {"temp": 1}}'))).toThrow(/"sampling.temp"/);
    expect(() => resolveGrpoConfig(JSON.parse("null"))).toThrow(/expected an object of settings, found null/);
    expect(() => resolveGrpoConfig(JSON.parse("[1, 2]"))).toThrow(/expected an object of settings/);
    expect(() => resolveGrpoConfig(JSON.parse('{"lora": {"targetModules": 5}}'))).toThrow(
      /"lora.targetModules" must be a list of module names/,
    );
    expect(() => resolveGrpoConfig(JSON.parse('{"lora": {"useRslora": "yes"}}'))).toThrow(/"lora.useRslora"/);
  });

  it("seed: refuses a non-integer or one above 2^53 - 1, naming the field and the range", () => {
    const range = /"seed" must be an integer in \[0, 9007199254740991\] \(2\^53 - 1\)/;
    expect(() => resolveGrpoConfig({ seed: 2 ** 53 })).toThrow(range);
    // JSON reads 9007199254740993 as 2^53: the seed written is not the one that would run.
    expect(() => resolveGrpoConfig(JSON.parse('{"seed": 9007199254740993}'))).toThrow(range);
    expect(() => resolveGrpoConfig({ seed: 1.5 })).toThrow(range);
    expect(() => resolveGrpoConfig({ seed: -1 })).toThrow(range);
    expect(resolveGrpoConfig({ seed: 2 ** 53 - 1 }).seed).toBe(2 ** 53 - 1);
    // Other integer fields past 2^53 - 1 too.
    expect(() => resolveGrpoConfig({ steps: 2 ** 60 })).toThrow(
      /"steps" must be an integer in \[1, 9007199254740991\]/,
    );
  });

  it("--set overrides parse JSON values; maxSteps is not part of the trajectory", () => {
    const input = applyOverride(applyOverride({}, "sampling.maxNewTokens=64"), "variant=dr-grpo");
    const c = resolveGrpoConfig(input);
    expect([c.sampling.maxNewTokens, c.variant]).toEqual([64, "dr-grpo"]);
    expect(trajectoryKey(resolveGrpoConfig({ ...input, maxSteps: 3 }))).toBe(trajectoryKey(c));
    expect(trajectoryKey(resolveGrpoConfig({ ...input, beta: 0.01 }))).not.toBe(trajectoryKey(c));
    // maskTruncated came after checkpoints existed: off is not in the key (those resume), on is.
    expect(trajectoryKey(c)).not.toContain("maskTruncated");
    expect(trajectoryKey(resolveGrpoConfig({ ...input, maskTruncated: true }))).not.toBe(trajectoryKey(c));
    expect(() => resolveGrpoConfig({ maskTruncated: "yes" as unknown as boolean })).toThrow(
      /"maskTruncated" must be true or false/,
    );
    // So did klBiasCorrection (TRL 1.13's use_bias_correction_kl): a checkpoint saved without it resumes.
    expect(trajectoryKey(c)).not.toContain("klBiasCorrection");
    const { klBiasCorrection: _, ...older } = c;
    expect(trajectoryKey(older as typeof c)).toBe(trajectoryKey(c));
    expect(trajectoryKey(resolveGrpoConfig({ ...input, klBiasCorrection: true }))).not.toBe(trajectoryKey(c));
    expect(() => resolveGrpoConfig({ klBiasCorrection: 1 as unknown as boolean })).toThrow(
      /"klBiasCorrection" must be true or false/,
    );
    // Micro-batching only changes the summation order of gradients.
    expect(trajectoryKey(resolveGrpoConfig({ ...input, microBatchTokens: 512, microBatchSize: 2 }))).toBe(
      trajectoryKey(c),
    );
  });
});

describe("GRPO config: names that reach Object.prototype", () => {
  it("--set refuses __proto__, constructor and prototype; Object.prototype stays clean", () => {
    expect(() => applyOverride({}, "__proto__.variant=dr-grpo")).toThrow(
      '--set __proto__.variant: "__proto__" is not a settings field',
    );
    expect(({} as Record<string, unknown>).variant).toBeUndefined();
    expect(() => applyOverride({}, "constructor.prototype.variant=dr-grpo")).toThrow(/"constructor"/);
    expect(() => applyOverride({}, "sampling.prototype=1")).toThrow(/"prototype"/);
    expect(Object.hasOwn(Object.prototype, "variant")).toBe(false);
    // An inherited name on the way becomes an own field, refused by resolveGrpoConfig as unknown.
    expect(() => resolveGrpoConfig(applyOverride({}, "toString.x=1"))).toThrow(/unknown field "toString"/);
  });

  it("resolveGrpoConfig refuses constructor / toString / __proto__ as unknown fields, and null clearly", () => {
    for (const json of ['{"constructor": 1}', '{"toString": "x"}', '{"__proto__": {"variant": "dr-grpo"}}']) {
      const key = Object.keys(JSON.parse(json))[0];
      expect(() => resolveGrpoConfig(JSON.parse(json))).toThrow(`GRPO config: unknown field "${key}"`);
    }
    expect(() => resolveGrpoConfig(JSON.parse('{"sampling": {"constructor": 1}}'))).toThrow(
      'unknown field "sampling.constructor"',
    );
    expect(() => resolveGrpoConfig(null as unknown as GrpoConfigInput)).toThrow(
      "GRPO config: expected an object of settings, found null",
    );
  });

  it("lora.targetModules: a misspelled module among good ones is refused, listing the valid ones", () => {
    expect(() => resolveGrpoConfig({ lora: { targetModules: ["q_proj", "v_projj"] } })).toThrow(
      '"lora.targetModules" must be names of projection modules (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj), found ["v_projj"]',
    );
    expect(
      resolveGrpoConfig({ lora: { targetModules: ["q_proj", "mlp.up_proj"] } }).lora.targetModules,
    ).toEqual(["q_proj", "mlp.up_proj"]);
  });
});

describe("problem order", () => {
  it("is a function of (seed, step): epochs are permutations, consumed perStep at a time", () => {
    const items = ["a", "b", "c", "d", "e"];
    const steps = [0, 1, 2, 3, 4].map((s) => problemsForStep(items, 2, 9, s));
    expect(steps.flat().slice(0, 5).sort()).toEqual(items);
    expect(steps.flat().slice(5, 10).sort()).toEqual(items);
    expect(problemsForStep(items, 2, 9, 3)).toEqual(steps[3]);
    expect(problemsForStep(items, 2, 10, 0)).not.toEqual(steps[0]);
  });
});

describe("problems file", () => {
  it("reads id / question / answer and names the line of a bad record", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-problems-"));
    try {
      const file = path.join(dir, "p.jsonl");
      await writeFile(
        file,
        '{"id":"a","question":"1+1?","answer":2}\n\n{"id":"b","question":"2+2?","answer":"4"}\n',
      );
      expect(readProblems(file)).toEqual([
        { id: "a", question: "1+1?", answer: "2" },
        { id: "b", question: "2+2?", answer: "4" },
      ]);
      await writeFile(
        file,
        '{"id":"a","question":"1+1?","answer":2}\n{"id":"a","question":"x","answer":1}\n',
      );
      expect(() => readProblems(file)).toThrow(/p\.jsonl:2: "id" "a" appears twice/);
      await writeFile(file, '{"id":"a","question":"1+1?"}\n');
      expect(() => readProblems(file)).toThrow(
        /p\.jsonl:1: field "answer" must be the gold answer as a string/,
      );
      // GSM8K's own lines: the line number as id, the gold after ####.
      await writeFile(
        file,
        '{"question":"1+1?","answer":"1 + 1 = 2\\n#### 2"}\n\n{"question":"2+2?","answer":"#### 4"}\n',
      );
      expect(readProblems(file)).toEqual([
        { id: "1", question: "1+1?", answer: "2" },
        { id: "3", question: "2+2?", answer: "4" },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("skips a leading byte-order mark (Windows editors write one) instead of refusing line 1", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-problems-"));
    try {
      const file = path.join(dir, "p.jsonl");
      await writeFile(
        file,
        '\uFEFF{"id":"a","question":"1+1?","answer":2}\r\n{"id":"b","question":"2+2?","answer":4}\n',
      );
      expect(readProblems(file).map((p) => p.id)).toEqual(["a", "b"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("says a directory or a missing file given as the problems file is one, naming it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-problems-"));
    try {
      expect(() => readProblems(dir)).toThrow(`${dir}: is a directory, expected a JSONL file of problems`);
      const missing = path.join(dir, "nope.jsonl");
      expect(() => readProblems(missing)).toThrow(`${missing}: no such file`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
