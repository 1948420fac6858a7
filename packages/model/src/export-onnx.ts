/**
 * Writing an ONNX model to disk, and the whole checkpoint -> ONNX export.
 *
 * Protobuf messages cannot exceed 2 GiB, so large models keep their weights in ONNX "external data":
 * one side file of raw little-endian tensors, each initializer pointing at it by (location, offset,
 * length). The writer streams initializers one at a time (load, write, drop), so exporting a model
 * never holds more than its largest tensor; inline mode (small models) holds them all once.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { loadAdapter, mergeAdapter } from "./adapter.js";
import { openCheckpointWeights, weightsWhere } from "./checkpoint-weights.js";
import { loadGenerationConfig, loadModelConfig, type ModelConfig } from "./config.js";
import { checkCompanionFiles } from "./export-companions.js";
import {
  buildDecoderGraph,
  type DecoderGraphOptions,
  type DecoderVariant,
  type WeightGetter,
} from "./export-decoder.js";
import { lockExportFolder } from "./export-lock.js";
import { commitExportStage, discardExportStage, openExportStage } from "./export-stage.js";
import {
  COMPANION_FILES,
  EXPORT_MANIFEST_FILE,
  EXPORT_PRODUCER,
  ExportOutConflictError,
  planExportTarget,
} from "./export-target.js";
import { finiteWeights } from "./finite-weights.js";
import { GENAI_CONFIG_FILE, genaiConfig } from "./genai-config.js";
import type { GraphBuilder } from "./onnx-graph.js";
import { encodeOnnxModel, ONNX_IR_VERSION, type OnnxModelProto, type OnnxTensorProto } from "./onnx-proto.js";
import type { TensorSource } from "./safetensors.js";
import { tiedHeadWarning } from "./tied-head.js";
import { checkNoLayersPastConfig, checkWeightShapes } from "./weight-names.js";

/** Above this many initializer bytes the weights go to external data (protobuf's hard limit is 2 GiB). */
export const INLINE_LIMIT_BYTES = 1_800_000_000;
/** protobuf's hard limit for one message (2 GiB - 1), less room for the graph itself. */
const PROTOBUF_LIMIT_BYTES = 2 ** 31 - 1 - 64 * 1024 * 1024;
/**
 * Why weights of `totalBytes` cannot be written inside model.onnx, or null when they can. Says the option to
 * change, in the library's words and the command's.
 */
function inlineRefusal(totalBytes: number): string | null {
  if (totalBytes <= PROTOBUF_LIMIT_BYTES) return null;
  return (
    `the weights are ${(totalBytes / 1e9).toFixed(2)} GB of float32, past protobuf's 2 GiB limit for one model.onnx, ` +
    'so they cannot be inline: use externalData "auto" or true (ssb-export-onnx --external-data auto or always), ' +
    "which writes them to model.onnx.data"
  );
}

/** Initializers smaller than this stay inline even with external data (shape constants, axes). */
const EXTERNAL_MIN_BYTES = 1024;
/** Offsets in the data file are page aligned so ONNX Runtime can memory-map the tensors. */
const EXTERNAL_ALIGNMENT = 4096;

export const PRODUCER_NAME = EXPORT_PRODUCER;

export interface WriteOnnxOptions {
  /** true: always external data; false: always inline; "auto" (default): external above {@link INLINE_LIMIT_BYTES}. */
  externalData?: boolean | "auto";
  /** External data file name, beside the model (default `<model file name>.data`). */
  dataFileName?: string;
  /** ModelProto metadata_props (e.g. source checkpoint, variant). */
  metadata?: Record<string, string>;
  graphName?: string;
  /** Called after each initializer is written. */
  onProgress?: (done: number, total: number, name: string) => void;
  /** Stops between initializers: the temp files are removed and the signal's reason is thrown. */
  signal?: AbortSignal;
}

export interface WrittenOnnxModel {
  modelFile: string;
  /** Absent when every weight is inline. */
  dataFile?: string;
  modelBytes: number;
  dataBytes: number;
  initializerCount: number;
  nodeCount: number;
}

