import { CompressionType, compressionRegistry } from "apache-arrow";
import { registerCompressionCodec } from "./compression.js";

type ZstdModule = typeof import("@bokuweb/zstd-wasm");
let loading: Promise<ZstdModule> | undefined;

/**
 * Loads and initialises the WebAssembly module once per process. Initialising it a second time (as a second
 * enableZstd call used to) leaves it in a state where decompression fails with error -10 and compressed output
 * changes size; the compression test calls enableZstd twice to keep it that way.
 */
function loadZstd(): Promise<ZstdModule> {
  loading ??= import("@bokuweb/zstd-wasm").then(async (zstd) => {
    await zstd.init();
    return zstd;
  });
  return loading;
}

/**
 * Registers a ZSTD codec (libzstd compiled to WebAssembly, @bokuweb/zstd-wasm) with Arrow's codec registry.
 * Loaded on first use only, so stores without compression never pay for the WebAssembly module. Writers asked
 * for "zstd" and readers of zstd shards call this themselves; call it directly to pick another level.
 *
 * Level 1 is the default: on our measurements higher levels shrink the files by only 1-3% while writing
 * several times slower (see the README's benchmark).
 */
export async function enableZstd(level = 1): Promise<void> {
  const zstd = await loadZstd();
  registerCompressionCodec("zstd", {
    encode: (data) => zstd.compress(data, level),
    decode: (data) => zstd.decompress(data),
  });
}

/** True when some ZSTD codec (ours or the caller's) is registered. */
export function zstdEnabled(): boolean {
  return compressionRegistry.get(CompressionType.ZSTD) !== null;
}
