/**
 * Where a model's files are: the ONNX file a path names (the file, or a folder holding one itself or in
 * `onnx/`), and the folder with its config.json and tokenizer files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { KvShapeHints } from "./decoder-io.js";
import { RolloutError } from "./errors.js";

const MODEL_FILE_NAMES = [
  "model.onnx",
  "decoder_model_merged.onnx",
  "decoder_with_past_model.onnx",
  "decoder.onnx",
];

/**
 * Resolve a model path: a .onnx file, or a folder holding model.onnx / decoder_model_merged.onnx /
 * decoder_with_past_model.onnx / decoder.onnx, itself or in its `onnx/` subfolder (the Hugging Face layout
 * transformers.js reads).
 */
export function resolveModelFile(modelPath: string): string {
  if (!existsSync(modelPath)) throw new RolloutError(`${modelPath}: no such model file or folder`);
  if (statSync(modelPath).isFile()) return modelPath;
  for (const sub of ["", "onnx"]) {
    for (const name of MODEL_FILE_NAMES) {
      const file = path.join(modelPath, sub, name);
      if (existsSync(file)) return file;
    }
  }
  // Other .onnx files (transformers.js folders often ship only model_fp16.onnx, model_q4.onnx, ...) are
  // not guessed between: name them, since a file path picks one. A Hugging Face checkpoint without an
  // export is the other likely mistake: say how to make one.
  const others = ["", "onnx"].flatMap((sub) =>
    onnxFilesIn(path.join(modelPath, sub)).map((f) => path.join(sub, f)),
  );
  const checkpoint = readdirSync(modelPath).some((f) => f.endsWith(".safetensors"));
  const hint =
    others.length > 0
      ? `; it holds ${others.join(", ")}: pass the one to load as the model path (e.g. ${path.join(modelPath, others[0] as string)})`
      : checkpoint
        ? `; it holds a checkpoint: export it first (ssb-export-onnx --model ${modelPath} --out OUT_DIR)`
        : "";
  throw new RolloutError(
    `${modelPath}: no ${MODEL_FILE_NAMES.join(", ")} in this folder or its onnx/ subfolder${hint}`,
  );
}

/** The .onnx files directly in a folder, sorted; none when it is not a folder. */
function onnxFilesIn(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".onnx"))
    .sort();
}

/**
 * The folder holding a model's config.json and tokenizer files: the model file's own, or, for a file in an
 * `onnx/` subfolder without them (the Hugging Face layout), the folder above.
 */
export function modelFolder(file: string): string {
  const dir = path.dirname(file);
  const describes = (d: string): boolean =>
    existsSync(path.join(d, "config.json")) || existsSync(path.join(d, "tokenizer.json"));
  if (path.basename(dir) === "onnx" && !describes(dir) && describes(path.dirname(dir)))
    return path.dirname(dir);
  return dir;
}

/** KV head count and head size from config.json beside the model, for exports with symbolic KV dims. */
export function configHints(dir: string): KvShapeHints {
  const file = path.join(dir, "config.json");
  if (!existsSync(file)) return {};
  try {
    const c = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const heads = typeof c.num_attention_heads === "number" ? c.num_attention_heads : undefined;
    const kv = typeof c.num_key_value_heads === "number" ? c.num_key_value_heads : heads;
    const hidden = typeof c.hidden_size === "number" ? c.hidden_size : undefined;
    const headDim =
      typeof c.head_dim === "number" ? c.head_dim : heads && hidden ? Math.floor(hidden / heads) : undefined;
    const hints: KvShapeHints = {};
    if (kv !== undefined) hints.numKvHeads = kv;
    if (headDim !== undefined) hints.headDim = headDim;
    return hints;
  } catch {
    return {};
  }
}