/** Serialise `graph` to `file` (and its external data file when large); temp files are renamed at the end. */
export async function writeOnnxModel(
  graph: GraphBuilder,
  file: string,
  options: WriteOnnxOptions = {},
): Promise<WrittenOnnxModel> {
  const totalBytes = graph.initializers.reduce((sum, i) => sum + i.byteLength, 0);
  const external =
    options.externalData === "auto" || options.externalData === undefined
      ? totalBytes > INLINE_LIMIT_BYTES
      : options.externalData;
  const refusal = external ? null : inlineRefusal(totalBytes);
  if (refusal !== null) throw new Error(`${file}: ${refusal}`);
  const dataFileName = options.dataFileName ?? `${path.basename(file)}.data`;
  const dataFile = path.join(path.dirname(file), dataFileName);
  await mkdir(path.dirname(file), { recursive: true });

  const tensors: OnnxTensorProto[] = [];
  const total = graph.initializers.length;
  let dataBytes = 0;
  const dataTmp = `${dataFile}.tmp`;
  const handle = external ? await open(dataTmp, "w") : undefined;
  try {
    for (const [index, init] of graph.initializers.entries()) {
      options.signal?.throwIfAborted();
      const bytes = await init.load();
      if (bytes.byteLength !== init.byteLength) {
        throw new Error(
          `initializer "${init.name}": loader gave ${bytes.byteLength} bytes, expected ${init.byteLength} for [${init.dims.join(", ")}]`,
        );
      }
      const tensor: OnnxTensorProto = { name: init.name, dims: init.dims, dataType: init.dataType };
      if (handle && bytes.byteLength >= EXTERNAL_MIN_BYTES) {
        const offset = Math.ceil(dataBytes / EXTERNAL_ALIGNMENT) * EXTERNAL_ALIGNMENT;
        await writeAll(handle, bytes, offset);
        dataBytes = offset + bytes.byteLength;
        tensor.dataLocation = 1;
        tensor.externalData = [
          { key: "location", value: dataFileName },
          { key: "offset", value: String(offset) },
          { key: "length", value: String(bytes.byteLength) },
        ];
      } else {
        tensor.rawData = bytes;
      }
      tensors.push(tensor);
      options.onProgress?.(index + 1, total, init.name);
    }
  } catch (error) {
    await handle?.close();
    await rm(dataTmp, { force: true });
    throw error;
  }
  await handle?.close();

  const model: OnnxModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [...graph.opsets].map(([domain, version]) => ({ domain, version })),
    producerName: PRODUCER_NAME,
    producerVersion: "0.1.0",
    graph: {
      name: options.graphName ?? "decoder",
      node: graph.nodeProtos(),
      initializer: tensors,
      input: graph.inputProtos(),
      output: graph.outputProtos(),
    },
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  const encoded = encodeOnnxModel(model);
  const modelTmp = `${file}.tmp`;
  await writeFile(modelTmp, encoded);
  if (external) await rename(dataTmp, dataFile);
  // A data file left by an earlier external-data export of the same name would be stale now.
  else await rm(dataFile, { force: true });
  await rename(modelTmp, file);
  const result: WrittenOnnxModel = {
    modelFile: file,
    modelBytes: encoded.byteLength,
    dataBytes,
    initializerCount: tensors.length,
    nodeCount: graph.nodes.length,
  };
  if (external) result.dataFile = dataFile;
  return result;
}

async function writeAll(
  handle: import("node:fs/promises").FileHandle,
  bytes: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const chunk = Math.min(bytes.byteLength - done, 1 << 30);
    const { bytesWritten } = await handle.write(bytes, done, chunk, position + done);
    done += bytesWritten;
  }
}

/** A {@link WeightGetter} over a safetensors source (checkpoint, shards, or a merged-LoRA view). */
export function weightGetter(source: TensorSource): WeightGetter {
  return {
    has: (name) => source.has(name),
    shape: (name) => source.info(name).shape,
    float32: async (name) => (await source.readFloat32(name)).data,
  };
}

