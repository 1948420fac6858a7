/**
 * Lazy safetensors reader. A safetensors file is: u64 little-endian header length N, N bytes of JSON
 * (`{"__metadata__": {...}, "<name>": {"dtype", "shape", "data_offsets": [begin, end]}, ...}`), then
 * the data region; offsets are relative to the data region. We read the 8 bytes, bound N before
 * allocating anything, parse only the header, validate every entry, and afterwards read tensors with
 * positional reads — a 6 GB checkpoint is never read whole, and never twice.
 */
import { type FileHandle, open } from "node:fs/promises";
import {
  DTYPE_BYTES,
  isSafetensorsDtype,
  SAFETENSORS_DTYPES,
  type SafetensorsDtype,
  toFloat32,
} from "./dtype.js";
import { describeValue, isJsonObject, ModelFileError } from "./json-fields.js";

/** Largest header we accept (HF's own reader uses 100 MB); real checkpoints use well under 1 MB. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** One tensor's entry in a safetensors header, located in `file`. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) relative to the start of the data region, as in the header. */
  dataOffsets: [number, number];
  /** Absolute byte position of the first element in the file. */
  fileOffset: number;
  byteLength: number;
  file: string;
}

/** A tensor's raw little-endian bytes. */
export interface RawTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: Uint8Array;
}

export interface Float32Tensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Named tensors that can be read on demand: one safetensors file, a sharded checkpoint, or a view
 * over one (a merged LoRA). Reads return fresh buffers the caller owns.
 */
export interface TensorSource {
  /** Names in storage order. */
  names(): string[];
  has(name: string): boolean;
  /** dtype / shape / location; throws naming the tensor when absent. */
  info(name: string): TensorInfo;
  read(name: string): Promise<RawTensor>;
  /** Decoded to float32 (bf16 exactly as bits << 16, f16 exactly). */
  readFloat32(name: string): Promise<Float32Tensor>;
  close(): Promise<void>;
}

export interface SafetensorsReader extends TensorSource {
  readonly path: string;
  /** `__metadata__` (string to string), `{}` when absent. */
  readonly metadata: Record<string, string>;
  /** 8 + header length: where the data region starts. */
  readonly dataStart: number;
  readonly fileSize: number;
  /** Bytes [start, end) of one tensor's data (e.g. a few rows of an embedding table). */
  readBytes(name: string, start?: number, end?: number): Promise<Uint8Array>;
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  /** Tensors in data-offset order. */
  tensors: TensorInfo[];
}

export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

/**
 * Validate a parsed header against the data region size. Every error names the file and tensor.
 * Checks: dtype known, shape of non-negative integers, offsets integers with begin <= end <= data
 * length, (end - begin) == elements x dtype size, and no two tensors overlapping.
 */
