import { type Codec, CompressionType, compressionRegistry } from "apache-arrow";
import { LogitStoreError } from "./errors.js";

/** The two buffer codecs the Arrow IPC format defines. */
export type CompressionName = "zstd" | "lz4";

const TYPES: Record<CompressionName, CompressionType> = {
  zstd: CompressionType.ZSTD,
  lz4: CompressionType.LZ4_FRAME,
};

/** A codec: `encode` must emit a standard frame (ZSTD frame, or LZ4 *frame* format) so other readers can decode. */
export interface CompressionCodec {
  encode(data: Uint8Array): Uint8Array;
  decode(data: Uint8Array): Uint8Array;
}

/**
 * Registers a codec with apache-arrow's registry, used by both our writer and reader (and by any other arrow
 * code in the process). The package ships no codec itself: see the README for measurements and a wiring example.
 */
export function registerCompressionCodec(name: CompressionName, codec: CompressionCodec): void {
  const type = TYPES[name];
  if (type === undefined)
    throw new LogitStoreError(`unknown compression ${JSON.stringify(name)} (use "zstd" or "lz4")`);
  const wrapped: Codec = { encode: (d) => codec.encode(d), decode: (d) => codec.decode(d) };
  compressionRegistry.set(type, wrapped);
}

/** The Arrow compression type for `name`, or null for none; throws when no codec for it is registered. */
export function compressionTypeFor(name: CompressionName | null): CompressionType | null {
  if (name === null) return null;
  const type = TYPES[name];
  if (type === undefined)
    throw new LogitStoreError(`unknown compression ${JSON.stringify(name)} (use "zstd" or "lz4")`);
  if (!compressionRegistry.get(type)) {
    throw new LogitStoreError(
      `compression "${name}" requested but no codec is registered (registerCompressionCodec)`,
    );
  }
  return type;
}
