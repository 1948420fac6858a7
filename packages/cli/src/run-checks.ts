/**
 * What `ssb run` checks when it starts, before it pins the config or deletes anything: the bounds that depend
 * on the model (its context and vocabulary) and on the problems (the sizes of the rollout and eval jobs once
 * the problem files are counted). The config's own bounds are checked when it is loaded (config-bounds.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseJsonObjectFile } from "@ssb/durable-files";
import { jobPairsIssue } from "./config-bounds.js";
import type { PipelineConfig } from "./config-schema.js";
import { type ConfigSource, describeIssues, type FieldIssue } from "./config-source.js";
import { ConfigError } from "./load-config.js";

function refuse(issues: readonly (FieldIssue | null)[], source: ConfigSource): void {
  const found = issues.filter((i): i is FieldIssue => i !== null);
  if (found.length > 0) throw new ConfigError(describeIssues(found, source));
}

/**
 * The model's context length and vocabulary size from its config.json (null: not given). A config.json that
 * cannot be read or is not a JSON object is refused here, naming its place, before any stage runs: the
 * problems stage would otherwise run first and the export fail only after it.
 */
function modelSizes(modelDir: string): { file: string; context: number | null; vocab: number | null } {
  const file = path.join(modelDir, "config.json");
  const positive = (v: unknown): number | null => (typeof v === "number" && v >= 1 ? v : null);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`model: cannot read ${file} (${(error as Error).message})`);
  }
  let config: Record<string, unknown>;
  try {
    config = parseJsonObjectFile(text, file);
  } catch (error) {
    throw new Error(`model: ${(error as Error).message}`);
  }
  return { file, context: positive(config.max_position_embeddings), vocab: positive(config.vocab_size) };
}

/**
 * A reply can never outgrow the model's context, nor top-k logits its vocabulary: a larger setting is a typo
 * (or a config written for another model), refused rather than silently cut.
 */
export function checkModelLimits(config: PipelineConfig, modelDir: string, source: ConfigSource): void {
  const { file, context, vocab } = modelSizes(modelDir);
  const issues: (FieldIssue | null)[] = [];
  if (context !== null) {
    const replies: [string[], number][] = [
      [["rollout", "maxNewTokens"], config.rollout.maxNewTokens],
      [["curation", "teacher", "maxNewTokens"], config.curation.teacher.maxNewTokens],
      [["eval", "maxNewTokens"], config.eval.maxNewTokens],
    ];
    for (const [at, value] of replies) {
      if (value > context)
        issues.push({
          path: at,
          problem: `more than the model's context of ${context} positions (max_position_embeddings in ${file})`,
          value,
        });
    }
  }
  if (vocab !== null && config.curation.logitK > vocab) {
    issues.push({
      path: ["curation", "logitK"],
      problem: `more than the model's ${vocab}-token vocabulary (vocab_size in ${file})`,
      value: config.curation.logitK,
    });
  }
  refuse(issues, source);
}

/**
 * Every stage renders chat prompts (the math-tutor system turn + the question) through the model's chat
 * template, so a tokenizer without one (a base checkpoint such as Llama-3.2-1B rather than its -Instruct) is
 * refused here, naming the model's own file, before anything is written: it was refused only after the
 * problems stage and the ONNX export, naming the export's copy of the file. A folder without
 * tokenizer_config.json is left to the stages, which name what is missing.
 */
export function checkChatTemplate(modelDir: string): void {
  const file = path.join(modelDir, "tokenizer_config.json");
  if (!existsSync(file) || existsSync(path.join(modelDir, "chat_template.jinja"))) return;
  let config: Record<string, unknown>;
  try {
    config = parseJsonObjectFile(readFileSync(file, "utf8"), file);
  } catch (error) {
    throw new Error(`model: ${(error as Error).message}`);
  }
  if (config.chat_template === undefined || config.chat_template === null) {
    throw new Error(
      `model: ${file} has no chat_template (nor is there a chat_template.jinja beside it): ssb run renders every prompt (the system turn and the question) with the model's chat template, so it needs a chat model's tokenizer files (an -Instruct checkpoint's), or a chat_template added to that file`,
    );
  }
}

/** Non-blank lines of a JSONL file (0 when it is not there). */
function countRecords(file: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "").length;
}

/**
 * The rollout and eval jobs' sizes, with the problems the run will use: `counts` when the problems stage is
 * about to select them, else the ones a finished problems stage wrote (`files`).
 */
export function checkJobSizes(
  config: PipelineConfig,
  source: ConfigSource,
  problems: { train: number; eval: number } | { trainFile: string; evalFile: string },
): void {
  const counts =
    "train" in problems
      ? problems
      : { train: countRecords(problems.trainFile), eval: countRecords(problems.evalFile) };
  refuse(
    [
      jobPairsIssue(counts.train, config.rollout.samples, ["rollout", "samples"], "train problems"),
      jobPairsIssue(counts.eval, config.eval.samples, ["eval", "samples"], "eval problems"),
    ],
    source,
  );
}
