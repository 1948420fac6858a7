import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import { runCli } from "./cli-main.js";
import { readGrpoMetrics } from "./grpo-metrics.js";

describe("ssb-grpo train", () => {
  it("runs on a checkpoint and a problems file with --set overrides (verifier reward)", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-cli-"));
    try {
      const problems = path.join(dir, "problems.jsonl");
      await writeFile(
        problems,
        '{"id":"a","question":"1+1?","answer":"2"}\n{"id":"b","question":"2+3?","answer":5}\n',
      );
      const out = path.join(dir, "out");
      const args = ["train", "--model", tinyRef, "--problems", problems, "--out", out, "--no-progress"];
      const sets = [
        "steps=1",
        "groupSize=2",
        "problemsPerStep=2",
        "sampling.maxNewTokens=4",
        'systemPrompt="Hi"',
      ];
      const code = await runCli([...args, ...sets.flatMap((s) => ["--set", s])]);
      expect(code).toBe(0);
      const metrics = readGrpoMetrics(path.join(out, "metrics.jsonl"));
      expect(metrics).toHaveLength(1);
      // A random model writes no boxed answer: every reward 0, no learning signal.
      expect(metrics[0]?.rewardMean).toBe(0);
      expect(metrics[0]?.zeroAdvantageGroups).toBe(2);
      expect(existsSync(path.join(out, "adapter", "adapter_model.safetensors"))).toBe(true);
      const printed: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string) => {
        printed.push(chunk);
        return true;
      }) as typeof process.stdout.write;
      try {
        const evalArgs = ["--problems", problems, "--n", "3", "--max-new-tokens", "4"];
        expect(
          await runCli(["eval", "--model", tinyRef, "--adapter", path.join(out, "adapter"), ...evalArgs]),
        ).toBe(0);
      } finally {
        process.stdout.write = write;
      }
      const summary = JSON.parse(printed.join("")) as { problems: number; samples: number; accuracy: number };
      expect([summary.problems, summary.samples, summary.accuracy]).toEqual([2, 6, 0]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("explains usage errors", async () => {
    await expect(runCli(["train"])).rejects.toThrow(/--out DIR is required/);
    await expect(runCli(["fly"])).rejects.toThrow(/unknown command "fly"/);
    await expect(runCli(["train", "--out", "x", "--set", "groupSize=1"])).rejects.toThrow(
      /--set: .*"groupSize"/,
    );
    await expect(runCli(["train", "--out", "x", "--fresh", "abc"])).rejects.toThrow(
      '--fresh must be an integer in [1, 9007199254740991] (2^53 - 1), found "abc"',
    );
    await expect(runCli(["eval", "--n", "0"])).rejects.toThrow(/--n must be an integer in \[1, /);
    // Number("") is 0 and Number("0x10") is 16: a temperature must be written as a decimal number.
    for (const value of ["", "0x10"]) {
      await expect(runCli(["eval", "--temperature", value])).rejects.toThrow(
        `--temperature must be a number >= 0, found "${value}"`,
      );
    }
    await expect(runCli(["train", "--out", "x", "--template-date", "28/11/2026"])).rejects.toThrow(
      '--template-date: expected a date as YYYY-MM-DD (e.g. 2024-07-26), found "28/11/2026"',
    );
    // eval takes the day too (before, an unknown flag), checked before any problem is read.
    await expect(runCli(["eval", "--template-date", "2026-02-30"])).rejects.toThrow(
      '--template-date: expected a date as YYYY-MM-DD (e.g. 2024-07-26), found "2026-02-30"',
    );
    await expect(runCli(["train", "--out", "x", "--set", "templateDate=2026-02-30"])).rejects.toThrow(
      'GRPO config: "templateDate": expected a date as YYYY-MM-DD',
    );
    await expect(runCli(["train", "--out", "x", "--backend", "gpu"])).rejects.toThrow(
      '--backend must be one of auto, tfjs-node-gpu, tfjs-node, wasm, cpu, found "gpu"',
    );
  });

  it("refuses two problem sources, naming both, and --limit 0 (before reading anything)", async () => {
    await expect(runCli(["eval", "--problems", "test.jsonl", "--n", "1", "--held-out", "5"])).rejects.toThrow(
      "--problems and --held-out are alternatives: give one problem source",
    );
    await expect(runCli(["train", "--out", "x", "--problems", "g3.jsonl", "--fresh", "10"])).rejects.toThrow(
      "--problems and --fresh are alternatives",
    );
    await expect(runCli(["eval", "--problems", "test.jsonl", "--limit", "0"])).rejects.toThrow(
      '--limit must be an integer in [1, 9007199254740991] (2^53 - 1), found "0"',
    );
  });

  it("--model: a missing folder is named; fresh and held-out problems need the default model's training.json", async () => {
    // Both used to print a raw `ENOENT: no such file or directory, open 'nope/training.json'`.
    await expect(runCli(["train", "--out", "x", "--model", "nope"])).rejects.toThrow(
      "--model nope: no such folder",
    );
    await expect(runCli(["eval", "--model", "nope", "--problems", "p.jsonl"])).rejects.toThrow(
      "--model nope: no such folder",
    );
    await expect(runCli(["train", "--out", "x", "--model", tinyRef])).rejects.toThrow(
      `--model ${tinyRef}: no training.json; fresh problems (--fresh, the default without --problems) exist only for the embedded default model, drawn around its training.json: pass --problems FILE`,
    );
    await expect(runCli(["eval", "--model", tinyRef, "--held-out", "2"])).rejects.toThrow(
      `--model ${tinyRef}: no training.json; --held-out problems exist only for the embedded default model`,
    );
    const file = path.join(tinyRef, "config.json");
    await expect(runCli(["eval", "--model", file])).rejects.toThrow(
      `--model ${file}: is a file, expected a checkpoint folder (HF layout + tokenizer)`,
    );
  });

  it("refuses a single-value flag given twice, naming it (the last one used to win silently)", async () => {
    await expect(runCli(["train", "--out", "a", "--out", "b"])).rejects.toThrow(
      '--out is given more than once ("a", then "b"); give it once',
    );
    await expect(runCli(["eval", "--seed", "1", "--seed=2"])).rejects.toThrow(
      '--seed is given more than once ("1", then "2"); give it once',
    );
    // --set is meant to be repeated.
    await expect(runCli(["train", "--out", "x", "--set", "steps=1", "--set", "groupSize=1"])).rejects.toThrow(
      /--set: .*"groupSize"/,
    );
  });

  it("refuses seeds above 2^53 - 1 (they no longer are the integer written), naming the flag or field and the range", async () => {
    const range = "must be an integer in [0, 9007199254740991] (2^53 - 1)";
    await expect(runCli(["eval", "--seed", "9007199254740993"])).rejects.toThrow(
      `--seed ${range}, found "9007199254740993"`,
    );
    await expect(runCli(["train", "--out", "x", "--problem-seed", "9007199254740992"])).rejects.toThrow(
      `--problem-seed ${range}`,
    );
    await expect(runCli(["train", "--out", "x", "--set", "seed=9007199254740993"])).rejects.toThrow(
      `--set: GRPO config: "seed" ${range}, found 9007199254740992`,
    );
    await expect(runCli(["train", "--out", "x", "--set", "seed=2.5"])).rejects.toThrow(`"seed" ${range}`);
  });

  it("reads a --config file that starts with a byte-order mark; a lora.r above the model's projections is named with it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-rank-"));
    try {
      const config = path.join(dir, "grpo.json");
      await writeFile(config, '\uFEFF{"lora": {"r": 100000, "alpha": 32}}\n');
      const problems = path.join(dir, "problems.jsonl");
      await writeFile(problems, '{"id":"a","question":"1+1?","answer":"2"}\n');
      const out = path.join(dir, "out");
      const args = ["train", "--model", tinyRef, "--problems", problems, "--out", out, "--config", config];
      // Before: a 200M-parameter LoRA was allocated (and saved), or the wasm heap aborted.
      await expect(runCli([...args, "--backend", "wasm", "--no-progress"])).rejects.toThrow(
        `${config}: field "lora.r" is 100000, more than min(in_features, out_features) = 32 of model.layers.0.self_attn.k_proj [32 x 64]; use lora.r <= 32`,
      );
      expect(existsSync(path.join(out, "checkpoints"))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names the --config file, and the line:column, when it is not a JSON object", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-config-"));
    try {
      const config = path.join(dir, "grpo.json");
      await writeFile(config, '{\n  "steps": ');
      await expect(runCli(["train", "--out", dir, "--config", config])).rejects.toThrow(
        `${config}:2:12: not valid JSON (Unexpected end of JSON input)`,
      );
      // null would reach the --set overrides, which write into it.
      await writeFile(config, "null\n");
      await expect(runCli(["train", "--out", dir, "--config", config, "--set", "steps=1"])).rejects.toThrow(
        `${config}: expected a JSON object, found null`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
