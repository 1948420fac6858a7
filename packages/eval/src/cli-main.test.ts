import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { fakeGenerator } from "../test/fake-generator.js";
import { type ModelGeneratorFactory, main } from "./cli-main.js";
import type { RunComparison } from "./compare.js";
import { loadBenchmark } from "./load-benchmark.js";
import type { RunSummary } from "./summarize.js";

const root = mkdtempSync(join(tmpdir(), "ssb-eval-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
/** A --model folder for the tests whose model factory stands in for openModelGenerator (--model must exist). */
const ckpt = join(root, "ckpt");
mkdirSync(ckpt);

function capture() {
  let out = "";
  let err = "";
  return {
    io: {
      stdout: {
        write: (s: string) => {
          out += s;
        },
      },
      stderr: {
        write: (s: string) => {
          err += s;
        },
      },
    },
    out: () => out,
    err: () => err,
  };
}

/** Replies for the first 20 GSM8K problems: run A right on even problems, run B on even and some odd ones. */
function writeReplies(path: string, right: (i: number) => boolean): void {
  const problems = loadBenchmark("gsm8k", { limit: 20 }).problems;
  const lines = problems.map((p, i) =>
    JSON.stringify({
      benchmark: "gsm8k",
      problemId: p.id,
      sampleIndex: 0,
      text: right(i) ? `so \\boxed{${p.answer}}` : "so \\boxed{-1}",
      tokens: 10 + i,
    }),
  );
  writeFileSync(path, `${lines.join("\n")}\n`);
}

describe("ssb-eval CLI", () => {
  it("prints the help for `compare --help` and `report -h` instead of refusing the option", async () => {
    for (const argv of [
      ["compare", "--help"],
      ["report", "runs/a", "-h"],
    ]) {
      const c = capture();
      expect(await main(argv, c.io)).toBe(0);
      expect(c.out()).toContain("ssb-eval compare RUN_A RUN_B");
      expect(c.err()).toBe("");
    }
  });

  it("grades a replies file, then compares two runs", async () => {
    const repliesA = join(root, "a.jsonl");
    const repliesB = join(root, "b.jsonl");
    writeReplies(repliesA, (i) => i % 2 === 0);
    writeReplies(repliesB, (i) => i % 2 === 0 || i % 3 === 0);
    for (const [replies, out] of [
      [repliesA, join(root, "runA")],
      [repliesB, join(root, "runB")],
    ] as const) {
      const c = capture();
      const code = await main(
        ["--replies", replies, "--benchmarks", "gsm8k", "--limit", "20", "--out", out],
        c.io,
      );
      expect(code, c.err()).toBe(0);
      expect(c.out()).toContain("| gsm8k | 20 | 1 |");
    }
    const summaryA = JSON.parse(readFileSync(join(root, "runA", "summary.json"), "utf8")) as RunSummary;
    expect(summaryA.benchmarks[0]?.pass1.estimate).toBe(0.5);

    const c = capture();
    expect(
      await main(["compare", join(root, "runA"), join(root, "runB"), "--out", join(root, "cmp")], c.io),
    ).toBe(0);
    const cmp = (
      JSON.parse(readFileSync(join(root, "cmp", "comparison.json"), "utf8")) as { comparison: RunComparison }
    ).comparison;
    const g = cmp.benchmarks[0];
    // Odd i divisible by 3 below 20: 3, 9, 15 → B wins 3, loses 0.
    expect(g?.wins).toBe(3);
    expect(g?.losses).toBe(0);
    expect(g?.difference.estimate).toBeCloseTo(3 / 20, 12);
    expect(g?.mcnemar).toMatchObject({ onlyA: 0, onlyB: 3, method: "exact-binomial", pValue: 0.25 });
    expect(readFileSync(join(root, "cmp", "comparison.html"), "utf8")).toContain(
      "per-problem wins and losses",
    );
    expect(c.out()).toContain("runB vs runA");
  });

  it("re-renders a report from records", async () => {
    const c = capture();
    expect(
      await main(["report", join(root, "runA"), join(root, "runB"), "--out", join(root, "both")], c.io),
    ).toBe(0);
    const html = readFileSync(join(root, "both", "report.html"), "utf8");
    expect(html).toContain("runA");
    expect(html).toContain("runB");
    // Replies of 10-29 tokens: the length histogram spans them, not the default 2048-token budget they were
    // never generated under (every reply fell in the first of eleven bins), in the run and in its re-render.
    const run = JSON.parse(readFileSync(join(root, "runA", "summary.json"), "utf8")) as RunSummary;
    const both = JSON.parse(readFileSync(join(root, "both", "summary.json"), "utf8")) as {
      runs: RunSummary[];
    };
    for (const summary of [run, ...both.runs])
      expect(summary.benchmarks[0]?.length.histogram.edges.at(-1), summary.run.name).toBeLessThanOrEqual(30);
  });

  it("report writes a records.jsonl's run into its folder, and refuses --out that is a file or another run's folder", async () => {
    const runA = join(root, "runA");
    const runB = join(root, "runB");
    const before = ["summary.json", "report.md", "report.html"].map((f) =>
      readFileSync(join(runB, f), "utf8"),
    );
    // Another run's folder: its summary and reports would have been replaced by runA's.
    const other = capture();
    expect(await main(["report", runA, "--out", runB], other.io)).toBe(2);
    expect(other.err()).toContain(
      `ssb-eval: --out ${runB}: holds a run of its own (run.json, records.jsonl); its summary.json and reports would be replaced by this run's`,
    );
    expect(
      ["summary.json", "report.md", "report.html"].map((f) => readFileSync(join(runB, f), "utf8")),
    ).toEqual(before);
    const both = capture();
    expect(await main(["report", runA, runB, "--out", runB], both.io)).toBe(2);
    expect(both.err()).toContain("would be replaced by these runs'");
    // A file where the folder should be: named with the flag (it was Node's EEXIST from mkdir), in compare too.
    const file = join(root, "a-file");
    writeFileSync(file, "x");
    for (const args of [
      ["report", runA, "--out", file],
      ["compare", runA, runB, "--out", file],
    ]) {
      const c = capture();
      expect(await main(args, c.io)).toBe(2);
      expect(c.err()).toContain(`ssb-eval: --out ${file}: is a file, expected a folder for the reports`);
    }
    // A records.jsonl given by path re-renders into its own folder (mkdir of the file's path failed), as does
    // the run's own folder given as --out.
    const copy = join(root, "own-run"); // a copy: a later test reads runA's summary as it was written
    mkdirSync(copy);
    for (const f of ["run.json", "records.jsonl", "summary.json"])
      writeFileSync(join(copy, f), readFileSync(join(runA, f)));
    const own = capture();
    expect(await main(["report", join(copy, "records.jsonl")], own.io), own.err()).toBe(0);
    expect(existsSync(join(copy, "report.html"))).toBe(true);
    expect(await main(["report", copy, "--out", `${copy}/`], capture().io)).toBe(0);
  });

  it("re-renders a run in its own folder to the files it wrote, and a renamed folder shows its new name", async () => {
    const files = ["summary.json", "report.md", "report.html"];
    const copy = join(root, "in-place");
    mkdirSync(copy);
    for (const f of ["run.json", "records.jsonl", ...files])
      writeFileSync(join(copy, f), readFileSync(join(root, "runB", f)));
    const original = files.map((f) => readFileSync(join(copy, f), "utf8"));
    const c = capture();
    expect(await main(["report", copy], c.io), c.err()).toBe(0);
    expect(c.out()).toContain("| in-place | gsm8k |"); // the table names it by its folder
    // The files keep the name runEval wrote (the model id): the folder's name was written there and then read
    // back as a --name, so it stuck after the folder was renamed.
    expect(files.map((f) => readFileSync(join(copy, f), "utf8"))).toEqual(original);
    const renamed = join(root, "renamed");
    renameSync(copy, renamed);
    const again = capture();
    expect(await main(["report", renamed], again.io)).toBe(0);
    expect(again.out()).toContain("| renamed | gsm8k |");
  });

  it("re-renders a run with the bootstrap its summary was made with", async () => {
    const replies = join(root, "boot.jsonl");
    writeReplies(replies, (i) => i % 3 === 0);
    const config = join(root, "boot.json");
    writeFileSync(config, JSON.stringify({ bootstrap: { seed: 7, resamples: 300 } }));
    const out = join(root, "boot-run");
    const args = ["--replies", replies, "--benchmarks", "gsm8k", "--limit", "20", "--config", config];
    expect(await main([...args, "--out", out], capture().io)).toBe(0);
    const before = readFileSync(join(out, "summary.json"), "utf8");
    expect((JSON.parse(before) as RunSummary).bootstrap).toEqual({ resamples: 300, level: 0.95, seed: 7 });
    // Before: re-rendered with 2,000 resamples and seed 0, the run's summary.json got other intervals.
    expect(await main(["report", out], capture().io)).toBe(0);
    const after = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as RunSummary;
    const made = JSON.parse(before) as RunSummary;
    expect(after.bootstrap).toEqual(made.bootstrap);
    expect(after.benchmarks).toEqual(made.benchmarks);
    // --resamples still overrides; the seed stays the run's.
    expect(
      await main(["report", out, "--resamples", "50", "--out", join(root, "boot-50")], capture().io),
    ).toBe(0);
    const fifty = JSON.parse(readFileSync(join(root, "boot-50", "summary.json"), "utf8")) as RunSummary;
    expect(fifty.bootstrap).toEqual({ resamples: 50, level: 0.95, seed: 7 });
  });

  it("tells apart runs whose folders share a name by their paths", async () => {
    // runs/a/base and runs/b/base were both "base": two rows alike, and one colour on one spot in the charts.
    for (const [from, to] of [
      ["runA", "x/base"],
      ["runB", "y/base"],
    ] as const) {
      mkdirSync(join(root, to), { recursive: true });
      for (const f of ["run.json", "records.jsonl", "summary.json"])
        writeFileSync(join(root, to, f), readFileSync(join(root, from, f)));
    }
    const [x, y] = [join(root, "x", "base"), join(root, "y", "base")];
    const c = capture();
    expect(await main(["report", `${x}/`, y, "--out", join(root, "bases")], c.io)).toBe(0);
    expect(c.out()).toContain(`| ${x} | gsm8k | 20 | 1 | 50.0 [`);
    expect(c.out()).toContain(`| ${y} | gsm8k | 20 | 1 | 65.0 [`);
    const twice = capture();
    expect(await main(["report", x, x, "--out", join(root, "bases")], twice.io)).toBe(0);
    expect(twice.out()).toContain(`| ${x} (1) | gsm8k |`);
    expect(twice.out()).toContain(`| ${x} (2) | gsm8k |`);
    // compare named them `A:base` and `B:base`: which side, not which run.
    const cmp = capture();
    expect(await main(["compare", x, `${y}/`, "--out", join(root, "bases-cmp")], cmp.io)).toBe(0);
    expect(cmp.out()).toContain(`${y} vs ${x}`);
    const saved = JSON.parse(readFileSync(join(root, "bases-cmp", "comparison.json"), "utf8")) as {
      comparison: RunComparison;
    };
    expect([saved.comparison.a, saved.comparison.b]).toEqual([x, y]);
  });

  it("adds a custom JSONL benchmark from a small spec file", async () => {
    const data = join(root, "custom.jsonl");
    writeFileSync(
      data,
      `${JSON.stringify({ q: "1+1?", sol: "It is 2.\n#### 2" })}\n${JSON.stringify({ q: "2+2?", sol: "#### 4" })}\n`,
    );
    writeFileSync(
      join(root, "custom.json"),
      JSON.stringify({
        name: "tiny",
        file: "custom.jsonl",
        questionField: "q",
        answerField: "sol",
        goldFormat: "gsm8k",
      }),
    );
    const replies = join(root, "custom-replies.jsonl");
    writeFileSync(
      replies,
      `${JSON.stringify({ problemId: "line-1", sampleIndex: 0, text: "\\boxed{2}" })}\n${JSON.stringify({ problemId: "line-2", sampleIndex: 0, text: "\\boxed{5}" })}\n`,
    );
    const c = capture();
    const code = await main(
      [
        "--replies",
        replies,
        "--benchmark-config",
        join(root, "custom.json"),
        "--out",
        join(root, "custom-run"),
      ],
      c.io,
    );
    expect(code, c.err()).toBe(0);
    expect(c.out()).toContain("| tiny | 2 | 1 | 50.0");
  });

  it("resolves a name in --benchmarks to the spec of that name given by --benchmark-config", async () => {
    // The files of the test above: spec "tiny" over custom.jsonl, and replies for its two problems.
    const args = ["--replies", join(root, "custom-replies.jsonl")];
    const config = ["--benchmark-config", join(root, "custom.json")];
    const c = capture();
    const code = await main(
      [...args, ...config, "--benchmarks", "tiny", "--out", join(root, "named-spec")],
      c.io,
    );
    expect(code, c.err()).toBe(0);
    expect(c.out()).toContain("| tiny | 2 | 1 | 50.0");
    // With a built-in beside it, in the order --benchmarks gives (the replies name no benchmark, so they answer
    // gsm8k's line-1 and line-2 too).
    const both = capture();
    const out = join(root, "named-spec-both");
    const flags = ["--benchmarks", "tiny,gsm8k", "--limit", "2", "--out", out];
    expect(await main([...args, ...config, ...flags], both.io), both.err()).toBe(0);
    const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as {
      benchmarks: { spec: { name: string } }[];
    };
    expect(run.benchmarks.map((b) => b.spec.name)).toEqual(["tiny", "gsm8k"]);
  });

  it("re-renders one run under the name it was given, and says when its records are incomplete", async () => {
    const replies = join(root, "named.jsonl");
    writeReplies(replies, (i) => i < 5);
    const out = join(root, "named-run");
    const args = ["--replies", replies, "--benchmarks", "gsm8k", "--limit", "20", "--name", "baseline"];
    expect(await main([...args, "--out", out], capture().io)).toBe(0);
    const c = capture();
    expect(await main(["report", out], c.io)).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).run.name).toBe("baseline");
    expect(c.err()).toBe("");
    // As if the run had been interrupted after 12 of its 20 samples.
    const records = readFileSync(join(out, "records.jsonl"), "utf8").split("\n").filter(Boolean);
    writeFileSync(join(out, "records.jsonl"), `${records.slice(0, 12).join("\n")}\n`);
    const partial = capture();
    expect(await main(["report", out], partial.io)).toBe(0);
    expect(partial.err()).toMatch(/named-run is incomplete: 12\/20 samples \(rerun it to finish\)/);
    // The report itself says so too (stderr is gone once the file is shared), and that --limit 20 is a subset.
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toContain(
      "baseline: gsm8k is incomplete: 12 of its 20 samples (20 problems × 1; a stopped run, rerun it to finish)",
    );
    expect(md).toContain(
      "baseline: gsm8k covers 20 of the 1319 problems in its file (--limit or problemIds)",
    );
    expect(partial.out()).toContain("baseline: gsm8k is incomplete");
    // Its texts came from --replies: their decoding is unknown, not "greedy (temperature 0)".
    expect(md).toContain("- baseline: replies read from a file (how they were decoded is not recorded)");
    expect(readFileSync(join(out, "report.html"), "utf8")).not.toContain("greedy");
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain("gsm8k is incomplete: 12 of its 20");
  });

  it("refuses a benchmark file with no problems, naming it, before writing anything", async () => {
    const empty = join(root, "empty-bench.jsonl");
    writeFileSync(empty, "");
    writeFileSync(
      join(root, "empty-spec.json"),
      JSON.stringify({ name: "empty", file: empty, questionField: "q", answerField: "a" }),
    );
    const replies = join(root, "empty-replies.jsonl");
    writeFileSync(replies, `${JSON.stringify({ problemId: "x", sampleIndex: 0, text: "1" })}\n`);
    const out = join(root, "empty-run");
    const c = capture();
    const args = ["--replies", replies, "--benchmark-config", join(root, "empty-spec.json"), "--out", out];
    expect(await main(args, c.io)).toBe(1);
    expect(c.err()).toContain(`benchmark "empty": ${empty} holds no problems`);
    expect(existsSync(out)).toBe(false);
  });

  it("says where a spec's relative file was looked for, and when it exists from the current folder", async () => {
    const specs = join(root, "specs", "deeper");
    mkdirSync(specs, { recursive: true });
    const replies = join(root, "spec-replies.jsonl");
    writeFileSync(replies, `${JSON.stringify({ problemId: "line-1", sampleIndex: 0, text: "2" })}\n`);
    // Written from the current folder, as a user typing paths in a shell does (this test file stands in for
    // the data: only its being there counts), and read from the spec's folder, where it is not.
    const fromHere = relative(process.cwd(), fileURLToPath(import.meta.url));
    const spec = join(specs, "s.json");
    writeFileSync(
      spec,
      JSON.stringify({ name: "s", file: fromHere, questionField: "question", answerField: "answer" }),
    );
    const out = join(root, "spec-run");
    const c = capture();
    expect(await main(["--replies", replies, "--benchmark-config", spec, "--out", out], c.io)).toBe(1);
    expect(c.err()).toContain(
      `ssb-eval: ${spec}: benchmark "s": "file" ${JSON.stringify(fromHere)} names nothing at ${join(specs, fromHere)}; a relative "file" is read from the spec file's folder (${fromHere} exists from the current folder: write the path from ${specs}, or an absolute one)`,
    );
    expect(existsSync(out)).toBe(false);
    writeFileSync(
      spec,
      JSON.stringify({ name: "s", file: "nope.jsonl", questionField: "question", answerField: "answer" }),
    );
    const none = capture();
    expect(await main(["--replies", replies, "--benchmark-config", spec, "--out", out], none.io)).toBe(1);
    expect(none.err()).toContain(
      `"file" "nope.jsonl" names nothing at ${join(specs, "nope.jsonl")}; a relative "file" is read from the spec file's folder\n`,
    );
  });

  it("reads a --config spec's relative file from the config's folder, as --benchmark-config's", async () => {
    const folder = join(root, "config-specs");
    mkdirSync(folder);
    writeFileSync(join(folder, "t.jsonl"), `${JSON.stringify({ question: "1+1?", answer: "2" })}\n`);
    const spec = { name: "t", file: "t.jsonl", questionField: "question", answerField: "answer" };
    const config = join(folder, "eval.json");
    writeFileSync(config, JSON.stringify({ benchmarks: [spec] }));
    const replies = join(root, "config-spec-replies.jsonl");
    writeFileSync(
      replies,
      `${JSON.stringify({ problemId: "line-1", sampleIndex: 0, text: "\\boxed{2}" })}\n`,
    );
    const c = capture();
    // It was read from the package's own data folder: "cannot read .../packages/eval/data/t.jsonl".
    expect(
      await main(["--replies", replies, "--config", config, "--out", join(root, "config-spec-run")], c.io),
      c.err(),
    ).toBe(0);
    expect(c.out()).toContain("| t | 1 | 1 | 100.0 (no CI)");
    writeFileSync(config, JSON.stringify({ benchmarks: [{ ...spec, file: "nope.jsonl" }] }));
    const missing = capture();
    expect(
      await main(
        ["--replies", replies, "--config", config, "--out", join(root, "config-spec-none")],
        missing.io,
      ),
    ).toBe(1);
    expect(missing.err()).toContain(
      `${config}: benchmark "t": "file" "nope.jsonl" names nothing at ${join(folder, "nope.jsonl")}; a relative "file" is read from the spec file's folder`,
    );
  });

  it("reports bad input with file and field", async () => {
    const c = capture();
    writeFileSync(join(root, "bad.json"), JSON.stringify({ name: "x", file: "f.jsonl", questionField: "q" }));
    const replies = join(root, "replies-ok.jsonl");
    writeFileSync(replies, `${JSON.stringify({ problemId: "a", sampleIndex: 0, text: "x" })}\n`);
    expect(
      await main(["--replies", replies, "--benchmark-config", join(root, "bad.json"), "--out", root], c.io),
    ).toBe(1);
    expect(c.err()).toMatch(/bad\.json: field "answerField" must be a non-empty string/);
    const c2 = capture();
    expect(await main(["--out", root], c2.io)).toBe(2);
    expect(c2.err()).toContain("--model DIR or --replies FILE is required");
    const c3 = capture();
    expect(await main(["--n", "two", "--out", root], c3.io)).toBe(2);
    expect(c3.err()).toContain('--n: expected an integer from 1 to 9007199254740991 (2^53 - 1), found "two"');
    // Values that parse as numbers but are not what was meant, caught before any model or file is touched.
    const out = join(root, "never-written");
    const cases: [string[], RegExp][] = [
      [["--limit=-5"], /--limit: expected an integer from 1 to 9007199254740991 \(2\^53 - 1\), found "-5"/],
      [["--n", "1e2"], /--n: expected an integer from 1 .*, found "1e2"/],
      // Past 2^53 - 1 a seed is not held exactly: it would silently run as another seed.
      [
        ["--seed", "9007199254740993"],
        /--seed: expected an integer from 0 to 9007199254740991 .*, found "9007199254740993"/,
      ],
      [["--temperature", ""], /--temperature: expected a number >= 0, found ""/],
      [["--seed", "1", "--seed", "2"], /--seed is given more than once \("1", then "2"\); give it once/],
      [["--temperature=0.5", "--temperature", "0.7"], /--temperature is given more than once/],
      // Named by the flag, not as the config field it sets.
      [["--top-p", "2"], /--top-p: expected a number in \(0, 1\], found "2"/],
      [["--top-p", "0"], /--top-p: expected a number in \(0, 1\], found "0"/],
      [["--min-p", "1.5"], /--min-p: expected a number in \[0, 1\], found "1.5"/],
      [["--repetition-penalty", "0"], /--repetition-penalty: expected a number > 0, found "0"/],
      [["--top-p=-1"], /--top-p: expected a number in \(0, 1\], found "-1"/],
      [["--temperature=-0.5"], /--temperature: expected a number >= 0, found "-0.5"/],
      [["--top-k", "1.5"], /--top-k: expected an integer >= 0, found "1.5"/],
    ];
    for (const [flags, message] of cases) {
      const c4 = capture();
      // A usage error: exit code 2, as ssb and ssb-curate.
      expect(await main(["--replies", replies, "--out", out, ...flags], c4.io)).toBe(2);
      expect(c4.err()).toMatch(message);
    }
    const config = join(root, "snake.json");
    writeFileSync(
      config,
      JSON.stringify({ n: 2, sampling: { temperature: 0.7, top_p: 0.9, maxNewTokens: 8 } }),
    );
    const c5 = capture();
    expect(await main(["--replies", replies, "--config", config, "--out", out], c5.io)).toBe(1);
    expect(c5.err()).toContain('snake.json: unknown field "sampling.top_p" (did you mean "sampling.topP"?)');
    for (const [fields, message] of [
      [{ nn: 2 }, 'snake.json: unknown field "nn" (did you mean "n"?)'],
      // Refused later without the file or the field before.
      [
        { benchmarks: ["gsm8k", "math50"] },
        'snake.json.benchmarks[1]: unknown benchmark "math50" (did you mean "math500"?)',
      ],
      [{ benchmarks: ["aime24", "aime24"] }, 'snake.json.benchmarks[1]: "aime24" is listed twice'],
      // Refused after generating every sample (resamples 0), ignored (level, a misspelling), or after run.json
      // had pinned it (a bad grade option) before.
      [{ bootstrap: { resamples: 0 } }, "snake.json.bootstrap.resamples must be a positive integer, found 0"],
      [{ bootstrap: { level: 95 } }, 'snake.json: unknown field "bootstrap.level"; intervals are always 95%'],
      [
        { bootstrap: { resampels: 100 } },
        'snake.json: unknown field "bootstrap.resampels" (did you mean "bootstrap.resamples"?)',
      ],
      [{ grade: { rule: ["boxed"] } }, 'snake.json.grade: unknown option "rule" (did you mean "rules"?)'],
      // Failed the reports after generating (name), reached the tokenizer (systemPrompt), or Node's own
      // 'The "path" argument must be of type string' (a spec without its file).
      [{ name: 5 }, "snake.json.name must be a non-empty string, found 5"],
      [{ systemPrompt: 5 }, "snake.json.systemPrompt must be a string, or null for no system turn, found 5"],
      [{ benchmarks: [{ name: "x" }] }, 'snake.json.benchmarks[0]: field "file" must be a non-empty string'],
      [{ benchmarks: [5] }, "snake.json.benchmarks[0]: expected a benchmark object"],
      // A misspelled benchmark was ignored (the whole benchmark ran); numeric ids read as missing problems.
      [
        { problemIds: { aime: ["60"] } },
        'snake.json.problemIds: "aime" is not a benchmark (did you mean "aime24"?); this run\'s benchmarks: gsm8k, math500, aime24',
      ],
      [
        { problemIds: { gsm8k: [60] } },
        'snake.json.problemIds.gsm8k[0] must be an id string (ids are text: "60"), found 60',
      ],
    ] as const) {
      writeFileSync(config, JSON.stringify(fields));
      const c = capture();
      expect(await main(["--replies", replies, "--config", config, "--out", out], c.io)).toBe(1);
      expect(c.err()).toContain(message);
    }
    writeFileSync(config, JSON.stringify({ n: "2" }));
    const c6 = capture();
    expect(await main(["--replies", replies, "--config", config, "--out", out], c6.io)).toBe(1);
    expect(c6.err()).toMatch(/snake\.json\.n must be a positive integer, found "2"/);
    expect(existsSync(out)).toBe(false);
  });

  it("names the flag of a path that does not exist or is not what the flag reads, before anything is made", async () => {
    const file = join(root, "a-file.txt");
    writeFileSync(file, "x");
    const missing = join(root, "nope");
    const out = join(root, "paths-never-written");
    let opened = 0;
    const factory: ModelGeneratorFactory = async () => {
      opened++;
      throw new Error("not reached");
    };
    const cases: [string[], string][] = [
      [["--model", ckpt, "--adapter", missing], `--adapter ${missing}: no such folder`],
      [["--model", ckpt, "--adapter", file], `--adapter ${file}: is a file, expected a folder`],
      [["--model", missing], `--model ${missing}: no such file or folder`],
      [["--replies", missing], `--replies ${missing}: no such file`],
      [["--replies", ckpt], `--replies ${ckpt}: is a folder, expected a file`],
      [["--replies", file, "--config", missing], `--config ${missing}: no such file`],
      [["--replies", file, "--benchmark-config", missing], `--benchmark-config ${missing}: no such file`],
      [
        ["--replies", file, "--system-prompt-file", ckpt],
        `--system-prompt-file ${ckpt}: is a folder, expected a file`,
      ],
    ];
    for (const [flags, message] of cases) {
      const c = capture();
      expect(await main([...flags, "--out", out], c.io, factory)).toBe(2);
      expect(c.err()).toContain(`ssb-eval: ${message}`);
      expect(c.err()).not.toMatch(/ENOENT|EISDIR/);
    }
    expect(opened).toBe(0);
    expect(existsSync(out)).toBe(false);
  });

  it("exits 2 for a usage error, with one line and a pointer to --help; 1 for a failed run", async () => {
    const replies = join(root, "usage.jsonl");
    writeReplies(replies, () => true);
    const out = join(root, "usage-never-written");
    const run = ["--replies", replies, "--benchmarks", "gsm8k", "--limit", "20", "--out", out];
    const cases: [string[], string][] = [
      [[...run, "--sed", "1"], "unknown option --sed (did you mean --seed?)"],
      [
        [...run, "--seed", "1", "--seed", "2"],
        '--seed is given more than once ("1", then "2"); give it once',
      ],
      [[...run, "--limit"], "--limit needs a value"],
      [[...run, "--seed", "-1"], '--seed -1: a value that starts with "-" is written --seed=-1'],
      [[...run, "extra"], 'unexpected argument "extra": this command takes only --options'],
      [["--replies", replies], "--out DIR is required"],
      [[...run, "--n", "0"], '--n: expected an integer from 1 to 9007199254740991 (2^53 - 1), found "0"'],
      [
        [...run, "--user-template", "Solve it"],
        '--user-template: expected a text containing {{question}}, found "Solve it"',
      ],
      [
        [...run, "--template-date", "2024-02-30"],
        '--template-date: expected a date as YYYY-MM-DD (e.g. 2024-07-26), found "2024-02-30"',
      ],
      [
        [...run, "--chat-template-kwargs", "enable_thinking=false"],
        `--chat-template-kwargs: chat template kwargs are not JSON (Unexpected token 'e', "enable_thi"... is not valid JSON); write an object such as '{"enable_thinking": false}'`,
      ],
      [
        [...run.slice(0, 2), "--benchmarks", "svamp", "--out", out],
        '--benchmarks: unknown benchmark "svamp" (built-in: gsm8k, math500, aime24; another JSONL file needs a spec given with --benchmark-config FILE)',
      ],
      [
        [...run.slice(0, 2), "--benchmarks", ",", "--out", out],
        "--benchmarks: expected a comma-separated list of names",
      ],
      [
        [...run.slice(0, 2), "--benchmarks", "gsm8k,math50", "--out", out],
        '--benchmarks: unknown benchmark "math50" (did you mean math500?) (built-in: gsm8k, math500, aime24; another JSONL file needs a spec given with --benchmark-config FILE)',
      ],
      [
        [...run.slice(0, 2), "--benchmarks", "GSM8K", "--out", out],
        '--benchmarks: unknown benchmark "GSM8K" (did you mean gsm8k?) (built-in: gsm8k, math500, aime24; another JSONL file needs a spec given with --benchmark-config FILE)',
      ],
      // Was exit 1 and "benchmark names must be unique", naming no flag.
      [
        [...run.slice(0, 2), "--benchmarks", "gsm8k,gsm8k", "--out", out],
        '--benchmarks: "gsm8k" is listed twice',
      ],
      // Named the config field it sets before (and an empty name made a run with a blank row label).
      [[...run, "--name", ""], '--name: expected a name to show in reports, found ""'],
      // Both were taken, the last-read one silently winning.
      [
        [...run, "--no-system-prompt", "--system-prompt", "X"],
        "--system-prompt and --no-system-prompt: give only one of them",
      ],
      [
        [...run, "--system-prompt", "X", "--system-prompt-file", replies],
        "--system-prompt and --system-prompt-file: give only one of them",
      ],
      // Was 'unexpected argument "compar": this command takes only --options'.
      [
        ["compar", out, out],
        'unknown command "compar" (did you mean compare?); commands: run, report, compare, help',
      ],
      [
        ["reprt", out],
        'unknown command "reprt" (did you mean report?); commands: run, report, compare, help',
      ],
      [["report"], "report: give one or more run folders"],
      [
        ["report", "--resamples", "x", out],
        '--resamples: expected an integer from 1 to 9007199254740991 (2^53 - 1), found "x"',
      ],
      [["compare", out], "compare: give exactly two runs, A and B"],
      [["compare", "--outt", "x", "a", "b"], "unknown option --outt (did you mean --out?)"],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      expect(await main(argv, c.io), argv.join(" ")).toBe(2);
      expect(c.err()).toBe(`ssb-eval: ${message}\nRun "ssb-eval --help" for the options.\n`);
    }
    expect(existsSync(out)).toBe(false);
    // No command at all: the help, and a usage error's exit code.
    const bare = capture();
    expect(await main([], bare.io)).toBe(2);
    expect(bare.out()).toContain("Usage:");
    // A run that fails (a replies file that answers one sample twice) is not a usage error.
    const twice = join(root, "usage-twice.jsonl");
    const line = JSON.stringify({ problemId: "a", sampleIndex: 0, text: "1" });
    writeFileSync(twice, `${line}\n${line}\n`);
    const failed = capture();
    expect(await main(["--replies", twice, "--out", out], failed.io)).toBe(1);
    expect(failed.err()).not.toContain("--help");
  });

  it("refuses a second run on an output folder a live run holds", async () => {
    const replies = join(root, "lock.jsonl");
    writeReplies(replies, () => true);
    const out = join(root, "locked-run");
    const args = ["--replies", replies, "--benchmarks", "gsm8k", "--limit", "20", "--out", out];
    expect(await main(args, capture().io)).toBe(0);
    writeFileSync(join(out, "eval.lock"), String(process.ppid)); // another live process
    const c = capture();
    expect(await main(args, c.io)).toBe(1);
    expect(c.err()).toMatch(/locked by a running ssb-eval run/);
    rmSync(join(out, "eval.lock"));
    expect(await main(args, capture().io)).toBe(0);
  });

  it("refuses a replies file that lacks samples the run needs before writing anything, suggesting --limit", async () => {
    // Two replies each for the first 6 GSM8K problems; the run forgot --limit 6.
    const replies = join(root, "prefix.jsonl");
    const problems = loadBenchmark("gsm8k", { limit: 6 }).problems;
    const lines = problems.flatMap((p) =>
      [0, 1].map((i) => JSON.stringify({ problemId: p.id, sampleIndex: i, text: `\\boxed{${p.answer}}` })),
    );
    writeFileSync(replies, `${lines.join("\n")}\n`);
    const out = join(root, "prefix-run");
    const args = ["--replies", replies, "--benchmarks", "gsm8k", "--n", "2", "--out", out];
    const c = capture();
    expect(await main(args, c.io)).toBe(1);
    const total = loadBenchmark("gsm8k").problems.length * 2;
    expect(c.err()).toBe(
      `ssb-eval: ${replies}: no reply for ${total - 12} of the ${total} samples this run needs (the first: gsm8k problem "line-7" sample 0); they cover only the first 6 problems of gsm8k: --limit 6 runs those\n`,
    );
    // Nothing written, so the corrected command runs in the same folder.
    expect(existsSync(out)).toBe(false);
    const fixed = capture();
    expect(await main([...args, "--limit", "6"], fixed.io)).toBe(0);
    expect(fixed.out()).toContain("| gsm8k | 6 | 2 |");
    // Temperature 0 with n = 2 is no mistake for replies: they are read, not sampled.
    expect(fixed.err()).not.toMatch(/identical samples/);
  });

  it("refuses a replies file that answers one sample twice", async () => {
    const replies = join(root, "twice.jsonl");
    const line = JSON.stringify({ problemId: "a", sampleIndex: 0, text: "\\boxed{1}" });
    writeFileSync(replies, `${line}\n${line}\n`);
    const c = capture();
    expect(await main(["--replies", replies, "--out", join(root, "twice-out")], c.io)).toBe(1);
    expect(c.err()).toMatch(/twice\.jsonl:2: a second reply for problem "a" sample 0/);
  });

  it("passes --execution-provider webgpu to the model factory and refuses unknown providers", async () => {
    const seen: (string | undefined)[] = [];
    const factory = async (options: { executionProvider?: string }) => {
      seen.push(options.executionProvider);
      throw new Error("no model in this test");
    };
    const args = ["--model", ckpt, "--out", join(root, "ep-out")];
    const c = capture();
    expect(await main([...args, "--execution-provider", "webgpu"], c.io, factory)).toBe(1);
    expect(seen).toEqual(["webgpu"]);
    const bad = capture();
    expect(await main([...args, "--execution-provider", "metal"], bad.io, factory)).toBe(2);
    expect(bad.err()).toMatch(/expected cpu, cuda, webgpu or auto, found "metal"/);
    expect(seen).toEqual(["webgpu"]);
    // --ep, as ssb-rollout spells it and the provider messages suggest, is the same option.
    expect(await main([...args, "--ep", "cpu"], capture().io, factory)).toBe(1);
    expect(seen).toEqual(["webgpu", "cpu"]);
    const both = capture();
    expect(await main([...args, "--ep", "cpu", "--execution-provider", "webgpu"], both.io, factory)).toBe(2);
    expect(both.err()).toMatch(/--execution-provider or its short form --ep, not both/);
    expect(seen).toEqual(["webgpu", "cpu"]);
  });

  it("holds the run folder's lock from the model export to the run's end, with no gap between", async () => {
    // A hard link to the lock file taken during the export: if the lock were released and taken again
    // before the run (another process could take the folder in between), the lock at generation time would be
    // another file than the one the link holds.
    const out = join(root, "held-run");
    const witness = join(root, "held-run.lock-witness");
    const sameLock: boolean[] = [];
    const factory: ModelGeneratorFactory = async (options) => {
      await options.beforeOpen?.({ modelId: "ckpt", fingerprint: "w1", fingerprintOf: "the files of ckpt" });
      linkSync(join(options.workDir, "eval.lock"), witness);
      const inner = fakeGenerator({ modelId: "ckpt", fingerprint: "w1" });
      return {
        modelId: inner.modelId,
        fingerprint: "w1",
        generate: (request) => {
          sameLock.push(statSync(join(out, "eval.lock")).ino === statSync(witness).ino);
          return inner.generate(request);
        },
      };
    };
    const args = ["--model", ckpt, "--benchmarks", "gsm8k", "--limit", "2", "--out", out];
    const c = capture();
    expect(await main(args, c.io, factory), c.err()).toBe(0);
    expect(sameLock.length).toBeGreaterThan(0);
    expect(sameLock.every((same) => same)).toBe(true);
    // Released at the end: the next run takes it.
    expect(existsSync(join(out, "eval.lock"))).toBe(false);
  });

  it("refuses a rerun with other weights before the model is exported, leaving the earlier export as it was", async () => {
    // Stands in for openModelGenerator: the fingerprint is known from the source files, checked through
    // beforeOpen, and only then is the checkpoint "exported" into OUT/onnx-export.
    const weights = { current: "weights-1" };
    const exported: string[] = [];
    const factory: ModelGeneratorFactory = async (options) => {
      const identity = { modelId: "ckpt", fingerprint: weights.current, fingerprintOf: "the files of ckpt" };
      await options.beforeOpen?.(identity);
      mkdirSync(join(options.workDir, "onnx-export"), { recursive: true });
      writeFileSync(join(options.workDir, "onnx-export", "model.onnx"), weights.current);
      exported.push(weights.current);
      return fakeGenerator({ modelId: identity.modelId, fingerprint: identity.fingerprint });
    };
    const out = join(root, "model-run");
    const args = ["--model", ckpt, "--benchmarks", "gsm8k", "--limit", "2", "--out", out];
    expect(await main(args, capture().io, factory)).toBe(0);
    const records = readFileSync(join(out, "records.jsonl"), "utf8");
    weights.current = "weights-2"; // retrained at the same path
    const c = capture();
    expect(await main(args, c.io, factory)).toBe(1);
    expect(exported).toEqual(["weights-1"]);
    expect(readFileSync(join(out, "onnx-export", "model.onnx"), "utf8")).toBe("weights-1");
    expect(c.err()).toMatch(
      /model-run\/run\.json: this folder holds a run with different settings \(modelFingerprint: the files of ckpt changed since this run started\); start over in a new output folder \(--out\)/,
    );
    expect(readFileSync(join(out, "records.jsonl"), "utf8")).toBe(records);
    // Other settings are checked before the export too.
    weights.current = "weights-1";
    const seed = capture();
    expect(await main([...args, "--seed", "5"], seed.io, factory)).toBe(1);
    expect(seed.err()).toContain("different settings (seed: 0 in run.json, 5 now)");
    expect(exported).toEqual(["weights-1"]);
    // A live run holding the folder stops a second one before it exports into the same folder.
    writeFileSync(join(out, "eval.lock"), String(process.ppid));
    const locked = capture();
    expect(await main(args, locked.io, factory)).toBe(1);
    expect(locked.err()).toMatch(/locked by a running ssb-eval run/);
    expect(exported).toEqual(["weights-1"]);
    rmSync(join(out, "eval.lock"));
    // The same weights and settings resume as before.
    const again = capture();
    expect(await main(args, again.io, factory), again.err()).toBe(0);
    expect(again.err()).toContain("0 samples generated, 2 resumed");
    // A model that cannot be opened leaves no empty output folder behind.
    const failing: ModelGeneratorFactory = async () => {
      throw new Error("no such model");
    };
    const nowhere = join(root, "model-never");
    expect(await main(["--model", ckpt, "--out", nowhere], capture().io, failing)).toBe(1);
    expect(existsSync(nowhere)).toBe(false);
  });

  it("says what Ctrl-C stopped while the model is being exported, exits 130, and leaves no listener behind", async () => {
    const listeners = process.listenerCount("SIGINT");
    // process.exit stands in: the handler's call ends the factory here instead of the test process.
    const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
      throw new Error(`exit ${String(code)}`);
    });
    try {
      const factory: ModelGeneratorFactory = async () => {
        process.emit("SIGINT", "SIGINT"); // Ctrl-C in the middle of a long export
        return fakeGenerator();
      };
      const c = capture();
      await main(
        ["--model", ckpt, "--benchmarks", "gsm8k", "--limit", "2", "--out", join(root, "sig")],
        c.io,
        factory,
      );
      expect(exit).toHaveBeenCalledWith(130);
      expect(c.err()).toContain(
        "ssb-eval: SIGINT: stopped before this run generated a sample (while the model was exported or loaded); samples saved by earlier runs are kept; rerun the same command to go on",
      );
    } finally {
      exit.mockRestore();
    }
    expect(process.listenerCount("SIGINT")).toBe(listeners);
  });

  it("notes that a template date changes no prompt of a model whose template never writes the date", async () => {
    const note = "changes no prompt (it is recorded in run.json)";
    for (const readsDate of [false, true]) {
      const factory: ModelGeneratorFactory = async () => ({
        ...fakeGenerator(),
        templateReadsDate: readsDate,
      });
      const c = capture();
      const out = join(root, `dated-${readsDate}`);
      const args = [
        "--model",
        ckpt,
        "--benchmarks",
        "gsm8k",
        "--limit",
        "1",
        "--template-date",
        "2024-07-26",
      ];
      expect(await main([...args, "--out", out], c.io, factory), c.err()).toBe(0);
      if (readsDate) expect(c.err()).not.toContain(note);
      else
        expect(c.err()).toContain(
          `ssb-eval: note: the model's chat template does not write the date, so the template date 2024-07-26 ${note}`,
        );
    }
  });

  it("refuses to resume a replies run after the replies file changed, naming the file", async () => {
    const replies = join(root, "edited.jsonl");
    writeReplies(replies, (i) => i < 10);
    const out = join(root, "edited-run");
    const args = ["--replies", replies, "--benchmarks", "gsm8k", "--limit", "20", "--out", out];
    expect(await main(args, capture().io)).toBe(0);
    const records = readFileSync(join(out, "records.jsonl"), "utf8");
    expect(JSON.parse(readFileSync(join(out, "run.json"), "utf8")).modelFingerprint).toMatch(
      /^sha256:[0-9a-f]{64}$/,
    );
    writeReplies(replies, (i) => i < 15); // five replies corrected
    const c = capture();
    expect(await main(args, c.io)).toBe(1);
    expect(c.err()).toContain(
      `different settings (modelFingerprint: the replies file ${replies} changed since this run started); start over in a new output folder (--out)`,
    );
    expect(readFileSync(join(out, "records.jsonl"), "utf8")).toBe(records);
    const fresh = capture();
    expect(await main([...args.slice(0, -1), join(root, "edited-run-2")], fresh.io)).toBe(0);
    expect(fresh.out()).toContain("| gsm8k | 20 | 1 | 75.0");
  });

  it("report re-renders maj@k with the grading settings the run was graded with", async () => {
    // One problem, three samples: gold + 0.5 and the gold are one answer only within the run's tolerance of 1.
    const problem = loadBenchmark("gsm8k", { limit: 1 }).problems[0];
    if (problem === undefined) throw new Error("no GSM8K problem");
    const texts = [
      `so \\boxed{${Number(problem.answer) + 0.5}}`,
      `so \\boxed{${problem.answer}}`,
      "so \\boxed{-1}",
    ];
    const replies = join(root, "tolerance.jsonl");
    writeFileSync(
      replies,
      `${texts.map((text, sampleIndex) => JSON.stringify({ benchmark: "gsm8k", problemId: problem.id, sampleIndex, text })).join("\n")}\n`,
    );
    const config = join(root, "tolerance.json");
    writeFileSync(config, JSON.stringify({ grade: { absoluteTolerance: 1 } }));
    const out = join(root, "tolerance-run");
    const args = [
      "--replies",
      replies,
      "--config",
      config,
      "--benchmarks",
      "gsm8k",
      "--limit",
      "1",
      "--n",
      "3",
    ];
    expect(await main([...args, "--out", out], capture().io)).toBe(0);
    const majOf = (dir: string): number =>
      JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")).benchmarks[0].majAtK["3"].estimate;
    // Two of three samples form one correct class: maj@3 = 1 (three singleton classes would tie at 2/3).
    expect(majOf(out)).toBe(1);
    const rendered = join(root, "tolerance-report");
    expect(await main(["report", out, "--out", rendered], capture().io)).toBe(0);
    expect(majOf(rendered)).toBe(1);
  });

  it("says which run.json is not a JSON object", async () => {
    const replies = join(root, "null-manifest.jsonl");
    writeReplies(replies, () => true);
    const out = join(root, "null-manifest-run");
    const args = ["--replies", replies, "--benchmarks", "gsm8k", "--limit", "20", "--out", out];
    expect(await main(args, capture().io)).toBe(0);
    const runFile = join(out, "run.json");
    for (const [text, found] of [
      ["null", "null"],
      ["[1]", "an array"],
      ['"x"', "a string"],
    ]) {
      writeFileSync(runFile, `${text}\n`);
      const rerun = capture();
      expect(await main(args, rerun.io)).toBe(1);
      expect(rerun.err()).toBe(
        `ssb-eval: ${runFile}: not a JSON object (found ${found}); it should hold a run's settings; start over in a new output folder (--out), or delete this one\n`,
      );
      const report = capture();
      expect(await main(["report", out], report.io)).toBe(1);
      expect(report.err()).toContain(`${runFile}: not a JSON object (found ${found})`);
    }
    writeFileSync(runFile, "{}");
    const report = capture();
    expect(await main(["report", out], report.io)).toBe(1);
    expect(report.err()).toContain(`${runFile}: field "modelId" must be a string`);
  });

  it("reads JSON and JSONL files that start with a byte-order mark", async () => {
    const bom = "\uFEFF";
    const data = join(root, "bom-bench.jsonl");
    writeFileSync(
      data,
      `${bom}${JSON.stringify({ q: "1+1?", a: "2" })}\n${JSON.stringify({ q: "2+2?", a: "4" })}\n`,
    );
    const spec = join(root, "bom-spec.json");
    writeFileSync(
      spec,
      `${bom}${JSON.stringify({ name: "bom", file: "bom-bench.jsonl", questionField: "q", answerField: "a" })}`,
    );
    const config = join(root, "bom-config.json");
    writeFileSync(config, `${bom}${JSON.stringify({ sampling: { temperature: 0, maxNewTokens: 16 } })}\n`);
    const prompt = join(root, "bom-prompt.txt");
    writeFileSync(prompt, `${bom}Box the answer.\n`);
    const replies = join(root, "bom-replies.jsonl");
    writeFileSync(
      replies,
      `${bom}${JSON.stringify({ problemId: "line-1", sampleIndex: 0, text: "\\boxed{2}" })}\n${JSON.stringify({ problemId: "line-2", sampleIndex: 0, text: "\\boxed{4}" })}\n`,
    );
    const out = join(root, "bom-run");
    const args = [
      ...["--replies", replies, "--benchmark-config", spec, "--config", config],
      ...["--system-prompt-file", prompt, "--out", out],
    ];
    const c = capture();
    expect(await main(args, c.io), c.err()).toBe(0);
    expect(c.out()).toContain("| bom | 2 | 1 | 100.0");
    const runFile = join(out, "run.json");
    expect(JSON.parse(readFileSync(runFile, "utf8")).systemPrompt).toBe("Box the answer.");
    // run.json and records.jsonl saved again by an editor that adds a byte-order mark.
    writeFileSync(runFile, `${bom}${readFileSync(runFile, "utf8")}`);
    const recordsFile = join(out, "records.jsonl");
    writeFileSync(recordsFile, `${bom}${readFileSync(recordsFile, "utf8")}`);
    const again = capture();
    expect(await main(args, again.io), again.err()).toBe(0);
    expect(again.err()).toContain("0 replies graded, 2 resumed");
    expect(await main(["report", out], capture().io)).toBe(0);
  });

  it("compare warns when a run is incomplete, naming it and its counts", async () => {
    const replies = join(root, "cmp-partial.jsonl");
    writeReplies(replies, (i) => i % 2 === 0);
    const full = join(root, "cmp-full");
    const partial = join(root, "cmp-partial");
    for (const out of [full, partial]) {
      expect(
        await main(
          ["--replies", replies, "--benchmarks", "gsm8k", "--limit", "20", "--out", out],
          capture().io,
        ),
      ).toBe(0);
    }
    const complete = capture();
    expect(await main(["compare", full, partial], complete.io)).toBe(0);
    expect(complete.err()).toBe("");
    const records = readFileSync(join(partial, "records.jsonl"), "utf8").split("\n").filter(Boolean);
    writeFileSync(join(partial, "records.jsonl"), `${records.slice(0, 15).join("\n")}\n`);
    const c = capture();
    expect(await main(["compare", full, partial], c.io)).toBe(0);
    expect(c.err()).toBe(
      `warning: ${partial} is incomplete: 15/20 samples (rerun it to finish); the numbers below cover only the samples it has\n`,
    );
    expect(c.out()).toContain("cmp-partial vs cmp-full");
    // Samples from two execution providers: said, since rounding alone can change a few of them.
    const runFile = join(partial, "run.json");
    const manifest = JSON.parse(readFileSync(runFile, "utf8")) as Record<string, unknown>;
    writeFileSync(runFile, JSON.stringify({ ...manifest, executionProviders: ["cuda"] }));
    writeFileSync(
      join(full, "run.json"),
      JSON.stringify({
        ...JSON.parse(readFileSync(join(full, "run.json"), "utf8")),
        executionProviders: ["cpu"],
      }),
    );
    const p = capture();
    expect(await main(["compare", full, partial], p.io)).toBe(0);
    expect(p.err()).toContain(
      "note: A's samples were generated on cpu and B's on cuda; providers round floats differently",
    );
    expect(p.err()).not.toContain("differ in");
    // Other decoding and another system prompt: said, where the pair used to pass without a word.
    const m2 = JSON.parse(readFileSync(runFile, "utf8")) as { sampling: Record<string, unknown> };
    writeFileSync(
      runFile,
      JSON.stringify({
        ...m2,
        systemPrompt: "Be brief.",
        sampling: { ...m2.sampling, temperature: 0.7, topP: 0.8 },
      }),
    );
    const d = capture();
    expect(await main(["compare", full, partial], d.io)).toBe(0);
    // Replies runs: their decoding is not known here, so only the prompt counts.
    expect(d.err()).toContain(
      "note: A and B differ in systemPrompt; the difference is not the models' alone",
    );
    // As model runs, their sampling settings count too.
    for (const dir of [full, partial]) {
      const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as Record<string, unknown>;
      writeFileSync(join(dir, "run.json"), JSON.stringify({ ...run, modelId: "m" }));
      const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { run: object };
      writeFileSync(
        join(dir, "summary.json"),
        JSON.stringify({ ...summary, run: { ...summary.run, replies: false } }),
      );
    }
    const e = capture();
    expect(await main(["compare", full, partial], e.io)).toBe(0);
    expect(e.err()).toContain(
      "note: A and B differ in systemPrompt, sampling.temperature 0 vs 0.7, sampling.topP unset vs 0.8; the difference is not the models' alone",
    );
  });
});
