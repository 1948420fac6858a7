import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_DIR } from "../test/fixture.js";
import { checkpointDirName } from "./checkpoint-files.js";
import { TRAINER_STATE_FILE } from "./train-checkpoint.js";
import { resolveTrainConfig } from "./train-config.js";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * ssb-distill with `args`: exit code and output (Node with tsx as a loader, as resume.test.ts). Run without
 * blocking: a test of several spawnSync calls held vitest's worker for over its fixed 60 s RPC timeout on a
 * loaded machine ("Timeout calling onTaskUpdate"), failing a run whose tests all passed.
 */
function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli.ts", ...args],
      { cwd: packageDir, encoding: "utf8" },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** ssb-distill with `args`: exit code and stderr. */
async function distill(args: string[]): Promise<{ status: number | null; stderr: string }> {
  const { status, stderr } = await cli(args);
  return { status, stderr };
}

/** ssb-distill train with `args`. */
function train(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return distill(["train", ...args]);
}

const SEE_HELP = 'Run "ssb-distill --help" for the options.\n';

let dir: string;
let model: string;
let pairs: string;
let logits: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "distill-cli-"));
  // Paths are checked before anything reads them: these need only exist.
  model = path.join(dir, "model");
  logits = path.join(dir, "logits");
  mkdirSync(model);
  mkdirSync(logits);
  pairs = path.join(dir, "pairs.jsonl");
  writeFileSync(pairs, "");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ssb-distill train with a bad path flag", () => {
  it("--pairs DIR: names the flag and the path and says it is a folder, as a usage error (exit 2)", async () => {
    const out = path.join(dir, "out");
    const { status, stderr } = await train([
      "--model",
      model,
      "--pairs",
      dir,
      "--logits",
      logits,
      "--out",
      out,
    ]);
    expect(status).toBe(2);
    expect(stderr).toContain(`ssb-distill: --pairs ${dir}: is a folder, expected a file`);
    expect(stderr).not.toContain("EISDIR");
  });

  it("--logits naming no folder, or a file: names the flag", async () => {
    const out = path.join(dir, "out");
    const missing = path.join(dir, "no-logits");
    const gone = await train(["--model", model, "--pairs", pairs, "--logits", missing, "--out", out]);
    expect(gone.status).toBe(2);
    expect(gone.stderr).toContain(`--logits ${missing}: no such folder`);
    const file = await train(["--model", model, "--pairs", pairs, "--logits", pairs, "--out", out]);
    expect(file.stderr).toContain(`--logits ${pairs}: is a file, expected a folder`);
  });
});

