/**
 * The model id a `--model` run records (run.json's `modelId`) and names its reports by when no `--name` is given.
 * It was the path's last part, which for common layouts says nothing: `model` (a checkpoint saved as
 * `runs/ssb/model`), `model.onnx` (a file of an export), `onnx-export` (ssb-eval's own export of another run).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname } from "node:path";

/** The file ssb-eval writes into its export folder, naming the checkpoint (and adapter) it was exported from. */
export const EXPORT_STAMP = "ssb-eval-export.json";

/** Folder and file names that say where a model is kept, not which model it is. */
const GENERIC_NAME =
  /^(models?|onnx|onnx-export|exports?|exported|checkpoints?|ckpt|final|merged|outputs?|out|weights|hf|adapter|lora|latest|best|decoder(_model_merged)?|(checkpoint|step|epoch|global_step)[-_]?\d+)$/i;

function isGeneric(name: string): boolean {
  return name === "" || GENERIC_NAME.test(name);
}

/** A folder's name, with its parent's in front when its own is generic (`ssb/model`, `ssb/adapter`). */
function folderName(dir: string): string {
  const own = basename(dir);
  if (!isGeneric(own)) return own;
  const parent = basename(dirname(dir));
  return parent !== "" && !isGeneric(parent) ? `${parent}/${own}` : own;
}

/** A JSON file's object, or undefined when it is missing or unreadable (naming must never fail a run). */
function readObject(file: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(file, "utf8").replace(/^\uFEFF/, ""));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The checkpoint's config.json `_name_or_path` (transformers records the hub id or path it was loaded from), when
 * it names something: used only where the folder and its parent say nothing (`/model` in a container), since a
 * fine-tuned checkpoint's `_name_or_path` is usually the model it was trained from.
 */
function configName(dir: string): string | undefined {
  const value = readObject(`${dir}/config.json`)?._name_or_path;
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim().replace(/[\\/]+$/, "");
  // A hub id (`Qwen/Qwen2.5-3B-Instruct`) as it is; a local path by its last part, when that says something.
  if (/^[\w.-]+(\/[\w.-]+)?$/.test(trimmed) && !trimmed.startsWith(".")) return trimmed;
  const last = basename(trimmed);
  return isGeneric(last) ? undefined : last;
}

/** A model folder's or file's name (see the module comment); `path` is resolved. */
function modelName(path: string, followStamp: boolean): string {
  let dir = path;
  if (existsSync(path) && statSync(path).isFile()) {
    // `qwen3b-int8.onnx` beside other graphs says which; `model.onnx` says nothing, its folder does.
    const stem = basename(path, extname(path));
    if (!isGeneric(stem)) return stem;
    dir = dirname(path);
  }
  const stamp = followStamp ? readObject(`${dir}/${EXPORT_STAMP}`) : undefined;
  if (typeof stamp?.model === "string")
    return modelIdFor(stamp.model, typeof stamp.adapter === "string" ? stamp.adapter : undefined, false);
  const name = folderName(dir);
  if (name.includes("/") || !isGeneric(name)) return name;
  return configName(dir) ?? name;
}

/**
 * The id a run of this model (and adapter) records: the model folder's name (or the file's, when it is not
 * `model.onnx`), with its parent's in front when that name is generic (`ssb/model`), else the config's
 * `_name_or_path`; an ssb-eval export folder by the checkpoint and adapter it was made from; `+ <adapter>` for an
 * adapter, named the same way (`Qwen2.5-3B-Instruct + ssb/adapter`).
 */
export function modelIdFor(model: string, adapter?: string, followStamp = true): string {
  const base = modelName(model, followStamp);
  return adapter === undefined ? base : `${base} + ${folderName(adapter)}`;
}

/**
 * The id runs recorded before modelIdFor: the path's last part, `+<adapter's last part>`. A run.json holding it
 * resumes (under its recorded id) rather than being refused as another model.
 */
export function formerModelIdFor(model: string, adapter?: string): string {
  return `${basename(model)}${adapter === undefined ? "" : `+${basename(adapter)}`}`;
}
