/**
 * Helpers for the end-to-end tests (not exported): the model they run on, a small config, and running the real
 * `ssb` executable (from source through tsx) as a child process in its own process group.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defaultModelDir } from "@ssb/default-model";
import type { SampleRecord } from "@ssb/eval";
import type { MainIo } from "./main.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const CLI_SOURCE = path.join(here, "cli.ts");

/** The committed default checkpoint, or SSB_CLI_TEST_MODEL (a checkpoint folder) when set. */
export function testModelDir(): string {
  return process.env.SSB_CLI_TEST_MODEL ?? defaultModelDir();
}

/** A scaled-down run: few problems, one epoch, short replies; every stage still runs for real. */
export function writeTinyConfig(dir: string): string {
  const file = path.join(dir, "tiny.yaml");
  writeFileSync(
    file,
    [
      `model: ${JSON.stringify(testModelDir())}`,
      "threads: 1",
      "problems:",
      // Two-step problems with small numbers: the default model solves these often enough (and not always) for
      // curation to keep a few pairs, so distillation has something to train on.
      "  generator: { minSteps: 2, maxSteps: 2, maxStart: 9, maxOperand: 5 }",
      "  train: 48",
      "  eval: 12",
      "rollout:",
      "  maxNewTokens: 160",
      "  batchSize: 16",
      "curation:",
      "  batchSize: 4",
      "  maxAttempts: 2",
      "  teacher:",
      "    maxNewTokens: 160",
      "distill:",
      "  epochs: 1",
      "  batchSize: 1",
      "  workers: 1",
      "  checkpointEvery: 1",
      "eval:",
      "  maxNewTokens: 160",
      "  batchSize: 12",
      "",
    ].join("\n"),
  );
  return file;
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Start `ssb ...args` in a new process group (so a kill reaches ONNX Runtime / tfjs worker threads too). */
export function startCli(args: string[]): CliRun {
  // Runs in the package folder so that `--import tsx` resolves; callers pass absolute paths.
  const child = spawn(process.execPath, ["--import", "tsx", CLI_SOURCE, ...args], {
    cwd: path.dirname(here),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export async function runCli(args: string[]) {
  const result = await startCli(args).done;
  if (result.code !== 0) {
    throw new Error(`ssb ${args.join(" ")} exited with ${result.code}\n${result.stderr}`);
  }
  return result;
}

/** An io for `main` that keeps what it prints, for in-process tests of the subcommands. */
export function captureIo(): { io: MainIo; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const stderr = {
    write: (text: string) => {
      err += text;
      return true;
    },
  } as unknown as MainIo["stderr"];
  const stdout = (text: string): void => {
    out += text;
  };
  return { io: { stdout, stderr }, out: () => out, err: () => err };
}

/** Qwen2.5-0.5B-Instruct's config.json, in the fields the memory checks read. */
export const QWEN_05B_CONFIG = {
  architectures: ["Qwen2ForCausalLM"],
  model_type: "qwen2",
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  hidden_act: "silu",
  max_position_embeddings: 32768,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  tie_word_embeddings: true,
  vocab_size: 151936,
  eos_token_id: 151645,
};

/** `count` single-sample eval records of `benchmark`, the first `right` of them correct. */
export function sampleRecords(count: number, right: number, benchmark: string): SampleRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    benchmark,
    problemId: `p${i}`,
    sampleIndex: 0,
    gold: "1",
    text: "\\boxed{1}",
    extracted: i < right ? "1" : "2",
    correct: i < right,
    verdict: i < right ? "correct" : "wrong",
    reason: i < right ? "equivalent" : "not-equivalent",
    tokens: 10,
    finishReason: "stop",
  }));
}
