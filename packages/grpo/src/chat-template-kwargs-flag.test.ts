/**
 * `--chat-template-kwargs` on the command line: bad JSON (or not an object) is a usage error naming the flag,
 * a bad config field names the file and field, `train` records the kwargs, and a kwarg the model's template
 * never mentions (a misspelling) is warned about once on stderr.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { UsageError } from "@ssb/cli-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import { writeThinkingModel } from "../test/thinking-model.js";
import { unusedKwargsWarning } from "./chat-template-kwargs-flag.js";
import { runCli } from "./cli-main.js";
import { GRPO_STATE_FILE } from "./grpo-checkpoint.js";

let dir: string;
let model: string;
let problems: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-kwargs-flag-"));
  model = await writeThinkingModel(path.join(dir, "thinking-model"));
  problems = path.join(dir, "problems.jsonl");
  await writeFile(problems, '{"id":"a","question":"1+1?","answer":"2"}\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Run the CLI with stdout and stderr captured. */
async function capture(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [writeOut, writeErr] = [
    process.stdout.write.bind(process.stdout),
    process.stderr.write.bind(process.stderr),
  ];
  process.stdout.write = ((chunk: string) => out.push(chunk) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => err.push(chunk) > 0) as typeof process.stderr.write;
  try {
    const code = await runCli(argv);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

describe("--chat-template-kwargs", () => {
  it("bad JSON or a value that is no object is a usage error naming the flag, for train and eval", async () => {
    for (const command of [["train", "--out", path.join(dir, "never")], ["eval"]]) {
      const bad = runCli([...command, "--chat-template-kwargs", "{enable_thinking: false}"]);
      await expect(bad).rejects.toThrow(UsageError);
      await expect(
        runCli([...command, "--chat-template-kwargs", "{enable_thinking: false}"]),
      ).rejects.toThrow("--chat-template-kwargs: chat template kwargs are not JSON");
      await expect(runCli([...command, "--chat-template-kwargs", "[false]"])).rejects.toThrow(
        '--chat-template-kwargs: chat template kwargs must be a JSON object such as {"enable_thinking": false}',
      );
    }
  });

  it("a config file's chatTemplateKwargs is checked, naming the file and field", async () => {
    const config = path.join(dir, "bad.json");
    await writeFile(config, JSON.stringify({ chatTemplateKwargs: { bos_token: "x" } }));
    await expect(runCli(["train", "--out", path.join(dir, "never"), "--config", config])).rejects.toThrow(
      `${config}: GRPO config: "chatTemplateKwargs": chat template kwarg "bos_token" is set by the renderer`,
    );
  });

  it("train records the flag's kwargs in its checkpoints; eval warns once about a name the template never mentions", async () => {
    const out = path.join(dir, "run");
    const sets = ["steps=1", "groupSize=2", "problemsPerStep=1", "sampling.maxNewTokens=2", "lora.r=2"];
    const trained = await capture([
      ...[
        "train",
        "--model",
        model,
        "--problems",
        problems,
        "--out",
        out,
        "--no-progress",
        "--backend",
        "wasm",
      ],
      ...sets.flatMap((s) => ["--set", s]),
      ...["--chat-template-kwargs", '{"enable_thinking": false}'],
    ]);
    expect(trained.code).toBe(0);
    expect(trained.stderr).not.toContain("warning");
    const state = JSON.parse(
      readFileSync(path.join(out, "checkpoints", "step-00000001", GRPO_STATE_FILE), "utf8"),
    ) as { config: Record<string, unknown> };
    expect(state.config.chatTemplateKwargs).toEqual({ enable_thinking: false });

    const evaluated = await capture([
      ...[
        "eval",
        "--model",
        model,
        "--problems",
        problems,
        "--n",
        "1",
        "--max-new-tokens",
        "2",
        "--no-progress",
      ],
      ...["--chat-template-kwargs", '{"enable_thinkng": false}'],
    ]);
    expect(evaluated.code).toBe(0);
    const warnings = evaluated.stderr.split("\n").filter((line) => line.includes("warning"));
    expect(warnings).toEqual([
      `ssb-grpo: warning: --chat-template-kwargs: the chat template of ${model} never mentions "enable_thinkng", so it changes nothing in the prompts (misspelt?)`,
    ]);
  }, 120_000);

  it("no warning for names the template reads, or without kwargs", async () => {
    expect(await unusedKwargsWarning(model, { enable_thinking: false }, "--chat-template-kwargs")).toBeNull();
    expect(await unusedKwargsWarning(tinyRef, undefined, "--chat-template-kwargs")).toBeNull();
    expect(await unusedKwargsWarning(tinyRef, { enable_thinking: false }, "x")).toContain(
      '"enable_thinking"',
    );
  });
});
