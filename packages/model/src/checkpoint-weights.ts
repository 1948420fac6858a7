/**
 * One lookup over a checkpoint's weights, sharded or not. With `model.safetensors.index.json`, its
 * `weight_map` (tensor name -> shard file) is authoritative; each shard is opened once and every
 * mapped tensor is checked to exist in its shard up front, so a broken index fails at load, not
 * halfway through an export.
 */

import path from "node:path";
import { readJsonFile } from "./config.js";
import { isFile } from "./is-file.js";
import { describeValue, expectObject, ModelFileError } from "./json-fields.js";
import {
  openSafetensors,
  type RawTensor,
  type SafetensorsReader,
  type TensorInfo,
  type TensorSource,
} from "./safetensors.js";

export const SAFETENSORS_FILE = "model.safetensors";
export const SAFETENSORS_INDEX_FILE = "model.safetensors.index.json";

export interface CheckpointWeights extends TensorSource {
  readonly dir: string;
  /** The safetensors files behind this lookup (absolute paths, one per shard). */
  readonly files: string[];
}

export interface OpenCheckpointWeightsOptions {
  /** Read this single file in `dir` instead (e.g. "model.bf16.safetensors"); no index lookup. */
  file?: string;
}

/** Parse `weight_map` of an index file; shard names must be plain file names inside the checkpoint. */
export function parseSafetensorsIndex(json: unknown, file: string): Map<string, string> {
  const root = expectObject(json, file);
  const weightMap = expectObject(root.weight_map, file, "weight_map");
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== "string" || shard === "" || path.basename(shard) !== shard || shard === "..") {
      throw new ModelFileError(
        file,
        `expected a shard file name in the checkpoint folder, found ${describeValue(shard)}`,
        `weight_map.${name}`,
      );
    }
    map.set(name, shard);
  }
  if (map.size === 0) throw new ModelFileError(file, "is empty", "weight_map");
  return map;
}

function sourceOver(
  dir: string,
  readers: SafetensorsReader[],
  owner: Map<string, SafetensorsReader>,
): CheckpointWeights {
  const describe = readers.length === 1 ? (readers[0] as SafetensorsReader).path : dir;
  const readerFor = (name: string): SafetensorsReader => {
    const reader = owner.get(name);
    if (!reader) throw new ModelFileError(describe, `no tensor named "${name}"`);
    return reader;
  };
  return {
    dir,
    files: readers.map((r) => r.path),
    names: () => [...owner.keys()],
    has: (name) => owner.has(name),
    info: (name): TensorInfo => readerFor(name).info(name),
    read: (name): Promise<RawTensor> => readerFor(name).read(name),
    readFloat32: (name) => readerFor(name).readFloat32(name),
    async close() {
      await Promise.all(readers.map((r) => r.close()));
    },
  };
}

/**
 * Open `dir`'s weights: `options.file` if given, else the shards named by
 * `model.safetensors.index.json`, else `model.safetensors`. Call `close()` when done.
 */
export async function openCheckpointWeights(
  dir: string,
  options: OpenCheckpointWeightsOptions = {},
): Promise<CheckpointWeights> {
  const single = async (file: string): Promise<CheckpointWeights> => {
    const reader = await openSafetensors(file);
    return sourceOver(dir, [reader], new Map(reader.names().map((n) => [n, reader])));
  };
  if (options.file !== undefined) return single(path.resolve(dir, options.file));

  const indexFile = path.join(dir, SAFETENSORS_INDEX_FILE);
  if (await isFile(indexFile)) {
    const map = parseSafetensorsIndex(await readJsonFile(indexFile), indexFile);
    const shards = new Map<string, SafetensorsReader>();
    try {
      for (const shard of new Set(map.values())) {
        const shardFile = path.join(dir, shard);
        // A shard missing from a partial download: the index that names it is the file to look at.
        if (!(await isFile(shardFile))) {
          const names = [...map].filter(([, s]) => s === shard).map(([name]) => name);
          throw new ModelFileError(
            indexFile,
            `weight_map names ${shard} (for ${names.length} tensor${names.length === 1 ? "" : "s"}, e.g. "${names[0]}"), ` +
              `which is not in ${dir} (an interrupted download?)`,
          );
        }
        shards.set(shard, await openSafetensors(shardFile));
      }
      const owner = new Map<string, SafetensorsReader>();
      for (const [name, shard] of map) {
        const reader = shards.get(shard) as SafetensorsReader;
        if (!reader.has(name)) {
          throw new ModelFileError(
            indexFile,
            `tensor "${name}" is mapped to ${shard}, which does not contain it`,
            `weight_map.${name}`,
          );
        }
        owner.set(name, reader);
      }
      return sourceOver(dir, [...shards.values()], owner);
    } catch (error) {
      await Promise.all([...shards.values()].map((r) => r.close()));
      throw error;
    }
  }
  const file = path.join(dir, SAFETENSORS_FILE);
  if (!(await isFile(file))) {
    throw new ModelFileError(dir, `no ${SAFETENSORS_FILE} or ${SAFETENSORS_INDEX_FILE} in this folder`);
  }
  return single(file);
}

/** What to name in an error about the weights as a whole: their one file, else the shard index. */
export function weightsWhere(weights: CheckpointWeights): string {
  const [only] = weights.files;
  return weights.files.length === 1 && only !== undefined
    ? only
    : path.join(weights.dir, SAFETENSORS_INDEX_FILE);
}
