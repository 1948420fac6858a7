/**
 * Streaming safetensors writer. The header is computed from dtypes and shapes alone, so tensor data
 * can be produced one tensor at a time (a lazy `data` callback) and written straight to disk; peak
 * memory is one tensor. Layout follows the HF `safetensors` library so files compare byte for byte:
 * tensors ordered by element size (largest first) then name, compact JSON with `__metadata__`
 * first, header padded with spaces to a multiple of 8.
 */
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { DTYPE_BYTES, isSafetensorsDtype, type SafetensorsDtype } from "./dtype.js";
import { elementCount } from "./safetensors.js";

export type TensorBytes = ArrayBufferView;

export interface TensorToWrite {
  dtype: SafetensorsDtype;
  shape: readonly number[];
  /** Little-endian element bytes (any typed array), or a callback producing them when written. */
  data: TensorBytes | (() => TensorBytes | Promise<TensorBytes>);
}

/** HF orders by dtype, larger elements first (keeps every tensor aligned), ties by name. */
const DTYPE_ORDER: readonly SafetensorsDtype[] = [
  "U64",
  "I64",
  "F64",
  "F32",
  "U32",
  "I32",
  "BF16",
  "F16",
  "U16",
  "I16",
  "I8",
  "U8",
  "BOOL",
];

function asBytes(view: TensorBytes): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

export interface PlannedTensor {
  name: string;
  tensor: TensorToWrite;
  begin: number;
  end: number;
}

/**
 * The format gives `__metadata__` as a map of string to string: readers (safetensors in Python, Rust) refuse
 * a file whose metadata holds a number or an object, so such a value is refused before anything is written.
 */
function checkMetadata(metadata: unknown, where: string): void {
  if (metadata === undefined) return;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))
    throw new Error(
      `${where}: metadata must be an object of string values, found ${JSON.stringify(metadata)}`,
    );
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") {
      throw new Error(
        `${where}: metadata "${key}" must be a string (safetensors metadata maps strings to strings), found ${typeof value} ${JSON.stringify(value)}; pass String(value)`,
      );
    }
  }
}

/** Header bytes (length prefix included) and data layout for a set of tensors. */
export function planSafetensors(
  tensors: Iterable<[string, TensorToWrite]>,
  metadata?: Record<string, string>,
  where = "writeSafetensors",
): { header: Uint8Array; planned: PlannedTensor[]; dataLength: number } {
  checkMetadata(metadata, where);
  const entries = [...tensors];
  const seen = new Set<string>();
  for (const [name, t] of entries) {
    if (name === "__metadata__") throw new Error(`${where}: "__metadata__" is not a valid tensor name`);
    if (seen.has(name)) throw new Error(`${where}: duplicate tensor "${name}"`);
    seen.add(name);
    if (!isSafetensorsDtype(t.dtype))
      throw new Error(`${where}: tensor "${name}": unknown dtype ${String(t.dtype)}`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${where}: tensor "${name}": shape must be non-negative integers`);
    }
  }
  entries.sort(
    ([an, a], [bn, b]) =>
      DTYPE_ORDER.indexOf(a.dtype) - DTYPE_ORDER.indexOf(b.dtype) || (an < bn ? -1 : an > bn ? 1 : 0),
  );
  const headerObject: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) headerObject.__metadata__ = metadata;
  const planned: PlannedTensor[] = [];
  let offset = 0;
  for (const [name, tensor] of entries) {
    const length = elementCount(tensor.shape) * DTYPE_BYTES[tensor.dtype];
    planned.push({ name, tensor, begin: offset, end: offset + length });
    // defineProperty, not assignment: a tensor named "__proto__" must stay an ordinary key.
    Object.defineProperty(headerObject, name, {
      value: { dtype: tensor.dtype, shape: [...tensor.shape], data_offsets: [offset, offset + length] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    offset += length;
  }
  const json = new TextEncoder().encode(JSON.stringify(headerObject));
  const padded = Math.ceil(json.length / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  return { header, planned, dataLength: offset };
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, Math.min(bytes.length - done, 1 << 30));
    done += bytesWritten;
  }
}

/**
 * Write tensors to `file` (via `file.tmp` then rename, so a crash never leaves a half file under
 * the real name). Data byte counts are checked against dtype x shape.
 */
export async function writeSafetensors(
  file: string,
  tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite> | Iterable<[string, TensorToWrite]>,
  metadata?: Record<string, string>,
): Promise<void> {
  const entries: Iterable<[string, TensorToWrite]> =
    tensors instanceof Map || Symbol.iterator in tensors
      ? (tensors as Iterable<[string, TensorToWrite]>)
      : Object.entries(tensors as Record<string, TensorToWrite>);
  const { header, planned } = planSafetensors(entries, metadata, `writeSafetensors ${file}`);
  const tmp = `${file}.tmp`;
  const handle = await open(tmp, "w");
  try {
    await writeAll(handle, header);
    for (const { name, tensor, begin, end } of planned) {
      const data = asBytes(typeof tensor.data === "function" ? await tensor.data() : tensor.data);
      if (data.byteLength !== end - begin) {
        throw new Error(
          `writeSafetensors ${file}: tensor "${name}": shape [${tensor.shape.join(", ")}] x ${tensor.dtype} needs ${end - begin} bytes, got ${data.byteLength}`,
        );
      }
      await writeAll(handle, data);
    }
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw error;
  }
  await rename(tmp, file);
}