describe("ssb-distill usage errors: one line saying what is wrong, where the options are, exit 2", () => {
  it("no command (it printed the whole usage and no word of what was wrong), an unknown one", async () => {
    expect(await distill([])).toEqual({
      status: 2,
      stderr: `ssb-distill: a command is required: "ssb-distill train ..."\n${SEE_HELP}`,
    });
    expect(await distill(["fly"])).toEqual({
      status: 2,
      stderr: `ssb-distill: unknown command "fly" (the command is train)\n${SEE_HELP}`,
    });
  });

  it("an unknown flag with the likely intended one, a missing flag, a bad --backend", async () => {
    expect(await train(["--model", model, "--pars", pairs])).toEqual({
      status: 2,
      stderr: `ssb-distill: unknown option --pars (did you mean --pairs?)\n${SEE_HELP}`,
    });
    expect((await train(["--model", model, "--epochs", "3"])).stderr).toBe(
      `ssb-distill: unknown option --epochs (a setting: --set epochs=VALUE)\n${SEE_HELP}`,
    );
    expect(await train(["--model", model])).toEqual({
      status: 2,
      stderr: `ssb-distill: --pairs, --out missing (--model, --pairs and --out are required)\n${SEE_HELP}`,
    });
    const bad = await train(["--model", model, "--pairs", pairs, "--out", "o", "--backend", "gpu"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(
      '--backend must be one of auto, tfjs-node-gpu, tfjs-node, wasm, cpu, found "gpu"',
    );
  });

  it("--help prints the usage and exits 0", async () => {
    const result = await cli(["--help"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Usage: ssb-distill train");
  });
});

describe("ssb-distill train refuses bad input before training, naming it", () => {
  it("a single-value flag given twice (the last one used to win silently)", async () => {
    const { status, stderr } = await train(["--model", model, "--pairs", pairs, "--out", "a", "--out", "b"]);
    expect(status).toBe(2);
    expect(stderr).toBe(
      `ssb-distill: --out is given more than once ("a", then "b"); give it once\n${SEE_HELP}`,
    );
  });

  it("--mode sft on a record whose target id is outside the vocabulary: file:line, field, id; nothing written", async () => {
    const data = path.join(dir, "sft-oov.jsonl");
    writeFileSync(
      data,
      '{"promptTokenIds":[10,20],"responseTokenIds":[30]}\n{"promptTokenIds":[10,20],"responseTokenIds":[300]}\n',
    );
    const out = path.join(dir, "sft-oov-out");
    const args = [
      "--model",
      FIXTURE_DIR,
      "--pairs",
      data,
      "--out",
      out,
      "--mode",
      "sft",
      "--backend",
      "wasm",
    ];
    const { status, stderr } = await train([...args, "--no-progress"]);
    expect(status).toBe(1);
    expect(stderr).toContain(
      `ssb-distill: ${data}:2: field "responseTokenIds" (target) holds token id 300 at index 0, outside the model's vocabulary [0, 256)`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("a --config file with a byte-order mark is read; a lora.r the model cannot hold is named with the file", async () => {
    const config = path.join(dir, "bom.json");
    writeFileSync(config, '\uFEFF{"lora": {"r": 100000}}\n');
    const data = path.join(dir, "sft.jsonl");
    writeFileSync(data, '{"promptTokenIds":[10,20],"responseTokenIds":[30]}\n');
    const out = path.join(dir, "rank-out");
    const args = ["--model", FIXTURE_DIR, "--pairs", data, "--out", out, "--mode", "sft", "--config", config];
    const { status, stderr } = await train([...args, "--backend", "wasm", "--no-progress"]);
    expect(status).toBe(1);
    // Before: "memory access out of bounds" from the wasm heap while the LoRA matrices were allocated.
    expect(stderr).toContain(
      `ssb-distill: ${config}: field "lora.r" is 100000, more than min(in_features, out_features) = 32 of model.layers.0.self_attn.k_proj [32 x 64]; use lora.r <= 32`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("--set with a __proto__ / constructor path part is refused, naming --set (it polluted Object.prototype)", async () => {
    const out = path.join(dir, "proto-out");
    const args = ["--model", model, "--pairs", pairs, "--out", out, "--set"];
    const proto = await train([...args, "__proto__.mode=sft"]);
    expect(proto.status).toBe(1);
    expect(proto.stderr).toContain('ssb-distill: --set __proto__.mode: "__proto__" is not a settings field');
    expect((await train([...args, "constructor.prototype.x=1"])).stderr).toContain(
      '"constructor" is not a settings field',
    );
    expect(existsSync(out)).toBe(false);
  });

  it("a seed above 2^53 - 1 given with --set names the field, --set and the range", async () => {
    const out = path.join(dir, "seed-out");
    const { status, stderr } = await train([
      "--model",
      model,
      "--pairs",
      pairs,
      "--out",
      out,
      "--set",
      "seed=9007199254740993",
    ]);
    expect(status).toBe(1);
    expect(stderr).toContain(
      'ssb-distill: --set: field "seed" must be an integer in [0, 9007199254740991] (2^53 - 1), found 9007199254740992',
    );
  });

  it("--template-date that is not YYYY-MM-DD is a usage error naming the flag; --set templateDate is checked too", async () => {
    const flag = await train([
      "--model",
      model,
      "--pairs",
      pairs,
      "--out",
      path.join(dir, "d1"),
      "--template-date",
      "28/11/2026",
    ]);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain(
      '--template-date: expected a date as YYYY-MM-DD (e.g. 2024-07-26), found "28/11/2026"',
    );
    const set = await train([
      "--model",
      model,
      "--pairs",
      pairs,
      "--out",
      path.join(dir, "d2"),
      "--set",
      "templateDate=2026-13-01",
    ]);
    expect(set.status).toBe(1);
    expect(set.stderr).toContain('--set: field "templateDate": expected a date as YYYY-MM-DD');
  });

  it("--chat-template-kwargs that is not a JSON object is a usage error naming the flag; --set chatTemplateKwargs is checked too", async () => {
    const flags = (out: string, value: string): string[] => [
      "--model",
      model,
      "--pairs",
      pairs,
      "--out",
      path.join(dir, out),
      "--chat-template-kwargs",
      value,
    ];
    const bad = await train(flags("k1", "{enable_thinking: false}"));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("ssb-distill: --chat-template-kwargs: chat template kwargs are not JSON (");
    expect(bad.stderr).toContain(`write an object such as '{"enable_thinking": false}'`);
    const list = await train(flags("k2", "[1]"));
    expect(list.status).toBe(2);
    expect(list.stderr).toContain("--chat-template-kwargs: chat template kwargs must be a JSON object");
    const set = await train([...flags("k3", "{}").slice(0, 6), "--set", "chatTemplateKwargs.bos_token=1"]);
    expect(set.status).toBe(1);
    expect(set.stderr).toContain(
      '--set: field "chatTemplateKwargs": chat template kwarg "bos_token" is set by the renderer itself',
    );
  });

  it("--chat-template-kwargs '{}' on a resume of a run that recorded kwargs is refused, naming the checkpoint's trainer_state.json and both values", async () => {
    // `{}` used to be read as no flag, keeping the recorded kwargs; rollout, eval and ssb run refuse it.
    const out = path.join(dir, "k4");
    const ck = path.join(out, "checkpoints", checkpointDirName(2));
    mkdirSync(ck, { recursive: true });
    const config = resolveTrainConfig({ chatTemplateKwargs: { enable_thinking: false } });
    const state = { step: 2, totalSteps: 4, epoch: 0, config, savedAt: "2026-11-29T12:00:00.000Z" };
    writeFileSync(path.join(ck, TRAINER_STATE_FILE), JSON.stringify(state));
    const flags = ["--model", model, "--pairs", pairs, "--out", out, "--resume", "--chat-template-kwargs"];
    const empty = await train([...flags, "{}"]);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain(
      `ssb-distill: ${path.join(ck, TRAINER_STATE_FILE)}: saved with other settings or inputs than now (chatTemplateKwargs: {"enable_thinking":false} -> {} (none), but the run's prompts rendered with {"enable_thinking":false} so far: resume without chatTemplateKwargs (--chat-template-kwargs) to keep them, or train into another output folder); refusing to resume`,
    );
  });
});