export function parseSafetensorsHeader(
  json: unknown,
  dataLength: number,
  file: string,
  dataStart = 0,
): SafetensorsHeader {
  if (!isJsonObject(json)) {
    throw new ModelFileError(file, `safetensors header must be a JSON object, found ${describeValue(json)}`);
  }
  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === "__metadata__") {
      if (!isJsonObject(entry)) {
        throw new ModelFileError(
          file,
          `"__metadata__" must be an object of strings, found ${describeValue(entry)}`,
        );
      }
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== "string") {
          throw new ModelFileError(
            file,
            `"__metadata__.${key}" must be a string, found ${describeValue(value)}`,
          );
        }
        Object.defineProperty(metadata, key, { value, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const where = `tensor "${name}"`;
    if (!isJsonObject(entry)) {
      throw new ModelFileError(file, `${where}: expected an object, found ${describeValue(entry)}`);
    }
    const { dtype, shape, data_offsets: offsets } = entry;
    if (!isSafetensorsDtype(dtype)) {
      // FP8 (F8_E4M3, F8_E5M2) and the other newer types are valid safetensors but not readable here: say so.
      throw new ModelFileError(
        file,
        `${where}: unsupported dtype ${describeValue(dtype)} (readable: ${SAFETENSORS_DTYPES.join(", ")}; ` +
          "FP8 and quantized checkpoints are not)",
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new ModelFileError(file, `${where}: shape must be a list of non-negative integers`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      throw new ModelFileError(file, `${where}: data_offsets must be two non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) {
      // Not a truncation: the header itself is wrong (the pair reversed, or hand-edited).
      throw new ModelFileError(file, `${where}: data_offsets [${begin}, ${end}] end before they begin`);
    }
    if (end > dataLength) {
      throw new ModelFileError(
        file,
        `${where}: data_offsets [${begin}, ${end}] outside the data region of ${dataLength} bytes (truncated file?)`,
      );
    }
    const dims = shape as number[];
    const expected = elementCount(dims) * DTYPE_BYTES[dtype];
    if (expected !== end - begin) {
      throw new ModelFileError(
        file,
        `${where}: shape [${dims.join(", ")}] x ${dtype} is ${expected} bytes but data_offsets span ${end - begin}`,
      );
    }
    tensors.push({
      name,
      dtype,
      shape: dims,
      dataOffsets: [begin, end],
      fileOffset: dataStart + begin,
      byteLength: end - begin,
      file,
    });
  }
  tensors.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  for (let i = 1; i < tensors.length; i++) {
    const prev = tensors[i - 1] as TensorInfo;
    const cur = tensors[i] as TensorInfo;
    if (cur.dataOffsets[0] < prev.dataOffsets[1]) {
      throw new ModelFileError(file, `tensors "${prev.name}" and "${cur.name}" overlap in the data region`);
    }
  }
  return { metadata, tensors };
}

/** Read exactly `length` bytes at `position`, in chunks (one read call is limited to 2 GiB). */
export async function readExactly(
  handle: FileHandle,
  file: string,
  position: number,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const chunk = 1 << 30;
  let done = 0;
  while (done < length) {
    const want = Math.min(chunk, length - done);
    const { bytesRead } = await handle.read(out, done, want, position + done);
    if (bytesRead === 0) {
      throw new ModelFileError(file, `unexpected end of file at byte ${position + done} (truncated?)`);
    }
    done += bytesRead;
  }
  return out;
}

export interface OpenSafetensorsOptions {
  /** Upper bound on the JSON header size in bytes (default {@link MAX_SAFETENSORS_HEADER_BYTES}). */
  maxHeaderBytes?: number;
}

/** Open a .safetensors file: reads and validates only the header. Call `close()` when done. */
export async function openSafetensors(
  file: string,
  options: OpenSafetensorsOptions = {},
): Promise<SafetensorsReader> {
  let handle: FileHandle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModelFileError(file, `cannot open safetensors file (${reason})`);
  }
  try {
    return await readerFor(handle, file, options.maxHeaderBytes ?? MAX_SAFETENSORS_HEADER_BYTES);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function readerFor(
  handle: FileHandle,
  file: string,
  maxHeaderBytes: number,
): Promise<SafetensorsReader> {
  const stats = await handle.stat();
  if (!stats.isFile()) throw new ModelFileError(file, "not a regular file");
  const fileSize = stats.size;
  if (fileSize < 8) {
    throw new ModelFileError(
      file,
      `truncated: ${fileSize} bytes, but a safetensors file starts with an 8-byte header length`,
    );
  }
  const prefix = await readExactly(handle, file, 0, 8);
  const headerLength = new DataView(prefix.buffer).getBigUint64(0, true);
  // Bound the length before allocating: a hostile or corrupt file must not make us allocate gigabytes.
  if (headerLength > BigInt(fileSize - 8)) {
    throw new ModelFileError(
      file,
      `header length ${headerLength} exceeds the ${fileSize - 8} bytes after the length prefix (truncated or not a safetensors file)`,
    );
  }
  if (headerLength > BigInt(maxHeaderBytes)) {
    throw new ModelFileError(
      file,
      `header length ${headerLength} exceeds the limit of ${maxHeaderBytes} bytes`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  const headerBytes = await readExactly(handle, file, 8, Number(headerLength));
  let json: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
    if (!text.startsWith("{")) throw new Error("does not start with '{'");
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModelFileError(file, `header is not valid JSON (${reason})`);
  }
  const header = parseSafetensorsHeader(json, fileSize - dataStart, file, dataStart);
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  let closed = false;

  const info = (name: string): TensorInfo => {
    const found = byName.get(name);
    if (!found) throw new ModelFileError(file, `no tensor named "${name}"`);
    return found;
  };
  const readBytes = async (name: string, start = 0, end?: number): Promise<Uint8Array> => {
    const t = info(name);
    const stop = end ?? t.byteLength;
    if (
      !(
        Number.isSafeInteger(start) &&
        Number.isSafeInteger(stop) &&
        0 <= start &&
        start <= stop &&
        stop <= t.byteLength
      )
    ) {
      throw new ModelFileError(
        file,
        `tensor "${name}": byte range [${start}, ${stop}) outside its ${t.byteLength} bytes`,
      );
    }
    if (closed) throw new ModelFileError(file, "read after close()");
    return readExactly(handle, file, t.fileOffset + start, stop - start);
  };
  const read = async (name: string): Promise<RawTensor> => {
    const t = info(name);
    return { name, dtype: t.dtype, shape: [...t.shape], data: await readBytes(name) };
  };

  return {
    path: file,
    metadata: header.metadata,
    dataStart,
    fileSize,
    names: () => header.tensors.map((t) => t.name),
    has: (name) => byName.has(name),
    info,
    readBytes,
    read,
    async readFloat32(name) {
      const raw = await read(name);
      return { name, shape: raw.shape, data: toFloat32(raw.dtype, raw.data) };
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}
