/**
 * ssb-distill: train a LoRA (or full-parameter) student from pairs + a logit store (KD) or from SFT records.
 *
 *   ssb-distill train --model DIR --pairs pairs.jsonl --logits logits/ --out runs/kd1 [--resume]
 *   ssb-distill train --mode sft --model DIR --pairs data.jsonl --out runs/sft1 --set trainable=\"full\"
 */

import { readFile } from "node:fs/promises";
import { checkPath, printVersion } from "@ssb/cli-kit";
import { parseJsonObjectFile } from "@ssb/durable-files";
import { parseChatTemplateKwargs, parseTemplateDate } from "@ssb/model";
import { backendFlag, parseFlags, reportCliError, UsageError } from "./cli-flags.js";
import { setConfigPath } from "./config-override.js";
import { runTraining } from "./run-training.js";
import { stopOnSignals } from "./stop-signals.js";
import { resolveTrainConfig, type TrainConfigInput, trainSettingNames } from "./train-config.js";

const USAGE = `Usage: ssb-distill train --model DIR --pairs FILE --out DIR [options]

  --model DIR          base checkpoint (config.json, safetensors, tokenizer.json)
  --pairs FILE         pairs.jsonl from @ssb/curation (or SFT records with --mode sft)
  --logits DIR         logit store with the teacher's top-k rows (KD)
  --out DIR            output: checkpoints/, metrics.jsonl, loss.svg, adapter/ (or model/)
  --config FILE        JSON training config (fields of TrainConfig; defaults = the paper's)
  --mode kd|sft        overrides config.mode
  --prompt-mode chat|raw
  --template-date YYYY-MM-DD
                       the day a chat template that writes today's date (Llama 3.1/3.2-Instruct) renders;
                       default: today at the run's first start, recorded for its resumes (config.templateDate)
  --chat-template-kwargs JSON
                       extra chat template variables for the student's chat prompts, as a JSON object
                       (Qwen3 without thinking: '{"enable_thinking": false}'); recorded for its resumes
                       (config.chatTemplateKwargs): a resume without the flag keeps them, one with others
                       (or '{}' against recorded ones) is refused
  --set KEY=VALUE      override one config field, dotted, value as JSON (e.g. --set optimizer.lr=1e-3)
  --resume             continue from the newest checkpoint in --out
  --backend NAME       auto (default: tfjs-node-gpu, tfjs-node, wasm, cpu) | tfjs-node-gpu | tfjs-node | wasm | cpu
  --no-progress        no progress bar
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h") {
    process.stdout.write(USAGE);
    return 0;
  }
  // Without a command it used to print the whole usage and no word of what was wrong.
  if (command === undefined) throw new UsageError('a command is required: "ssb-distill train ..."');
  if (command !== "train") throw new UsageError(`unknown command "${command}" (the command is train)`);
  const values = parseFlags(
    rest,
    {
      model: { type: "string" },
      pairs: { type: "string" },
      logits: { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
      mode: { type: "string" },
      "prompt-mode": { type: "string" },
      "template-date": { type: "string" },
      "chat-template-kwargs": { type: "string" },
      set: { type: "string", multiple: true },
      resume: { type: "boolean", default: false },
      backend: { type: "string", default: "auto" },
      "no-progress": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    // `--epochs 3` is pointed to `--set epochs=VALUE`.
    trainSettingNames(),
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.model || !values.pairs || !values.out) {
    const missing = (["model", "pairs", "out"] as const).filter((flag) => !values[flag]);
    throw new UsageError(
      `${missing.map((flag) => `--${flag}`).join(", ")} missing (--model, --pairs and --out are required)`,
    );
  }
  const backend = backendFlag(values.backend);
  // Checked before the backend and the model load: a folder given as --pairs otherwise ended, minutes later,
  // in a bare EISDIR.
  checkPath(values.model, "folder", { flag: "--model" });
  checkPath(values.pairs, "file", { flag: "--pairs" });
  if (values.logits) checkPath(values.logits, "folder", { flag: "--logits" });
  let input: Record<string, unknown> = {};
  if (values.config) {
    checkPath(values.config, "file", { flag: "--config" });
    input = parseJsonObjectFile(await readFile(values.config, "utf8"), values.config);
  }
  if (values.mode) input.mode = values.mode;
  if (values["prompt-mode"]) input.promptMode = values["prompt-mode"];
  if (values["template-date"] !== undefined) {
    try {
      parseTemplateDate(values["template-date"], "--template-date");
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    input.templateDate = values["template-date"];
  }
  if (values["chat-template-kwargs"] !== undefined) {
    try {
      input.chatTemplateKwargs = parseChatTemplateKwargs(
        values["chat-template-kwargs"],
        "--chat-template-kwargs",
      );
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  }
  for (const assignment of values.set ?? []) {
    const eq = assignment.indexOf("=");
    if (eq < 1) throw new UsageError(`--set ${assignment}: expected KEY=VALUE`);
    const raw = assignment.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw; // bare strings: --set loss.divergence=jsd
    }
    setConfigPath(input, assignment.slice(0, eq), value);
  }
  // Errors about a field name where its value came from: the --config file, --set, or both.
  const source =
    [values.config, values.set?.length ? "--set" : null].filter((s) => s).join(" with ") || "command line";
  const config = resolveTrainConfig(input as TrainConfigInput, source);
  // Ctrl-C (or SIGTERM) stops at the next step boundary with a checkpoint there; again quits at once.
  const stop = stopOnSignals("distill", "step");
  const result = await runTraining({
    modelDir: values.model,
    dataFile: values.pairs,
    logitsDir: values.logits ?? null,
    outDir: values.out,
    config,
    resume: values.resume,
    backend,
    progress: !values["no-progress"],
    signal: stop.signal,
    configSource: source,
    warnUnusedChatTemplateKwargs: true,
  });
  return result.interrupted ? 130 : 0;
}

// Exit codes: 0 done, 1 failed, 2 a usage error (the command line is wrong), 130 stopped by a signal.
const args = process.argv.slice(2);
if (printVersion(args, import.meta.url)) process.exit(0);
main(args).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(reportCliError("ssb-distill", error)),
);
