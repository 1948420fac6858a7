import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fakeGenerator, scriptedGenerator } from "../test/fake-generator.js";
import { readRecords } from "./records-file.js";
import { checkRunFolder, type EvalConfig, runEval } from "./run-eval.js";
import type { RunSummary } from "./summarize.js";

const root = mkdtempSync(join(tmpdir(), "ssb-eval-run-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config: EvalConfig = {
  benchmarks: ["gsm8k", "math500"],
  n: 4,
  limit: 30,
  sampling: { temperature: 0.6, topP: 0.95, maxNewTokens: 256 },
  seed: 1,
  bootstrap: { resamples: 500 },
};

describe("runEval with a scripted generator", () => {
  it("writes graded records for every (problem, sample), summary and reports", async () => {
    const out = join(root, "a");
    const gen = fakeGenerator({ accuracy: 0.6 });
    const result = await runEval({ config, generator: gen, outDir: out });
    expect(result.records).toHaveLength(2 * 30 * 4);
    expect(result.generated).toBe(240);
    for (const f of ["run.json", "records.jsonl", "summary.json", "report.md", "report.html"]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const first = result.records[0];
    expect(first).toMatchObject({ benchmark: "gsm8k", problemId: "line-1", sampleIndex: 0, gold: "18" });
    // Every record is graded by the verifier: boxed gold is correct, boxed 100x is wrong, unboxed is no-answer.
    for (const r of result.records) {
      if (r.text.includes("so the answer is")) expect(r.correct, r.text).toBe(true);
      else if (r.text.includes("Working")) expect(r.verdict).toBe("wrong");
      else expect(r.verdict).toBe("no-answer");
    }
    const math = result.records.find((r) => r.benchmark === "math500");
    expect(math?.subject).toBeTypeOf("string");
    expect(math?.level).toBeTypeOf("number");

    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as RunSummary;
    const gsm = summary.benchmarks.find((b) => b.benchmark === "gsm8k");
    const gsmRecords = result.records.filter((r) => r.benchmark === "gsm8k");
    expect(gsm?.pass1.estimate).toBeCloseTo(
      gsmRecords.filter((r) => r.correct).length / gsmRecords.length,
      12,
    );
    expect(Object.keys(gsm?.passAtK ?? {})).toEqual(["1", "2", "4"]);
    expect(gsm?.truncationRate).toBeCloseTo(
      gsmRecords.filter((r) => r.finishReason === "length").length / gsmRecords.length,
      12,
    );
    const m500 = summary.benchmarks.find((b) => b.benchmark === "math500");
    expect(m500?.bySubject?.reduce((s, g) => s + g.problems, 0)).toBe(30);
    expect(m500?.byLevel?.map((g) => g.group)).toEqual(expect.arrayContaining(["1", "2", "3"]));
    expect(readFileSync(join(out, "report.md"), "utf8")).toContain("| fake-model | gsm8k | 30 | 4 |");
    // limit 30: the report says the run covers a subset of each benchmark's file.
    expect(summary.run.planned).toEqual([
      { benchmark: "gsm8k", problems: 30, samplesPerProblem: 4, fileProblems: 1319 },
      { benchmark: "math500", problems: 30, samplesPerProblem: 4, fileProblems: 500 },
    ]);
    expect(readFileSync(join(out, "report.md"), "utf8")).toContain(
      "fake-model: math500 covers 30 of the 500 problems in its file (--limit or problemIds), not the whole benchmark.",
    );
  });

  it("a rerun of a finished run generates nothing and keeps the files", async () => {
    const out = join(root, "b");
    await runEval({ config, generator: fakeGenerator(), outDir: out });
    const before = readFileSync(join(out, "records.jsonl"), "utf8");
    const gen = fakeGenerator();
    const again = await runEval({ config, generator: gen, outDir: out });
    expect(again.generated).toBe(0);
    expect(gen.calls).toHaveLength(0);
    expect(readFileSync(join(out, "records.jsonl"), "utf8")).toBe(before);
  });

  it("asks only for missing samples after a partial run", async () => {
    const out = join(root, "c");
    await runEval({ config: { ...config, n: 2 }, generator: fakeGenerator(), outDir: join(root, "c-n2") });
    // Simulate a partial run: keep half of a complete run's records.
    await runEval({ config, generator: fakeGenerator(), outDir: out, reports: false });
    const all = readRecords(join(out, "records.jsonl")).records;
    const kept = all.filter((r) => r.sampleIndex % 2 === 0);
    writeFileSync(join(out, "records.jsonl"), kept.map((r) => `${JSON.stringify(r)}\n`).join(""));
    const gen = fakeGenerator();
    const result = await runEval({ config, generator: gen, outDir: out });
    expect(result.resumed).toBe(kept.length);
    expect(result.generated).toBe(all.length - kept.length);
    for (const call of gen.calls) for (const p of call.prompts) expect(p.sampleIndices).toEqual([1, 3]);
    expect(result.records).toEqual(all);
  });

  it("records where samples were generated; a resume on another provider goes on, says so and lists both", async () => {
    const out = join(root, "providers");
    const runFile = join(out, "run.json");
    const on = (executionProvider: string) => ({ ...fakeGenerator(), executionProvider });
    // A run on CUDA, cut back to half its samples (a partial run), then finished on the CPU.
    await runEval({ config, generator: on("cuda"), outDir: out, reports: false });
    expect(JSON.parse(readFileSync(runFile, "utf8")).executionProviders).toEqual(["cuda"]);
    const kept = readRecords(join(out, "records.jsonl")).records.filter((r) => r.sampleIndex < 2);
    writeFileSync(join(out, "records.jsonl"), kept.map((r) => `${JSON.stringify(r)}\n`).join(""));
    const warnings: string[] = [];
    const resumed = await runEval({
      config,
      generator: on("cpu"),
      outDir: out,
      reports: false,
      warn: (m) => warnings.push(m),
    });
    expect(resumed.generated).toBeGreaterThan(0);
    expect(warnings).toEqual([
      expect.stringMatching(/generated on cuda, and this run is on cpu; providers round floats differently/),
    ]);
    expect(JSON.parse(readFileSync(runFile, "utf8")).executionProviders).toEqual(["cuda", "cpu"]);
    expect(resumed.summary.run.executionProviders).toEqual(["cuda", "cpu"]);
    // A generator that does not say (a replies file) changes nothing.
    await runEval({ config, generator: fakeGenerator(), outDir: out, reports: false });
    expect(JSON.parse(readFileSync(runFile, "utf8")).executionProviders).toEqual(["cuda", "cpu"]);
  });

  it("lists an unknown provider first for samples a run.json from before providers were kept already held", async () => {
    const out = join(root, "providers-older");
    const runFile = join(out, "run.json");
    const on = (executionProvider: string) => ({ ...fakeGenerator(), executionProvider });
    await runEval({ config, generator: on("cpu"), outDir: out, reports: false });
    const { executionProviders: _, ...older } = JSON.parse(readFileSync(runFile, "utf8")) as Record<
      string,
      unknown
    >;
    writeFileSync(runFile, JSON.stringify(older));
    const kept = readRecords(join(out, "records.jsonl")).records.filter((r) => r.sampleIndex < 2);
    writeFileSync(join(out, "records.jsonl"), kept.map((r) => `${JSON.stringify(r)}\n`).join(""));
    const warnings: string[] = [];
    await runEval({
      config,
      generator: on("cpu"),
      outDir: out,
      reports: false,
      warn: (m) => warnings.push(m),
    });
    expect(warnings).toEqual([]);
    expect(JSON.parse(readFileSync(runFile, "utf8")).executionProviders).toEqual(["unknown", "cpu"]);
    // The same older run.json over a folder with no samples yet: this run's provider alone.
    writeFileSync(runFile, JSON.stringify(older));
    writeFileSync(join(out, "records.jsonl"), "");
    await runEval({ config, generator: on("cpu"), outDir: out, reports: false });
    expect(JSON.parse(readFileSync(runFile, "utf8")).executionProviders).toEqual(["cpu"]);
  });

  it("refuses a user template without {{question}} before writing anything, so the fixed rerun can start", async () => {
    const out = join(root, "template");
    const bad = { ...config, limit: 2, userTemplate: "oops" };
    await expect(
      runEval({ config: bad, generator: fakeGenerator({ accuracy: 1 }), outDir: out }),
    ).rejects.toThrow(/config\.userTemplate must be a string containing \{\{question\}\}, found "oops"/);
    expect(existsSync(join(out, "run.json"))).toBe(false);
    const fixed = { ...config, limit: 2 };
    const result = await runEval({ config: fixed, generator: fakeGenerator({ accuracy: 1 }), outDir: out });
    expect(result.generated).toBe(2 * 2 * 4);
  });

  it("refuses to resume with different settings, naming the field", async () => {
    const out = join(root, "d");
    await runEval({ config, generator: fakeGenerator(), outDir: out, reports: false });
    await expect(
      runEval({ config: { ...config, seed: 2 }, generator: fakeGenerator(), outDir: out }),
    ).rejects.toThrow("different settings (seed: 1 in run.json, 2 now); start over");
    // With the values, so the user need not open run.json to learn what the run was started with.
    await expect(
      runEval({ config: { ...config, limit: 10 }, generator: fakeGenerator(), outDir: out }),
    ).rejects.toThrow(
      "different settings (benchmarks[gsm8k]: 30 problems in run.json, 10 now (--limit or problemIds));",
    );
    await expect(
      runEval({
        config: { ...config, sampling: { ...config.sampling, temperature: 0 } },
        generator: fakeGenerator(),
        outDir: out,
      }),
    ).rejects.toThrow("different settings (sampling.temperature: 0.6 in run.json, 0 now);");
    await expect(
      runEval({ config: { ...config, benchmarks: ["gsm8k"] }, generator: fakeGenerator(), outDir: out }),
    ).rejects.toThrow("different settings (benchmarks (gsm8k,math500 in run.json, gsm8k now));");
    await expect(
      runEval({ config, generator: fakeGenerator({ modelId: "other" }), outDir: out }),
    ).rejects.toThrow('different settings (modelId: "fake-model" in run.json, "other" now);');
  });

  it("refuses to resume when the weights behind the same model id changed", async () => {
    const out = join(root, "d2");
    await runEval({ config, generator: fakeGenerator({ fingerprint: "aaaa" }), outDir: out, reports: false });
    await expect(
      runEval({ config, generator: fakeGenerator({ fingerprint: "bbbb" }), outDir: out }),
    ).rejects.toThrow(/different settings \(modelFingerprint\)/);
    // A run.json written before fingerprints existed has no such field: that is a difference too.
    const runFile = join(out, "run.json");
    const manifest = JSON.parse(readFileSync(runFile, "utf8")) as Record<string, unknown>;
    delete manifest.modelFingerprint;
    writeFileSync(runFile, JSON.stringify(manifest));
    await expect(
      runEval({ config, generator: fakeGenerator({ fingerprint: "aaaa" }), outDir: out }),
    ).rejects.toThrow(/modelFingerprint/);
    const resumed = await runEval({
      config,
      generator: fakeGenerator({ fingerprint: "aaaa" }),
      outDir: join(root, "d3"),
      reports: false,
    });
    expect(resumed.generated).toBeGreaterThan(0);
  });

  it("says which run.json is not a JSON object, and a run.json with a byte-order mark resumes", async () => {
    const out = join(root, "manifest-null");
    const small = { ...config, limit: 2 };
    await runEval({ config: small, generator: fakeGenerator(), outDir: out, reports: false });
    const runFile = join(out, "run.json");
    const text = readFileSync(runFile, "utf8");
    writeFileSync(runFile, "null\n");
    await expect(runEval({ config: small, generator: fakeGenerator(), outDir: out })).rejects.toThrow(
      `${runFile}: not a JSON object (found null); it should hold a run's settings; start over in a new output folder`,
    );
    writeFileSync(runFile, `\uFEFF${text}`);
    const resumed = await runEval({ config: small, generator: fakeGenerator(), outDir: out, reports: false });
    expect(resumed.generated).toBe(0);
  });

  it("checkRunFolder refuses what runEval would refuse, and writes nothing", async () => {
    const out = join(root, "check");
    const model = { modelId: "fake-model", fingerprint: "aaaa" };
    checkRunFolder({ config, model, outDir: out }); // no run yet: nothing to differ from
    expect(existsSync(out)).toBe(false);
    await runEval({ config, generator: fakeGenerator({ fingerprint: "aaaa" }), outDir: out, reports: false });
    const before = readFileSync(join(out, "run.json"), "utf8");
    checkRunFolder({ config, model, outDir: out });
    expect(() =>
      checkRunFolder({
        config,
        model: { ...model, fingerprint: "bbbb", fingerprintOf: "the weights" },
        outDir: out,
      }),
    ).toThrow(/different settings \(modelFingerprint: the weights changed since this run started\)/);
    expect(() => checkRunFolder({ config: { ...config, n: 2 }, model, outDir: out })).toThrow(
      "different settings (n: 4 in run.json, 2 now; a resume may raise n, adding samples, but not lower it)",
    );
    checkRunFolder({ config: { ...config, n: 8 }, model, outDir: out }); // a larger n resumes
    expect(readFileSync(join(out, "run.json"), "utf8")).toBe(before);
  });

  it("resumes with a larger n: keeps the samples, generates the new indices, ends as a fresh run at that n", async () => {
    // ssb-eval refused `--n 4` on a run of n 2 ("n: 2 in run.json, 4 now"), though each sample is seeded by
    // (seed, benchmark, problem, index) alone, so the first two samples of a run at n 4 are the run at n 2's.
    const small = { ...config, limit: 5, n: 2 };
    const [grown, fresh] = [join(root, "grown"), join(root, "fresh")];
    await runEval({ config: small, generator: fakeGenerator(), outDir: grown });
    const gen = fakeGenerator();
    const notes: string[] = [];
    const result = await runEval({
      config: { ...small, n: 4 },
      generator: gen,
      outDir: grown,
      warn: (m) => notes.push(m),
    });
    expect([result.resumed, result.generated]).toEqual([2 * 5 * 2, 2 * 5 * 2]);
    expect(gen.calls.flatMap((c) => c.prompts.flatMap((p) => p.sampleIndices))).toEqual(
      Array.from({ length: 2 * 5 }, () => [2, 3]).flat(),
    );
    expect(notes).toEqual([
      `ssb-eval: note: ${join(grown, "run.json")} records n = 2; this run raises it to 4: the 20 samples already there are kept and samples 2 to 3 of each problem are generated (a sample's seed depends on its problem and index alone, so the run ends as a fresh run with n = 4 would)`,
    ]);
    await runEval({ config: { ...small, n: 4 }, generator: fakeGenerator(), outDir: fresh });
    for (const f of ["run.json", "records.jsonl", "summary.json", "report.md", "report.html"])
      expect(readFileSync(join(grown, f), "utf8"), f).toBe(readFileSync(join(fresh, f), "utf8"));
    // A smaller n would drop samples: refused, and the folder is left as it was.
    await expect(runEval({ config: small, generator: fakeGenerator(), outDir: grown })).rejects.toThrow(
      "different settings (n: 4 in run.json, 2 now; a resume may raise n, adding samples, but not lower it)",
    );
    expect(readFileSync(join(grown, "run.json"), "utf8")).toBe(readFileSync(join(fresh, "run.json"), "utf8"));
  });

  it("resumes a run begun under a model's former id under that id, and refuses other ids", async () => {
    // openModelGenerator's ids changed (`ssb/model`, was `model`): a run.json holding the old one must neither
    // be refused as another model nor have its recorded id and report names changed.
    const out = join(root, "former-id");
    const small = { ...config, limit: 3, n: 1 };
    await runEval({
      config: small,
      generator: fakeGenerator({ modelId: "model" }),
      outDir: out,
      reports: false,
    });
    const before = readFileSync(join(out, "run.json"), "utf8");
    const renamed = { ...fakeGenerator({ modelId: "ssb/model" }), formerModelIds: ["model"] };
    checkRunFolder({ config: small, model: renamed, outDir: out });
    const result = await runEval({ config: { ...small, n: 2 }, generator: renamed, outDir: out });
    expect(result.resumed).toBe(2 * 3);
    expect(result.summary.run).toMatchObject({ name: "model", modelId: "model" });
    expect(JSON.parse(readFileSync(join(out, "run.json"), "utf8"))).toEqual({ ...JSON.parse(before), n: 2 });
    await expect(
      runEval({
        config: { ...small, n: 2 },
        generator: fakeGenerator({ modelId: "ssb/model" }),
        outDir: out,
      }),
    ).rejects.toThrow('different settings (modelId: "model" in run.json, "ssb/model" now)');
  });

  it("sends the math-tutor system prompt and the bare question by default", async () => {
    const gen = fakeGenerator();
    await runEval({
      config: { ...config, limit: 1, n: 1 },
      generator: gen,
      outDir: join(root, "e"),
      reports: false,
    });
    const messages = gen.calls[0]?.prompts[0]?.messages;
    expect(messages?.[0]?.role).toBe("system");
    expect(messages?.[0]?.content).toContain("expert math tutor");
    expect(messages?.[1]).toEqual({ role: "user", content: expect.stringContaining("Janet") });
  });

  it("rejects a generator that returns samples it was not asked for", async () => {
    const bad = {
      modelId: "bad",
      async *generate() {
        yield { problemId: "nope", sampleIndex: 0, text: "x", tokens: 1, finishReason: "stop" as const };
      },
    };
    await expect(
      runEval({ config: { ...config, limit: 1 }, generator: bad, outDir: join(root, "f"), reports: false }),
    ).rejects.toThrow(/unrequested or duplicate sample gsm8k\/nope#0/);
  });
});

describe("runEval's maj@k", () => {
  it("groups answers with config.grade, as the samples were graded", async () => {
    // GSM8K line-1's gold is 18. With a 1% relative tolerance 18.1 is graded correct and is in 18's class, so
    // maj@4 is a tie of {18.1, 18} and {7, 7}: 1/2. Grouped with the default tolerance, {7, 7} won alone: 0.
    const texts = ["\\boxed{18.1}", "\\boxed{18}", "\\boxed{7}", "\\boxed{7}"];
    const generator = scriptedGenerator("scripted", texts);
    const result = await runEval({
      config: { ...config, benchmarks: ["gsm8k"], limit: 1, grade: { relativeTolerance: 0.01 } },
      generator,
      outDir: join(root, "grade-tolerance"),
      reports: false,
    });
    expect(result.records.map((r) => r.correct)).toEqual([true, true, false, false]);
    const gsm = result.summary.benchmarks[0];
    expect(gsm?.pass1.estimate).toBe(0.5);
    expect(gsm?.majAtK["4"]?.estimate).toBe(0.5);
  });
});

describe("runEval on a reasoning model's replies", () => {
  it("grades each by what follows its thinking", async () => {
    // GSM8K line-1's gold is 18. Qwen3 (<think>...</think>) and an R1 distill (only </think>: its template
    // opened the block) box 18 while thinking and then answer otherwise; a reply cut off inside <think> has no
    // answer. Before, the tentative boxes were graded and all but the last reply counted as correct.
    const texts = [
      "<think>\nMaybe \\boxed{18}?\n</think>\n\nThe answer is 20.",
      "<think>\nSo \\boxed{18}. But wait",
      "Okay, \\boxed{18}\n</think>\n\nThe answer is 7.",
      "<think>\nMaybe \\boxed{20}?\n</think>\n\n\\boxed{18}",
    ];
    const generator = scriptedGenerator("scripted-thinking", texts);
    const result = await runEval({
      config: { ...config, benchmarks: ["gsm8k"], limit: 1 },
      generator,
      outDir: join(root, "thinking"),
      reports: false,
    });
    expect(result.records.map((r) => [r.verdict, r.extracted])).toEqual([
      ["wrong", "20"],
      ["no-answer", null],
      ["wrong", "7"],
      ["correct", "18"],
    ]);
  });
});
