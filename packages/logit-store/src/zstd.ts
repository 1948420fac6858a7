import { CompressionType, compressionRegistry } from "apache-arrow";
import { registerCompressionCodec } from "./compression.js";

/**
 * Registers a ZSTD codec (libzstd compiled to WebAssembly, @bokuweb/zstd-wasm) with Arrow's codec registry.
 * Loaded on first use only, so stores without compression never pay for the WebAssembly module. Writers asked
 * for "zstd" and readers of zstd shards call this themselves; call it directly to pick another level.
 *
 * Level 1 is the default: on our measurements higher levels shrink the files by only 1-3% while writing
 * several times slower (see the README's benchmark).
 */
export async function enableZstd(level = 1): Promise<void> {
  const zstd = await import("@bokuweb/zstd-wasm");
  await zstd.init();
  registerCompressionCodec("zstd", {
    encode: (data) => zstd.compress(data, level),
    decode: (data) => zstd.decompress(data),
  });
}

/** True when some ZSTD codec (ours or the caller's) is registered. */
export function zstdEnabled(): boolean {
  return compressionRegistry.get(CompressionType.ZSTD) !== null;
}
