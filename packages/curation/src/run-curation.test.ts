import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  fakeEquivalence,
  fakeGrader,
  problemOfRequest,
  ScriptedGenerator,
  syntheticRun,
} from "../test/fakes.js";
import type { DropRecord, PairRecord, TeacherPromptRecord } from "./pair-record.js";
import { parseProblem } from "./parse-records.js";
import { type CurationConfig, runCuration } from "./run-curation.js";
import { EXACT_TEMPLATE } from "./teacher-prompt.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "ssb-curation-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const readLines = <T>(path: string): T[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as T);

const { problems, rollouts } = syntheticRun(30);
const golds = new Map(problems.map((p) => [p.id, p.answer]));
// The teacher answers right, except for every 4th problem where its first try is wrong.
const teacher = () =>
  new ScriptedGenerator((r) => {
    const id = problemOfRequest(r);
    const wrongFirst = Number(id.slice(1)) % 4 === 0 && r.id.endsWith("#1");
    return { text: `A careful solution for ${id}. \\boxed{${wrongFirst ? "-1" : golds.get(id)}}` };
  });
const config: CurationConfig = { grader: fakeGrader, equivalence: fakeEquivalence, seed: 11, batchSize: 4 };

describe("runCuration", () => {
  it("writes pairs, drops, prompts and a summary that add up", async () => {
    const out = tmp();
    const gen = teacher();
    const result = await runCuration({ problems, rollouts, outDir: out, config, generator: gen });
    const pairs = readLines<PairRecord>(result.files.pairs);
    const drops = readLines<DropRecord>(result.files.dropped);
    const prompts = readLines<TeacherPromptRecord>(result.files.prompts);
    expect(pairs.length + drops.length).toBe(problems.length);
    expect(prompts.length).toBe(result.summary.selected);
    expect(result.summary.kept).toBe(pairs.length);
    expect(pairs.length).toBeGreaterThan(0);
    expect(drops.some((d) => d.stage === "selection")).toBe(true);
    expect(drops.some((d) => d.reason === "teacher-wrong-answer")).toBe(true);
    // Problems appear in input order in every file.
    const order = problems.map((p) => p.id);
    for (const list of [pairs, drops, prompts]) {
      const idx = list.map((r) => order.indexOf(r.problemId));
      expect(idx).toEqual([...idx].sort((a, b) => a - b));
    }
    const p = pairs[0]!;
    expect(p.studentMessages).toHaveLength(2);
    expect(p.studentMessages[1]!.content).toBe(problems.find((x) => x.id === p.problemId)!.question);
    expect(p.teacherMessages[1]!.content).toContain("This is the correct response from a student:");
    expect(p.responseTokenIds.at(-1)).toBe(0);
    expect(p.responseTokenIds.length).toBe([...p.response].length + 1);
    expect(p.logitKey).toBe(`${p.problemId}#1`);
    expect(p.teacherAnswerCorrect).toBe(true);
    expect(p.teacherSampling).toMatchObject({ temperature: 0.4, topK: 50 });
    const summary = JSON.parse(readFileSync(result.files.summary, "utf8"));
    expect(summary.dropped.total).toBe(drops.length);
    expect(summary.replyLengths.tokens.count).toBe(pairs.length);
    for (const call of gen.calls) expect(call.options.captureLogits).toBe(true);
  });

  it("commits the generator's logits before each batch's pairs are written", async () => {
    const out = tmp();
    const gen = teacher();
    const pairsOnDiskAtCommit: number[] = [];
    const pairsFile = join(out, "pairs.jsonl");
    const committing = Object.assign(gen, {
      commit: async (): Promise<void> => {
        let n = 0;
        try {
          n = readLines<PairRecord>(pairsFile).length;
        } catch {}
        pairsOnDiskAtCommit.push(n);
      },
    });
    const result = await runCuration({ problems, rollouts, outDir: out, config, generator: committing });
    const pairs = readLines<PairRecord>(result.files.pairs);
    // One commit per teacher batch, each seeing only the pairs of earlier batches.
    expect(pairsOnDiskAtCommit).toHaveLength(gen.calls.length);
    expect(pairsOnDiskAtCommit.at(-1)).toBeLessThan(pairs.length);
    expect(pairsOnDiskAtCommit).toEqual([...pairsOnDiskAtCommit].sort((a, b) => a - b));
  });

  it("is idempotent: a rerun on a finished directory changes nothing and calls no generator", async () => {
    const out = tmp();
    await runCuration({ problems, rollouts, outDir: out, config, generator: teacher() });
    const before = readFileSync(join(out, "pairs.jsonl"), "utf8");
    const gen = teacher();
    const again = await runCuration({ problems, rollouts, outDir: out, config, generator: gen });
    expect(gen.calls).toHaveLength(0);
    expect(again.skipped).toBe(problems.length);
    expect(readFileSync(join(out, "pairs.jsonl"), "utf8")).toBe(before);
    // Nothing is written: every file is the same one (summary.json was replaced by an identical copy).
    const files = () =>
      readdirSync(out).map((f) => [f, statSync(join(out, f)).ino, statSync(join(out, f)).mtimeMs]);
    const unchanged = files();
    await runCuration({ problems, rollouts, outDir: out, config, generator: teacher() });
    expect(files()).toEqual(unchanged);
  });

  it("resumes after a partial run (and a half-written line) to the same files", async () => {
    const full = tmp();
    await runCuration({ problems, rollouts, outDir: full, config, generator: teacher() });
    const part = tmp();
    await runCuration({
      problems: problems.slice(0, 13),
      rollouts,
      outDir: part,
      config,
      generator: teacher(),
    });
    const pairsPath = join(part, "pairs.jsonl");
    writeFileSync(pairsPath, `${readFileSync(pairsPath, "utf8")}{"problemId":"p013","resp`);
    const resumed = await runCuration({ problems, rollouts, outDir: part, config, generator: teacher() });
    expect(resumed.truncatedBytes).toBeGreaterThan(0);
    for (const f of ["pairs.jsonl", "dropped.jsonl", "teacher-prompts.jsonl", "summary.json"]) {
      expect(readFileSync(join(part, f), "utf8")).toBe(readFileSync(join(full, f), "utf8"));
    }
  });

  it("stops on an AbortSignal between batches; the rerun finishes the same files and a whole summary", async () => {
    const full = tmp();
    const reference = await runCuration({ problems, rollouts, outDir: full, config, generator: teacher() });
    const out = tmp();
    const controller = new AbortController();
    const stopped = runCuration({
      problems,
      rollouts,
      outDir: out,
      config,
      generator: teacher(),
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 8) controller.abort();
      },
    });
    await expect(stopped).rejects.toThrow(/aborted/);
    const saved = readLines<PairRecord>(join(out, "pairs.jsonl")).length;
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThan(reference.summary.kept ?? 0);
    expect(existsSync(join(out, "curation.lock"))).toBe(false);
    const resumed = await runCuration({ problems, rollouts, outDir: out, config, generator: teacher() });
    expect(resumed.skipped).toBe(8);
    expect(resumed.summary).toEqual(reference.summary);
    for (const f of ["pairs.jsonl", "dropped.jsonl", "teacher-prompts.jsonl", "summary.json"])
      expect(readFileSync(join(out, f), "utf8"), f).toBe(readFileSync(join(full, f), "utf8"));
    // Aborted before it starts: no folder is made.
    const never = join(tmp(), "never");
    await expect(
      runCuration({ problems, rollouts, outDir: never, config, signal: AbortSignal.abort() }),
    ).rejects.toThrow(/aborted/);
    expect(existsSync(never)).toBe(false);
  });

  it("selection-only mode writes the teacher prompts; a later teacher run completes the same directory", async () => {
    const out = tmp();
    const sel = await runCuration({ problems, rollouts, outDir: out, config });
    expect(sel.summary.mode).toBe("selection");
    expect(sel.summary.kept).toBeNull();
    const prompts = readLines<TeacherPromptRecord>(join(out, "teacher-prompts.jsonl"));
    expect(prompts.length).toBe(sel.summary.selected);
    expect(prompts[0]!.requests[0]!.id).toBe(`${prompts[0]!.problemId}#1`);
    const full = tmp();
    await runCuration({ problems, rollouts, outDir: full, config, generator: teacher() });
    await runCuration({ problems, rollouts, outDir: out, config, generator: teacher() });
    expect(readFileSync(join(out, "pairs.jsonl"), "utf8")).toBe(
      readFileSync(join(full, "pairs.jsonl"), "utf8"),
    );
  });

  it("retries the teacher when asked, and records the try", async () => {
    const out = tmp();
    const r = await runCuration({
      problems,
      rollouts,
      outDir: out,
      config: { ...config, maxAttempts: 2 },
      generator: teacher(),
    });
    const pairs = readLines<PairRecord>(r.files.pairs);
    expect(pairs.some((p) => p.teacherAttempt === 2)).toBe(true);
    expect(r.summary.dropped.byReason["teacher-wrong-answer"]).toBeUndefined();
    expect(r.summary.teacherAttempts?.["2"]).toBeGreaterThan(0);
  });

  it("refuses to resume with different settings", async () => {
    const out = tmp();
    await runCuration({ problems: problems.slice(0, 3), rollouts, outDir: out, config });
    await expect(
      runCuration({ problems, rollouts, outDir: out, config: { ...config, seed: 12 } }),
    ).rejects.toThrow(/run\.json: this output directory holds a run with seed=11, but this run has seed=12/);
    await expect(
      runCuration({ problems, rollouts, outDir: out, config: { ...config, template: EXACT_TEMPLATE } }),
    ).rejects.toThrow(/template=/);
    // The teacher's default temperature, given explicitly, is the same setting as leaving it out.
    const explicit = { ...config, teacherSampling: { temperature: 0.4, topK: 50 } };
    await runCuration({ problems: problems.slice(0, 3), rollouts, outDir: out, config: explicit });
  });

  it("pins a custom grader's given name: a resume with another one is refused", async () => {
    const out = tmp();
    const named = { ...config, graderId: "boxed-exact@1", equivalenceId: "string-equal" };
    await runCuration({ problems: problems.slice(0, 3), rollouts, outDir: out, config: named });
    const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as {
      settings: Record<string, string>;
    };
    expect(run.settings.grader).toBe("custom:boxed-exact@1");
    expect(run.settings.equivalence).toBe("custom:string-equal");
    await expect(
      runCuration({ problems, rollouts, outDir: out, config: { ...named, graderId: "boxed-exact@2" } }),
    ).rejects.toThrow(
      /holds a run with grader="custom:boxed-exact@1", but this run has grader="custom:boxed-exact@2"; use another output directory \(or delete this one\) instead of mixing two runs$/,
    );
    await runCuration({ problems, rollouts, outDir: out, config: named });
    // A name without the function it names is a mistake, not a setting.
    await expect(
      runCuration({ problems, rollouts, outDir: tmp(), config: { seed: 11, graderId: "mine" } }),
    ).rejects.toThrow("config.graderId is given but no custom function is: set both or neither");
  });

  it("pins logit capture at the first teacher run: a resume without capture is refused, not mixed", async () => {
    const out = tmp();
    // Selection first (no teacher, so nothing about capture is pinned yet), then a teacher run without capture.
    await runCuration({ problems: problems.slice(0, 3), rollouts, outDir: out, config });
    const noCapture = { ...config, captureLogits: false };
    await runCuration({
      problems: problems.slice(0, 8),
      rollouts,
      outDir: out,
      config: noCapture,
      generator: teacher(),
    });
    const before = readFileSync(join(out, "pairs.jsonl"), "utf8");
    const gen = teacher();
    await expect(runCuration({ problems, rollouts, outDir: out, config, generator: gen })).rejects.toThrow(
      /run\.json: this output directory holds a run with captureLogits=false, but this run has captureLogits=true/,
    );
    expect(gen.calls).toHaveLength(0);
    expect(readFileSync(join(out, "pairs.jsonl"), "utf8")).toBe(before);
    const done = await runCuration({
      problems,
      rollouts,
      outDir: out,
      config: noCapture,
      generator: teacher(),
    });
    expect(done.summary.problems).toBe(problems.length);
  });

  it("pins the teacher's identity: a resume with another teacher model is refused, not mixed", async () => {
    const out = tmp();
    const modelA = Object.assign(teacher(), { identity: "model.onnx sha256:aaa" });
    await runCuration({ problems: problems.slice(0, 8), rollouts, outDir: out, config, generator: modelA });
    const before = readFileSync(join(out, "pairs.jsonl"), "utf8");
    const modelB = Object.assign(teacher(), { identity: "model.onnx sha256:bbb" });
    await expect(runCuration({ problems, rollouts, outDir: out, config, generator: modelB })).rejects.toThrow(
      'holds a run with teacher="model.onnx sha256:aaa", but this run has teacher="model.onnx sha256:bbb"',
    );
    expect(modelB.calls).toHaveLength(0);
    expect(readFileSync(join(out, "pairs.jsonl"), "utf8")).toBe(before);
    // The same teacher resumes; one that says nothing about itself is not checked.
    const again = Object.assign(teacher(), { identity: "model.onnx sha256:aaa" });
    await runCuration({ problems: problems.slice(0, 12), rollouts, outDir: out, config, generator: again });
    const done = await runCuration({ problems, rollouts, outDir: out, config, generator: teacher() });
    expect(done.summary.problems).toBe(problems.length);
  });

  it("names another tool's run.json instead of one of its fields, changing nothing", async () => {
    const out = tmp();
    const runFile = join(out, "run.json");
    const evalRun = `${JSON.stringify({ format: "ssb-eval-run/1", modelId: "m", n: 1 })}\n`;
    writeFileSync(runFile, evalRun);
    writeFileSync(join(out, "records.jsonl"), '{"benchmark":"gsm8k"}\n');
    await expect(runCuration({ problems, rollouts, outDir: out, config })).rejects.toThrow(
      `${runFile}: holds a run of another kind (format "ssb-eval-run/1"), not a curation run ("ssb-curation-run/1"); use another output folder`,
    );
    expect(readFileSync(runFile, "utf8")).toBe(evalRun);
    expect(readdirSync(out).sort()).toEqual(["records.jsonl", "run.json"]);
  });

  it("refuses to resume on problems whose inputs changed (an edited rollout, more samples, another gold)", async () => {
    const out = tmp();
    await runCuration({ problems: problems.slice(0, 6), rollouts, outDir: out, config });
    const edited = rollouts.map((r, i) => (i === 0 ? { ...r, text: `${r.text} (edited)` } : r));
    await expect(runCuration({ problems, rollouts: edited, outDir: out, config })).rejects.toThrow(
      /problem "p000" was curated from other inputs than these/,
    );
    const regolded = problems.map((p, i) => (i === 1 ? { ...p, answer: `${p.answer}0` } : p));
    await expect(runCuration({ problems: regolded, rollouts, outDir: out, config })).rejects.toThrow(
      /problem "p001"/,
    );
    // The same inputs resume (and finish the problems not yet done).
    const result = await runCuration({ problems, rollouts, outDir: out, config });
    expect(result.skipped).toBe(6);
  });

  it("a refused teacher resume (changed inputs, a bad journal line) leaves the selection folder as it was", async () => {
    const out = tmp();
    await runCuration({ problems: problems.slice(0, 6), rollouts, outDir: out, config });
    const files = ["run.json", "teacher-prompts.jsonl", "dropped.jsonl", "summary.json"];
    const snapshot = () => [readdirSync(out).sort(), ...files.map((f) => readFileSync(join(out, f), "utf8"))];
    const before = snapshot();
    const edited = rollouts.map((r, i) => (i === 0 ? { ...r, text: `${r.text} (edited)` } : r));
    const modelA = Object.assign(teacher(), { identity: "model A" });
    await expect(
      runCuration({ problems, rollouts: edited, outDir: out, config, generator: modelA }),
    ).rejects.toThrow(/problem "p000" was curated from other inputs than these/);
    expect(modelA.calls).toHaveLength(0);
    // The refused run pinned neither its teacher in run.json nor made pairs.jsonl, which would have refused
    // the selection-only rerun below as a "teacher-mode folder" and a later teacher as another model.
    expect(snapshot()).toEqual(before);
    const drops = join(out, "dropped.jsonl");
    writeFileSync(drops, `${readFileSync(drops, "utf8")}{"problemId": 7}\n`);
    await expect(
      runCuration({ problems, rollouts, outDir: out, config, generator: teacher() }),
    ).rejects.toThrow(/dropped\.jsonl:\d+: expected a record with a string "problemId" field/);
    expect(readFileSync(join(out, "run.json"), "utf8")).toBe(before[1]);
    expect(existsSync(join(out, "pairs.jsonl"))).toBe(false);
    writeFileSync(drops, before[3] as string);
    const selection = await runCuration({ problems, rollouts, outDir: out, config });
    expect(selection.skipped).toBe(6);
    const modelB = Object.assign(teacher(), { identity: "model B" });
    const done = await runCuration({ problems, rollouts, outDir: out, config, generator: modelB });
    expect(done.summary.problems).toBe(problems.length);
  });

  it("refuses a second run on an output folder a live run holds", async () => {
    const out = tmp();
    writeFileSync(join(out, "curation.lock"), String(process.ppid)); // another live process
    await expect(runCuration({ problems, rollouts, outDir: out, config })).rejects.toThrow(
      /locked by a running curation run \(pid \d+/,
    );
    rmSync(join(out, "curation.lock"));
    await runCuration({ problems: problems.slice(0, 2), rollouts, outDir: out, config });
    expect(existsSync(join(out, "curation.lock"))).toBe(false);
  });

  it("refuses a second call in the same process on a folder the first is writing, and never doubles records", async () => {
    const out = tmp();
    const slowTeacher = () =>
      new ScriptedGenerator((r) => ({ text: `\\boxed{${golds.get(problemOfRequest(r))}}` }), 1);
    const first = runCuration({ problems, rollouts, outDir: out, config, generator: slowTeacher() });
    // The same folder spelled another way is the same folder.
    const second = runCuration({ problems, rollouts, outDir: `${out}/.`, config, generator: slowTeacher() });
    await expect(second).rejects.toThrow(
      `${out}/.: locked by another curation run in this process (${out}/curation.lock); wait for it to finish`,
    );
    const result = await first;
    const ids = readLines<PairRecord>(join(out, "pairs.jsonl")).map((p) => p.problemId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(result.summary.kept);
    // Once the first has finished, the folder is free again (the rerun finds it finished).
    const again = await runCuration({ problems, rollouts, outDir: out, config, generator: slowTeacher() });
    expect(again.skipped).toBe(problems.length);
  });

  it("refuses an output folder that is a file or under one, naming it and changing nothing", async () => {
    const file = join(tmp(), "a-file");
    writeFileSync(file, "kept\n");
    await expect(runCuration({ problems, rollouts, outDir: file, config })).rejects.toThrow(
      `output folder ${file} exists and is not a folder; give a folder path`,
    );
    await expect(runCuration({ problems, rollouts, outDir: join(file, "sub"), config })).rejects.toThrow(
      `cannot create output folder ${join(file, "sub")} (${file} is a file, not a folder)`,
    );
    expect(readFileSync(file, "utf8")).toBe("kept\n");
  });

  // Root writes into a read-only folder anyway, so this runs only as another user (checked by hand as nobody).
  it.skipIf(process.getuid?.() === 0)(
    "refuses a read-only output folder before any work, naming it",
    async () => {
      const out = tmp();
      chmodSync(out, 0o555);
      try {
        await expect(runCuration({ problems, rollouts, outDir: out, config })).rejects.toThrow(
          `output folder ${out} is not writable (EACCES`,
        );
        expect(readdirSync(out)).toEqual([]);
      } finally {
        chmodSync(out, 0o755);
      }
    },
  );

  it("refuses rollouts of two models and an empty gold answer, before writing anything", async () => {
    const out = tmp();
    const mixed = rollouts.map((r, i) => ({ ...r, modelId: i === 5 ? "other" : "base" }));
    await expect(runCuration({ problems, rollouts: mixed, outDir: out, config })).rejects.toThrow(
      /rollouts come from more than one model: "base" \(problem "p000"\) and "other"/,
    );
    expect(existsSync(join(out, "run.json"))).toBe(false);
    expect(() => parseProblem({ id: "a", question: "q", answer: " " }, "p.jsonl:3")).toThrow(
      /p\.jsonl:3: field "answer" is empty/,
    );
    expect(() => parseProblem({ id: "a", answer: "1" }, "p.jsonl:4")).toThrow(
      /field "question" must be a string, found nothing \(the field is missing\)/,
    );
  });

  it("refuses a folder holding records but no run.json (settings unknown), changing nothing", async () => {
    const out = tmp();
    await runCuration({ problems: problems.slice(0, 5), rollouts, outDir: out, config });
    rmSync(join(out, "run.json"));
    const before = Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(join(out, f), "utf8")]));
    await expect(runCuration({ problems, rollouts, outDir: out, config })).rejects.toThrow(
      `output folder ${out} holds earlier outputs (teacher-prompts.jsonl, dropped.jsonl, summary.json) but no run.json, so the settings they were made with are unknown; use a fresh output folder (--out), or remove those files to start over in this one`,
    );
    const after = Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(join(out, f), "utf8")]));
    expect(after).toEqual(before);
    // Empty journals (no records) are not earlier outputs: nothing to mix with.
    const empty = tmp();
    writeFileSync(join(empty, "teacher-prompts.jsonl"), "");
    writeFileSync(join(empty, "dropped.jsonl"), "\n");
    await runCuration({ problems: problems.slice(0, 2), rollouts, outDir: empty, config });
  });

  it("refuses a selection-only rerun in a teacher-mode folder, keeping its teacher summary", async () => {
    const out = tmp();
    const first = await runCuration({ problems, rollouts, outDir: out, config, generator: teacher() });
    expect(first.summary.kept).toBeGreaterThan(0);
    const summary = readFileSync(join(out, "summary.json"), "utf8");
    await expect(runCuration({ problems, rollouts, outDir: out, config })).rejects.toThrow(
      `output folder ${out} holds a teacher-mode run (pairs.jsonl), and this run has no teacher (ssb-curate: no --teacher-replies): it would replace that run's summary.json with a selection-only one; rerun with the teacher replies to resume it, or use another output folder (--out) for a selection-only run`,
    );
    expect(readFileSync(join(out, "summary.json"), "utf8")).toBe(summary);
    // With the teacher it resumes (here: a finished run, so nothing changes).
    const again = await runCuration({ problems, rollouts, outDir: out, config, generator: teacher() });
    expect(again.summary).toEqual(first.summary);
  });

  it("names run.json and its field when the settings are malformed, and reads one with a byte order mark", async () => {
    const out = tmp();
    await runCuration({ problems: problems.slice(0, 2), rollouts, outDir: out, config });
    const runFile = join(out, "run.json");
    const good = readFileSync(runFile, "utf8");
    const cases: [string, string][] = [
      ['{"settings": 5}', 'field "settings" must be an object, found number 5'],
      ['{"settings": null}', 'field "settings" must be an object, found null'],
      ["{}", 'field "settings" must be an object, found nothing (the field is missing)'],
      ["null", 'expected a JSON object with a "settings" field, found null'],
      ["[]", 'expected a JSON object with a "settings" field, found an array'],
    ];
    for (const [text, message] of cases) {
      writeFileSync(runFile, text);
      await expect(runCuration({ problems, rollouts, outDir: out, config })).rejects.toThrow(
        `${runFile}: ${message}`,
      );
      expect(readFileSync(runFile, "utf8")).toBe(text);
    }
    writeFileSync(runFile, `\ufeff${good}`);
    const resumed = await runCuration({ problems: problems.slice(0, 3), rollouts, outDir: out, config });
    expect(resumed.skipped).toBe(2);
  });

  it("rejects duplicate problem ids and duplicate samples", async () => {
    await expect(
      runCuration({ problems: [problems[0]!, problems[0]!], rollouts, outDir: tmp(), config }),
    ).rejects.toThrow(/problem id "p000" appears twice/);
    await expect(
      runCuration({ problems, rollouts: [rollouts[0]!, rollouts[0]!], outDir: tmp(), config }),
    ).rejects.toThrow(/sampleIndex 0 twice for problem "p000"/);
  });
});