export interface ExportOnnxOptions {
  /** HF checkpoint folder (config.json + safetensors). */
  modelDir: string;
  /**
   * Output folder: model.onnx (+ model.onnx.data), genai_config.json, and the checkpoint's config and tokenizer
   * files. Written through a stage (see export-stage.ts): those names are replaced together once the export
   * succeeded, those an earlier export wrote and this one does not are removed, and other files are left
   * alone. A folder holding such files that no earlier export wrote (another checkpoint's folder) is refused
   * with {@link ExportOutConflictError} before anything is written (see export-target.ts). One export at a time
   * writes into a folder (a lock file holding the pid, see export-lock.ts): a second one rejects with
   * {@link ExportOutBusyError}; a path naming a file rejects with {@link ExportOutNotFolderError}.
   */
  outDir: string;
  /** PEFT adapter folder, merged into the weights before export. */
  adapterDir?: string;
  variant?: DecoderVariant;
  /** contrib only: GroupQueryAttention (default true where head_dim % 8 == 0 and rope is not dynamic); false keeps MatMul attention. */
  groupQueryAttention?: boolean;
  /** Only float32 is exported today (the weights are upcast from bf16 / f16 exactly). */
  dtype?: "f32";
  externalData?: boolean | "auto";
  /** Safetensors file to read instead of the default lookup, resolved against modelDir (a name there, or a path). */
  weightsFile?: string;
  /** Model file name in outDir (default model.onnx); a plain name, not a path. */
  modelFileName?: string;
  onProgress?: (done: number, total: number, name: string) => void;
  /**
   * Stops the export (Ctrl-C in the CLI): checked between weights and once more before the new files replace
   * the old, so a stopped export leaves outDir exactly as it was and throws the signal's reason. Once the
   * replacing has begun (a few renames) it finishes.
   */
  signal?: AbortSignal;
  /** Where warnings go (one line each; default console.warn): a checkpoint without tokenizer.json, or one whose tokenizer does not load. */
  warn?: (message: string) => void;
}

export interface ExportOnnxResult extends WrittenOnnxModel {
  config: ModelConfig;
  variant: DecoderVariant;
  /** Files copied next to the model (config, tokenizer), by name. */
  copied: string[];
  /** Files an earlier export into outDir left that this one did not write (they described that export). */
  removed: string[];
  seconds: number;
}

export { COMPANION_FILES, EXPORT_MANIFEST_FILE, ExportOutConflictError };
export { EXPORT_LOCK_FILE, ExportOutBusyError, ExportOutNotFolderError } from "./export-lock.js";

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

interface ExportSettings {
  config: ModelConfig;
  variant: DecoderVariant;
  modelFileName: string;
  sameDir: boolean;
}

/** Export a HF checkpoint (optionally with a merged LoRA) as an ONNX decoder-with-past. */
export async function exportOnnx(options: ExportOnnxOptions): Promise<ExportOnnxResult> {
  const started = performance.now();
  if ((options.dtype ?? "f32") !== "f32") {
    throw new Error(`export dtype "${options.dtype}" is not supported (only f32)`);
  }
  const variant = options.variant ?? "plain";
  const modelFileName = options.modelFileName ?? "model.onnx";
  if (
    modelFileName === "" ||
    path.basename(modelFileName) !== modelFileName ||
    modelFileName.startsWith(".")
  ) {
    throw new Error(`export modelFileName must be a plain file name, found "${modelFileName}"`);
  }
  const config = await loadModelConfig(options.modelDir);
  const sameDir = path.resolve(options.outDir) === path.resolve(options.modelDir);
  // Held until the new files are in place: a second export into the folder would clear this one's stage.
  const unlock = lockExportFolder(options.outDir);
  let failed = true;
  try {
    const result = await exportLocked(options, started, { config, variant, modelFileName, sameDir });
    failed = false;
    return result;
  } finally {
    unlock(failed);
  }
}

