import { cpSync, existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os, { availableParallelism } from "node:os";
import path from "node:path";
import { openLogitStore } from "@ssb/logit-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportTinyRef } from "../test/fixtures.js";
import { textSink } from "../test/text-sink.js";
import { parseCliArgs, runCli } from "./cli-main.js";
import { MATH_TUTOR_SYSTEM_PROMPT } from "./system-prompt.js";

let modelDir: string;
let work: string;
beforeAll(async () => {
  modelDir = await exportTinyRef();
  work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-cli-"));
});
afterAll(async () => {
  await rm(modelDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

describe("ssb-rollout arguments", () => {
  it("parses sampling flags", () => {
    const o = parseCliArgs([
      ...[
        "--model",
        "m",
        "--problems",
        "p",
        "--out",
        "o",
        "--n",
        "4",
        "--temperature",
        "0.7",
        "--top-p",
        "0.9",
      ],
      ...["--stop", "###", "--stop", "\n\n", "--stop-id", "7", "--ep", "auto", "--threads", "2"],
    ]);
    if (o === "help") throw new Error("help");
    expect(o.n).toBe(4);
    expect(o.sampling).toEqual({
      temperature: 0.7,
      topP: 0.9,
      stopStrings: ["###", "\n\n"],
      stopTokenIds: [7],
    });
    expect([o.ep, o.threads]).toEqual(["auto", 2]);
  });

  it("puts the paper's math-tutor system prompt before each question unless told otherwise", () => {
    const base = ["--model", "m", "--problems", "p", "--out", "o"];
    expect(parseCliArgs(base)).toMatchObject({ system: MATH_TUTOR_SYSTEM_PROMPT });
    expect(parseCliArgs([...base, "--system", "Be brief."])).toMatchObject({ system: "Be brief." });
    const none = parseCliArgs([...base, "--no-system"]);
    expect(none !== "help" && none.system).toBeUndefined();
    expect(() => parseCliArgs([...base, "--system", "x", "--no-system"])).toThrow(
      "give --system TEXT or --no-system, not both",
    );
    // Teacher prompts carry their own messages: neither flag applies there.
    const teacher = ["--model", "m", "--teacher-prompts", "t", "--out", "o"];
    const t = parseCliArgs(teacher);
    expect(t !== "help" && t.system).toBeUndefined();
    expect(() => parseCliArgs([...teacher, "--no-system"])).toThrow(/--no-system cannot be used/);
  });

  it("names ssb-rollout's flag for ssb-eval's spelling of it", () => {
    const base = ["--model", "m", "--problems", "p", "--out", "o"];
    for (const [flag, ours] of [
      ["--system-prompt", "--system TEXT"],
      ["--no-system-prompt", "--no-system"],
      ["--execution-provider", "--ep"],
      ["--benchmarks", "--problems FILE (a JSONL of {id, question})"],
    ] as const)
      expect(() => parseCliArgs([...base, flag, "x"])).toThrow(
        `unknown option ${flag} (ssb-eval's flag; here it is ${ours})`,
      );
    expect(() => parseCliArgs([...base, "--temprature", "1"])).toThrow(
      "unknown option --temprature (did you mean --temperature?)",
    );
  });

  it("rejects bad flags with a usage message", async () => {
    const err = textSink();
    const code = await runCli(["--model", "m", "--problems", "p", "--out", "o", "--n", "zero"], {
      out: textSink().stream,
      err: err.stream,
    });
    expect(code).toBe(2);
    // The error and a pointer to --help, not the whole help scrolling the error away.
    expect(err.text()).toBe(
      'ssb-rollout: --n: expected an integer >= 1 and <= 16777216 (pairs one job takes), found "zero"\nRun "ssb-rollout --help" for the options.\n',
    );
    expect(() => parseCliArgs(["--model", "m", "--problems", "p", "--out", "o", "--ep", "tpu"])).toThrow(
      /--ep must be/,
    );
    const base = ["--model", "m", "--problems", "p", "--out", "o"];
    const cases: [string[], RegExp][] = [
      [["--top-p", "1.5"], /--top-p: expected a number > 0 and <= 1, found "1.5"/],
      [["--top-p", "0"], /--top-p: expected a number > 0 and <= 1/],
      [["--min-p", "2"], /--min-p: expected a number >= 0 and <= 1/],
      [["--repetition-penalty", "0"], /--repetition-penalty: expected a number > 0/],
      [["--n", "0x2"], /--n: expected an integer >= 1 and <= 16777216 .*, found "0x2"/],
      [["--n", "1e2"], /--n: expected an integer >= 1 and <= 16777216 .*, found "1e2"/],
      [["--seed", "1e3"], /--seed: expected an integer >= 0/],
      [["--stop="], /--stop: expected a non-empty string/],
      [["--temprature", "0"], /^unknown option --temprature \(did you mean --temperature\?\)$/],
      [["--seed", "-1"], /^--seed -1: a value that starts with "-" is written --seed=-1$/],
      [
        ["--refill", "sometimes"],
        /^--refill: expected half, waves, eager or an integer >= 1 \(free slots\), found "sometimes"$/,
      ],
      [["--refill", "0"], /^--refill: expected half, waves, eager or an integer >= 1/],
      [["--flush-every", "8"], /^--flush-every needs --capture-logits DIR$/],
    ];
    for (const [flags, message] of cases) expect(() => parseCliArgs([...base, ...flags])).toThrow(message);
    expect(parseCliArgs([...base, "--refill", "4"])).toMatchObject({ refill: 4 });
    expect(parseCliArgs([...base, "--capture-logits", "c", "--flush-every", "8"])).toMatchObject({
      flushEvery: 8,
    });
    const ok = parseCliArgs([...base, "--temperature", ".5", "--min-p", "1e-2"]);
    expect(ok !== "help" && ok.sampling).toEqual({ temperature: 0.5, minP: 0.01 });
  });

  it("names the flag, value and bound of every bad number", () => {
    const base = ["--model", "m", "--problems", "p", "--out", "o"];
    const cap = ["--capture-logits", "c"];
    const cpus = availableParallelism();
    const cases: [string[], string][] = [
      [
        [...cap, "--capture-k", "0"],
        '--capture-k: expected an integer >= 1 and <= 65536 (the logit store\'s limit), found "0"',
      ],
      [
        [...cap, "--capture-k=-1"],
        '--capture-k: expected an integer >= 1 and <= 65536 (the logit store\'s limit), found "-1"',
      ],
      [[...cap, "--capture-k", "2.5"], 'found "2.5"'],
      [[...cap, "--capture-k", "NaN"], "--capture-k: expected an integer >= 1 and <= 65536"],
      [[...cap, "--capture-k", "1000000000000"], "--capture-k: expected an integer >= 1 and <= 65536"],
      [["--capture-k", "5"], "--capture-k needs --capture-logits DIR"],
      [["--capture-dtype", "float32"], "--capture-dtype needs --capture-logits DIR"],
      [["--capture-zstd"], "--capture-zstd needs --capture-logits DIR"],
      [
        ["--n", "1000000000000"],
        '--n: expected an integer >= 1 and <= 16777216 (pairs one job takes), found "1000000000000"',
      ],
      [["--max-new-tokens", "0"], '--max-new-tokens: expected an integer >= 1, found "0"'],
      [
        ["--max-new-tokens", "99999999999999999999"],
        '--max-new-tokens: expected an integer >= 1 and <= 9007199254740991 (2^53 - 1), found "99999999999999999999"',
      ],
      [["--top-k", "1.5"], '--top-k: expected an integer >= 0, found "1.5"'],
      [
        ["--threads", String(cpus + 1)],
        `--threads: expected an integer >= 0 and <= ${cpus} (this machine's CPUs; 0 = onnxruntime's choice), found "${cpus + 1}"`,
      ],
      [
        ["--inter-op-threads", "1000000000000"],
        `--inter-op-threads: expected an integer >= 0 and <= ${cpus}`,
      ],
      [
        ["--stop-id", "2147483648"],
        '--stop-id: expected an integer >= 0 and <= 2147483647 (2^31 - 1), found "2147483648"',
      ],
      [
        ["--seed", "9007199254740992"],
        '--seed: expected an integer >= 0 and <= 9007199254740991 (2^53 - 1), found "9007199254740992"',
      ],
      [["--seed", "1.5"], '--seed: expected an integer >= 0 and <= 9007199254740991 (2^53 - 1), found "1.5"'],
      [["--seed=-1"], '--seed: expected an integer >= 0 and <= 9007199254740991 (2^53 - 1), found "-1"'],
    ];
    for (const [flags, message] of cases) expect(() => parseCliArgs([...base, ...flags])).toThrow(message);
    const ok = parseCliArgs([...base, ...cap, "--capture-k", "65536", "--seed", "9007199254740991"]);
    expect(ok !== "help" && [ok.captureK, ok.sampling.seed]).toEqual([65536, 2 ** 53 - 1]);
  });

  it("refuses a flag given twice, naming it and both values; --stop and --stop-id add up", () => {
    const base = ["--model", "m", "--problems", "p", "--out", "o"];
    expect(() => parseCliArgs([...base, "--n", "2", "--n", "4"])).toThrow(
      '--n is given more than once ("2", then "4"); give it once',
    );
    expect(() => parseCliArgs([...base, "--out", "o2"])).toThrow(
      '--out is given more than once ("o", then "o2")',
    );
    // A switch given twice means what it says once.
    expect(parseCliArgs([...base, "--no-progress", "--no-progress"])).toMatchObject({ progress: false });
    const ok = parseCliArgs([...base, "--stop", "a", "--stop", "b", "--stop-id", "1", "--stop-id", "2"]);
    expect(ok !== "help" && [ok.sampling.stopStrings, ok.sampling.stopTokenIds]).toEqual([
      ["a", "b"],
      [1, 2],
    ]);
  });

  it("refuses more pairs than one job takes, naming --n, before the model loads", async () => {
    const problems = path.join(work, "two.jsonl");
    await writeFile(problems, '{"id": "a", "question": "q"}\n{"id": "b", "question": "q"}\n');
    const err = textSink();
    const args = [
      "--model",
      work, // a folder that holds no model: the pairs are refused before it is loaded
      "--problems",
      problems,
      "--out",
      path.join(work, "n.jsonl"),
    ];
    expect(await runCli([...args, "--n", "10000000"], { out: textSink().stream, err: err.stream })).toBe(2);
    expect(err.text()).toBe(
      'ssb-rollout: --n 10000000: with 2 problems that is 20000000 pairs, more than the 16777216 one job takes; split the problems over several jobs (--out each)\nRun "ssb-rollout --help" for the options.\n',
    );
  });

  it("refuses a --model or --problems path that names nothing or the wrong kind of thing, naming the flag (exit 2)", async () => {
    const problems = path.join(work, "paths.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n');
    const out = path.join(work, "paths-out.jsonl");
    const missing = path.join(work, "nope");
    const cases: [string[], string][] = [
      [["--model", modelDir, "--problems", missing], `--problems ${missing}: no such file`],
      [["--model", modelDir, "--problems", work], `--problems ${work}: is a folder, expected a file`],
      [
        ["--model", modelDir, "--teacher-prompts", work],
        `--teacher-prompts ${work}: is a folder, expected a file`,
      ],
      [["--model", missing, "--problems", problems], `--model ${missing}: no such file or folder`],
    ];
    // A new folder given for the output (it failed with ENOENT on a lock's temp file inside it).
    const err = textSink();
    const folder = `${path.join(work, "new-folder")}/`;
    expect(
      await runCli(["--model", modelDir, "--problems", problems, "--out", folder], {
        out: textSink().stream,
        err: err.stream,
      }),
    ).toBe(2);
    expect(err.text()).toContain(
      `ssb-rollout: --out ${folder}: names a folder; the output is a JSONL file beside its settings and lock files (give a file path, e.g. ${folder}rollouts.jsonl)`,
    );
    expect(existsSync(folder)).toBe(false);
    for (const [flags, message] of cases) {
      const err = textSink();
      expect(await runCli([...flags, "--out", out], { out: textSink().stream, err: err.stream })).toBe(2);
      expect(err.text()).toBe(`ssb-rollout: ${message}\nRun "ssb-rollout --help" for the options.\n`);
    }
    expect(existsSync(out)).toBe(false);
  });

  it("refuses --capture-k and --stop-id beyond the model's vocabulary, naming them, before any output", async () => {
    const problems = path.join(work, "vocab.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n');
    const out = path.join(work, "vocab-out.jsonl");
    const store = path.join(work, "vocab-store");
    const base = ["--model", modelDir, "--problems", problems, "--out", out, "--max-new-tokens", "2"];
    for (const [flags, message] of [
      [
        ["--capture-logits", store, "--capture-k", "257"],
        'ssb-rollout: --capture-k 257: more entries than the model\'s vocabulary of 256 tokens; give at most 256\nRun "ssb-rollout --help" for the options.\n',
      ],
      [
        ["--stop-id", "256"],
        'ssb-rollout: --stop-id 256: not a token of the model (its vocabulary is ids 0 to 255)\nRun "ssb-rollout --help" for the options.\n',
      ],
    ] as const) {
      const err = textSink();
      expect(await runCli([...base, ...flags], { out: textSink().stream, err: err.stream })).toBe(2);
      expect(err.text()).toBe(message);
    }
    expect([existsSync(out), existsSync(`${out}.settings.json`), existsSync(store)]).toEqual([
      false,
      false,
      false,
    ]);
    // At the bound the job runs and stores every entry.
    const err = textSink();
    const ok = [...base, "--capture-logits", store, "--capture-k", "256"];
    expect(await runCli(ok, { out: textSink().stream, err: err.stream })).toBe(0);
  });

  it("refuses a settings file that is not the job's settings, naming it, and leaves the output as it was", async () => {
    const problems = path.join(work, "settings.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n');
    const out = path.join(work, "settings-out.jsonl");
    const args = ["--model", modelDir, "--problems", problems, "--out", out, "--max-new-tokens", "2"];
    expect(await runCli(args, { out: textSink().stream, err: textSink().stream })).toBe(0);
    const records = readFileSync(out, "utf8");
    const cases: [string, string][] = [
      ["{}", 'lacks the field(s) "modelId", "n", "sampling", "capture"'],
      ["[]", "expected a JSON object of the job's settings, found an array"],
      ["null", "expected a JSON object of the job's settings, found null"],
      ['"x"', "expected a JSON object of the job's settings, found a string"],
    ];
    for (const [text, why] of cases) {
      await writeFile(`${out}.settings.json`, text);
      const err = textSink();
      expect(await runCli(args, { out: textSink().stream, err: err.stream })).toBe(1);
      expect(err.text()).toContain(`ssb-rollout: ${out}.settings.json: ${why}`);
      expect(err.text()).toContain("use a new --out, or delete");
      expect(readFileSync(out, "utf8")).toBe(records);
      expect(readFileSync(`${out}.settings.json`, "utf8")).toBe(text);
    }
  });

  it("names the file and line of a bad problem", async () => {
    const problems = path.join(work, "bad.jsonl");
    await writeFile(problems, '{"id": "a", "question": "q"}\n{"id": "b"}\n');
    const err = textSink();
    const code = await runCli(
      ["--model", modelDir, "--problems", problems, "--out", path.join(work, "x.jsonl")],
      {
        out: textSink().stream,
        err: err.stream,
      },
    );
    expect(code).toBe(1);
    expect(err.text()).toMatch(/bad\.jsonl:2: needs "question"/);
  });

  it("says --system changes no prompt when every line has its own messages or promptIds", async () => {
    const problems = path.join(work, "own.jsonl");
    await writeFile(
      problems,
      '{"id": "a", "messages": [{"role": "user", "content": "1+1?"}]}\n{"id": "b", "promptIds": [1, 2]}\n',
    );
    const run = async (file: string, out: string): Promise<string> => {
      const err = textSink();
      const args = [
        "--model",
        modelDir,
        "--problems",
        file,
        "--out",
        path.join(work, out),
        "--system",
        "Be brief.",
      ];
      const code = await runCli([...args, "--max-new-tokens", "1", "--no-progress"], {
        out: textSink().stream,
        err: err.stream,
      });
      expect(code, err.text()).toBe(0);
      return err.text();
    };
    expect(await run(problems, "own-out.jsonl")).toContain(
      `ssb-rollout: note: --system changes no prompt: every problem read from ${problems} has its own "messages" or "promptIds", used as they are (only "question" lines get the system turn)\n`,
    );
    const mixed = path.join(work, "own-mixed.jsonl");
    await writeFile(
      mixed,
      '{"id": "a", "messages": [{"role": "user", "content": "1+1?"}]}\n{"id": "q", "question": "2+2?"}\n',
    );
    expect(await run(mixed, "own-mixed-out.jsonl")).not.toMatch(/--system changes no prompt/);
  });

  it("names the problems file and problem of token ids outside the model's vocabulary, before any output", async () => {
    const problems = path.join(work, "ids.jsonl");
    await writeFile(problems, '{"id": "a", "promptIds": [1, 2]}\n{"id": "b", "promptIds": [1, 2, 256]}\n');
    const out = path.join(work, "ids-out.jsonl");
    const err = textSink();
    expect(
      await runCli(["--model", modelDir, "--problems", problems, "--out", out], {
        out: textSink().stream,
        err: err.stream,
      }),
    ).toBe(1);
    expect(err.text()).toBe(
      `ssb-rollout: ${problems}:2: problem "b": promptIds[2] is 256, not a token of the model (its vocabulary is ids 0 to 255); were the ids made with another tokenizer?\n`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("runs a job and resumes it", async () => {
    const problems = path.join(work, "p.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n{"id": "b", "question": "2+2?"}\n');
    const out = path.join(work, "out.jsonl");
    const args = [
      "--model",
      modelDir,
      "--problems",
      problems,
      "--out",
      out,
      "--n",
      "3",
      "--max-new-tokens",
      "8",
    ];
    const err = textSink();
    expect(await runCli(args, { out: textSink().stream, err: err.stream })).toBe(0);
    expect(err.text()).toMatch(/6 new, 0 already done, 6\/6 of this job/);
    const lines = readFileSync(out, "utf8").split("\n").filter(Boolean);
    expect(lines).toHaveLength(6);
    const first = JSON.parse(lines[0] as string);
    expect(first.prompt).toEqual([
      { role: "system", content: MATH_TUTOR_SYSTEM_PROMPT },
      { role: "user", content: "1+1?" },
    ]);
    const again = textSink();
    expect(await runCli(args, { out: textSink().stream, err: again.stream })).toBe(0);
    expect(again.text()).toMatch(/0 new, 6 already done/);
    // Another system prompt is another job: refused, naming the record it would have mixed with.
    const other = textSink();
    expect(
      await runCli([...args, "--system", "Be brief."], { out: textSink().stream, err: other.stream }),
    ).toBe(1);
    expect(other.text()).toMatch(/out\.jsonl:1: problem "a" was sampled from another prompt/);
    // More samples per problem extend the job; a smaller --limit counts only its own pairs.
    const more = textSink();
    expect(
      await runCli([...args.slice(0, -4), "--n", "4", "--max-new-tokens", "8", "--limit", "1"], {
        out: textSink().stream,
        err: more.stream,
      }),
    ).toBe(0);
    expect(more.text()).toMatch(/1 new, 3 already done, 4\/4 of this job/);
  });

  it("--stop-id adds to the model's own stop ids instead of replacing them", async () => {
    const problems = path.join(work, "stop-id.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n');
    const out = path.join(work, "stop-id-out.jsonl");
    const args = ["--model", modelDir, "--problems", problems, "--out", out, "--max-new-tokens", "2"];
    expect(
      await runCli([...args, "--stop-id", "13"], { out: textSink().stream, err: textSink().stream }),
    ).toBe(0);
    // qwen2-tiny-ref's eos is id 2: it still stops a reply, and --stop-id 13 stops one too.
    const settings = JSON.parse(readFileSync(`${out}.settings.json`, "utf8"));
    expect(settings.sampling.stopTokenIds).toEqual([2, 13]);
    const record = JSON.parse(readFileSync(out, "utf8").split("\n")[0] as string);
    expect(record.sampling.stopTokenIds).toEqual([2, 13]);
    const sink2 = textSink();
    expect(await runCli(["--help"], { out: sink2.stream, err: textSink().stream })).toBe(0);
    expect(sink2.text()).toMatch(
      /--stop-id ID +stop token id \(repeatable\), in addition to the model's own/,
    );
  });

  it("refuses a resume with a smaller --n, naming the largest sample; notes records of problems not in the job", async () => {
    const problems = path.join(work, "smaller-n.jsonl");
    const three = ["a", "b", "c"].map((id) => JSON.stringify({ id, question: `${id}?` }));
    await writeFile(problems, `${three.join("\n")}\n`);
    const out = path.join(work, "smaller-n-out.jsonl");
    const args = ["--model", modelDir, "--problems", problems, "--out", out, "--max-new-tokens", "2"];
    expect(await runCli([...args, "--n", "3"], { out: textSink().stream, err: textSink().stream })).toBe(0);
    const records = readFileSync(out, "utf8");
    const settings = readFileSync(`${out}.settings.json`, "utf8");
    const err = textSink();
    expect(await runCli([...args, "--n", "1"], { out: textSink().stream, err: err.stream })).toBe(1);
    expect(err.text()).toMatch(
      /smaller-n-out\.jsonl:3: holds sample index 2 of problem "a" \(written with n 3\), so n 1 cannot resume it: .*Resume with --n 3 or more \(n in code\), or use a new --out \(nothing was changed\)/,
    );
    expect([readFileSync(out, "utf8"), readFileSync(`${out}.settings.json`, "utf8")]).toEqual([
      records,
      settings,
    ]);
    // A smaller --limit keeps the other problems' records, and says so.
    const limited = textSink();
    expect(
      await runCli([...args, "--n", "3", "--limit", "1"], { out: textSink().stream, err: limited.stream }),
    ).toBe(0);
    expect(limited.text()).toContain(
      `ssb-rollout: note: ${out} also holds 6 record(s) of 2 problem(s) not in this job (first: "b"; a smaller --limit or another problems file?); they are kept as they are`,
    );
    expect(limited.text()).toMatch(/0 new, 3 already done, 3\/3 of this job/);
  });

  it("--capture-zstd compresses the logit shards and changes no value read back; a resume may switch it", async () => {
    const problems = path.join(work, "zstd.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n{"id": "b", "question": "2+2?"}\n');
    const run = async (name: string, limit: string, zstd: boolean) => {
      const args = [
        ...["--model", modelDir, "--problems", problems, "--out", path.join(work, `${name}.jsonl`)],
        ...["--capture-logits", path.join(work, `${name}-logits`), "--limit", limit, "--max-new-tokens", "4"],
        ...(zstd ? ["--capture-zstd"] : []),
      ];
      expect(await runCli(args, { out: textSink().stream, err: textSink().stream })).toBe(0);
    };
    await run("plain", "2", false);
    await run("packed", "1", true);
    await run("packed", "2", false); // resumed without it: the new shard is plain, the first stays compressed
    const shards = (name: string) =>
      JSON.parse(readFileSync(path.join(work, `${name}-logits`, "manifest.json"), "utf8")).shards.map(
        (s: { compression: string | null }) => s.compression,
      );
    expect(shards("plain")).toEqual([null]);
    expect(shards("packed")).toEqual(["zstd", null]);
    const keys = readFileSync(path.join(work, "plain.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line).logitKey as string);
    expect(keys).toHaveLength(2);
    const plain = await openLogitStore(path.join(work, "plain-logits"));
    const packed = await openLogitStore(path.join(work, "packed-logits"));
    try {
      for (const key of keys) {
        const [x, y] = [plain.read(key), packed.read(key)];
        expect(y.tokenIds).toEqual(x.tokenIds);
        expect(y.topkIds).toEqual(x.topkIds);
        expect(y.topkLogits).toEqual(x.topkLogits);
        expect(y.logSumExp).toEqual(x.logSumExp);
      }
    } finally {
      plain.close();
      packed.close();
    }
  });

  it("a job refused after it made the --out folder leaves no folder behind", async () => {
    const problems = path.join(work, "refused-folder.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n');
    const store = await mkdtemp(path.join(work, "not-a-store-"));
    await writeFile(path.join(store, "notes.txt"), "someone else's");
    const out = path.join(work, "made-a", "made-b", "o.jsonl");
    const args = ["--model", modelDir, "--problems", problems, "--out", out, "--capture-logits", store];
    const err = textSink();
    expect(await runCli(args, { out: textSink().stream, err: err.stream })).toBe(1);
    expect(err.text()).toMatch(/notes\.txt/);
    expect(existsSync(path.join(work, "made-a"))).toBe(false);
  });

  it("resumes with stop strings in another order, and from a copied model folder (same files, other id)", async () => {
    const problems = path.join(work, "same-job.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n{"id": "b", "question": "2+2?"}\n');
    const out = path.join(work, "same-job-out.jsonl");
    const store = path.join(work, "same-job-logits");
    const args = (model: string, limit: string, stops: string[]) => [
      ...["--model", model, "--problems", problems, "--out", out, "--max-new-tokens", "3"],
      ...["--capture-logits", store, "--limit", limit, "--temperature", "0"],
      ...stops.flatMap((stop) => ["--stop", stop]),
    ];
    expect(
      await runCli(args(modelDir, "1", [".", "shells"]), { out: textSink().stream, err: textSink().stream }),
    ).toBe(0);
    const settings = readFileSync(`${out}.settings.json`, "utf8");
    const swapped = textSink();
    expect(
      await runCli(args(modelDir, "1", ["shells", "."]), { out: textSink().stream, err: swapped.stream }),
    ).toBe(0);
    expect(swapped.text()).toMatch(/0 new, 1 already done/);
    expect(readFileSync(`${out}.settings.json`, "utf8")).toBe(settings);
    // The same export under another folder name: a note, and the job goes on under the output's model id.
    const copy = path.join(work, "exp-copy");
    cpSync(modelDir, copy, { recursive: true });
    const copied = textSink();
    expect(
      await runCli(args(copy, "2", [".", "shells"]), { out: textSink().stream, err: copied.stream }),
    ).toBe(0);
    expect(copied.text()).toContain(
      `ssb-rollout: note: the model id is now "exp-copy", and ${out} was written under "${path.basename(modelDir)}"; the model files are the same`,
    );
    expect(copied.text()).toMatch(/1 new, 1 already done/);
    const ids = readFileSync(out, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l).modelId);
    expect(ids).toEqual([path.basename(modelDir), path.basename(modelDir)]);
    expect(readFileSync(`${out}.settings.json`, "utf8")).toBe(settings);
    // Another stop string is another job.
    const other = textSink();
    expect(await runCli(args(modelDir, "2", ["."]), { out: textSink().stream, err: other.stream })).toBe(1);
    expect(other.text()).toMatch(/this output was written with other settings/);
  });

  it("takes sampling defaults from generation_config.json when asked, with flags over them", async () => {
    const dir = await mkdtemp(path.join(work, "genconfig-"));
    cpSync(modelDir, dir, { recursive: true });
    const config = { do_sample: true, temperature: 0.6, top_k: 20, top_p: 0.8, repetition_penalty: 1.05 };
    await writeFile(path.join(dir, "generation_config.json"), JSON.stringify(config));
    const problems = path.join(work, "g.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n');
    const run = async (out: string, extra: string[]) => {
      const args = ["--model", dir, "--problems", problems, "--out", out, "--max-new-tokens", "4", ...extra];
      expect(await runCli(args, { out: textSink().stream, err: textSink().stream })).toBe(0);
      return JSON.parse(readFileSync(`${out}.settings.json`, "utf8")).sampling;
    };
    expect(await run(path.join(work, "g1.jsonl"), ["--generation-config", "--top-k", "30"])).toMatchObject({
      temperature: 0.6,
      topK: 30,
      topP: 0.8,
      repetitionPenalty: 1.05,
      maxNewTokens: 4,
    });
    // Without the flag the job's settings are the package's defaults.
    expect(await run(path.join(work, "g2.jsonl"), [])).toMatchObject({ temperature: 1, topK: 0, topP: 1 });
    await writeFile(path.join(dir, "generation_config.json"), JSON.stringify({ do_sample: false }));
    expect(await run(path.join(work, "g3.jsonl"), ["--generation-config"])).toMatchObject({ temperature: 0 });
  });

  it("fails cleanly on a file that is not an ONNX model and on an output that is a folder", async () => {
    const problems = path.join(work, "q.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n');
    const broken = await mkdtemp(path.join(work, "broken-"));
    await writeFile(path.join(broken, "model.onnx"), "not a protobuf at all");
    const err = textSink();
    const code = await runCli(
      ["--model", broken, "--problems", problems, "--out", path.join(work, "y.jsonl")],
      {
        out: textSink().stream,
        err: err.stream,
      },
    );
    expect(code).toBe(1);
    expect(err.text()).toMatch(/model\.onnx: .*ONNX/);
    const folder = textSink();
    const args = ["--model", modelDir, "--problems", problems, "--out", work];
    expect(await runCli(args, { out: textSink().stream, err: folder.stream })).toBe(1);
    expect(folder.text()).toMatch(
      /: is a folder; the output is a JSONL file .*\(give a file path, e\.g\. .*rollouts\.jsonl\)/,
    );
  });

  it("refuses a --capture-logits path that is a file, naming the flag, before anything is written", async () => {
    const problems = path.join(work, "cap-file.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n');
    const file = path.join(work, "logits-file");
    await writeFile(file, "not a folder");
    const out = path.join(work, "cap-file-out.jsonl");
    for (const [dir, why] of [
      [file, /--capture-logits .*logits-file: is a file, not a folder/],
      [
        path.join(file, "sub"),
        /--capture-logits .*logits-file\/sub: lies under .*logits-file, which is a file/,
      ],
    ] as const) {
      const err = textSink();
      const args = ["--model", modelDir, "--problems", problems, "--out", out, "--capture-logits", dir];
      expect(await runCli(args, { out: textSink().stream, err: err.stream })).toBe(1);
      expect(err.text()).toMatch(why);
    }
    expect(readFileSync(file, "utf8")).toBe("not a folder");
    expect(existsSync(out) || existsSync(`${out}.settings.json`)).toBe(false);
  });
});
