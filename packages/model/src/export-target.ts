/**
 * Which files in an export's output folder the export may replace or remove. An export owns only what an
 * earlier export by this package wrote there; any other file it would overwrite (another checkpoint's
 * config.json or tokenizer, a model.onnx from another tool) makes it refuse before writing anything, since
 * replacing them would leave that folder describing a model it does not hold.
 *
 * Each export records the names it wrote in {@link EXPORT_MANIFEST_FILE}. Exports written before that file
 * existed are recognised by their genai_config.json naming a model file this package produced (its ONNX
 * producer_name); such a folder's config and tokenizer files are the export's too unless the folder is a
 * checkpoint (holds *.safetensors), as when a checkpoint was exported into its own folder.
 */
import { open, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { GENAI_CONFIG_FILE } from "./genai-config.js";
import { isFile } from "./is-file.js";

/** Files a runtime needs beside the graph; copied when the checkpoint has them. */
export const COMPANION_FILES = [
  "config.json",
  "generation_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "chat_template.jinja",
];

/** The names an export wrote, in its output folder (hidden: it is bookkeeping, not part of the model). */
export const EXPORT_MANIFEST_FILE = ".ssb-export-files.json";

/** ModelProto producer_name of every export (also written by onnx writing in export-onnx.ts). */
export const EXPORT_PRODUCER = "@ssb/model";

/** The output folder holds files of another model that the export would overwrite; nothing was written. */
export class ExportOutConflictError extends Error {
  constructor(
    readonly outDir: string,
    /** Names in `outDir`, sorted. */
    readonly files: string[],
    modelDir: string,
  ) {
    super(
      `${outDir} holds another model's files that this export of ${modelDir} would overwrite: ${files.join(", ")} ` +
        "(they differ from the checkpoint's, and no earlier export wrote them); nothing was written. Export " +
        "into another folder (an empty one, or one an earlier export wrote)",
    );
    this.name = "ExportOutConflictError";
  }
}

export interface ExportTargetPlan {
  /** Companion files to copy from the checkpoint. */
  copy: string[];
  /** Names in the output folder an earlier export wrote: this one may replace or remove them. */
  earlier: Set<string>;
}

const isPlainName = (name: unknown): name is string =>
  typeof name === "string" && name !== "" && path.basename(name) === name && name !== "..";

/** Reads one protobuf varint at `at`; null past the end of `bytes`. */
function varint(bytes: Uint8Array, at: number): { value: number; next: number } | null {
  let value = 0;
  for (let i = 0; i < 8 && at + i < bytes.length; i++) {
    const byte = bytes[at + i] as number;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return { value, next: at + i + 1 };
  }
  return null;
}

/**
 * Whether `file` is an ONNX model this package wrote: its ModelProto's producer_name (field 2), which comes
 * right after ir_version, so the first bytes are enough even for a model of gigabytes.
 */
export async function isExportedOnnx(file: string): Promise<boolean> {
  let head: Uint8Array;
  try {
    const handle = await open(file, "r");
    try {
      const buffer = new Uint8Array(256);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
  let at = 0;
  while (at < head.length) {
    const tag = varint(head, at);
    if (tag === null) return false;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    const value = varint(head, tag.next);
    if (value === null) return false;
    if (wire === 0) {
      at = value.next;
      continue;
    }
    if (wire !== 2) return false;
    if (field === 2) {
      const name = head.subarray(value.next, value.next + value.value);
      return Buffer.from(name).toString("utf8") === EXPORT_PRODUCER;
    }
    at = value.next + value.value;
  }
  return false;
}

/** The names an earlier export wrote in `outDir` (empty when none did, or the folder does not exist). */
export async function earlierExportFiles(outDir: string): Promise<Set<string>> {
  try {
    const manifest = JSON.parse(await readFile(path.join(outDir, EXPORT_MANIFEST_FILE), "utf8")) as {
      files?: unknown;
    };
    if (Array.isArray(manifest.files)) return new Set(manifest.files.filter(isPlainName));
  } catch {
    // No manifest (or an unreadable one): an export from before the manifest, or none.
  }
  let modelFile: unknown;
  try {
    const genai = JSON.parse(await readFile(path.join(outDir, GENAI_CONFIG_FILE), "utf8")) as {
      model?: { decoder?: { filename?: unknown } };
    };
    modelFile = genai.model?.decoder?.filename;
  } catch {
    return new Set();
  }
  if (!isPlainName(modelFile) || !(await isExportedOnnx(path.join(outDir, modelFile)))) return new Set();
  const checkpoint = (await readdir(outDir)).some((name) => name.endsWith(".safetensors"));
  return new Set([modelFile, `${modelFile}.data`, GENAI_CONFIG_FILE, ...(checkpoint ? [] : COMPANION_FILES)]);
}

/**
 * What an export of `modelDir` may do in `outDir`, or {@link ExportOutConflictError} when it would overwrite
 * files no earlier export wrote. `produced` are the names the export writes whatever the checkpoint holds
 * (model file, its data file, genai_config.json). A companion file already in `outDir` with the checkpoint's
 * exact bytes is neither copied nor claimed (it stays the folder's own, so a later export of another model
 * will not replace it); `sameDir` (exporting into the checkpoint's own folder) copies none.
 */
export async function planExportTarget(
  modelDir: string,
  outDir: string,
  produced: readonly string[],
  sameDir: boolean,
): Promise<ExportTargetPlan> {
  const earlier = await earlierExportFiles(outDir);
  const conflicts: string[] = [];
  for (const name of produced) {
    if (!earlier.has(name) && (await isFile(path.join(outDir, name)))) conflicts.push(name);
  }
  const copy: string[] = [];
  for (const name of sameDir ? [] : COMPANION_FILES) {
    const from = path.join(modelDir, name);
    if (!(await isFile(from))) continue;
    const to = path.join(outDir, name);
    if (!earlier.has(name) && (await isFile(to))) {
      if ((await readFile(to)).equals(await readFile(from))) continue;
      conflicts.push(name);
      continue;
    }
    copy.push(name);
  }
  if (conflicts.length > 0) throw new ExportOutConflictError(outDir, conflicts.sort(), modelDir);
  return { copy, earlier };
}