describe("runCuration given file paths instead of records", () => {
  it("says which input must be an array and how to read a file into one, before making the folder", async () => {
    const { problems, rollouts } = syntheticRun(1, 2);
    const out = join(tmp(), "out");
    await expect(runCuration({ problems: "problems.jsonl" as never, rollouts, outDir: out })).rejects.toThrow(
      'runCuration: problems must be an array of records (readProblemsFile(path) reads a file into one), found the string "problems.jsonl"',
    );
    await expect(runCuration({ problems, rollouts: undefined as never, outDir: out })).rejects.toThrow(
      /^runCuration: rollouts must be an array of records \(readRolloutsFile\(path\) reads a file into one\), found nothing/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe("runCuration given records built in code", () => {
  it("reads integer ids and number golds as the file readers do, so the folder resumes", async () => {
    const { problems, rollouts } = syntheticRun(3, 4);
    const config: CurationConfig = { grader: fakeGrader, equivalence: fakeEquivalence };
    // p000 -> 0 and its gold as a number: what JSON.parse of a hand-made dataset gives.
    const numbered = problems.map((p, i) => ({ ...p, id: i, answer: Number(p.answer) }));
    const numberedRollouts = rollouts.map((r) => ({ ...r, problemId: Number(r.problemId.slice(1)) }));
    const out = tmp();
    const first = await runCuration({
      problems: numbered as never,
      rollouts: numberedRollouts as never,
      outDir: out,
      config,
    });
    const strings = await runCuration({ problems, rollouts, outDir: tmp(), config });
    expect(first.summary).toEqual(strings.summary);
    const prompts = readLines<TeacherPromptRecord>(join(out, "teacher-prompts.jsonl"));
    // Problem i has gold i: both are written as strings.
    expect(prompts.length).toBeGreaterThan(0);
    for (const p of prompts) expect([typeof p.problemId, p.gold]).toEqual(["string", p.problemId]);
    // The rerun read the records it wrote back (a number problemId was refused as no record).
    const again = await runCuration({
      problems: numbered as never,
      rollouts: numberedRollouts as never,
      outDir: out,
      config,
    });
    expect(again.skipped).toBe(3);
  });

  it("refuses a bad record naming its index, before making the folder", async () => {
    const { problems, rollouts } = syntheticRun(2, 2);
    const out = join(tmp(), "out");
    await expect(
      runCuration({
        problems: [problems[0]!, { ...problems[1]!, answer: null }] as never,
        rollouts,
        outDir: out,
      }),
    ).rejects.toThrow(
      'runCuration: problems[1]: field "answer" must be the gold answer as a string, found null',
    );
    await expect(
      runCuration({ problems: [{ ...problems[0]!, answer: " " }], rollouts, outDir: out }),
    ).rejects.toThrow('runCuration: problems[0]: field "answer" is empty');
    const { sampleIndex: _, ...noIndex } = rollouts[3]!;
    await expect(
      runCuration({ problems, rollouts: [...rollouts.slice(0, 3), noIndex] as never, outDir: out }),
    ).rejects.toThrow('runCuration: rollouts[3]: field "sampleIndex" must be an integer >= 0, found nothing');
    expect(existsSync(out)).toBe(false);
  });
});

describe("runCuration's input object", () => {
  it("refuses a misspelt key, a bad outDir, generator, hook or signal, naming it, before making the folder", async () => {
    const { problems, rollouts } = syntheticRun(2, 2);
    const out = join(tmp(), "out");
    const base = { problems, rollouts, outDir: out };
    const cases: [unknown, string][] = [
      // A typo'd seed ran with seed 0; a typo'd outDir failed inside Node naming no field.
      [{ ...base, config: { sed: 1 } }, 'runCuration: config: unknown option "sed" (did you mean "seed"?)'],
      [{ problems, rollouts, outdir: out }, 'runCuration: unknown option "outdir" (did you mean "outDir"?)'],
      [
        { problems, rollouts },
        "runCuration: outDir must be a folder path (a non-empty string), found nothing",
      ],
      // "" wrote the outputs into the working directory.
      [
        { ...base, outDir: "" },
        'runCuration: outDir must be a folder path (a non-empty string), found the string ""',
      ],
      [{ ...base, generator: "model" }, "runCuration: generator must be a TeacherGenerator"],
      [{ ...base, generator: {} }, "runCuration: generator must be a TeacherGenerator"],
      [{ ...base, onProgress: "log" }, 'runCuration: onProgress must be a function, found the string "log"'],
      [{ ...base, signal: true }, "runCuration: signal must be an AbortSignal"],
      [{ ...base, config: { grader: "boxed" } }, "runCuration: config.grader must be a function"],
      [null, "runCuration: expected an object { problems, rollouts, outDir, ... }, found null"],
    ];
    for (const [input, message] of cases)
      await expect(runCuration(input as never), message).rejects.toThrow(message);
    expect(existsSync(out)).toBe(false);
  });
});

describe("runCuration on rollouts of another problems file", () => {
  it("refuses rollouts none of which belongs to a problem, before making the folder; some strays are counted", async () => {
    const { problems, rollouts } = syntheticRun(2, 4);
    const config: CurationConfig = { grader: fakeGrader, equivalence: fakeEquivalence };
    // Another numbering of the same file: every problem would be dropped as no-rollouts, and the run succeed.
    const renamed = rollouts.map((r) => ({ ...r, problemId: `gsm8k-${r.problemId}` }));
    const out = join(tmp(), "out");
    await expect(runCuration({ problems, rollouts: renamed, outDir: out, config })).rejects.toThrow(
      /^runCuration: none of the 8 rollouts belongs to one of the 2 problems \(the first rollout's problemId is "gsm8k-p000", the first problem's id "p000"\); curate the rollouts with the problems file they were sampled from$/,
    );
    expect(existsSync(out)).toBe(false);
    const some = [...rollouts, { ...rollouts[0]!, problemId: "elsewhere" }];
    const result = await runCuration({ problems, rollouts: some, outDir: out, config });
    expect(result.unmatchedRollouts).toBe(1);
  });
});
