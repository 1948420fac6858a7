// Size study behind format 2: which layouts of the top-k columns ZSTD compresses best, and how sensitive the
// chosen one is to the data. Run: pnpm --filter @ssb/logit-store bench:layouts   (prints only; ~1 minute)
//
// Part 1 compresses single columns of one ~1 MiB record batch (7,000 tokens, k = 20, the bench's synthetic data)
// with ZSTD level 1, as the writer would, for the layouts considered. Part 2 writes whole stores through the real
// writer, format 1 (plain float16) against format 2 (steps), on the bench's data and on variants with wider or
// narrower logit spreads and higher logits, since real teacher logits were not available on this machine.
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zstd from "@bokuweb/zstd-wasm";
import { enableZstd, float32ArrayToFloat16Bits, openLogitStoreWriter } from "../src/index.js";
import { encodeLogitSteps } from "../src/logit-steps.js";
import { type SyntheticOptions, syntheticRows } from "../test/synthetic-logits.js";

const VOCAB = 151_936;
const K = 20;

// One initialisation of the WebAssembly module, through the package (initialising it a second time made later
// compressions come out larger in our runs).
await enableZstd();
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const zsize = (a: ArrayBufferView, level = 1) => zstd.compress(bytesOf(a), level).length;

/** The bench's example mix (100..999 tokens each) concatenated to `tokens` rows. */
function batchOf(tokens: number, opts: Omit<SyntheticOptions, "seed" | "k" | "vocabSize"> = {}) {
  const ids = new Int32Array(tokens * K);
  const logits = new Float32Array(tokens * K);
  const tokenIds = new Int32Array(tokens);
  const lse = new Float32Array(tokens);
  for (let i = 0, t = 0; t < tokens; i++) {
    const n = Math.min(100 + ((i * 7919) % 900), tokens - t);
    const r = syntheticRows(n, { vocabSize: VOCAB, k: K, seed: i, ...opts });
    ids.set(r.topkIds.subarray(0, n * K), t * K);
    logits.set(r.topkLogits.subarray(0, n * K), t * K);
    tokenIds.set(r.tokenIds.subarray(0, n), t);
    lse.set(r.logSumExp.subarray(0, n), t);
    t += n;
  }
  return { ids, logits, tokenIds, lse };
}

/** Byte planes: all first bytes, then all second bytes, ... (a layout Arrow has no encoding for). */
function planes(a: ArrayBufferView, width: number): Uint8Array {
  const b = bytesOf(a);
  const n = b.length / width;
  const out = new Uint8Array(b.length);
  for (let p = 0; p < width; p++) for (let i = 0; i < n; i++) out[p * n + i] = b[i * width + p]!;
  return out;
}