async function exportLocked(
  options: ExportOnnxOptions,
  started: number,
  { config, variant, modelFileName, sameDir }: ExportSettings,
): Promise<ExportOnnxResult> {
  const dataFileName = `${modelFileName}.data`;
  const produced = [modelFileName, dataFileName, GENAI_CONFIG_FILE];
  // Before reading any weight: a folder holding another model's files is refused with nothing written.
  const target = await planExportTarget(options.modelDir, options.outDir, produced, sameDir);
  const openOptions = options.weightsFile === undefined ? {} : { file: options.weightsFile };
  const base = await openCheckpointWeights(options.modelDir, openOptions);
  try {
    // As loadCheckpoint does: a missing, misshapen or integer-typed weight is named with its file here, before
    // the graph builder would refuse it without one (or read integers as floats).
    checkWeightShapes(config, base, weightsWhere(base));
    checkNoLayersPastConfig(config, base, weightsWhere(base));
    const headWarning = await tiedHeadWarning(config, base);
    // After the weights' own checks (a config.json that disagrees with them is the thing to say first): a
    // companion file that is not JSON, or a tokenizer past vocab_size, is refused before anything is written; a
    // tokenizer that does not load is said once the export is in place.
    const tokenizerWarning = await checkCompanionFiles(options.modelDir, COMPANION_FILES, config.vocabSize);
    let source: TensorSource = base;
    if (options.adapterDir !== undefined) source = mergeAdapter(base, await loadAdapter(options.adapterDir));
    const graphOptions: DecoderGraphOptions = { variant };
    if (options.groupQueryAttention !== undefined)
      graphOptions.groupQueryAttention = options.groupQueryAttention;
    const weights = finiteWeights(weightGetter(source), base, options.adapterDir);
    const graph = buildDecoderGraph(config, weights, graphOptions);
    // Before the stage is made, naming the output: writeOnnxModel would refuse too, naming the stage's model.onnx.
    if (options.externalData === false) {
      const refusal = inlineRefusal(graph.initializers.reduce((sum, i) => sum + i.byteLength, 0));
      if (refusal !== null) throw new Error(`${path.join(options.outDir, modelFileName)}: ${refusal}`);
    }
    const metadata: Record<string, string> = {
      "ssb.architecture": config.architecture,
      "ssb.variant": variant,
      "ssb.source": path.basename(path.resolve(options.modelDir)),
    };
    if (options.adapterDir !== undefined)
      metadata["ssb.adapter"] = path.basename(path.resolve(options.adapterDir));
    const writeOptions: WriteOnnxOptions = { metadata, externalData: options.externalData ?? "auto" };
    if (options.onProgress) writeOptions.onProgress = options.onProgress;
    if (options.signal) writeOptions.signal = options.signal;
    const generation = await loadGenerationConfig(options.modelDir, config);
    // Only what an earlier export wrote may be removed; the checkpoint's own or another tool's files never are.
    const removable = [...produced, ...(sameDir ? [] : COMPANION_FILES)].filter((n) => target.earlier.has(n));
    // Everything goes to the stage first: a failure leaves the previous export in outDir as it was.
    const stage = await openExportStage(options.outDir);
    let written: WrittenOnnxModel;
    const copied: string[] = [];
    try {
      written = await writeOnnxModel(graph, path.join(stage, modelFileName), writeOptions);
      await writeFile(
        path.join(stage, GENAI_CONFIG_FILE),
        `${JSON.stringify(genaiConfig(config, generation, modelFileName), null, 2)}\n`,
      );
      for (const name of target.copy) {
        // Read and write rather than copyFile: a read-only source mode must not make re-exports fail.
        await writeFile(path.join(stage, name), await readFile(path.join(options.modelDir, name)));
        copied.push(name);
      }
      // The manifest names what this export wrote and what earlier ones wrote that stays (another model file).
      const writing = await readdir(stage);
      const kept: string[] = [];
      for (const name of target.earlier) {
        if (removable.includes(name) || writing.includes(name)) continue;
        if (await exists(path.join(options.outDir, name))) kept.push(name);
      }
      const files = [...writing, ...kept].sort();
      await writeFile(
        path.join(stage, EXPORT_MANIFEST_FILE),
        `${JSON.stringify({ producer: EXPORT_PRODUCER, source: path.resolve(options.modelDir), files }, null, 2)}\n`,
      );
      options.signal?.throwIfAborted();
    } catch (error) {
      await discardExportStage(stage);
      throw error;
    }
    const removed = await commitExportStage(stage, options.outDir, removable);
    for (const warning of [headWarning, tokenizerWarning])
      if (warning !== null) (options.warn ?? ((m: string) => console.warn(m)))(warning);
    if (!(await exists(path.join(options.modelDir, "tokenizer.json")))) {
      (options.warn ?? ((m: string) => console.warn(m)))(
        `warning: ${path.join(options.modelDir, "tokenizer.json")} is missing: the export cannot turn text into tokens or back (ssb-rollout takes only token-id prompts from it); put the model's tokenizer.json (and tokenizer_config.json) in ${options.modelDir} and export again`,
      );
    }
    const result: ExportOnnxResult = {
      ...written,
      modelFile: path.join(options.outDir, modelFileName),
      config,
      variant,
      copied,
      removed,
      seconds: (performance.now() - started) / 1000,
    };
    if (written.dataFile !== undefined) result.dataFile = path.join(options.outDir, dataFileName);
    return result;
  } finally {
    await base.close();
  }
}