function part1(): void {
  const T = 7000;
  const { ids, logits, tokenIds } = batchOf(T);
  const f16 = float32ArrayToFloat16Bits(logits);
  const { top, steps } = encodeLogitSteps(f16, T, K);
  const per = (bytes: number) => (bytes / T).toFixed(1);
  const rows: [string, string][] = [];
  for (const level of [1, 3, 9, 19]) {
    rows.push([`topkIds Int32, ZSTD level ${level}`, per(zsize(ids, level))]);
    rows.push([`topkLogits Float16, ZSTD level ${level}`, per(zsize(f16, level))]);
  }
  rows.push(["topkLogitMax + topkLogitSteps (format 2)", per(zsize(top) + zsize(steps))]);
  // Steps counted from the row's top instead of from the previous entry.
  const fromTop = new Uint16Array(T * K);
  for (let t = 0; t < T; t++) {
    let acc = 0;
    for (let j = 1; j < K; j++) {
      acc += steps[t * K + j]!;
      fromTop[t * K + j] = acc;
    }
  }
  rows.push(["topkLogitMax + steps from the top logit", per(zsize(top) + zsize(fromTop))]);
  const diffs = new Float32Array(T * K);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < K; j++) diffs[t * K + j] = logits[t * K + j]! - logits[t * K]!;
  }
  rows.push([
    "Float16 logit minus row max (inexact)",
    per(zsize(top) + zsize(float32ArrayToFloat16Bits(diffs))),
  ]);
  rows.push(["topkLogits Float16 as byte planes", per(zsize(planes(f16, 2)))]);
  rows.push(["topkLogitSteps as byte planes", per(zsize(top) + zsize(planes(steps, 2)))]);
  const deltas = new Int32Array(T * K);
  const lo = new Uint16Array(T * K);
  const hi = new Uint8Array(T * K);
  const sorted = new Int32Array(T * K);
  const perm = new Uint8Array(T * K);
  for (let t = 0; t < T; t++) {
    const row = Array.from(ids.subarray(t * K, (t + 1) * K));
    const order = row.map((_, j) => j).sort((a, b) => row[a]! - row[b]!);
    for (let j = 0; j < K; j++) {
      const i = t * K + j;
      deltas[i] = j === 0 ? ids[i]! : ids[i]! - ids[i - 1]!;
      lo[i] = ids[i]! & 0xffff;
      hi[i] = ids[i]! >>> 16;
      sorted[i] = j === 0 ? row[order[0]!]! : row[order[j]!]! - row[order[j - 1]!]!;
      perm[i] = order[j]!;
    }
  }
  rows.push(["topkIds as deltas from the previous entry", per(zsize(deltas))]);
  rows.push(["topkIds sorted by id (deltas) + rank permutation UInt8", per(zsize(sorted) + zsize(perm))]);
  rows.push(["topkIds split: low UInt16 + high UInt8 columns", per(zsize(lo) + zsize(hi))]);
  rows.push(["topkIds as byte planes", per(zsize(planes(ids, 4)))]);
  const rank = new Uint8Array(T);
  for (let t = 0; t < T; t++) rank[t] = Array.from(ids.subarray(t * K, (t + 1) * K)).indexOf(tokenIds[t]!);
  rows.push(["tokenId Int32", per(zsize(tokenIds))]);
  rows.push(["tokenId as its rank in the top-k, UInt8", per(zsize(rank))]);
  console.log(
    `Part 1: compressed bytes per token, one ${T}-token batch, k = ${K}, ZSTD level 1 unless named\n`,
  );
  console.log("| layout | bytes/token |\n|---|---:|");
  for (const [name, v] of rows) console.log(`| ${name} | ${v} |`);
}

async function storeBytesPerEntry(
  formatVersion: number,
  opts: Omit<SyntheticOptions, "seed" | "k" | "vocabSize">,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "logit-layouts-"));
  try {
    const meta = {
      modelId: "bench",
      tokenizerHash: "bench",
      vocabSize: VOCAB,
      k: K,
      dtype: "float16" as const,
      captureTemperature: 1,
      formatVersion,
    };
    const w = await openLogitStoreWriter(dir, meta, { compression: "zstd" });
    let tokens = 0;
    for (let i = 0; tokens < 150_000; i++) {
      const rows = syntheticRows(100 + ((i * 7919) % 900), { vocabSize: VOCAB, k: K, seed: i, ...opts });
      w.writeExample(`example-${String(i).padStart(7, "0")}`, rows);
      tokens += rows.tokenIds.length;
    }
    await w.close();
    const bytes = readdirSync(dir)
      .filter((f) => f.endsWith(".arrow"))
      .reduce((s, f) => s + statSync(join(dir, f)).size, 0);
    return bytes / tokens / K;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function part2(): Promise<void> {
  const variants: [string, Omit<SyntheticOptions, "seed" | "k" | "vocabSize">][] = [
    ["bench data (top logit 15-25, gap scale 1)", {}],
    ["gaps x0.5", { gapScale: 0.5 }],
    ["gaps x2", { gapScale: 2 }],
    ["gaps x4", { gapScale: 4 }],
    ["top logit 30-40", { topRange: [30, 40] }],
    ["top logit 30-40, gaps x2", { topRange: [30, 40], gapScale: 2 }],
    ["uniform ids", { ids: "uniform" }],
  ];
  console.log(`\nPart 2: whole stores (150k tokens), k = ${K}, float16, ZSTD: bytes per top-k entry\n`);
  console.log("| data | format 1 (plain float16) | format 2 (steps) |\n|---|---:|---:|");
  for (const [name, opts] of variants) {
    const v1 = await storeBytesPerEntry(1, opts);
    const v2 = await storeBytesPerEntry(2, opts);
    console.log(`| ${name} | ${v1.toFixed(2)} | ${v2.toFixed(2)} |`);
  }
}

if (!process.argv.includes("--stores-only")) part1();
await part2();
